#!/usr/bin/env bash
# Atrium benchmark: the service against PostgreSQL doing the same SQL, on one machine, in one run.
#
#  1. starts a throwaway PostgreSQL (initdb + pg_ctl in a temporary directory, loopback only, a free port);
#  2. builds the production jar (./mvnw -B -Pprod package -DskipTests) unless SKIP_BUILD=1 finds one, or
#     ATRIUM_JAR names one, and starts it with Flyway migrating at start and a JWT key pair made here;
#  3. measures startup: process start to the first successful authenticated GET /v1/me (polled every 10 ms);
#  4. seeds WORKSPACES workspaces over ORGANIZATIONS organizations with SQL (seed.sql), the benchmark user
#     owning all of them;
#  5. loads the service with wrk (GET /v1/workspaces/{id} over random seeded ids, then POST /v1/workspaces into
#     random seeded organizations), DURATION seconds each at CONNECTIONS connections on THREADS threads;
#  6. stops the service and runs pgbench with the same SQL the service issues for those two calls
#     (get_workspace.sql, create_workspace.sql) at the same concurrency and duration;
#  7. the AOT cache (COLD_STARTS > 0, on Java 25): deploy/bench/cold-start.sh against this run's database and token
#     packages the aot-jar layout the JVM image ships, trains its AOT cache with src/main/docker/aot-train.sh (the
#     same script and commands as Dockerfile.jvm's training stage), then measures COLD_STARTS cold starts of each of:
#     the default build (fast-jar) without a cache, the aot-jar without the cache, the aot-jar with -XX:AOTCache (the
#     JVM image), interleaved, all on the same Java 25 and against the migrated database: process start to the first
#     successful authenticated GET /v1/me, and the RSS right then;
#  8. prints requests/s, p50 and p99 of both, the ratio service/pgbench, the startup time and the service's RSS
#     after the load, the cold-start medians and ratios, next to their targets (targets are printed, not enforced).
#
# Everything listens on 127.0.0.1 only. The temporary directory is removed at the end (kept on failure or with
# KEEP_WORKDIR=1; its logs alone are kept when errors were seen), and every process started here is stopped by the
# exit trap (deploy/lib.sh, with PostgreSQL, ports and tokens).
#
# Settings (environment):
#   DURATION=20 CONNECTIONS=32 THREADS=2   per measured run (DURATION at most 600 s)
#   WARMUP=5                               seconds of unmeasured load per call before measuring the service
#   ORGANIZATIONS=100 WORKSPACES=10000     seeded data set
#   CELL_REGION=local                      the region the service runs as (ATRIUM_CELL_REGION)
#   ATRIUM_JAR=path/to/quarkus-run.jar     use this build (its lib/ etc. beside it) instead of building
#   SKIP_BUILD=1                           reuse target/quarkus-app/quarkus-run.jar (and target/quarkus-app-aot/
#                                          quarkus-run.jar, the aot-jar) when they exist
#   ATRIUM_AOT_JAR=path/to/quarkus-run.jar use this aot-jar build (-Dquarkus.package.jar.type=aot-jar) for step 7
#   COLD_STARTS=3                          cold starts per variant in step 7; 0 skips step 7 (and needs no Java 25)
#   AOT_JAVA=/path/to/java                 the Java 25+ of step 7 (default: the first Java 25+ among java on PATH,
#                                          $JAVA_HOME and /usr/lib/jvm/*)
#   TRAIN_ROUNDS=20                        request rounds of the AOT training run
#   MVN_ARGS="-o"                          extra Maven arguments for the build
#   BENCH_JAVA_OPTS="-Xmx256m"             JVM options for the service, training and cold starts (none by default)
#   DB_POOL_SIZE=20                        the service's reactive pool size (ATRIUM_DB_POOL_SIZE)
#   PG_BIN=/usr/lib/postgresql/15/bin      PostgreSQL binaries (default: the newest under /usr/lib/postgresql)
#   STARTUP_TIMEOUT=120 BUILD_TIMEOUT=1800 DRAIN_TIMEOUT=120   bounds, in seconds
#   KEEP_WORKDIR=1                         keep the whole temporary directory (database, logs, pgbench logs, keys);
#                                          the logs alone are kept when the service answered errors or logged any
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOG_TAG=bench
# shellcheck source=../lib.sh
source "$ROOT/deploy/lib.sh"

DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-5}
ORGANIZATIONS=${ORGANIZATIONS:-100}
WORKSPACES=${WORKSPACES:-10000}
CELL_REGION=${CELL_REGION:-local}
ATRIUM_JAR=${ATRIUM_JAR:-}
SKIP_BUILD=${SKIP_BUILD:-0}
MVN_ARGS=${MVN_ARGS:-}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-}
DB_POOL_SIZE=${DB_POOL_SIZE:-20}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1800}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-120}
COLD_STARTS=${COLD_STARTS:-3}
AOT_JAVA=${AOT_JAVA:-}

BENCH_USER=bench-user
BENCH_EMAIL=bench-user@example.com
BENCH_NAME="Bench User"

# Targets, printed next to the figures.
TARGET_READ_RATIO=0.5
TARGET_WRITE_RATIO=0.5
TARGET_STARTUP_S=1
TARGET_RSS_MB=256

for v in DURATION CONNECTIONS THREADS WARMUP ORGANIZATIONS WORKSPACES DB_POOL_SIZE STARTUP_TIMEOUT BUILD_TIMEOUT \
    DRAIN_TIMEOUT COLD_STARTS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
(( DURATION >= 1 && DURATION <= 600 )) || die "DURATION must be 1..600 seconds"
(( WARMUP <= 600 )) || die "WARMUP must be at most 600 seconds"
(( CONNECTIONS >= THREADS && THREADS >= 1 )) || die "need CONNECTIONS >= THREADS >= 1"
(( COLD_STARTS <= 50 )) || die "COLD_STARTS must be at most 50"
(( ORGANIZATIONS >= 1 && WORKSPACES >= ORGANIZATIONS )) || die "need WORKSPACES >= ORGANIZATIONS >= 1"
(( WORKSPACES < 9000000000000000 )) || die "WORKSPACES too large"
[[ $CELL_REGION =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] || die "CELL_REGION must be a lower-case region name"

# ------------------------------------------------------------------------------------------------ tools

APT_UPDATED=0
apt_install() {
    if (( EUID != 0 )) || ! command -v apt-get >/dev/null; then
        die "missing $*; install it (Debian: apt-get install $*)"
    fi
    if (( ! APT_UPDATED )); then
        log "apt-get update"
        timeout 300 apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$@" >/dev/null
}

PG_BIN=${PG_BIN:-$(newest_pg_bin)}
if [[ -z $PG_BIN || ! -x $PG_BIN/initdb || ! -x $PG_BIN/pg_ctl ]]; then
    apt_install postgresql
    PG_BIN=$(newest_pg_bin)
    [[ -x $PG_BIN/initdb ]] || die "no initdb after installing postgresql"
fi
PGBENCH=$PG_BIN/pgbench
[[ -x $PGBENCH ]] || PGBENCH=$(command -v pgbench || true)
PSQL=$PG_BIN/psql
[[ -x $PSQL ]] || PSQL=$(command -v psql || true)
if [[ -z $PGBENCH || -z $PSQL ]]; then
    apt_install postgresql-client
    PGBENCH=$(command -v pgbench) PSQL=$(command -v psql)
fi
command -v wrk >/dev/null || apt_install wrk
for tool in curl openssl java awk sort; do
    command -v "$tool" >/dev/null || die "missing $tool"
done

# Step 7 needs a Java 25: found (or refused) now rather than after the measured runs.
if (( COLD_STARTS > 0 )); then
    if [[ -z $AOT_JAVA ]]; then
        AOT_JAVA=$(find_java 25) \
            || die "the AOT cache needs Java 25 or newer: set AOT_JAVA=/path/to/java, or COLD_STARTS=0"
    fi
    (( $(java_feature "$AOT_JAVA") >= 25 )) || die "AOT_JAVA=$AOT_JAVA is not Java 25 or newer"
fi

# ------------------------------------------------------------------------------------------------ cleanup

SERVICE_PID=""
stop_service() {
    stop_pid "$SERVICE_PID"
    SERVICE_PID=""
}
before_exit() {
    stop_service
    # KEEP_LOGS (errors seen) keeps the logs, not the database, pgbench's transaction logs or the aot-jar's copy.
    WORK_BULKY=("$WORK"/pgbench-*/ "$WORK/cold-start/aot-app")
}
work_dir_open atrium-bench

# ------------------------------------------------------------------------------------------------ PostgreSQL

pg_init
log "PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT"
pg_start -c max_connections=200
pg_create_database atrium
pg_client_env

# ------------------------------------------------------------------------------------------------ build

if [[ -n $ATRIUM_JAR ]]; then
    JAR=$(cd "$(dirname "$ATRIUM_JAR")" && pwd)/$(basename "$ATRIUM_JAR")
    [[ -f $JAR ]] || die "ATRIUM_JAR=$ATRIUM_JAR does not exist"
elif [[ $SKIP_BUILD == 1 && -f $ROOT/target/quarkus-app/quarkus-run.jar ]]; then
    JAR=$ROOT/target/quarkus-app/quarkus-run.jar
else
    log "building: ./mvnw -B -Pprod package -DskipTests $MVN_ARGS (log: $WORK/build.log)"
    # shellcheck disable=SC2086
    (cd "$ROOT" && timeout "$BUILD_TIMEOUT" ./mvnw -B -Pprod package -DskipTests $MVN_ARGS) \
        >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; die "build failed"; }
    JAR=$ROOT/target/quarkus-app/quarkus-run.jar
fi
if compgen -G "$(dirname "$JAR")/lib/*/*embedded-postgres*" >/dev/null; then
    die "$JAR carries the embedded PostgreSQL: build it with -Pprod"
fi
log "service: $JAR"

# ------------------------------------------------------------------------------------------------ token

jwt_keys "$WORK"
TOKEN=$(jwt_user_token "$WORK/jwt-private.pem" "$BENCH_USER" "$BENCH_EMAIL" "$BENCH_NAME" 3600)
NOW=$(date +%s)

# ------------------------------------------------------------------------------------------------ service

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting the service on $BASE (log: $WORK/service.log)"
T0=$(date +%s%N)
# The service's environment (deploy/bench/cold-start.sh starts its jars with the same settings).
service_env "$PG_PORT" "$DB_PASSWORD" "$WORK/jwt-public.pem" "$BASE"
SERVICE_ENV+=(ATRIUM_DB_POOL_SIZE="$DB_POOL_SIZE" ATRIUM_CELL_REGION="$CELL_REGION"
    ATRIUM_LIMITS_MAX_JOINED_WORKSPACES=100000000)
# shellcheck disable=SC2086
(cd "$WORK" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=true java $BENCH_JAVA_OPTS -jar "$JAR") \
    >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!

deadline=$(( $(date +%s) + STARTUP_TIMEOUT ))
while :; do
    code=$(http_status --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/me")
    [[ $code == 200 ]] && break
    if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
        tail -n 40 "$WORK/service.log" >&2
        die "the service exited during startup"
    fi
    if (( $(date +%s) > deadline )); then
        tail -n 40 "$WORK/service.log" >&2
        die "no successful GET /v1/me within ${STARTUP_TIMEOUT}s (last status $code)"
    fi
    sleep 0.01
done
T1=$(date +%s%N)
STARTUP_MS=$(( (T1 - T0) / 1000000 ))
QUARKUS_STARTED=$(sed -n 's/.* started in \([0-9.]*s\)\..*/\1/p' "$WORK/service.log" | head -n 1)
log "first authenticated GET /v1/me after ${STARTUP_MS} ms (Quarkus reports started in ${QUARKUS_STARTED:-?})"

# ------------------------------------------------------------------------------------------------ seed

# One workspace through the API gives the id format of this cell: its cell code and a current time part.
PROBE=$(curl -s --max-time 30 -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Bench probe"}' "$BASE/v1/workspaces")
PROBE_ID=$(printf '%s' "$PROBE" | sed -n 's/.*"id":"\(ws_[0-9A-Za-z]*\)".*/\1/p' | head -n 1)
[[ $PROBE_ID =~ ^ws_[0-9A-Za-z]{30}$ ]] || die "POST /v1/workspaces did not return a workspace: $PROBE"
CELL_CODE=${PROBE_ID:3:4}
TIME_PART=${PROBE_ID:7:9}
log "cell code $CELL_CODE; seeding $WORKSPACES workspaces in $ORGANIZATIONS organizations"

"$PSQL" -X -q -v ON_ERROR_STOP=1 -v cell="$CELL_CODE" -v ts="$TIME_PART" -v region="$CELL_REGION" \
    -v orgs="$ORGANIZATIONS" -v workspaces="$WORKSPACES" -v user_id="$BENCH_USER" -v user_email="$BENCH_EMAIL" \
    -v user_name="$BENCH_NAME" -f "$HERE/seed.sql" >"$WORK/seed.log" 2>&1 \
    || { cat "$WORK/seed.log" >&2; die "seeding failed"; }
sql "select id from workspaces where slug like 'bench-workspace-%'" > "$WORK/workspace-ids.txt"
sql "select id from organizations where slug like 'bench-organization-%'" > "$WORK/organization-ids.txt"
(( $(wc -l < "$WORK/workspace-ids.txt") == WORKSPACES )) || die "seeded workspace count is off"

SAMPLE_ID=$(head -n 1 "$WORK/workspace-ids.txt")
SAMPLE=$(curl -s --max-time 10 -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/v1/workspaces/$SAMPLE_ID")
[[ ${SAMPLE##*$'\n'} == 200 ]] || die "GET of a seeded workspace failed: $SAMPLE"

# ------------------------------------------------------------------------------------------------ wrk

export BENCH_TOKEN=$TOKEN
export BENCH_WORKSPACE_IDS=$WORK/workspace-ids.txt
export BENCH_ORGANIZATION_IDS=$WORK/organization-ids.txt

run_wrk() { # name script seconds
    BENCH_RUN=$NOW-$1 BENCH_ERRORS=$WORK/errors-$1 timeout $(( $3 + 60 )) wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3s" --timeout 10s \
        --latency -s "$2" "$BASE" > "$WORK/wrk-$1.txt" 2>&1 || { cat "$WORK/wrk-$1.txt" >&2; die "wrk $1 failed"; }
}

if (( WARMUP > 0 )); then
    log "warm-up: ${WARMUP}s GET, ${WARMUP}s POST"
    run_wrk warmup-get "$HERE/get_workspace.lua" "$WARMUP"
    run_wrk warmup-post "$HERE/create_workspace.lua" "$WARMUP"
fi
log "wrk: GET /v1/workspaces/{id} for ${DURATION}s at $CONNECTIONS connections, $THREADS threads"
run_wrk get "$HERE/get_workspace.lua" "$DURATION"
log "wrk: POST /v1/workspaces for ${DURATION}s at $CONNECTIONS connections, $THREADS threads"
run_wrk post "$HERE/create_workspace.lua" "$DURATION"

# Provisioning runs are executed after each create commits; let them finish before reading memory and stopping.
drain_start=$(date +%s)
while :; do
    open_runs=$(sql "select count(*) from provisioning_runs where status in ('pending', 'running')")
    (( open_runs == 0 )) && break
    (( $(date +%s) - drain_start >= DRAIN_TIMEOUT )) && break
    sleep 0.5
done
DRAIN_S=$(( $(date +%s) - drain_start ))
API_CREATED=$(sql "select count(*) from workspaces where slug like 'wrk-$NOW-post-%'")
API_ALL=$(sql "select count(*) from workspaces where slug like 'wrk-$NOW-%'")
API_ACTIVE=$(sql "select count(*) from workspaces where slug like 'wrk-$NOW-%' and status = 'active'")

RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVICE_PID/status")
HWM_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVICE_PID/status")
log "stopping the service"
stop_service

# ------------------------------------------------------------------------------------------------ pgbench

ACTOR=$(printf '{"id": "%s", "name": "%s", "email": "%s", "subject_type": "USER"}' "$BENCH_USER" "$BENCH_NAME" \
    "$BENCH_EMAIL")
run_pgbench() { # name script
    mkdir -p "$WORK/pgbench-$1"
    (cd "$WORK/pgbench-$1" && timeout $(( DURATION + 120 )) "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" \
        -T "$DURATION" -r -l --log-prefix=tx \
        -D cell="$CELL_CODE" -D ts="$TIME_PART" -D region="$CELL_REGION" -D user="$BENCH_USER" \
        -D actor="$ACTOR" -D workspaces="$WORKSPACES" -D organizations="$ORGANIZATIONS" \
        -f "$2" atrium) > "$WORK/pgbench-$1.txt" 2>&1 || { cat "$WORK/pgbench-$1.txt" >&2; die "pgbench $1 failed"; }
}
log "pgbench: get_workspace.sql for ${DURATION}s at $CONNECTIONS clients, $THREADS threads"
run_pgbench get "$HERE/get_workspace.sql"
log "pgbench: create_workspace.sql for ${DURATION}s at $CONNECTIONS clients, $THREADS threads"
run_pgbench post "$HERE/create_workspace.sql"

# ------------------------------------------------------------------------------------------------ AOT cache

if (( COLD_STARTS > 0 )); then
    log "cold starts: deploy/bench/cold-start.sh against this database (log: $WORK/cold-start.log)"
    WORK_DIR=$WORK/cold-start BENCH_DB_PORT=$PG_PORT BENCH_DB_PASSWORD=$DB_PASSWORD \
        BENCH_JWT_KEY=$WORK/jwt-private.pem ATRIUM_JAR=$JAR AOT_JAVA=$AOT_JAVA COLD_STARTS=$COLD_STARTS \
        DB_POOL_SIZE=$DB_POOL_SIZE CELL_REGION=$CELL_REGION BENCH_JAVA_OPTS=$BENCH_JAVA_OPTS \
        STARTUP_TIMEOUT=$STARTUP_TIMEOUT BUILD_TIMEOUT=$BUILD_TIMEOUT SKIP_BUILD=$SKIP_BUILD MVN_ARGS=$MVN_ARGS \
        PG_BIN=$PG_BIN bash "$HERE/cold-start.sh" >"$WORK/cold-start.txt" 2> >(tee "$WORK/cold-start.log" >&2) \
        || die "the cold starts failed (logs: $WORK/cold-start)"
fi

# ------------------------------------------------------------------------------------------------ report

to_ms() { # a wrk duration (850.00us, 1.20ms, 2.01s, 1.00m) in milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n }'
}
wrk_field() { # file what
    case $2 in
        rps) awk '/^Requests\/sec:/ {print $2}' "$1" ;;
        p50) to_ms "$(awk '$1 == "50%" {print $2}' "$1")" ;;
        p99) to_ms "$(awk '$1 == "99%" {print $2}' "$1")" ;;
        requests) awk '/ requests in / {print $1}' "$1" ;;
        non2xx) awk '/Non-2xx or 3xx responses:/ {print $NF; f = 1} END {if (!f) print 0}' "$1" ;;
        socket) awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print; f = 1} END {if (!f) print "none"}' "$1" ;;
    esac
}
pgbench_field() { # name what
    case $2 in
        tps) awk '/^tps = / {print $3}' "$WORK/pgbench-$1.txt" ;;
        failed) awk '/^number of failed transactions:/ {print $5; f = 1} END {if (!f) print 0}' "$WORK/pgbench-$1.txt" ;;
        transactions) awk '/^number of transactions actually processed:/ {print $NF}' "$WORK/pgbench-$1.txt" ;;
        p50 | p99)
            local q=0.50
            [[ $2 == p99 ]] && q=0.99
            cat "$WORK/pgbench-$1"/tx.* | awk '{print $3}' | sort -n \
                | awk -v q="$q" '{v[NR] = $1} END { if (NR == 0) {print "n/a"; exit}
                    i = int(q * NR); if (i < q * NR) i++; if (i < 1) i = 1; printf "%.2f", v[i] / 1000 }'
            ;;
    esac
}

SVC_GET_RPS=$(wrk_field "$WORK/wrk-get.txt" rps)
SVC_POST_RPS=$(wrk_field "$WORK/wrk-post.txt" rps)
PG_GET_TPS=$(pgbench_field get tps)
PG_POST_TPS=$(pgbench_field post tps)
READ_RATIO=$(ratio "$SVC_GET_RPS" "$PG_GET_TPS")
WRITE_RATIO=$(ratio "$SVC_POST_RPS" "$PG_POST_TPS")
STARTUP_S=$(awk -v ms="$STARTUP_MS" 'BEGIN { printf "%.3f", ms / 1000 }')
RSS_MB=$(awk -v kb="$RSS_KB" 'BEGIN { printf "%.0f", kb / 1024 }')
HWM_MB=$(awk -v kb="$HWM_KB" 'BEGIN { printf "%.0f", kb / 1024 }')

row() { printf '%-26s %12s %9s %9s   %12s %9s %9s   %6s\n' "$@"; }
echo
echo "Atrium benchmark: ${DURATION}s per run, $CONNECTIONS connections on $THREADS threads, $WORKSPACES workspaces in $ORGANIZATIONS organizations"
echo "machine: $(nproc) cores, load average before the run: $LOAD_BEFORE; PostgreSQL $PG_VERSION; $(java -version 2>&1 | head -n 1)"
echo
row "call" "service req/s" "p50 ms" "p99 ms" "pgbench tx/s" "p50 ms" "p99 ms" "ratio"
row "GET /v1/workspaces/{id}" "$SVC_GET_RPS" "$(wrk_field "$WORK/wrk-get.txt" p50)" "$(wrk_field "$WORK/wrk-get.txt" p99)" \
    "$PG_GET_TPS" "$(pgbench_field get p50)" "$(pgbench_field get p99)" "$READ_RATIO"
row "POST /v1/workspaces" "$SVC_POST_RPS" "$(wrk_field "$WORK/wrk-post.txt" p50)" "$(wrk_field "$WORK/wrk-post.txt" p99)" \
    "$PG_POST_TPS" "$(pgbench_field post p50)" "$(pgbench_field post p99)" "$WRITE_RATIO"
echo
printf '%-40s %10s   target %-9s %s\n' "read ratio (service/pgbench)" "$READ_RATIO" ">= $TARGET_READ_RATIO" \
    "$(verdict "$READ_RATIO" ">=" "$TARGET_READ_RATIO")"
printf '%-40s %10s   target %-9s %s\n' "write ratio (service/pgbench)" "$WRITE_RATIO" ">= $TARGET_WRITE_RATIO" \
    "$(verdict "$WRITE_RATIO" ">=" "$TARGET_WRITE_RATIO")"
printf '%-40s %10s   target %-9s %s\n' "startup to first GET /v1/me (s)" "$STARTUP_S" "<= $TARGET_STARTUP_S" \
    "$(verdict "$STARTUP_S" "<=" "$TARGET_STARTUP_S")"
printf '%-40s %10s   target %-9s %s\n' "service RSS after the run (MB)" "$RSS_MB" "<= $TARGET_RSS_MB" \
    "$(verdict "$RSS_MB" "<=" "$TARGET_RSS_MB")"
if (( COLD_STARTS > 0 )); then
    cat "$WORK/cold-start.txt"
fi
echo
echo "startup: Quarkus reports 'started in ${QUARKUS_STARTED:-?}' (includes Flyway migrating the empty database); peak RSS ${HWM_MB} MB"
echo "service GET:  $(wrk_field "$WORK/wrk-get.txt" requests) requests, non-2xx $(wrk_field "$WORK/wrk-get.txt" non2xx), socket errors: $(wrk_field "$WORK/wrk-get.txt" socket)"
echo "service POST: $(wrk_field "$WORK/wrk-post.txt" requests) requests, non-2xx $(wrk_field "$WORK/wrk-post.txt" non2xx), socket errors: $(wrk_field "$WORK/wrk-post.txt" socket); created $API_CREATED workspaces; $API_ACTIVE of $API_ALL created through the API (warm-up included) active ${DRAIN_S}s after the load"
echo "pgbench GET:  $(pgbench_field get transactions) transactions, failed $(pgbench_field get failed)"
echo "pgbench POST: $(pgbench_field post transactions) transactions, failed $(pgbench_field post failed)"
if compgen -G "$WORK/errors-*" >/dev/null; then
    KEEP_LOGS=1
    echo
    echo "first responses that were not 2xx:"
    for f in "$WORK"/errors-*; do
        echo "  ${f##*/errors-}:"
        head -c 3000 "$f" | sed 's/^/    /'
    done
fi
if grep -q -e ' ERROR ' "$WORK/service.log"; then
    KEEP_LOGS=1
    echo
    echo "service log errors ($WORK/service.log), by message:"
    grep -e ' ERROR ' "$WORK/service.log" | sed -e 's/^[0-9:.]* ERROR \[[^]]*\] ([^)]*) //' -e 's/^req_[0-9a-f]* //' \
        | cut -c1-220 | sort | uniq -c | sort -rn | head -n 20
fi
