#!/usr/bin/env bash
# Trains the JDK 25 AOT cache (JEP 483/514/515) of a packaged Atrium (aot-jar layout) with a real workload.
#
#   aot-train.sh APP_DIR        writes APP_DIR/app.aot (or AOT_CACHE), then checks the JVM accepts it
#
# The training run is the service itself under `java -XX:AOTCacheOutput=...`: it starts against a throwaway
# PostgreSQL (initdb + pg_ctl in a temporary directory, loopback only), migrates it, answers TRAIN_ROUNDS rounds of
# authenticated requests (a JWT signed with a key made here), and stops on SIGTERM; at exit the JVM writes the cache
# from the classes it loaded and linked and the methods it profiled. Nothing of the run is kept but the cache:
# the database, keys and tokens are deleted.
#
# The cache only works with the exact JVM build that trained it and the exact jars (paths relative to APP_DIR,
# sizes and modification times): train with the runtime's own `java`, on the files that ship, and ship them
# unchanged (a copy must keep their modification times). Dockerfile.jvm runs this script in a stage built from
# the runtime image; deploy/bench/run.sh runs it on the benchmark's build.
#
# Environment: JAVA (default: java on PATH, must be 25 or newer), PG_BIN (default: the newest
# /usr/lib/postgresql/*/bin), AOT_CACHE (default APP_DIR/app.aot), TRAIN_ROUNDS (default 20),
# TRAIN_JAVA_OPTS (extra JVM options for the training run), TRAIN_TIMEOUT (seconds to start, default 180).
# As root it runs PostgreSQL as the `postgres` user, which must exist.
set -euo pipefail

APP_DIR=${1:?usage: aot-train.sh APP_DIR}
APP_DIR=$(cd "$APP_DIR" && pwd)
JAVA=${JAVA:-java}
AOT_CACHE=${AOT_CACHE:-$APP_DIR/app.aot}
TRAIN_ROUNDS=${TRAIN_ROUNDS:-20}
TRAIN_JAVA_OPTS=${TRAIN_JAVA_OPTS:-}
TRAIN_TIMEOUT=${TRAIN_TIMEOUT:-180}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}

log() { printf '[aot-train %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -f $APP_DIR/quarkus-run.jar ]] || die "no quarkus-run.jar in $APP_DIR"
JAVA_FEATURE=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
[[ ${JAVA_FEATURE:-0} =~ ^[0-9]+$ ]] && (( JAVA_FEATURE >= 25 )) || die "$JAVA is Java ${JAVA_FEATURE:-?}; the AOT cache needs 25+"
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL server binaries (set PG_BIN)"
for tool in curl openssl; do command -v "$tool" >/dev/null || die "missing $tool"; done

WORK=$(mktemp -d /tmp/atrium-aot-train.XXXXXX)
chmod 755 "$WORK"
PGDATA=$WORK/pg/data
PG_STARTED=0
APP_PID=""
as_pg() { if (( EUID == 0 )); then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    local rc=$?
    set +e
    [[ -n $APP_PID ]] && kill -KILL "$APP_PID" 2>/dev/null
    (( PG_STARTED )) && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1
    if (( rc != 0 )); then
        [[ -f $WORK/service.log ]] && tail -n 40 "$WORK/service.log" >&2
        log "training failed; logs in $WORK"
        rm -rf "$WORK/pg" "$WORK/jwt-private.pem"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 30000 ))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { printf '%s' "$port"; return 0; }
    done
    die "no free port found"
}

# ------------------------------------------------------------------------------------------------ database

PG_PORT=$(free_port)
DB_PASSWORD=$(openssl rand -hex 16)
mkdir -p "$WORK/pg"
printf '%s\n' "$DB_PASSWORD" > "$WORK/pg/pwfile"
(( EUID == 0 )) && chown -R postgres "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U atrium --pwfile="$WORK/pg/pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
PG_STARTED=1
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null || die "PostgreSQL did not start"
as_pg "$PG_BIN/psql" -X -q -h "$WORK/pg" -p "$PG_PORT" -U atrium -d postgres -c "create database atrium" >/dev/null

# ------------------------------------------------------------------------------------------------ token

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/jwt-private.pem" 2>/dev/null
openssl pkey -in "$WORK/jwt-private.pem" -pubout -out "$WORK/jwt-public.pem"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
NOW=$(date +%s)
JWT_HEADER=$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | b64url)
JWT_CLAIMS=$(printf '{"iss":"https://auth.atrium.local","aud":"atrium","sub":"aot-training","email":"aot-training@example.com","email_verified":true,"name":"AOT Training","iat":%d,"exp":%d}' \
    "$NOW" $(( NOW + 3600 )) | b64url)
TOKEN=$JWT_HEADER.$JWT_CLAIMS.$(printf '%s.%s' "$JWT_HEADER" "$JWT_CLAIMS" \
    | openssl dgst -sha256 -sign "$WORK/jwt-private.pem" -binary | b64url)

# ------------------------------------------------------------------------------------------------ training run

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
rm -f "$AOT_CACHE" "$AOT_CACHE.config"
log "training run: $JAVA -XX:AOTCacheOutput=$AOT_CACHE -jar $APP_DIR/quarkus-run.jar ($TRAIN_ROUNDS rounds)"
# shellcheck disable=SC2086
(cd "$APP_DIR" && exec env \
    ATRIUM_MIGRATE_AT_START=true \
    ATRIUM_DB_REACTIVE_URL="postgresql://127.0.0.1:$PG_PORT/atrium" \
    ATRIUM_DB_JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/atrium" \
    ATRIUM_DB_USER=atrium \
    ATRIUM_DB_PASSWORD="$DB_PASSWORD" \
    ATRIUM_JWT_PUBLIC_KEY_LOCATION="$WORK/jwt-public.pem" \
    ATRIUM_JWT_ISSUER=https://auth.atrium.local \
    ATRIUM_JWT_AUDIENCE=atrium \
    ATRIUM_CELL_REGION=local \
    ATRIUM_CELL_BASE_URL="$BASE" \
    ATRIUM_API_KEY_PEPPER="$(openssl rand -hex 32)" \
    ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY="$(openssl rand -base64 32)" \
    QUARKUS_HTTP_HOST=127.0.0.1 \
    QUARKUS_HTTP_PORT="$APP_PORT" \
    "$JAVA" -XX:AOTCacheOutput="$AOT_CACHE" $TRAIN_JAVA_OPTS -jar quarkus-run.jar) >"$WORK/service.log" 2>&1 &
APP_PID=$!

deadline=$(( $(date +%s) + TRAIN_TIMEOUT ))
until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/me" || true) == 200 ]]; do
    kill -0 "$APP_PID" 2>/dev/null || die "the service exited during the training start"
    (( $(date +%s) <= deadline )) || die "no successful GET /v1/me within ${TRAIN_TIMEOUT}s"
    sleep 0.1
done

call() { # expected-status-pattern method path [body]
    local code
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 30 -X "$2" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${4:+-d "$4"} "$BASE$3" || true)
    # shellcheck disable=SC2053
    [[ $code == $1 ]] || die "$2 $3 answered $code, expected $1: $(head -c 500 "$WORK/body")"
}
# The calls every replica serves from its first minute: the caller, workspace create/read/list, organizations,
# regions, health; a create also runs the provisioning saga in the background.
# Success is any 2xx and the refusal any 4xx, so that the training does not pin details of the API.
for round in $(seq 1 "$TRAIN_ROUNDS"); do
    call '2??' GET /v1/me
    call '2??' POST /v1/workspaces "{\"name\":\"Training $round\"}"
    id=$(sed -n 's/.*"id":"\(ws_[0-9A-Za-z]*\)".*/\1/p' "$WORK/body" | head -n 1)
    [[ -n $id ]] || die "POST /v1/workspaces returned no id"
    call '2??' GET "/v1/workspaces/$id"
    call '2??' GET /v1/workspaces
    call '2??' GET /v1/organizations
    call '2??' GET /v1/regions
    call '4??' GET /v1/workspaces/ws_unknown
    call '2??' GET /q/health/ready
done

log "stopping the training run; the JVM writes the cache at exit"
kill -TERM "$APP_PID"
wait "$APP_PID" || true   # a JVM stopped by SIGTERM exits with 143
APP_PID=""
grep -q 'AOTCache creation is complete' "$WORK/service.log" || die "the JVM wrote no AOT cache"
[[ -s $AOT_CACHE ]] || die "$AOT_CACHE is missing"

# The check every image build repeats: the JVM maps the cache against these jars, or fails.
(cd "$APP_DIR" && "$JAVA" -XX:AOTMode=on -XX:AOTCache="$AOT_CACHE" -cp quarkus-run.jar -version >/dev/null 2>"$WORK/check.log") \
    || { cat "$WORK/check.log" >&2; die "the JVM refuses the new cache"; }
log "AOT cache $AOT_CACHE: $(( $(stat -c %s "$AOT_CACHE") / 1048576 )) MB, trained on Java $("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}')"
