#!/usr/bin/env bash
# Trains the JDK 25 AOT cache (JEP 483/514/515) of a packaged Atrium (aot-jar layout) with a real workload.
#
#   aot-train.sh APP_DIR        writes APP_DIR/app.aot (or AOT_CACHE), then checks the JVM accepts it
#
# The training run is the service itself under `java -XX:AOTCacheOutput=...`, with the runtime's own JVM options
# (JAVA_OPTS without its -XX:AOTCache, and -XX:MaxRAMPercentage=JAVA_MAX_MEM_RATIO, as the image's entrypoint starts
# it): it starts against a throwaway PostgreSQL (initdb + pg_ctl in a temporary directory, loopback only) that the
# migration Job's command (`migrate`, in a run that records nothing) has migrated, as a serving replica finds it, and
# answers TRAIN_ROUNDS rounds of the calls production serves, TRAIN_CLIENTS clients at once: health probes
# and metrics on the management port, users' JWTs, a service principal's token, an API key, a create whose
# provisioning calls the dataplane, and a list across regions that calls a peer cell over https (both stand-ins
# from TrainingPeers.java, when TRAINING_PEERS names the directory of its compiled class). It stops on SIGTERM;
# at exit the JVM writes the cache from the classes it loaded and linked and the methods it profiled. Nothing of
# the run is kept but the cache: the database, keys and tokens are deleted.
#
# The cache only works with the exact JVM build that trained it and the exact jars (paths relative to APP_DIR,
# sizes and modification times): train with the runtime's own `java`, on the files that ship, and ship them
# unchanged (a copy must keep their modification times). Dockerfile.jvm runs this script in a stage built from
# the runtime image; deploy/bench/run.sh runs it on the benchmark's build.
#
# Environment: JAVA (default: java on PATH, must be 25 or newer), PG_BIN (default: the newest
# /usr/lib/postgresql/*/bin), AOT_CACHE (default APP_DIR/app.aot), TRAIN_ROUNDS (default 20, per client),
# TRAIN_CLIENTS (default 4), JAVA_OPTS and JAVA_MAX_MEM_RATIO (the runtime's, as the image sets them),
# TRAIN_JAVA_OPTS (extra JVM options for the training run), TRAIN_TIMEOUT (seconds to start, default 180),
# TRAINING_PEERS (directory holding TrainingPeers.class; unset: no peer or dataplane calls).
# As root it runs PostgreSQL as the `postgres` user, which must exist. PostgreSQL, keys, token and exit trap come from
# deploy/lib.sh, which must sit at ../../../deploy/lib.sh from this script, as in the repository.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=aot-train
# The library sits where it sits in the repository; Dockerfile.jvm copies both files to the same places under /opt/atrium.
# shellcheck source=../../../deploy/lib.sh
source "$HERE/../../../deploy/lib.sh"

APP_DIR=${1:?usage: aot-train.sh APP_DIR}
APP_DIR=$(cd "$APP_DIR" && pwd)
JAVA=${JAVA:-java}
AOT_CACHE=${AOT_CACHE:-$APP_DIR/app.aot}
TRAIN_ROUNDS=${TRAIN_ROUNDS:-20}
TRAIN_JAVA_OPTS=${TRAIN_JAVA_OPTS:-}
TRAIN_TIMEOUT=${TRAIN_TIMEOUT:-180}
TRAIN_CLIENTS=${TRAIN_CLIENTS:-4}
TRAINING_PEERS=${TRAINING_PEERS:-}
# The runtime's options, less the cache it is about to write.
RUNTIME_OPTS=$(printf '%s' "${JAVA_OPTS:-}" | sed -E 's/-XX:AOTCache=[^ ]*//g')
if [[ -n ${JAVA_MAX_MEM_RATIO:-} ]]; then RUNTIME_OPTS="-XX:MaxRAMPercentage=$JAVA_MAX_MEM_RATIO $RUNTIME_OPTS"; fi
# Recording keeps method profiles and class data in metaspace (more than a plain run's ~99 MB), so the training run
# lifts the runtime's metaspace ceiling; the check at the end maps the cache with the runtime's options.
RECORD_OPTS="-XX:MaxMetaspaceSize=512m"
PG_BIN=${PG_BIN:-$(newest_pg_bin)}

[[ -f $APP_DIR/quarkus-run.jar ]] || die "no quarkus-run.jar in $APP_DIR"
JAVA_FEATURE=$(java_feature "$JAVA")
(( JAVA_FEATURE >= 25 )) || die "$JAVA is Java ${JAVA_FEATURE}; the AOT cache needs 25+"
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL server binaries (set PG_BIN)"
for tool in curl openssl; do command -v "$tool" >/dev/null || die "missing $tool"; done

APP_PID=""
PEERS_PID=""
# A failed training keeps its logs (not the database or the key) and shows the end of the service's log.
ON_FAILURE_KEEP=logs
before_exit() {
    [[ -n $APP_PID ]] && kill -KILL "$APP_PID" 2>/dev/null
    [[ -n $PEERS_PID ]] && kill -KILL "$PEERS_PID" 2>/dev/null
    if (( $1 != 0 )); then
        [[ -f $WORK/service.log ]] && tail -n 40 "$WORK/service.log" >&2
        log "training failed"
    fi
}
work_dir_open atrium-aot-train
WORK_BULKY=("$WORK/peer-key.pem" "$WORK/peer.p12")

# ------------------------------------------------------------------------------------------------ database

pg_init
pg_start
pg_create_database atrium

# ------------------------------------------------------------------------------------------------ token

jwt_keys "$WORK"
TOKEN=$(jwt_user_token "$WORK/jwt-private.pem" aot-training aot-training@example.com "AOT Training" 3600)
NOW=$(date +%s)
SERVICE_HEADER=$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | b64url)
SERVICE_CLAIMS=$(printf '{"iss":"%s","aud":"%s","sub":"aot-service","azp":"aot-service","scope":"atrium:admin","iat":%d,"exp":%d}' \
    "$JWT_ISSUER" "$JWT_AUDIENCE" "$NOW" $(( NOW + 3600 )) | b64url)
SERVICE_TOKEN=$SERVICE_HEADER.$SERVICE_CLAIMS.$(printf '%s.%s' "$SERVICE_HEADER" "$SERVICE_CLAIMS" \
    | openssl dgst -sha256 -sign "$WORK/jwt-private.pem" -binary | b64url)

# ------------------------------------------------------------------------------------------------ peer and dataplane

PEER_ENV=()
TRUST_OPTS=""
if [[ -n $TRAINING_PEERS ]]; then
    KEYTOOL=$(dirname "$(command -v "$JAVA")")/keytool
    [[ -x $KEYTOOL ]] || KEYTOOL=keytool
    PEER_PORT=$(free_port)
    DATAPLANE_PORT=$(free_port)
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$WORK/peer-key.pem" -out "$WORK/peer-cert.pem" 2>/dev/null
    openssl pkcs12 -export -in "$WORK/peer-cert.pem" -inkey "$WORK/peer-key.pem" -out "$WORK/peer.p12" \
        -passout pass:training
    "$KEYTOOL" -importcert -noprompt -alias peer -file "$WORK/peer-cert.pem" -keystore "$WORK/trust.p12" \
        -storetype PKCS12 -storepass training >/dev/null 2>&1 || die "keytool could not write the trust store"
    "$JAVA" -cp "$TRAINING_PEERS" TrainingPeers "$PEER_PORT" "$WORK/peer.p12" training "$DATAPLANE_PORT" \
        >"$WORK/peers.log" 2>&1 &
    PEERS_PID=$!
    for _ in $(seq 1 100); do grep -q ready "$WORK/peers.log" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$WORK/peers.log" || { cat "$WORK/peers.log" >&2; die "the peer and dataplane stand-ins did not start"; }
    PEER_ENV=(ATRIUM_CELL_PEER_LIST="eu-west-1=https://127.0.0.1:$PEER_PORT"
        ATRIUM_DATAPLANE_URL="http://127.0.0.1:$DATAPLANE_PORT")
    # Trusts the stand-in's certificate; a system property, no option the cache depends on.
    TRUST_OPTS="-Djavax.net.ssl.trustStore=$WORK/trust.p12 -Djavax.net.ssl.trustStorePassword=training"
fi

# ------------------------------------------------------------------------------------------------ training run

APP_PORT=$(free_port)
MANAGEMENT_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
MANAGEMENT=http://127.0.0.1:$MANAGEMENT_PORT
service_env "$PG_PORT" "$DB_PASSWORD" "$WORK/jwt-public.pem" "$BASE"
rm -f "$AOT_CACHE" "$AOT_CACHE.config"
# The schema is migrated first, by the migration Job's own command in a run that records nothing: a serving replica
# never migrates, so Flyway's migration path and the JDBC driver it drives stay out of the cache (every class in the
# cache is mapped and loaded by every replica at start, used or not).
log "migrating the training database: $JAVA $RUNTIME_OPTS -jar $APP_DIR/quarkus-run.jar migrate"
# shellcheck disable=SC2086
(cd "$APP_DIR" && exec env "${SERVICE_ENV[@]}" ATRIUM_CELL_REGION=local \
    "$JAVA" $RUNTIME_OPTS $TRAIN_JAVA_OPTS -jar quarkus-run.jar migrate) >"$WORK/migrate.log" 2>&1 \
    || { tail -n 40 "$WORK/migrate.log" >&2; die "the migration of the training database failed"; }
log "training run: $JAVA -XX:AOTCacheOutput=$AOT_CACHE $RUNTIME_OPTS -jar $APP_DIR/quarkus-run.jar ($TRAIN_CLIENTS clients x $TRAIN_ROUNDS rounds)"
# shellcheck disable=SC2086
(cd "$APP_DIR" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=false ATRIUM_CELL_REGION=local \
    ATRIUM_SERVICE_CLIENTS=aot-service "${PEER_ENV[@]}" \
    QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$MANAGEMENT_PORT" \
    "$JAVA" -XX:AOTCacheOutput="$AOT_CACHE" $RUNTIME_OPTS $RECORD_OPTS $TRUST_OPTS $TRAIN_JAVA_OPTS -jar quarkus-run.jar) \
    >"$WORK/service.log" 2>&1 &
APP_PID=$!

deadline=$(( $(date +%s) + TRAIN_TIMEOUT ))
until [[ $(http_status --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/me") == 200 ]]; do
    kill -0 "$APP_PID" 2>/dev/null || die "the service exited during the training start"
    (( $(date +%s) <= deadline )) || die "no successful GET /v1/me within ${TRAIN_TIMEOUT}s"
    sleep 0.1
done

call() { # client expected-status-pattern method url token [body]
    local code out=$WORK/body.$1
    code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 -X "$3" -H "Authorization: Bearer $5" \
        -H 'Content-Type: application/json' ${PREFER:+-H "Prefer: $PREFER"} ${6:+-d "$6"} "$4" || true)
    # shellcheck disable=SC2053
    [[ $code == $2 ]] || die "$3 $4 answered $code, expected $2: $(head -c 500 "$out")"
}
field() { sed -n "s/.*\"$2\":\"\\($3[0-9A-Za-z_]*\\)\".*/\\1/p" "$WORK/body.$1" | head -n 1; }

# The calls every replica serves from its first minute, each client on its own: probes and metrics on the management
# port; the caller, workspace create waiting for its provisioning (which calls the dataplane), read and list,
# organizations, regions, a list across regions (a call to the peer over https); a service principal raising the
# workspace's plan; an API key created and used; a 404. Success is any 2xx and a refusal any 4xx, so that the
# training does not pin details of the API; the list across regions may also answer 5xx when no peer is configured.
client() {
    local c=$1 id key
    for round in $(seq 1 "$TRAIN_ROUNDS"); do
        call "$c" '200' GET "$MANAGEMENT/q/health/live" "$TOKEN"
        call "$c" '200' GET "$MANAGEMENT/q/health/ready" "$TOKEN"
        call "$c" '2??' GET "$BASE/v1/me" "$TOKEN"
        PREFER=wait=10 call "$c" '2??' POST "$BASE/v1/workspaces" "$TOKEN" "{\"name\":\"Training $c-$round\"}"
        id=$(field "$c" id ws_)
        [[ -n $id ]] || die "POST /v1/workspaces returned no id"
        call "$c" '2??' GET "$BASE/v1/workspaces/$id" "$TOKEN"
        call "$c" '2??' GET "$BASE/v1/workspaces" "$TOKEN"
        call "$c" '2??' GET "$BASE/v1/organizations" "$TOKEN"
        call "$c" '2??' GET "$BASE/v1/regions" "$TOKEN"
        call "$c" '[25]??' GET "$BASE/v1/workspaces?regions=all" "$TOKEN"
        call "$c" '2??' PATCH "$BASE/v1/workspaces/$id" "$SERVICE_TOKEN" '{"plan":"team"}'
        call "$c" '2??' POST "$BASE/v1/workspaces/$id/api-keys" "$TOKEN" \
            '{"name":"training","scopes":["workspace:read","members:read"]}'
        key=$(field "$c" secret atr_)
        [[ -n $key ]] || die "POST .../api-keys returned no secret"
        call "$c" '2??' GET "$BASE/v1/workspaces/$id" "$key"
        call "$c" '2??' GET "$BASE/v1/workspaces/$id/members" "$key"
        call "$c" '4??' GET "$BASE/v1/workspaces/ws_unknown" "$TOKEN"
        call "$c" '200' GET "$MANAGEMENT/q/metrics" "$TOKEN"
    done
}
pids=()
for c in $(seq 1 "$TRAIN_CLIENTS"); do
    client "$c" &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || die "a training client failed"
done
if [[ -n $PEERS_PID ]]; then
    grep -q '^peer ' "$WORK/peers.log" || log "warning: the peer stand-in got no call"
    grep -q '^dataplane ' "$WORK/peers.log" || die "the dataplane stand-in got no call"
fi

log "stopping the training run; the JVM writes the cache at exit"
kill -TERM "$APP_PID"
wait "$APP_PID" || true   # a JVM stopped by SIGTERM exits with 143
APP_PID=""
grep -q 'AOTCache creation is complete' "$WORK/service.log" || die "the JVM wrote no AOT cache"
[[ -s $AOT_CACHE ]] || die "$AOT_CACHE is missing"

# The check every image build repeats: the JVM maps the cache against these jars, with the runtime's options, or fails.
# shellcheck disable=SC2086
(cd "$APP_DIR" && "$JAVA" $RUNTIME_OPTS -XX:AOTMode=on -XX:AOTCache="$AOT_CACHE" -cp quarkus-run.jar -version >/dev/null 2>"$WORK/check.log") \
    || { cat "$WORK/check.log" >&2; die "the JVM refuses the new cache"; }
log "AOT cache $AOT_CACHE: $(( $(stat -c %s "$AOT_CACHE") / 1048576 )) MB, trained on Java $("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}')"
