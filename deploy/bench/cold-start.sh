#!/usr/bin/env bash
# Atrium cold starts with and without the JVM image's AOT cache, on one machine, in one run (deploy/bench/run.sh runs
# it as its step 7, against the benchmark's database; it also runs alone).
#
#  1. takes the default build (fast-jar) and the aot-jar build of the JVM image (Dockerfile.jvm's build stage,
#     -Dquarkus.package.jar.type=aot-jar): ATRIUM_JAR / ATRIUM_AOT_JAR, or with SKIP_BUILD=1 target/quarkus-app and
#     target/quarkus-app-aot when they exist, or builds them (./mvnw -B -Pprod package -DskipTests ...);
#  2. copies the aot-jar keeping the modification times, as the image's COPY does, and trains its AOT cache with
#     src/main/docker/aot-train.sh (the same script and commands as Dockerfile.jvm's training stage);
#  3. makes COLD_STARTS cold starts of each of: the fast-jar without a cache, the aot-jar without the cache, the aot-jar
#     with -XX:AOTCache (the JVM image), interleaved, all on the same Java 25 (AOT_JAVA) and against a migrated
#     database with ATRIUM_MIGRATE_AT_START=false like a serving replica: process start to the first authenticated
#     GET /v1/me answering 200 (polled every 10 ms), and the RSS right then. Fails if the JVM could not use the cache;
#  4. prints the medians (min-max) and ratios, the AOT figures next to their targets (printed, not enforced).
#
# The database: BENCH_DB_PORT and BENCH_DB_PASSWORD name a migrated one on 127.0.0.1 (user and database atrium) and
# BENCH_JWT_KEY the private key whose token the cold starts send (run.sh hands down its own); without them a throwaway
# PostgreSQL is started and migrated here (an empty database), with a key made here.
#
# Settings (environment): COLD_STARTS=3 (1..50), AOT_JAVA (default: the first Java 25+ among java on PATH,
# $JAVA_HOME and /usr/lib/jvm/*), TRAIN_ROUNDS=20, ATRIUM_JAR, ATRIUM_AOT_JAR, SKIP_BUILD=1, MVN_ARGS,
# BENCH_JAVA_OPTS (JVM options of the training run and every start), DB_POOL_SIZE=20, CELL_REGION=local,
# PG_BIN, STARTUP_TIMEOUT=120 BUILD_TIMEOUT=1800 (seconds), KEEP_WORKDIR=1, WORK_DIR (use this directory; the
# caller removes it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOG_TAG=cold-start
# shellcheck source=../lib.sh
source "$ROOT/deploy/lib.sh"

COLD_STARTS=${COLD_STARTS:-3}
AOT_JAVA=${AOT_JAVA:-}
TRAIN_ROUNDS=${TRAIN_ROUNDS:-20}
ATRIUM_JAR=${ATRIUM_JAR:-}
ATRIUM_AOT_JAR=${ATRIUM_AOT_JAR:-}
SKIP_BUILD=${SKIP_BUILD:-0}
MVN_ARGS=${MVN_ARGS:-}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-}
DB_POOL_SIZE=${DB_POOL_SIZE:-20}
CELL_REGION=${CELL_REGION:-local}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1800}
BENCH_DB_PORT=${BENCH_DB_PORT:-}
BENCH_DB_PASSWORD=${BENCH_DB_PASSWORD:-}
BENCH_JWT_KEY=${BENCH_JWT_KEY:-}
PG_BIN=${PG_BIN:-$(newest_pg_bin)}

BENCH_USER=bench-user
BENCH_EMAIL=bench-user@example.com
BENCH_NAME="Bench User"
TARGET_STARTUP_S=1
TARGET_RSS_MB=256

for v in COLD_STARTS STARTUP_TIMEOUT BUILD_TIMEOUT DB_POOL_SIZE TRAIN_ROUNDS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
(( COLD_STARTS >= 1 && COLD_STARTS <= 50 )) || die "COLD_STARTS must be 1..50"
for tool in curl openssl awk sort; do command -v "$tool" >/dev/null || die "missing $tool"; done
if [[ -z $AOT_JAVA ]]; then
    AOT_JAVA=$(find_java 25) || die "the AOT cache needs Java 25 or newer: set AOT_JAVA=/path/to/java"
fi
(( $(java_feature "$AOT_JAVA") >= 25 )) || die "AOT_JAVA=$AOT_JAVA is not Java 25 or newer"
AOT_JAVA_VERSION=$("$AOT_JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}')
AOT_JAVA_VENDOR=$("$AOT_JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.vm.vendor/ {print $2}')

SERVICE_PID=""
before_exit() { stop_pid "$SERVICE_PID"; }
work_dir_open atrium-cold-start

# ------------------------------------------------------------------------------------------------ builds

jar_of() { # name given-path skip-build-dir maven-arguments...: the quarkus-run.jar to use, built when needed
    local name=$1 given=$2 dir=$3 jar
    shift 3
    if [[ -n $given ]]; then
        jar=$(cd "$(dirname "$given")" && pwd)/$(basename "$given")
        [[ -f $jar ]] || die "$given does not exist"
    elif [[ $SKIP_BUILD == 1 && -f $ROOT/target/$dir/quarkus-run.jar ]]; then
        jar=$ROOT/target/$dir/quarkus-run.jar
    else
        log "building the $name: ./mvnw -B -Pprod package -DskipTests $* $MVN_ARGS (log: $WORK/build-$name.log)"
        # shellcheck disable=SC2086
        (cd "$ROOT" && timeout "$BUILD_TIMEOUT" ./mvnw -B -Pprod package -DskipTests "$@" $MVN_ARGS) \
            >"$WORK/build-$name.log" 2>&1 || { tail -n 40 "$WORK/build-$name.log" >&2; die "$name build failed"; }
        jar=$ROOT/target/$dir/quarkus-run.jar
    fi
    if compgen -G "$(dirname "$jar")/lib/*/*embedded-postgres*" >/dev/null; then
        die "$jar carries the embedded PostgreSQL: build it with -Pprod"
    fi
    log "$name: $jar"
    printf '%s' "$jar"
}
JAR=$(jar_of fast-jar "$ATRIUM_JAR" quarkus-app)
AOT_JAR=$(jar_of aot-jar "$ATRIUM_AOT_JAR" quarkus-app-aot -Dquarkus.package.jar.type=aot-jar \
    -Dquarkus.package.output-directory=quarkus-app-aot)

# ------------------------------------------------------------------------------------------------ database, token

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
if [[ -n $BENCH_DB_PORT ]]; then
    PG_PORT=$BENCH_DB_PORT DB_PASSWORD=$BENCH_DB_PASSWORD
    [[ -f $BENCH_JWT_KEY ]] || die "BENCH_JWT_KEY must name the private key of the database's benchmark run"
    openssl pkey -in "$BENCH_JWT_KEY" -pubout -out "$WORK/jwt-public.pem"
    KEY=$BENCH_JWT_KEY
else
    [[ -n $PG_BIN ]] || die "no PostgreSQL binaries (set PG_BIN)"
    pg_init
    log "PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT"
    pg_start
    pg_create_database atrium
    jwt_keys "$WORK"
    KEY=$WORK/jwt-private.pem
fi
# As deploy/bench/run.sh starts the service.
service_env "$PG_PORT" "$DB_PASSWORD" "$WORK/jwt-public.pem" "$BASE"
SERVICE_ENV+=(ATRIUM_DB_POOL_SIZE="$DB_POOL_SIZE" ATRIUM_CELL_REGION="$CELL_REGION"
    ATRIUM_LIMITS_MAX_JOINED_WORKSPACES=100000000)
if [[ -z $BENCH_DB_PORT ]]; then
    log "migrating the database (the fast-jar with ATRIUM_MIGRATE_AT_START=true QUARKUS_INIT_AND_EXIT=true)"
    (cd "$WORK" && env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=true QUARKUS_INIT_AND_EXIT=true \
        "$AOT_JAVA" -jar "$JAR") >"$WORK/migrate.log" 2>&1 || { tail -n 40 "$WORK/migrate.log" >&2; die "migration failed"; }
fi
TOKEN=$(jwt_user_token "$KEY" "$BENCH_USER" "$BENCH_EMAIL" "$BENCH_NAME" 3600)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------------------------------------ cold starts

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
        code=$(http_status --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/me")
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
    stop_pid "$SERVICE_PID"
    SERVICE_PID=""
}
median() { # variant column (1 = ms, 2 = RSS kB) of cold-<variant>.txt
    awk -v c="$2" '{print $c}' "$WORK/cold-$1.txt" | sort -n \
        | awk '{v[NR] = $1} END { if (NR == 0) {print "n/a"; exit}
            if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
spread() { # variant column: "min-max"
    awk -v c="$2" '{print $c}' "$WORK/cold-$1.txt" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'
}

# A copy keeps the build's modification times, as the image's COPY does; the cache is checked against them.
AOT_APP=$WORK/aot-app
WORK_BULKY+=("$AOT_APP")
cp -a "$(dirname "$AOT_JAR")" "$AOT_APP"
rm -f "$AOT_APP/app.aot"
log "training the AOT cache on $AOT_JAVA_VERSION: src/main/docker/aot-train.sh (log: $WORK/aot-train.log)"
TRAIN_T0=$(date +%s)
JAVA=$AOT_JAVA PG_BIN=$PG_BIN TRAIN_ROUNDS=$TRAIN_ROUNDS TRAIN_JAVA_OPTS=$BENCH_JAVA_OPTS \
    bash "$ROOT/src/main/docker/aot-train.sh" "$AOT_APP" \
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

# ------------------------------------------------------------------------------------------------ report

if [[ -z $BENCH_DB_PORT ]]; then
    echo
    echo "Atrium cold starts: $(nproc) cores, load average before the run: $LOAD_BEFORE; PostgreSQL $PG_VERSION, an empty migrated database"
    echo
fi
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
echo "  AOT cache: ${AOT_CACHE_MB} MB, trained in ${TRAIN_S}s by src/main/docker/aot-train.sh ($TRAIN_ROUNDS rounds)"
