#!/usr/bin/env bash
# Atrium benchmark: every figure of the service's performance targets, in one run, each beside its target and beside
# PostgreSQL doing the same job with the simplest SQL a person would write (pgbench, same machine, same run).
#
#  1. starts a throwaway PostgreSQL (initdb + pg_ctl in a temporary directory, loopback only, a free port);
#  2. takes the production builds, the default fast-jar and the JVM image's aot-jar (ATRIUM_JAR / ATRIUM_AOT_JAR, or
#     with SKIP_BUILD=1 target/quarkus-app and target/quarkus-app-aot when they exist, or builds them with
#     ./mvnw -B -ntp -Pprod package -DskipTests, holding the Maven lock only while building);
#  3. migrates the database (the fast-jar with ATRIUM_MIGRATE_AT_START=true), creates one workspace through the API
#     (it gives the cell code and time part of the ids) and seeds the cell with SQL (seed.sql): ORGANIZATIONS
#     organizations, WORKSPACES workspaces, USERS users who each own two organizations and hold an admin membership
#     in every USERS-th workspace, the benchmark user owning everything, one event per workspace and AUDIT_EVENTS
#     events on workspace 1; a copy of that database (atrium_scale) is kept for step 9;
#  4. deploy/bench/cold-start.sh against this database: trains the JVM image's AOT cache with src/main/docker/
#     aot-train.sh as Dockerfile.jvm does, checks that the image's java starts inside the chart's memory, then times
#     COLD_STARTS cold starts of the JVM image and of the plain Java 17 jar (figure 3);
#  5. serves from the JVM image's setup (Java 25, the aot-jar and its cache, the image's JAVA_OPTS, the chart's
#     memory: helm/atrium/values.yaml's limit as -XX:MaxRAM and heap share as -XX:MaxRAMPercentage), migrations
#     applied: the moment the first authenticated GET /v1/me answers 200, wrk loads GET /v1/workspaces/{id} for
#     FIRST_SECONDS (figure 4); then, after warm-ups, GET /v1/workspaces/{id} (the benchmark user, random seeded
#     ids), GET /v1/workspaces?limit=100 and GET /v1/me (the USERS users in turn) for DURATION each (figure 1),
#     and GET /v1/regions (authenticated, answered from memory: what the HTTP stack costs without the database);
#     POST /v1/workspaces by the USERS users in turn with `Prefer: wait=CREATE_WAIT`, counting the 201s, which the
#     service answers once the workspace is active (figure 2); the same creates without Prefer (202 at once),
#     counted by the provisioning runs that succeeded within the window; the service's RSS once the provisioning
#     runs are drained (figure 5), before any profiler is attached; then JFR profiles of PROFILE_SECONDS more of
#     the GET load and of the creates;
#  6. the same creates with the provisioning's dataplane step configured against a stand-in dataplane
#     (deploy/faults/fake_dataplane.py answering at once), on a second start of the same setup;
#  7. pgbench with the service stopped, same clients, threads and duration: get_workspace.sql (the issue's reference,
#     the primary-key select), get_workspace_member.sql (the same with the caller's membership joined),
#     list_workspaces.sql, me.sql, create_workspace.sql (the simplest SQL for each job, not the service's statements);
#  8. SQL cross-check of the creates: runs that succeeded within each window, by the runs' own timestamps;
#  9. figure 6 on the copy of step 3 served by a third start: the time per page (median of PAGE_REPEATS) of the
#     benchmark user's list (limit 100, pages 1 and 50; limit 1,000, pages 1 and 5), organization 1's list (half of
#     the cell), a service's list of the whole cell and workspace 1's audit log (pages 1 and 50), on the
#     WORKSPACES cell, then again after seeding the cell up to each size of SCALE_SIZES (the audit log growing to
#     SCALE_AUDIT_EVENTS at the largest);
# 10. prints every figure beside its target and its reference, the reference SQL, the profile's top frames, and
#     the answers that were not 2xx and the service's ERROR lines, if any. Targets are printed, never enforced.
#
# Everything listens on 127.0.0.1 only. The temporary directory is removed at the end (kept on failure or with
# KEEP_WORKDIR=1; its logs alone are kept when errors were seen), and every process started here is stopped by the
# exit trap (deploy/lib.sh, with PostgreSQL, ports and tokens).
#
# Settings (environment), with their defaults:
#   DURATION=20 CONNECTIONS=16 THREADS=2   each measured load (wrk and pgbench alike; DURATION at most 600 s)
#   WARMUP=45                              unmeasured GET load before the measured ones (half as long for the
#                                          list, GET /v1/me and the creates): on 2 cores the JIT compiles beside
#                                          the event loops and the GET rate settles only after about 30 s of load
#   FIRST_SECONDS=5                        the load right after the start (figure 4)
#   ORGANIZATIONS=101 WORKSPACES=10000 USERS=50 AUDIT_EVENTS=10000   the cell of steps 3-9
#   SCALE_SIZES="200000 1000000"           the larger cells of figure 6 (empty: the WORKSPACES cell only)
#   SCALE_AUDIT_EVENTS=100000              workspace 1's events at the largest size (in proportion before it)
#   SEED_EVENTS=1                          one workspace.created event per seeded workspace (0: none)
#   PAGE_REPEATS=9                         timed requests per page (after two untimed ones)
#   PROFILE_SECONDS=20                     JFR profiles of the GET load and of the creates (0: none)
#   DATAPLANE=1                            step 6 (0: skipped)
#   CREATE_WAIT=30                         the creates' Prefer: wait=N
#   COLD_STARTS=3 COLD_VARIANTS="image java17" TRAIN_ROUNDS=20 IMAGE_FIX_OPTS=-Xms16m   see cold-start.sh
#   AOT_JAVA, JAVA17                       the Java 25+ of the JVM image, the plain Java 17 (found on PATH, in
#                                          JAVA_HOME or under /usr/lib/jvm by default). Without a Java 25 (or with
#                                          AOT_JAVA=none) the JVM image is not timed and the plain jar on Java 17
#                                          serves the loads, with the image's JAVA_OPTS and the chart's memory
#   ATRIUM_JAR, ATRIUM_AOT_JAR, SKIP_BUILD=1, MVN_ARGS   which builds (see 2)
#   BENCH_JAVA_OPTS                        more JVM options for every start (none)
#   NMT=0                                  1: the main start runs with -XX:NativeMemoryTracking=summary and the
#                                          JVM's own account of its memory, taken with the RSS, is printed
#   DB_POOL_SIZE=20 CELL_REGION=local      the service's pool size and region
#   PG_BIN                                 PostgreSQL binaries (default: the newest under /usr/lib/postgresql)
#   STARTUP_TIMEOUT=120 BUILD_TIMEOUT=1800 DRAIN_TIMEOUT=120   bounds, in seconds
#   KEEP_WORKDIR=1                         keep the whole temporary directory
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOG_TAG=bench
# shellcheck source=../lib.sh
source "$ROOT/deploy/lib.sh"

DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-45}
FIRST_SECONDS=${FIRST_SECONDS:-5}
ORGANIZATIONS=${ORGANIZATIONS:-101}
WORKSPACES=${WORKSPACES:-10000}
USERS=${USERS:-50}
AUDIT_EVENTS=${AUDIT_EVENTS:-10000}
SCALE_SIZES=${SCALE_SIZES-200000 1000000}
SCALE_AUDIT_EVENTS=${SCALE_AUDIT_EVENTS:-100000}
SEED_EVENTS=${SEED_EVENTS:-1}
PAGE_REPEATS=${PAGE_REPEATS:-9}
PROFILE_SECONDS=${PROFILE_SECONDS:-20}
DATAPLANE=${DATAPLANE:-1}
CREATE_WAIT=${CREATE_WAIT:-30}
COLD_STARTS=${COLD_STARTS:-3}
COLD_VARIANTS=${COLD_VARIANTS:-image java17}
TRAIN_ROUNDS=${TRAIN_ROUNDS:-20}
IMAGE_FIX_OPTS=${IMAGE_FIX_OPTS--Xms16m}
AOT_JAVA=${AOT_JAVA:-}
JAVA17=${JAVA17:-}
ATRIUM_JAR=${ATRIUM_JAR:-}
ATRIUM_AOT_JAR=${ATRIUM_AOT_JAR:-}
SKIP_BUILD=${SKIP_BUILD:-0}
MVN_ARGS=${MVN_ARGS:-}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-}
NMT=${NMT:-0}
DB_POOL_SIZE=${DB_POOL_SIZE:-20}
CELL_REGION=${CELL_REGION:-local}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1800}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-120}

BENCH_USER=bench-user
BENCH_EMAIL=bench-user@example.com
BENCH_NAME="Bench User"
BENCH_SERVICE=bench-service

# The targets (issue "Database speed"), printed beside the figures.
TARGET_GET_RATIO=0.30
TARGET_CREATE_RATIO=0.25
TARGET_START_S=1.5
TARGET_FIRST_RATIO=0.5
TARGET_RSS_MIB=256
TARGET_PAGE_GROWTH=2

for v in DURATION CONNECTIONS THREADS WARMUP FIRST_SECONDS ORGANIZATIONS WORKSPACES USERS AUDIT_EVENTS \
    SCALE_AUDIT_EVENTS SEED_EVENTS PAGE_REPEATS PROFILE_SECONDS DATAPLANE CREATE_WAIT COLD_STARTS DB_POOL_SIZE \
    STARTUP_TIMEOUT BUILD_TIMEOUT DRAIN_TIMEOUT NMT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
(( DURATION >= 1 && DURATION <= 600 && FIRST_SECONDS >= 1 )) || die "DURATION must be 1..600 s, FIRST_SECONDS at least 1"
(( CONNECTIONS >= THREADS && THREADS >= 1 )) || die "need CONNECTIONS >= THREADS >= 1"
(( USERS >= 1 && USERS <= 99 )) || die "USERS must be 1..99"
(( ORGANIZATIONS >= 3 )) || die "ORGANIZATIONS must be at least 3"
# Page 50 of 100 of the user, organization (half the cell) and service lists and of the audit log.
(( WORKSPACES >= 10000 && AUDIT_EVENTS >= 5000 )) || die "need WORKSPACES >= 10000 and AUDIT_EVENTS >= 5000 (page 50)"
(( CREATE_WAIT >= 1 && CREATE_WAIT <= 30 )) || die "CREATE_WAIT must be 1..30 (the service clamps Prefer: wait to 30)"
(( COLD_STARTS >= 1 && COLD_STARTS <= 50 )) || die "COLD_STARTS must be 1..50"
PREVIOUS=$WORKSPACES
for size in $SCALE_SIZES; do
    [[ $size =~ ^[0-9]+$ ]] && (( size > PREVIOUS )) || die "SCALE_SIZES must grow, each above WORKSPACES: '$SCALE_SIZES'"
    PREVIOUS=$size
done
LARGEST=$PREVIOUS
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
for tool in curl openssl awk sort python3; do
    command -v "$tool" >/dev/null || die "missing $tool"
done
if [[ -z $AOT_JAVA ]]; then
    AOT_JAVA=$(find_java 25) || AOT_JAVA=none
fi
if [[ $AOT_JAVA == none ]]; then
    log "no Java 25 (PATH, JAVA_HOME, /usr/lib/jvm; or AOT_JAVA=none): the JVM image with its AOT cache is not timed;" \
        "the plain jar on Java 17 serves the loads"
    COLD_VARIANTS=java17
else
    (( $(java_feature "$AOT_JAVA") >= 25 )) || die "AOT_JAVA=$AOT_JAVA is not Java 25 or newer"
    [[ " $COLD_VARIANTS " == *" image "* ]] || die "COLD_VARIANTS must include image (figure 3)"
fi
if [[ -z $JAVA17 ]]; then
    JAVA17=$(find_java 17 exact) || die "no Java 17 found (the plain jar's figures): set JAVA17=/path/to/java"
fi
(( $(java_feature "$JAVA17") == 17 )) || die "JAVA17=$JAVA17 is not Java 17"
SERVE_JAVA=$AOT_JAVA
[[ $AOT_JAVA != none ]] || SERVE_JAVA=$JAVA17
JDK_BIN=$(dirname "$SERVE_JAVA")
if (( PROFILE_SECONDS > 0 )) && [[ ! -x $JDK_BIN/jcmd || ! -x $JDK_BIN/jfr ]]; then
    die "the profile needs jcmd and jfr beside $SERVE_JAVA (a JDK), or PROFILE_SECONDS=0"
fi
java_version() { "$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}'; }

# ------------------------------------------------------------------------------------------------ cleanup

SERVICE_PID=""
DATAPLANE_PID=""
stop_service() {
    stop_pid "$SERVICE_PID" 30
    SERVICE_PID=""
}
before_exit() {
    stop_service
    stop_pid "$DATAPLANE_PID"
    # KEEP_LOGS (errors seen) keeps the logs, not the database, pgbench's logs, the aot-jar's copy or the profile.
    WORK_BULKY=("$WORK"/pgbench-*/ "$WORK/cold-start/aot-app" "$WORK"/*.jfr)
}
work_dir_open atrium-bench
RUN_T0=$(date +%s)
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------------------------------------ PostgreSQL

pg_init
log "PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT"
pg_start -c max_connections=200
pg_create_database atrium
pg_client_env

# ------------------------------------------------------------------------------------------------ builds

JAR=$(jar_of fast-jar "$ATRIUM_JAR" quarkus-app)
AOT_JAR=""
if [[ $AOT_JAVA != none ]]; then
    AOT_JAR=$(jar_of aot-jar "$ATRIUM_AOT_JAR" quarkus-app-aot -Dquarkus.package.jar.type=aot-jar \
        -Dquarkus.package.output-directory=quarkus-app-aot)
fi

# ------------------------------------------------------------------------------------------------ tokens

jwt_keys "$WORK"
TOKEN=$(jwt_user_token "$WORK/jwt-private.pem" "$BENCH_USER" "$BENCH_EMAIL" "$BENCH_NAME" 7200)
SERVICE_TOKEN=$(jwt_service_token "$WORK/jwt-private.pem" "$BENCH_SERVICE" atrium:workspaces:read 7200)
NOW=$(date +%s)

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
service_env "$PG_PORT" "$DB_PASSWORD" "$WORK/jwt-public.pem" "$BASE"
SERVICE_ENV+=(ATRIUM_DB_POOL_SIZE="$DB_POOL_SIZE" ATRIUM_CELL_REGION="$CELL_REGION"
    ATRIUM_SERVICE_CLIENTS="$BENCH_SERVICE" ATRIUM_LIMITS_MAX_JOINED_WORKSPACES=100000000)

# ------------------------------------------------------------------------------------------------ migrate, seed

log "migrating: the fast-jar with ATRIUM_MIGRATE_AT_START=true (log: $WORK/service-migrate.log)"
(cd "$WORK" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=true "$JAVA17" -jar "$JAR") \
    >"$WORK/service-migrate.log" 2>&1 &
SERVICE_PID=$!
await_ok "$SERVICE_PID" "$BASE/v1/me" "$TOKEN" "$STARTUP_TIMEOUT" "$WORK/service-migrate.log"
# One workspace through the API gives the id format of this cell: its cell code and a current time part.
PROBE=$(curl -s --max-time 30 -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Bench probe"}' "$BASE/v1/workspaces")
PROBE_ID=$(printf '%s' "$PROBE" | sed -n 's/.*"id":"\(ws_[0-9A-Za-z]*\)".*/\1/p' | head -n 1)
[[ $PROBE_ID =~ ^ws_[0-9A-Za-z]{30}$ ]] || die "POST /v1/workspaces did not return a workspace: $PROBE"
stop_service
CELL_CODE=${PROBE_ID:3:4}
TIME_PART=${PROBE_ID:7:9}
ID_PART=$CELL_CODE$TIME_PART

seed() { # from to base audit-from audit-to: workspaces from..to (seed.sql), into database $PGDATABASE
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -v cell="$CELL_CODE" -v ts="$TIME_PART" -v region="$CELL_REGION" \
        -v orgs="$ORGANIZATIONS" -v users="$USERS" -v from="$1" -v to="$2" -v base="$3" \
        -v events="$( (( SEED_EVENTS )) && echo true || echo false)" -v audit_from="$4" -v audit_to="$5" \
        -v heavy_user="$BENCH_USER" -v heavy_email="$BENCH_EMAIL" -v heavy_name="$BENCH_NAME" \
        -f "$HERE/seed.sql" >>"$WORK/seed.log" 2>&1 || { tail -n 20 "$WORK/seed.log" >&2; die "seeding failed"; }
}
log "seeding $WORKSPACES workspaces in $ORGANIZATIONS organizations, $USERS users, $AUDIT_EVENTS audit events"
seed 1 "$WORKSPACES" true 1 "$AUDIT_EVENTS"
# Figure 6 runs on a copy of this cell, untouched by the loads.
PGDATABASE=postgres sql "create database atrium_scale template atrium" >/dev/null

ws_id() { printf 'ws_%s%s' "$ID_PART" $(( 10000000000000000 + $1 )); }
org_id() { printf 'org_%s%s' "$ID_PART" $(( 10000000000000000 + $1 )); }
for n in $(seq 1 "$WORKSPACES"); do ws_id "$n"; echo; done > "$WORK/workspace-ids.txt"
# Each user's token and two organizations, as seed.sql hands them out.
for u in $(seq 1 "$USERS"); do
    name=$(printf 'bench-user-%02d' "$u")
    printf '%s %s %s\n' "$(jwt_user_token "$WORK/jwt-private.pem" "$name" "$name@example.com" "Bench User $u" 7200)" \
        "$(org_id $(( 2 + (u - 1) % (ORGANIZATIONS - 1) )))" "$(org_id $(( 2 + (u - 1 + USERS) % (ORGANIZATIONS - 1) )))"
done > "$WORK/users.txt"

# ------------------------------------------------------------------------------------------------ cold starts (3)

log "cold starts: deploy/bench/cold-start.sh against this database (log: $WORK/cold-start.log)"
WORK_DIR=$WORK/cold-start BENCH_DB_PORT=$PG_PORT BENCH_DB_PASSWORD=$DB_PASSWORD BENCH_JWT_KEY=$WORK/jwt-private.pem \
    ATRIUM_JAR=$JAR ATRIUM_AOT_JAR=$AOT_JAR AOT_JAVA=$AOT_JAVA JAVA17=$JAVA17 COLD_STARTS=$COLD_STARTS \
    COLD_VARIANTS=$COLD_VARIANTS TRAIN_ROUNDS=$TRAIN_ROUNDS IMAGE_FIX_OPTS=$IMAGE_FIX_OPTS DB_POOL_SIZE=$DB_POOL_SIZE \
    CELL_REGION=$CELL_REGION BENCH_JAVA_OPTS=$BENCH_JAVA_OPTS STARTUP_TIMEOUT=$STARTUP_TIMEOUT PG_BIN=$PG_BIN \
    bash "$HERE/cold-start.sh" >"$WORK/cold-start.txt" 2> >(tee "$WORK/cold-start.log" >&2) \
    || die "the cold starts failed (logs: $WORK/cold-start)"
IMAGE_REFUSAL=$(cat "$WORK/cold-start/image-refusal")
if [[ $AOT_JAVA != none ]]; then
    # The JVM image's setup: its aot-jar and trained cache, its JAVA_OPTS, the chart's memory.
    SERVE_DIR=$WORK/cold-start/aot-app
    IMAGE_OPTS=$(cat "$WORK/cold-start/image-opts")
    SETUP="the JVM image's setup: Java $(java_version "$AOT_JAVA"), aot-jar + AOT cache, the image's JAVA_OPTS,"
    SETUP+=" the chart's memory"
else
    SERVE_DIR=$(dirname "$JAR")
    IMAGE_OPTS="$(image_java_opts "") $(chart_memory_opts)"
    SETUP="no Java 25: the fast-jar on Java $(java_version "$JAVA17"), the image's JAVA_OPTS, the chart's memory"
fi
cold() { awk -v v="$1" -v c="$2" '$1 == v {print $c}' "$WORK/cold-start/cold-start.results"; }

# ------------------------------------------------------------------------------------------------ service runs

start_service() { # name [env...]: the JVM image's setup, migrations applied; START_MS to the first authenticated 200
    local name=$1 t0
    shift
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    (cd "$SERVE_DIR" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=false "$@" "$SERVE_JAVA" $IMAGE_OPTS \
        $BENCH_JAVA_OPTS ${START_OPTS:-} -jar quarkus-run.jar) >"$WORK/service-$name.log" 2>&1 &
    SERVICE_PID=$!
    await_ok "$SERVICE_PID" "$BASE/v1/me" "$TOKEN" "$STARTUP_TIMEOUT" "$WORK/service-$name.log"
    START_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# CPU time, in clock ticks, of the service and of the whole PostgreSQL cluster (the postmaster, its live backends and
# those that already exited), read around each load: what an answer costs each side, a figure that moves less with
# the machine's other work than a rate does.
cpu_ticks() { # pid [children]: user + system ticks of the process (with "children": and of its reaped children)
    awk -v children="${2:-}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (children != "") t += $14 + $15; print t }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_ticks() {
    local postmaster total child
    postmaster=$(head -n 1 "$PGDATA/postmaster.pid")
    total=$(cpu_ticks "$postmaster" children)
    for child in $(pgrep -P "$postmaster"); do total=$(( total + $(cpu_ticks "$child") )); done
    echo "$total"
}

export BENCH_TOKEN=$TOKEN BENCH_WORKSPACE_IDS=$WORK/workspace-ids.txt BENCH_USERS=$WORK/users.txt
run_wrk() { # name call seconds [VAR=value...]; the service's and PostgreSQL's CPU ticks during it in cpu-<name>
    local name=$1 call=$2 seconds=$3 service0 pg0
    shift 3
    service0=$(cpu_ticks "$SERVICE_PID")
    pg0=$(pg_ticks)
    env BENCH_CALL="$call" BENCH_RUN="$NOW $name" BENCH_ERRORS="$WORK/errors-$name" "$@" \
        timeout $(( seconds + CREATE_WAIT + 60 )) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" \
        --timeout $(( CREATE_WAIT + 5 ))s --latency -s "$HERE/calls.lua" "$BASE" </dev/null > "$WORK/wrk-$name.txt" 2>&1 \
        || { cat "$WORK/wrk-$name.txt" >&2; die "wrk $name failed"; }
    echo "$(( $(cpu_ticks "$SERVICE_PID") - service0 )) $(( $(pg_ticks) - pg0 ))" > "$WORK/cpu-$name"
}
drain() { # the provisioning runs still open finish before memory is read or the service stops
    local t0
    t0=$(date +%s)
    while (( $(sql "select count(*) from provisioning_runs where status in ('pending', 'running')") > 0 )); do
        (( $(date +%s) - t0 < DRAIN_TIMEOUT )) || { log "provisioning runs still open after ${DRAIN_TIMEOUT}s"; break; }
        sleep 0.5
    done
}
runs_finished() { # slug-prefix from-epoch to-epoch: create runs of those workspaces that succeeded in the window
    sql "select count(*) from provisioning_runs r join workspaces w on w.id = r.workspace_id
         where w.slug like '$1%' and r.kind = 'create' and r.status = 'succeeded'
           and r.finished_at >= to_timestamp($2) and r.finished_at <= to_timestamp($3)"
}
creates() { # name: measured creates (with Prefer: wait, but for "open"); their window's ends in window-<name>
    local name=$1 t0 t1 prefer="wait=$CREATE_WAIT"
    [[ $name == open ]] && prefer=""
    t0=$(date +%s.%N)
    run_wrk "$name" create "$DURATION" BENCH_PREFER="$prefer"
    t1=$(date +%s.%N)
    printf '%s %s\n' "$t0" "$t1" > "$WORK/window-$name"
}

# Figures 4, 1, 2 and 5: one start of the JVM image's setup.
log "service: $SETUP (log: $WORK/service-main.log): $IMAGE_OPTS"
NMT_OPTS=""
if (( NMT )); then NMT_OPTS=-XX:NativeMemoryTracking=summary; fi
START_OPTS=$NMT_OPTS start_service main   # for this start only
MAIN_START_MS=$START_MS
log "first authenticated 200 after $START_MS ms; GET /v1/workspaces/{id} for ${FIRST_SECONDS}s at once"
run_wrk first get "$FIRST_SECONDS"
log "warm-up: ${WARMUP}s GET, $(( (WARMUP + 1) / 2 ))s each list, me, create"
run_wrk warm-get get "$WARMUP"
run_wrk warm-list list $(( (WARMUP + 1) / 2 ))
run_wrk warm-me me $(( (WARMUP + 1) / 2 ))
for call in get list me; do
    log "wrk: $call for ${DURATION}s at $CONNECTIONS connections, $THREADS threads"
    run_wrk "$call" "$call" "$DURATION"
done
# What the HTTP stack, the token check and the JSON cost without the database, on this machine and in this run:
# GET /v1/regions is authenticated and answered from memory.
log "wrk: GET /v1/regions (no database) for ${DURATION}s"
run_wrk regions path "$DURATION" BENCH_PATH=/v1/regions
profile() { # name call [VAR=value...]: a JFR recording of PROFILE_SECONDS of that load, in <name>.jfr
    local name=$1 call=$2
    shift 2
    "$JDK_BIN/jcmd" "$SERVICE_PID" JFR.start name="$name" settings=profile duration="${PROFILE_SECONDS}s" \
        filename="$WORK/$name.jfr" >"$WORK/jfr-$name.log" 2>&1 || { cat "$WORK/jfr-$name.log" >&2; die "JFR.start failed"; }
    run_wrk "profile-$name" "$call" "$PROFILE_SECONDS" "$@"
    for _ in $(seq 1 100); do [[ -s $WORK/$name.jfr ]] && break; sleep 0.2; done
    sleep 1
}
log "creates: ${DURATION}s of POST /v1/workspaces with Prefer: wait=$CREATE_WAIT by $USERS users"
run_wrk warm-create create $(( (WARMUP + 1) / 2 )) BENCH_PREFER="wait=$CREATE_WAIT"
creates create
drain
log "creates without Prefer (202 at once): ${DURATION}s, counted by the runs that succeeded in the window"
creates open
drain
RSS_KB=$(rss_kb "$SERVICE_PID")
RSS_ANON_KB=$(rss_kb "$SERVICE_PID" RssAnon)
RSS_FILE_KB=$(rss_kb "$SERVICE_PID" RssFile)
HWM_KB=$(rss_kb "$SERVICE_PID" VmHWM)
if (( NMT )); then
    "$JDK_BIN/jcmd" "$SERVICE_PID" VM.native_memory summary scale=MB >"$WORK/nmt.txt" 2>&1 || true
fi
HEAP_MAX=$(cd "$SERVE_DIR" && "$SERVE_JAVA" $IMAGE_OPTS -XX:+PrintFlagsFinal -version 2>/dev/null \
    | awk '$2 == "MaxHeapSize" {printf "%.0f", $4 / 1048576}')
CREATOR_MAX=$(sql "select coalesce(max(c), 0) from (select count(*) c from workspace_members
                   where user_id like 'bench-user-%' group by user_id) m")
# The profiles come after the RSS is read: a recording keeps its own buffers and the JVM's native peaks of that time
# (about 16 MB and more), which a serving pod, never profiled, does not carry.
if (( PROFILE_SECONDS > 0 )); then
    log "JFR profile of ${PROFILE_SECONDS}s of GET load"
    profile get get
    log "JFR profile of ${PROFILE_SECONDS}s of creates"
    profile create create BENCH_PREFER="wait=$CREATE_WAIT"
    drain
fi
stop_service

# The same creates with the dataplane step configured against a stand-in that answers at once.
if (( DATAPLANE )); then
    DATAPLANE_PORT=$(free_port)
    python3 "$ROOT/deploy/faults/fake_dataplane.py" "$DATAPLANE_PORT" "$WORK/dataplane-calls.log" 0 \
        >"$WORK/dataplane.log" 2>&1 &
    DATAPLANE_PID=$!
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$DATAPLANE_PORT") 2>/dev/null && break; sleep 0.1; done
    log "service with the stand-in dataplane (log: $WORK/service-dataplane.log)"
    start_service dataplane ATRIUM_DATAPLANE_URL="http://127.0.0.1:$DATAPLANE_PORT"
    run_wrk warm-dataplane create $(( (WARMUP + 1) / 2 )) BENCH_PREFER="wait=$CREATE_WAIT"
    log "creates with the dataplane step: ${DURATION}s"
    creates dataplane
    drain
    stop_service
    stop_pid "$DATAPLANE_PID"
    DATAPLANE_PID=""
fi

# ------------------------------------------------------------------------------------------------ pgbench (7)

run_pgbench() { # name script; PostgreSQL's CPU ticks during it in cpu-pgbench-<name>
    local pg0
    mkdir -p "$WORK/pgbench-$1"
    pg0=$(pg_ticks)
    (cd "$WORK/pgbench-$1" && timeout $(( DURATION + 120 )) "$PGBENCH" -n -M prepared -c "$CONNECTIONS" \
        -j "$THREADS" -T "$DURATION" -l --log-prefix=tx -D ws="ws_$ID_PART" -D org="org_$ID_PART" \
        -D region="$CELL_REGION" -D workspaces="$WORKSPACES" -D users="$USERS" -D orgs="$ORGANIZATIONS" \
        -D user="$BENCH_USER" \
        -f "$HERE/$2" atrium) > "$WORK/pgbench-$1.txt" 2>&1 || { cat "$WORK/pgbench-$1.txt" >&2; die "pgbench $1 failed"; }
    echo "0 $(( $(pg_ticks) - pg0 ))" > "$WORK/cpu-pgbench-$1"
}
for name in get getm list me create; do
    script=$name.sql
    case $name in
        get) script=get_workspace.sql ;;
        getm) script=get_workspace_member.sql ;;
        list) script=list_workspaces.sql ;;
        create) script=create_workspace.sql ;;
    esac
    log "pgbench: $script for ${DURATION}s at $CONNECTIONS clients, $THREADS threads"
    run_pgbench "$name" "$script"
done

# ------------------------------------------------------------------------------------------------ pages (6, 9)

ONE_WS=$(ws_id 1)
ONE_ORG=$(org_id 1)
page_kinds() { # kind token path limit pages-to: what figure 6 times
    printf '%s\n' \
        "user $TOKEN /v1/workspaces?limit=100 50" \
        "user1000 $TOKEN /v1/workspaces?limit=1000 5" \
        "org $TOKEN /v1/organizations/$ONE_ORG/workspaces?limit=100 50" \
        "service $SERVICE_TOKEN /v1/workspaces?limit=100 50" \
        "audit $TOKEN /v1/workspaces/$ONE_WS/audit?limit=100 50"
}
page_get() { # token path: one request; "status seconds", body in page-body, headers in page-headers
    curl -s --max-time 60 -o "$WORK/page-body" -D "$WORK/page-headers" -w '%{http_code} %{time_total}' \
        -H "Authorization: Bearer $1" "$BASE$2" </dev/null || echo "000 0"
}
next_link() { tr -d '\r' < "$WORK/page-headers" | sed -n 's/^[Ll]ink: *<\([^>]*\)>; *rel="next".*/\1/p' | head -n 1; }
page_time() { # kind size page token path: median of PAGE_REPEATS, appended to pages.txt as "kind page size ms items"
    local kind=$1 size=$2 page=$3 token=$4 path=$5 out i items limit
    : > "$WORK/page-times"
    for i in $(seq 1 $(( PAGE_REPEATS + 2 ))); do
        out=$(page_get "$token" "$path")
        [[ ${out%% *} == 200 ]] || die "GET $path answered ${out%% *}: $(head -c 300 "$WORK/page-body")"
        (( i > 2 )) && printf '%s\n' "${out#* }" >> "$WORK/page-times"
    done
    items=$(grep -o '"object":"\(workspace\|event\)"' "$WORK/page-body" | wc -l)
    limit=$(printf '%s' "$path" | sed -n 's/.*limit=\([0-9]*\).*/\1/p')
    (( items == limit )) || die "$kind page $page of the $size cell holds $items items, not $limit"
    printf '%s %s %s %s %s\n' "$kind" "$page" "$size" "$(sort -n "$WORK/page-times" \
        | awk '{v[NR] = $1} END { printf "%.1f", v[int((NR + 1) / 2)] * 1000 }')" "$items" >> "$WORK/pages.txt"
}
measure_pages() { # size: every page of figure 6 on the cell as it is now
    local kind token path pages url p out
    while read -r kind token path pages; do
        page_time "$kind" "$1" 1 "$token" "$path"
        url=$path
        for p in $(seq 2 "$pages"); do
            out=$(page_get "$token" "$url")
            [[ ${out%% *} == 200 ]] || die "GET $url answered ${out%% *}"
            url=$(next_link)
            [[ -n $url ]] || die "$kind: no page $p on the $1 cell"
        done
        page_time "$kind" "$1" "$pages" "$token" "$url"
    done < <(page_kinds)
}

log "pages: a third start on the copy of the ${WORKSPACES}-workspace cell (log: $WORK/service-pages.log)"
export PGDATABASE=atrium_scale
start_service pages ATRIUM_DB_REACTIVE_URL="postgresql://127.0.0.1:$PG_PORT/atrium_scale" \
    ATRIUM_DB_JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/atrium_scale"
while read -r kind token path pages; do
    run_wrk "warm-page-$kind" path 3 BENCH_TOKEN="$token" BENCH_PATH="$path"
done < <(page_kinds)
: > "$WORK/pages.txt"
log "pages on the $WORKSPACES-workspace cell"
measure_pages "$WORKSPACES"
FROM=$(( WORKSPACES + 1 ))
AUDIT_DONE=$AUDIT_EVENTS
SEED_LOG=""
for size in $SCALE_SIZES; do
    audit=$(( SCALE_AUDIT_EVENTS * size / LARGEST ))
    (( audit > AUDIT_DONE )) || audit=$AUDIT_DONE
    log "seeding up to $size workspaces (workspace 1: $audit events)"
    t0=$(date +%s)
    seed "$FROM" "$size" false $(( AUDIT_DONE + 1 )) "$audit"
    SEED_LOG+=" $size:$(( $(date +%s) - t0 ))s"
    FROM=$(( size + 1 ))
    AUDIT_DONE=$audit
    log "pages on the $size-workspace cell"
    measure_pages "$size"
done
stop_service
export PGDATABASE=atrium

# ------------------------------------------------------------------------------------------------ report (10)

to_ms() { # a wrk duration (850.00us, 1.20ms, 2.01s, 1.00m) in milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
        printf "%.1f", n }'
}
wrk_field() { # name what
    local f=$WORK/wrk-$1.txt
    case $2 in
        rps) awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f" ;;
        p50) to_ms "$(awk '$1 == "50%" {print $2}' "$f")" ;;
        p99) to_ms "$(awk '$1 == "99%" {print $2}' "$f")" ;;
        requests) awk '/ requests in / {print $1}' "$f" ;;
        seconds) awk '/ requests in / {sub(/s,$/, "", $4); print $4}' "$f" ;;
        status) awk -v s="$3" '/^statuses:/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] == s) n = kv[2]}}
                    END {print n + 0}' "$f" ;;
        other) awk '/^statuses:/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] < 200 || kv[1] > 299) n += kv[2]}}
                    END {print n + 0}' "$f" ;;
        socket) awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print; f = 1} END {if (!f) print "none"}' "$f" ;;
    esac
}
pgbench_field() { # name what
    case $2 in
        tps) awk '/^tps = / {printf "%.0f", $3}' "$WORK/pgbench-$1.txt" ;;
        failed) awk '/^number of failed transactions:/ {print $5; f = 1} END {if (!f) print 0}' "$WORK/pgbench-$1.txt" ;;
        transactions) awk '/^number of transactions actually processed:/ {print $NF}' "$WORK/pgbench-$1.txt" ;;
        p50 | p99)
            local q=0.50
            [[ $2 == p99 ]] && q=0.99
            cat "$WORK/pgbench-$1"/tx.* | awk '{print $3}' | sort -n \
                | awk -v q="$q" '{v[NR] = $1} END { if (NR == 0) {print "n/a"; exit}
                    i = int(q * NR); if (i < q * NR) i++; if (i < 1) i = 1; printf "%.1f", v[i] / 1000 }'
            ;;
    esac
}
per_second() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
mib() { awk -v kb="$1" 'BEGIN { printf "%.0f", kb / 1024 }'; }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

GET_RPS=$(wrk_field get rps)
PG_GET=$(pgbench_field get tps)
CREATED=$(wrk_field create status 201)
CREATE_S=$(wrk_field create seconds)
CREATE_RATE=$(per_second "$CREATED" "$CREATE_S")
PG_CREATE=$(pgbench_field create tps)
FIRST_RPS=$(wrk_field first rps)
IMAGE_START_S=$(seconds "$(cold image 2)")
RSS_MIB=$(mib "$RSS_KB")
read -r W0 W1 < "$WORK/window-create"
CREATE_SQL=$(runs_finished "wrk-$NOW-create-" "$W0" "$W1")

FIGURES=$WORK/figures.txt
{
echo "Atrium benchmark, $RUN_DATE: $(nproc) cores (load average before the run $LOAD_BEFORE), PostgreSQL $PG_VERSION,"
echo "$CONNECTIONS connections on $THREADS threads, ${DURATION}s per measured run; the service served by"
echo "($SETUP$( [[ -n $IMAGE_REFUSAL ]] && echo " + $IMAGE_FIX_OPTS, see note"))"
echo "on a cell of $WORKSPACES workspaces in $ORGANIZATIONS organizations, $USERS users; ratios against pgbench in the same run"
echo
fig() { printf '%-3s %-46s %-32s %-36s %6s  %-10s %s\n' "$@"; }
fig "" "figure" "Atrium" "reference (same run)" "ratio" "target" "verdict"
fig 1 "GET /v1/workspaces/{id}, warm" \
    "$GET_RPS req/s, p50 $(wrk_field get p50) p99 $(wrk_field get p99) ms" \
    "$PG_GET tx/s, p50 $(pgbench_field get p50) p99 $(pgbench_field get p99) ms" \
    "$(ratio "$GET_RPS" "$PG_GET")" ">= $TARGET_GET_RATIO" "$(verdict "$(ratio "$GET_RPS" "$PG_GET")" ">=" "$TARGET_GET_RATIO")"
fig "" "the same against pgbench with the membership" "(as above)" \
    "$(pgbench_field getm tps) tx/s, p50 $(pgbench_field getm p50) p99 $(pgbench_field getm p99) ms" \
    "$(ratio "$GET_RPS" "$(pgbench_field getm tps)")" "reported" ""
fig "" "GET /v1/workspaces?limit=100 ($USERS users)" \
    "$(wrk_field list rps) req/s, p50 $(wrk_field list p50) p99 $(wrk_field list p99) ms" \
    "$(pgbench_field list tps) tx/s, p50 $(pgbench_field list p50) p99 $(pgbench_field list p99) ms" \
    "$(ratio "$(wrk_field list rps)" "$(pgbench_field list tps)")" "reported" ""
fig "" "GET /v1/me ($USERS users)" \
    "$(wrk_field me rps) req/s, p50 $(wrk_field me p50) p99 $(wrk_field me p99) ms" \
    "$(pgbench_field me tps) tx/s, p50 $(pgbench_field me p50) p99 $(pgbench_field me p99) ms" \
    "$(ratio "$(wrk_field me rps)" "$(pgbench_field me tps)")" "reported" ""
fig "" "GET /v1/regions (authenticated, no database)" \
    "$(wrk_field regions rps) req/s, p50 $(wrk_field regions p50) p99 $(wrk_field regions p99) ms" \
    "$PG_GET tx/s (the primary-key select)" "$(ratio "$(wrk_field regions rps)" "$PG_GET")" "reported" ""
fig 2 "POST /v1/workspaces until active, $USERS users" \
    "$CREATE_RATE/s, p50 $(wrk_field create p50) p99 $(wrk_field create p99) ms" \
    "$PG_CREATE tx/s, p50 $(pgbench_field create p50) p99 $(pgbench_field create p99) ms" \
    "$(ratio "$CREATE_RATE" "$PG_CREATE")" ">= $TARGET_CREATE_RATIO" \
    "$(verdict "$(ratio "$CREATE_RATE" "$PG_CREATE")" ">=" "$TARGET_CREATE_RATIO")"
read -r O0 O1 < "$WORK/window-open"
OPEN_SQL=$(runs_finished "wrk-$NOW-open-" "$O0" "$O1")
OPEN_RATE=$(per_second "$OPEN_SQL" "$(wrk_field open seconds)")
fig "" "the same without Prefer, active in the window" \
    "$OPEN_RATE/s by SQL ($(wrk_field open rps) POST/s answered)" "$PG_CREATE tx/s (the same 3 inserts)" \
    "$(ratio "$OPEN_RATE" "$PG_CREATE")" "reported" ""
if (( DATAPLANE )); then
    DP_RATE=$(per_second "$(wrk_field dataplane status 201)" "$(wrk_field dataplane seconds)")
    fig "" "the same, dataplane step (stand-in)" \
        "$DP_RATE/s, p50 $(wrk_field dataplane p50) p99 $(wrk_field dataplane p99) ms" \
        "$PG_CREATE tx/s (the same 3 inserts)" "$(ratio "$DP_RATE" "$PG_CREATE")" "reported" ""
fi
if [[ -n $(cold image 2) ]]; then
    fig 3 "start to first authenticated 200, JVM image$( [[ -n $IMAGE_REFUSAL ]] && echo '*')" \
        "$IMAGE_START_S s ($(seconds "$(cold image 3)")-$(seconds "$(cold image 4)"), $COLD_STARTS starts)" "" "" \
        "<= $TARGET_START_S s" "$(verdict "$IMAGE_START_S" "<=" "$TARGET_START_S")"
else
    fig 3 "start to first authenticated 200, JVM image" "not timed: no Java 25" "" "" "<= $TARGET_START_S s" "n/a"
fi
if [[ -n $(cold java17 2) ]]; then
    fig "" "the plain jar on Java 17" \
        "$(seconds "$(cold java17 2)") s ($(seconds "$(cold java17 3)")-$(seconds "$(cold java17 4)"), $COLD_STARTS starts)" \
        "" "" "reported" ""
fi
fig 4 "first ${FIRST_SECONDS}s after start, GET by id$( [[ -n $IMAGE_REFUSAL ]] && echo '*')" \
    "$FIRST_RPS req/s, p50 $(wrk_field first p50) p99 $(wrk_field first p99) ms" "Atrium warm: $GET_RPS req/s" \
    "$(ratio "$FIRST_RPS" "$GET_RPS")" ">= $TARGET_FIRST_RATIO" \
    "$(verdict "$(ratio "$FIRST_RPS" "$GET_RPS")" ">=" "$TARGET_FIRST_RATIO")"
fig 5 "RSS after the load, chart's JVM settings$( [[ -n $IMAGE_REFUSAL ]] && echo '*')" \
    "$RSS_MIB MiB (anon $(mib "$RSS_ANON_KB"), file $(mib "$RSS_FILE_KB"))" "heap max $HEAP_MAX MiB, peak RSS $(mib "$HWM_KB") MiB" \
    "" "<= $TARGET_RSS_MIB MiB" "$(verdict "$RSS_MIB" "<=" "$TARGET_RSS_MIB")"
echo
SIZES="$WORKSPACES $SCALE_SIZES"
printf '%-3s %-40s' 6 "time per page, ms (median of $PAGE_REPEATS)"
for size in $SIZES; do printf ' %11s' "$(printf "%'d" "$size")"; done
for size in $SCALE_SIZES; do printf ' %9s' "x $(( size / 1000 ))k"; done
printf '   %-10s %s\n' "target" "verdict"
page_label() {
    case $1 in
        user) echo "user list, page $2 of 100" ;;
        user1000) echo "user list, page $2 of 1,000" ;;
        org) echo "organization list, page $2 of 100" ;;
        service) echo "service's list, page $2 of 100" ;;
        audit) echo "audit log, page $2 of 100" ;;
    esac
}
PAGES_MET=1
while read -r kind page; do
    base=$(awk -v k="$kind" -v p="$page" -v s="$WORKSPACES" '$1 == k && $2 == p && $3 == s {print $4}' "$WORK/pages.txt")
    printf '%-3s %-40s' "" "$(page_label "$kind" "$page")"
    for size in $SIZES; do
        printf ' %11s' "$(awk -v k="$kind" -v p="$page" -v s="$size" '$1 == k && $2 == p && $3 == s {print $4}' "$WORK/pages.txt")"
    done
    row_ok=meets
    for size in $SCALE_SIZES; do
        r=$(ratio "$(awk -v k="$kind" -v p="$page" -v s="$size" '$1 == k && $2 == p && $3 == s {print $4}' "$WORK/pages.txt")" "$base")
        printf ' %9s' "$r"
        [[ $(verdict "$r" "<=" "$TARGET_PAGE_GROWTH") == meets ]] || row_ok=misses
    done
    [[ $row_ok == meets ]] || PAGES_MET=0
    if [[ -n $SCALE_SIZES ]]; then
        printf '   %-10s %s\n' "<= ${TARGET_PAGE_GROWTH}x" "$row_ok"
    else
        printf '   %-10s %s\n' "<= ${TARGET_PAGE_GROWTH}x" "(no larger cell: SCALE_SIZES is empty)"
    fi
done < <(awk -v s="$WORKSPACES" '$3 == s {print $1, $2}' "$WORK/pages.txt")
echo "    (the audit log is workspace 1's: $AUDIT_EVENTS events on the $WORKSPACES cell, growing to $AUDIT_DONE; organization"
echo "    1 holds half of each cell; the user owns every workspace, past the joined-workspaces cap)"
if [[ -n $IMAGE_REFUSAL ]]; then
    echo
    echo "* NOTE: the JVM image with the chart's own settings DOES NOT START: its java, given the image's JAVA_OPTS"
    echo "  and the chart's memory ($(chart_memory_opts)), exits with"
    echo "  \"$IMAGE_REFUSAL\""
    echo "  Figures 3-5 (and 1, 2 and 6, served the same way) are taken with $IMAGE_FIX_OPTS added."
fi
} > "$FIGURES"

{
cat "$FIGURES"
echo
echo "Reference SQL (pgbench -M prepared, $CONNECTIONS clients, $THREADS threads, ${DURATION}s each):"
for script in get_workspace.sql get_workspace_member.sql list_workspaces.sql me.sql create_workspace.sql; do
    echo "  $script:"
    grep -v -e '^--' -e '^\\set' "$HERE/$script" | sed 's/^/    /'
done
echo
echo "Details:"
echo "  service starts in this run: ${MAIN_START_MS} ms to the first 200 for the measured one (the cell seeded)"
sed 's/^/  /' "$WORK/cold-start.txt"
for name in first get list me create open dataplane; do
    [[ -f $WORK/wrk-$name.txt ]] || continue
    echo "  wrk $name: $(wrk_field "$name" requests) answers in $(wrk_field "$name" seconds)s, $(grep '^statuses:' "$WORK/wrk-$name.txt"), socket errors: $(wrk_field "$name" socket)"
done
echo "  creates by SQL (runs that succeeded within the measured window): $CREATE_SQL, $(per_second "$CREATE_SQL" "$CREATE_S")/s; the $USERS creators held at most $CREATOR_MAX memberships each (since V12 the join check reads one count row per user, whatever that number)"
if [[ -s $WORK/nmt.txt ]]; then
    # "-  Java Heap (reserved=126MB, committed=126MB)": each category's committed MB, as the JVM accounts for it
    echo "  the JVM's own account of its memory with the RSS (committed MB, NativeMemoryTracking):"
    awk '/^Total:/ { sub(/.*committed=/, ""); sub(/MB.*/, ""); printf "    total %s;", $0 }
         /^-/ { line = $0; sub(/^- */, "", line); name = line; sub(/ *\(.*/, "", name)
                c = line; sub(/.*committed=/, "", c); sub(/MB.*/, "", c); if (c + 0 > 0) printf " %s %s,", name, c }
         END { print "" }' "$WORK/nmt.txt" | sed 's/,$//' | fold -s -w 112 | sed '2,$s/^/    /'
fi
if (( DATAPLANE )); then
    read -r D0 D1 < "$WORK/window-dataplane"
    DP_SQL=$(runs_finished "wrk-$NOW-dataplane-" "$D0" "$D1")
    echo "  creates with the dataplane by SQL: $DP_SQL, $(per_second "$DP_SQL" "$(wrk_field dataplane seconds)")/s; dataplane calls: $(wc -l < "$WORK/dataplane-calls.log")"
fi
for name in get getm list me create; do
    echo "  pgbench $name: $(pgbench_field "$name" transactions) transactions, failed $(pgbench_field "$name" failed)"
done
# ms of CPU per answer (per transaction for pgbench), from the ticks around each load; a create answered 202 goes on
# after its answer, so "open" is left out.
TICK_MS=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%g", 1000 / hz }')
cpu_per() { # ticks count
    awk -v t="$1" -v n="$2" -v ms="$TICK_MS" 'BEGIN { if (n > 0) printf "%.2f", t * ms / n; else print "n/a" }'
}
echo "  CPU per answer, ms (the service's, and PostgreSQL's: every backend's and the postmaster's; the same"
echo "  PostgreSQL per pgbench transaction; counted in ticks of ${TICK_MS} ms):"
for name in get list me regions create dataplane; do
    [[ -s $WORK/cpu-$name && -f $WORK/wrk-$name.txt ]] || continue
    read -r service pg < "$WORK/cpu-$name"
    answers=$(wrk_field "$name" requests)
    printf '    %-10s service %6s  PostgreSQL %6s\n' "$name" "$(cpu_per "$service" "$answers")" "$(cpu_per "$pg" "$answers")"
done
for name in get getm list me create; do
    [[ -s $WORK/cpu-pgbench-$name ]] || continue
    read -r _ pg < "$WORK/cpu-pgbench-$name"
    printf '    pgbench %-10s          PostgreSQL %6s\n' "$name" "$(cpu_per "$pg" "$(pgbench_field "$name" transactions)")"
done
echo "  seeding of the larger cells:${SEED_LOG:- none}; the whole run: $(( ($(date +%s) - RUN_T0) / 60 )) min"
if (( PROFILE_SECONDS > 0 )); then
    echo
    echo "Profile: JFR (settings=profile) of ${PROFILE_SECONDS}s of GET /v1/workspaces/{id} load, execution samples"
    bash "$HERE/profile.sh" "$JDK_BIN/jfr" "$WORK/get.jfr" | sed 's/^/  /'
    echo
    echo "Profile: JFR (settings=profile) of ${PROFILE_SECONDS}s of POST /v1/workspaces with Prefer: wait, execution samples"
    bash "$HERE/profile.sh" "$JDK_BIN/jfr" "$WORK/create.jfr" | sed 's/^/  /'
fi
if compgen -G "$WORK/errors-*" >/dev/null; then
    KEEP_LOGS=1
    echo
    echo "first answers that were not 2xx:"
    for f in "$WORK"/errors-*; do
        echo "  ${f##*/errors-}:"
        head -c 2000 "$f" | sed 's/^/    /'
    done
fi
if grep -q -e ' ERROR ' "$WORK"/service-*.log; then
    KEEP_LOGS=1
    echo
    echo "service log errors ($WORK/service-*.log), by message:"
    grep -h -e ' ERROR ' "$WORK"/service-*.log | sed -e 's/^[0-9:.-]* *[0-9:.,]* *ERROR \[[^]]*\] ([^)]*) //' \
        -e 's/^req_[0-9a-f]* //' | cut -c1-220 | sort | uniq -c | sort -rn | head -n 20
fi
} | tee "$WORK/report.txt"
