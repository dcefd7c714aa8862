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
PG_BIN=${PG_BIN:-$(newest_pg_bin)}

[[ -f $APP_DIR/quarkus-run.jar ]] || die "no quarkus-run.jar in $APP_DIR"
JAVA_FEATURE=$(java_feature "$JAVA")
(( JAVA_FEATURE >= 25 )) || die "$JAVA is Java ${JAVA_FEATURE}; the AOT cache needs 25+"
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL server binaries (set PG_BIN)"
for tool in curl openssl; do command -v "$tool" >/dev/null || die "missing $tool"; done

APP_PID=""
# A failed training keeps its logs (not the database or the key) and shows the end of the service's log.
ON_FAILURE_KEEP=logs
before_exit() {
    [[ -n $APP_PID ]] && kill -KILL "$APP_PID" 2>/dev/null
    if (( $1 != 0 )); then
        [[ -f $WORK/service.log ]] && tail -n 40 "$WORK/service.log" >&2
        log "training failed"
    fi
}
work_dir_open atrium-aot-train

# ------------------------------------------------------------------------------------------------ database

pg_init
pg_start
pg_create_database atrium

# ------------------------------------------------------------------------------------------------ token

jwt_keys "$WORK"
TOKEN=$(jwt_user_token "$WORK/jwt-private.pem" aot-training aot-training@example.com "AOT Training" 3600)

# ------------------------------------------------------------------------------------------------ training run

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
service_env "$PG_PORT" "$DB_PASSWORD" "$WORK/jwt-public.pem" "$BASE"
rm -f "$AOT_CACHE" "$AOT_CACHE.config"
log "training run: $JAVA -XX:AOTCacheOutput=$AOT_CACHE -jar $APP_DIR/quarkus-run.jar ($TRAIN_ROUNDS rounds)"
# shellcheck disable=SC2086
(cd "$APP_DIR" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=true ATRIUM_CELL_REGION=local \
    "$JAVA" -XX:AOTCacheOutput="$AOT_CACHE" $TRAIN_JAVA_OPTS -jar quarkus-run.jar) >"$WORK/service.log" 2>&1 &
APP_PID=$!

deadline=$(( $(date +%s) + TRAIN_TIMEOUT ))
until [[ $(http_status --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/me") == 200 ]]; do
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
