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
#  7. the AOT cache (COLD_STARTS > 0, on Java 25): packages the aot-jar layout the JVM image ships, trains its AOT
#     cache with src/main/docker/aot-train.sh (the same script and commands as Dockerfile.jvm's training stage), then
#     measures COLD_STARTS cold starts of each of: the default build (fast-jar) without a cache, the aot-jar without
#     the cache, the aot-jar with -XX:AOTCache (the JVM image), interleaved, all on the same Java 25 and against the
#     migrated database: process start to the first successful authenticated GET /v1/me, and the RSS right then;
#  8. prints requests/s, p50 and p99 of both, the ratio service/pgbench, the startup time and the service's RSS
#     after the load, the cold-start medians and ratios, next to their targets (targets are printed, not enforced).
#
# Everything listens on 127.0.0.1 only. The temporary directory is removed at the end (kept on failure or with
# KEEP_WORKDIR=1; its logs alone are kept when errors were seen), and every process started here is stopped by the
# exit trap.
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
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
ATRIUM_AOT_JAR=${ATRIUM_AOT_JAR:-}
COLD_STARTS=${COLD_STARTS:-3}
TRAIN_ROUNDS_SHOWN=${TRAIN_ROUNDS:-20}
AOT_JAVA=${AOT_JAVA:-}

JWT_ISSUER=https://auth.atrium.local
JWT_AUDIENCE=atrium
BENCH_USER=bench-user
BENCH_EMAIL=bench-user@example.com
BENCH_NAME="Bench User"

# Targets, printed next to the figures.
TARGET_READ_RATIO=0.5
TARGET_WRITE_RATIO=0.5
TARGET_STARTUP_S=1
TARGET_RSS_MB=256

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

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

newest_pg_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    printf '%s' "$d"
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

java_feature() { # the feature release of a java binary (17, 25), 0 when unknown
    local v
    v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
    [[ $v =~ ^[0-9]+$ ]] && printf '%s' "$v" || printf 0
}
if (( COLD_STARTS > 0 )); then
    if [[ -z $AOT_JAVA ]]; then
        for candidate in "$(command -v java)" ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/*/bin/java; do
            if [[ -x $candidate ]] && (( $(java_feature "$candidate") >= 25 )); then
                AOT_JAVA=$candidate
                break
            fi
        done
        [[ -n $AOT_JAVA ]] || die "the AOT cache needs Java 25 or newer: set AOT_JAVA=/path/to/java, or COLD_STARTS=0"
    fi
    (( $(java_feature "$AOT_JAVA") >= 25 )) || die "AOT_JAVA=$AOT_JAVA is not Java 25 or newer"
    AOT_JAVA_VERSION=$("$AOT_JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}')
    AOT_JAVA_VENDOR=$("$AOT_JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.vm.vendor/ {print $2}')
fi

# ------------------------------------------------------------------------------------------------ cleanup

WORK=$(mktemp -d /tmp/atrium-bench.XXXXXX)
chmod 755 "$WORK"
SERVICE_PID=""
PG_STARTED=0
KEEP_LOGS=0
PGDATA=$WORK/pg/data

as_pg() {
    # initdb and postgres refuse to run as root: run them as the postgres user then.
    if (( EUID == 0 )); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

stop_service() {
    if [[ -n $SERVICE_PID ]] && kill -0 "$SERVICE_PID" 2>/dev/null; then
        kill -TERM "$SERVICE_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVICE_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVICE_PID" 2>/dev/null || true
        wait "$SERVICE_PID" 2>/dev/null || true
    fi
    SERVICE_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    stop_service
    if (( PG_STARTED )); then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1
    fi
    if (( rc != 0 )) || [[ $KEEP_WORKDIR == 1 ]]; then
        log "work directory kept: $WORK"
    elif (( KEEP_LOGS )); then
        rm -rf "$WORK/pg" "$WORK"/pgbench-*/ "$WORK/jwt-private.pem"
        log "logs kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s' "$port"
            return 0
        fi
    done
    die "no free port found"
}

# ------------------------------------------------------------------------------------------------ PostgreSQL

if (( EUID == 0 )); then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run PostgreSQL"
fi
PG_PORT=$(free_port)
DB_PASSWORD=$(openssl rand -hex 16)
mkdir -p "$WORK/pg"
printf '%s\n' "$DB_PASSWORD" > "$WORK/pg/pwfile"
(( EUID == 0 )) && chown -R postgres "$WORK/pg"
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
log "PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U atrium --pwfile="$WORK/pg/pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
rm -f "$WORK/pg/pwfile"
PG_STARTED=1
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
    || { tail -n 30 "$WORK/pg/postgres.log" >&2; die "PostgreSQL did not start"; }

export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=atrium PGPASSWORD=$DB_PASSWORD PGDATABASE=atrium
"$PSQL" -X -q -d postgres -c "create database atrium" >/dev/null
sql() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

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

# The aot-jar layout of the JVM image (Dockerfile.jvm's build stage), beside the default build.
if (( COLD_STARTS > 0 )); then
    if [[ -n $ATRIUM_AOT_JAR ]]; then
        AOT_JAR=$(cd "$(dirname "$ATRIUM_AOT_JAR")" && pwd)/$(basename "$ATRIUM_AOT_JAR")
        [[ -f $AOT_JAR ]] || die "ATRIUM_AOT_JAR=$ATRIUM_AOT_JAR does not exist"
    elif [[ $SKIP_BUILD == 1 && -f $ROOT/target/quarkus-app-aot/quarkus-run.jar ]]; then
        AOT_JAR=$ROOT/target/quarkus-app-aot/quarkus-run.jar
    else
        log "building the aot-jar: ./mvnw -B -Pprod package -DskipTests -Dquarkus.package.jar.type=aot-jar" \
            "-Dquarkus.package.output-directory=quarkus-app-aot $MVN_ARGS (log: $WORK/build-aot.log)"
        # shellcheck disable=SC2086
        (cd "$ROOT" && timeout "$BUILD_TIMEOUT" ./mvnw -B -Pprod package -DskipTests -Dquarkus.package.jar.type=aot-jar \
            -Dquarkus.package.output-directory=quarkus-app-aot $MVN_ARGS) >"$WORK/build-aot.log" 2>&1 \
            || { tail -n 40 "$WORK/build-aot.log" >&2; die "aot-jar build failed"; }
        AOT_JAR=$ROOT/target/quarkus-app-aot/quarkus-run.jar
    fi
    if compgen -G "$(dirname "$AOT_JAR")/lib/*/*embedded-postgres*" >/dev/null; then
        die "$AOT_JAR carries the embedded PostgreSQL: build it with -Pprod"
    fi
    log "aot-jar: $AOT_JAR"
fi

# ------------------------------------------------------------------------------------------------ token

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/jwt-private.pem" 2>/dev/null
openssl pkey -in "$WORK/jwt-private.pem" -pubout -out "$WORK/jwt-public.pem"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
NOW=$(date +%s)
JWT_HEADER=$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | b64url)
JWT_CLAIMS=$(printf '{"iss":"%s","aud":"%s","sub":"%s","email":"%s","email_verified":true,"name":"%s","iat":%d,"exp":%d}' \
    "$JWT_ISSUER" "$JWT_AUDIENCE" "$BENCH_USER" "$BENCH_EMAIL" "$BENCH_NAME" "$NOW" $(( NOW + 3600 )) | b64url)
JWT_SIGNATURE=$(printf '%s.%s' "$JWT_HEADER" "$JWT_CLAIMS" \
    | openssl dgst -sha256 -sign "$WORK/jwt-private.pem" -binary | b64url)
TOKEN=$JWT_HEADER.$JWT_CLAIMS.$JWT_SIGNATURE

# ------------------------------------------------------------------------------------------------ service

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting the service on $BASE (log: $WORK/service.log)"
T0=$(date +%s%N)
# The service's environment, the same for every start of this run (the main one migrates, see below).
SERVICE_ENV=(
    ATRIUM_DB_REACTIVE_URL="postgresql://127.0.0.1:$PG_PORT/atrium"
    ATRIUM_DB_JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/atrium"
    ATRIUM_DB_USER=atrium
    ATRIUM_DB_PASSWORD="$DB_PASSWORD"
    ATRIUM_DB_POOL_SIZE="$DB_POOL_SIZE"
    ATRIUM_JWT_PUBLIC_KEY_LOCATION="$WORK/jwt-public.pem"
    ATRIUM_JWT_ISSUER="$JWT_ISSUER"
    ATRIUM_JWT_AUDIENCE="$JWT_AUDIENCE"
    ATRIUM_CELL_REGION="$CELL_REGION"
    ATRIUM_CELL_BASE_URL="$BASE"
    ATRIUM_API_KEY_PEPPER="$(openssl rand -hex 32)"
    ATRIUM_LIMITS_MAX_JOINED_WORKSPACES=100000000
    ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY="$(openssl rand -base64 32)"
    QUARKUS_HTTP_HOST=127.0.0.1
    QUARKUS_HTTP_PORT="$APP_PORT"
)
# shellcheck disable=SC2086
(cd "$WORK" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=true java $BENCH_JAVA_OPTS -jar "$JAR") \
    >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!

deadline=$(( $(date +%s) + STARTUP_TIMEOUT ))
while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/me" || true)
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

cold_start() { # variant app-directory [java options...]: one cold start, appends "ms rss-kB" to cold-<variant>.txt
    local variant=$1 dir=$2 t0 t1 code deadline
    shift 2
    t0=$(date +%s%N)
    # From the application's directory, as the image starts it: the cache holds the class path relative to it.
    # shellcheck disable=SC2086
    (cd "$dir" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=false "$AOT_JAVA" "$@" $BENCH_JAVA_OPTS \
        -jar quarkus-run.jar) >"$WORK/cold-$variant.log" 2>&1 &
    SERVICE_PID=$!
    deadline=$(( $(date +%s) + STARTUP_TIMEOUT ))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/me" || true)
        [[ $code == 200 ]] && break
        if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
            tail -n 40 "$WORK/cold-$variant.log" >&2
            die "the service ($variant) exited during startup"
        fi
        (( $(date +%s) <= deadline )) || die "$variant: no successful GET /v1/me within ${STARTUP_TIMEOUT}s (last status $code)"
        sleep 0.01
    done
    t1=$(date +%s%N)
    printf '%d %d\n' $(( (t1 - t0) / 1000000 )) "$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVICE_PID/status")" \
        >> "$WORK/cold-$variant.txt"
    stop_service
}
median() { # column of cold-<variant>.txt: 1 = ms, 2 = RSS kB
    awk -v c="$2" '{print $c}' "$WORK/cold-$1.txt" | sort -n \
        | awk '{v[NR] = $1} END { if (NR == 0) {print "n/a"; exit}
            if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
spread() { # column of cold-<variant>.txt: "min-max"
    awk -v c="$2" '{print $c}' "$WORK/cold-$1.txt" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'
}

if (( COLD_STARTS > 0 )); then
    # A copy keeps the build's modification times, as the image's COPY does; the cache is checked against them.
    AOT_APP=$WORK/aot-app
    cp -a "$(dirname "$AOT_JAR")" "$AOT_APP"
    rm -f "$AOT_APP/app.aot"
    log "training the AOT cache on $AOT_JAVA_VERSION: src/main/docker/aot-train.sh (log: $WORK/aot-train.log)"
    TRAIN_T0=$(date +%s)
    JAVA=$AOT_JAVA PG_BIN=$PG_BIN TRAIN_JAVA_OPTS=$BENCH_JAVA_OPTS bash "$ROOT/src/main/docker/aot-train.sh" "$AOT_APP" \
        >"$WORK/aot-train.log" 2>&1 || { tail -n 40 "$WORK/aot-train.log" >&2; die "AOT training failed"; }
    TRAIN_S=$(( $(date +%s) - TRAIN_T0 ))
    AOT_CACHE_MB=$(( $(stat -c %s "$AOT_APP/app.aot") / 1048576 ))
    FAST_APP=$(dirname "$JAR")
    rm -f "$WORK"/cold-*.txt
    for round in $(seq 1 "$COLD_STARTS"); do
        log "cold starts, round $round of $COLD_STARTS: fast-jar, aot-jar, aot-jar with the AOT cache"
        cold_start fast-jar "$FAST_APP"
        cold_start aot-jar "$AOT_APP"
        cold_start aot-cache "$AOT_APP" -XX:AOTCache="$AOT_APP/app.aot"
        if grep -q -e '\[error *\]\[aot' "$WORK/cold-aot-cache.log"; then
            grep -e '\[aot' "$WORK/cold-aot-cache.log" | head -n 5 >&2
            die "the JVM did not use the AOT cache"
        fi
    done
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { # value op target
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0);
        print ok ? "meets" : "misses" }'
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
    AOT_STARTUP_S=$(awk -v ms="$(median aot-cache 1)" 'BEGIN { printf "%.3f", ms / 1000 }')
    AOT_RSS_MB=$(awk -v kb="$(median aot-cache 2)" 'BEGIN { printf "%.0f", kb / 1024 }')
    printf '%-40s %10s   target %-9s %s\n' "startup with the AOT cache, median (s)" "$AOT_STARTUP_S" \
        "<= $TARGET_STARTUP_S" "$(verdict "$AOT_STARTUP_S" "<=" "$TARGET_STARTUP_S")"
    printf '%-40s %10s   target %-9s %s\n' "RSS then, with the AOT cache (MB)" "$AOT_RSS_MB" "<= $TARGET_RSS_MB" \
        "$(verdict "$AOT_RSS_MB" "<=" "$TARGET_RSS_MB")"
    echo
    echo "cold starts on $AOT_JAVA_VENDOR Java $AOT_JAVA_VERSION for all three (the same JVM), $COLD_STARTS each, interleaved,"
    echo "against the migrated database (ATRIUM_MIGRATE_AT_START=false): process start to the first authenticated"
    echo "GET /v1/me answering 200, and the service's RSS right then; median (min-max)"
    cold_row() { # label variant
        printf '  %-44s %7s ms (%s)   RSS %4s MB (%s)\n' "$1" "$(median "$2" 1)" "$(spread "$2" 1)" \
            "$(awk -v kb="$(median "$2" 2)" 'BEGIN { printf "%.0f", kb / 1024 }')" \
            "$(awk -v c=2 '{print int($c / 1024)}' "$WORK/cold-$2.txt" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}')"
    }
    cold_row "without AOT cache: fast-jar (default build)" fast-jar
    cold_row "without AOT cache: aot-jar" aot-jar
    cold_row "with AOT cache: aot-jar + app.aot (JVM image)" aot-cache
    echo "  with/without the cache: startup $(ratio "$(median aot-cache 1)" "$(median fast-jar 1)") of the fast-jar's" \
        "($(ratio "$(median fast-jar 1)" "$(median aot-cache 1)")x faster), $(ratio "$(median aot-cache 1)" "$(median aot-jar 1)")" \
        "of the aot-jar's ($(ratio "$(median aot-jar 1)" "$(median aot-cache 1)")x faster);" \
        "RSS $(ratio "$(median aot-cache 2)" "$(median fast-jar 2)") of the fast-jar's"
    echo "  AOT cache: ${AOT_CACHE_MB} MB, trained in ${TRAIN_S}s by src/main/docker/aot-train.sh ($TRAIN_ROUNDS_SHOWN rounds)"
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
