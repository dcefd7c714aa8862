#!/usr/bin/env bash
# Atrium cold starts: the JVM image's setup against the plain Java 17 jar, on one machine, in one run
# (deploy/bench/run.sh runs it against the benchmark's database and then serves its measured runs from the cache it
# trained here; it also runs alone).
#
#  1. takes the default build (fast-jar) and the aot-jar build of the JVM image (Dockerfile.jvm's build stage,
#     -Dquarkus.package.jar.type=aot-jar): ATRIUM_JAR / ATRIUM_AOT_JAR, or with SKIP_BUILD=1 target/quarkus-app and
#     target/quarkus-app-aot when they exist, or builds them (./mvnw -B -ntp -Pprod package -DskipTests ..., holding
#     the Maven lock, deploy/lib.sh);
#  2. copies the aot-jar keeping the modification times, as the image's COPY does, and trains its AOT cache with
#     src/main/docker/aot-train.sh as Dockerfile.jvm's training stage does: the image's JAVA_OPTS and
#     JAVA_MAX_MEM_RATIO (read from Dockerfile.jvm) without a memory limit, and the peer and dataplane stand-ins of
#     TrainingPeers.java;
#  3. checks that the JVM image's java starts with that cache inside the chart's memory (helm/atrium/values.yaml: the
#     container's limit as -XX:MaxRAM, the heap's share as -XX:MaxRAMPercentage); when it does not, says so and takes
#     the image's figures with IMAGE_FIX_OPTS added (default -Xms16m: seen refused with the 8 MiB initial heap that
#     a 320 MiB limit gives, "archived heap objects cannot be loaded");
#  4. makes COLD_STARTS cold starts of each variant of COLD_VARIANTS, interleaved, against a migrated database with
#     ATRIUM_MIGRATE_AT_START=false like a serving replica: process start to the first authenticated GET /v1/me
#     answering 200 (polled every 10 ms), and the RSS right then. Variants:
#       image     the JVM image in the chart's pod: Java 25 (AOT_JAVA), the aot-jar with -XX:AOTCache, the image's
#                 JAVA_OPTS and the chart's memory (and IMAGE_FIX_OPTS, see 3); fails if the JVM did not use the cache
#       java17    the plain jar: the fast-jar on Java 17 (JAVA17), the JVM's default options
#       aot-jar   the image without its cache (Java 25, the aot-jar, the same options)
#       fast-jar  the fast-jar on Java 25 with the JVM's default options
#  5. prints the medians (min-max) and the image's figure beside its target, and writes them to
#     $WORK/cold-start.results ("variant median-ms min-ms max-ms median-rss-kB", one line each), the image's java
#     options to $WORK/image-opts and the refusal of step 3 (or an empty line) to $WORK/image-refusal, for run.sh.
#
# The database: BENCH_DB_PORT and BENCH_DB_PASSWORD name a migrated one on 127.0.0.1 (user and database atrium) and
# BENCH_JWT_KEY the private key whose token the cold starts send (run.sh hands down its own); without them a throwaway
# PostgreSQL is started and migrated here (an empty database), with a key made here.
#
# Settings (environment): COLD_STARTS=3 (1..50), COLD_VARIANTS="image java17", AOT_JAVA (default: the first Java 25+
# among java on PATH, $JAVA_HOME and /usr/lib/jvm/*; when there is none, or with AOT_JAVA=none, only the java17
# variant is timed and no cache is trained), JAVA17 (default: the first Java 17 there), TRAIN_ROUNDS=20,
# ATRIUM_JAR, ATRIUM_AOT_JAR, SKIP_BUILD=1, MVN_ARGS, BENCH_JAVA_OPTS (appended to every start and the training),
# IMAGE_FIX_OPTS=-Xms16m (empty: fail instead), DB_POOL_SIZE=20, CELL_REGION=local, PG_BIN, STARTUP_TIMEOUT=120 BUILD_TIMEOUT=1800 (seconds), KEEP_WORKDIR=1,
# WORK_DIR (use this directory; the caller removes it; the trained application stays in WORK_DIR/aot-app).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOG_TAG=cold-start
# shellcheck source=../lib.sh
source "$ROOT/deploy/lib.sh"

COLD_STARTS=${COLD_STARTS:-3}
COLD_VARIANTS=${COLD_VARIANTS:-image java17}
AOT_JAVA=${AOT_JAVA:-}
JAVA17=${JAVA17:-}
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
IMAGE_FIX_OPTS=${IMAGE_FIX_OPTS--Xms16m}

BENCH_USER=bench-user
BENCH_EMAIL=bench-user@example.com
BENCH_NAME="Bench User"
TARGET_STARTUP_S=1.5

for v in COLD_STARTS STARTUP_TIMEOUT BUILD_TIMEOUT DB_POOL_SIZE TRAIN_ROUNDS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
(( COLD_STARTS >= 1 && COLD_STARTS <= 50 )) || die "COLD_STARTS must be 1..50"
for variant in $COLD_VARIANTS; do
    [[ $variant =~ ^(image|java17|aot-jar|fast-jar)$ ]] || die "unknown variant '$variant' in COLD_VARIANTS"
done
for tool in curl openssl awk sort; do command -v "$tool" >/dev/null || die "missing $tool"; done
if [[ -z $AOT_JAVA ]]; then
    AOT_JAVA=$(find_java 25) || AOT_JAVA=none
fi
if [[ $AOT_JAVA == none ]]; then
    [[ " $COLD_VARIANTS " == *" java17 "* ]] \
        || die "no Java 25 (PATH, JAVA_HOME, /usr/lib/jvm) and no java17 in COLD_VARIANTS: set AOT_JAVA=/path/to/java"
    log "no Java 25 (PATH, JAVA_HOME, /usr/lib/jvm; or AOT_JAVA=none): only the plain Java 17 jar is timed"
    COLD_VARIANTS=java17
else
    (( $(java_feature "$AOT_JAVA") >= 25 )) || die "AOT_JAVA=$AOT_JAVA is not Java 25 or newer"
fi
if [[ " $COLD_VARIANTS " == *" java17 "* ]]; then
    if [[ -z $JAVA17 ]]; then
        JAVA17=$(find_java 17 exact) || die "no Java 17 found: set JAVA17=/path/to/java, or leave java17 out of COLD_VARIANTS"
    fi
    (( $(java_feature "$JAVA17") == 17 )) || die "JAVA17=$JAVA17 is not Java 17"
fi
java_version() { "$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}'; }
if [[ $AOT_JAVA != none ]]; then
    AOT_JAVA_VERSION=$(java_version "$AOT_JAVA")
    AOT_JAVA_VENDOR=$("$AOT_JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.vm.vendor/ {print $2}')
    JAVAC=$(dirname "$AOT_JAVA")/javac
    [[ -x $JAVAC ]] || die "no javac beside $AOT_JAVA (a JDK is needed to compile the training's stand-ins)"
fi

SERVICE_PID=""
before_exit() { stop_pid "$SERVICE_PID"; }
work_dir_open atrium-cold-start

# ------------------------------------------------------------------------------------------------ builds

JAR=$(jar_of fast-jar "$ATRIUM_JAR" quarkus-app)
if [[ $AOT_JAVA != none ]]; then
    AOT_JAR=$(jar_of aot-jar "$ATRIUM_AOT_JAR" quarkus-app-aot -Dquarkus.package.jar.type=aot-jar \
        -Dquarkus.package.output-directory=quarkus-app-aot)
fi

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
MIGRATE_JAVA=$AOT_JAVA
[[ $AOT_JAVA != none ]] || MIGRATE_JAVA=$JAVA17
if [[ -z $BENCH_DB_PORT ]]; then
    log "migrating the database (the fast-jar with ATRIUM_MIGRATE_AT_START=true QUARKUS_INIT_AND_EXIT=true)"
    (cd "$WORK" && env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=true QUARKUS_INIT_AND_EXIT=true \
        "$MIGRATE_JAVA" -jar "$JAR") >"$WORK/migrate.log" 2>&1 || { tail -n 40 "$WORK/migrate.log" >&2; die "migration failed"; }
fi
TOKEN=$(jwt_user_token "$KEY" "$BENCH_USER" "$BENCH_EMAIL" "$BENCH_NAME" 3600)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------------------------------------ AOT cache

IMAGE_OPTS=""
IMAGE_REFUSAL=""
if [[ $AOT_JAVA != none ]]; then
    # A copy keeps the build's modification times, as the image's COPY does; the cache is checked against them.
    AOT_APP=$WORK/aot-app
    WORK_BULKY+=("$AOT_APP")
    rm -rf "$AOT_APP"
    cp -a "$(dirname "$AOT_JAR")" "$AOT_APP"
    rm -f "$AOT_APP/app.aot"
    # The training as Dockerfile.jvm's training stage runs it: the image's JVM options and heap share (JAVA_OPTS less
    # the cache, JAVA_MAX_MEM_RATIO) on a builder without a memory limit; the stand-ins of TrainingPeers.java for a
    # peer cell and the dataplane.
    mkdir -p "$WORK/training"
    "$JAVAC" --release 17 -d "$WORK/training" "$ROOT/src/main/docker/TrainingPeers.java" \
        || die "TrainingPeers.java does not compile"
    log "training the AOT cache on $AOT_JAVA_VERSION: src/main/docker/aot-train.sh (log: $WORK/aot-train.log)"
    TRAIN_T0=$(date +%s)
    JAVA=$AOT_JAVA PG_BIN=$PG_BIN TRAIN_ROUNDS=$TRAIN_ROUNDS JAVA_OPTS=$(image_java_opts "") \
        JAVA_MAX_MEM_RATIO=$(image_max_mem_ratio) TRAIN_JAVA_OPTS=$BENCH_JAVA_OPTS TRAINING_PEERS=$WORK/training \
        bash "$ROOT/src/main/docker/aot-train.sh" "$AOT_APP" \
        >"$WORK/aot-train.log" 2>&1 || { tail -n 40 "$WORK/aot-train.log" >&2; die "AOT training failed"; }
    TRAIN_S=$(( $(date +%s) - TRAIN_T0 ))
    AOT_CACHE_MB=$(( $(stat -c %s "$AOT_APP/app.aot") / 1048576 ))

    # The pod's JVM: the image's options with its cache, inside the chart's memory limit (-XX:MaxRAM stands for the
    # container's limit: the JVM sizes its heap from it as from a cgroup's). Whether that JVM starts at all is checked
    # first; when it refuses the cache, the figures are taken with IMAGE_FIX_OPTS added, and every report says so.
    IMAGE_OPTS="$(image_java_opts "$AOT_APP/app.aot") $(chart_memory_opts)"
    # shellcheck disable=SC2086
    if ! (cd "$AOT_APP" && "$AOT_JAVA" $IMAGE_OPTS -cp quarkus-run.jar -version) >"$WORK/image-check.log" 2>&1; then
        IMAGE_REFUSAL=$(grep -e '\[error' -e 'Error occurred' "$WORK/image-check.log" | head -n 1 | sed 's/^\[[^]]*\]\[error\]\[aot *\] //')
        log "the JVM image with the chart's memory does not start: ${IMAGE_REFUSAL:-see $WORK/image-check.log}"
        [[ -n $IMAGE_FIX_OPTS ]] || die "the JVM image does not start with the chart's settings (IMAGE_FIX_OPTS is empty)"
        IMAGE_OPTS="$IMAGE_OPTS $IMAGE_FIX_OPTS"
        # shellcheck disable=SC2086
        (cd "$AOT_APP" && "$AOT_JAVA" $IMAGE_OPTS -XX:AOTMode=on -cp quarkus-run.jar -version) >"$WORK/image-fix.log" 2>&1 \
            || { cat "$WORK/image-fix.log" >&2; die "the JVM image does not start with IMAGE_FIX_OPTS=$IMAGE_FIX_OPTS either"; }
    fi
fi
printf '%s\n' "$IMAGE_OPTS" > "$WORK/image-opts"
printf '%s\n' "$IMAGE_REFUSAL" > "$WORK/image-refusal"

# ------------------------------------------------------------------------------------------------ cold starts

variant_command() { # variant: fills DIR and CMD (java and options; -jar quarkus-run.jar follows)
    case $1 in
        image) DIR=$AOT_APP CMD=("$AOT_JAVA" $IMAGE_OPTS) ;;
        aot-jar) DIR=$AOT_APP CMD=("$AOT_JAVA" $(printf '%s' "$IMAGE_OPTS" | sed 's/-XX:AOTCache=[^ ]*//')) ;;
        java17) DIR=$(dirname "$JAR") CMD=("$JAVA17") ;;
        fast-jar) DIR=$(dirname "$JAR") CMD=("$AOT_JAVA") ;;
    esac
}
variant_label() {
    case $1 in
        image) printf 'JVM image: Java %s, aot-jar + AOT cache, chart settings' "${AOT_JAVA_VERSION%%+*}" ;;
        aot-jar) printf 'the same without the AOT cache' ;;
        java17) printf 'plain jar: Java %s, fast-jar, default options' "$(java_version "$JAVA17" | sed 's/[+-].*//')" ;;
        fast-jar) printf 'fast-jar on Java %s, default options' "${AOT_JAVA_VERSION%%+*}" ;;
    esac
}

cold_start() { # variant: one cold start, appends "ms rss-kB" to cold-<variant>.txt
    local variant=$1 t0 t1 rss
    variant_command "$variant"
    t0=$(date +%s%N)
    # From the application's directory, as the image starts it: the cache holds the class path relative to it.
    # shellcheck disable=SC2086
    (cd "$DIR" && exec env "${SERVICE_ENV[@]}" ATRIUM_MIGRATE_AT_START=false "${CMD[@]}" $BENCH_JAVA_OPTS \
        -jar quarkus-run.jar) >"$WORK/cold-$variant.log" 2>&1 &
    SERVICE_PID=$!
    await_ok "$SERVICE_PID" "$BASE/v1/me" "$TOKEN" "$STARTUP_TIMEOUT" "$WORK/cold-$variant.log"
    t1=$(date +%s%N)
    rss=$(rss_kb "$SERVICE_PID")
    printf '%d %d\n' $(( (t1 - t0) / 1000000 )) "$rss" >> "$WORK/cold-$variant.txt"
    stop_pid "$SERVICE_PID"
    SERVICE_PID=""
    if [[ $variant == image ]] && grep -q -e '\[error *\]\[aot' "$WORK/cold-image.log"; then
        grep -e '\[aot' "$WORK/cold-image.log" | head -n 5 >&2
        die "the JVM did not use the AOT cache"
    fi
}
median() { # variant column (1 = ms, 2 = RSS kB) of cold-<variant>.txt
    awk -v c="$2" '{print $c}' "$WORK/cold-$1.txt" | sort -n \
        | awk '{v[NR] = $1} END { if (NR == 0) {print "n/a"; exit}
            if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
spread() { # variant column: "min max"
    awk -v c="$2" '{print $c}' "$WORK/cold-$1.txt" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo, hi}'
}

rm -f "$WORK"/cold-*.txt "$WORK/cold-start.results"
for round in $(seq 1 "$COLD_STARTS"); do
    log "cold starts, round $round of $COLD_STARTS: $COLD_VARIANTS"
    for variant in $COLD_VARIANTS; do cold_start "$variant"; done
done

# ------------------------------------------------------------------------------------------------ report

for variant in $COLD_VARIANTS; do
    printf '%s %s %s %s\n' "$variant" "$(median "$variant" 1)" "$(spread "$variant" 1)" "$(median "$variant" 2)" \
        >> "$WORK/cold-start.results"
done
if [[ -z $BENCH_DB_PORT ]]; then
    echo
    echo "Atrium cold starts: $(nproc) cores, load average before the run: $LOAD_BEFORE; PostgreSQL $PG_VERSION, an empty migrated database"
    echo
fi
echo "cold starts, $COLD_STARTS of each, interleaved, against the migrated database (ATRIUM_MIGRATE_AT_START=false):"
echo "process start to the first authenticated GET /v1/me answering 200, and the RSS right then; median (min-max)"
for variant in $COLD_VARIANTS; do
    read -r lo hi < <(spread "$variant" 1)
    printf '  %-62s %6s ms (%s-%s)   RSS %4s MiB\n' "$(variant_label "$variant")" "$(median "$variant" 1)" "$lo" "$hi" \
        "$(awk -v kb="$(median "$variant" 2)" 'BEGIN { printf "%.0f", kb / 1024 }')"
done
if [[ " $COLD_VARIANTS " == *" image "* ]]; then
    IMAGE_S=$(awk -v ms="$(median image 1)" 'BEGIN { printf "%.2f", ms / 1000 }')
    printf '  JVM image to the first authenticated 200: %s s, target <= %s s: %s\n' "$IMAGE_S" "$TARGET_STARTUP_S" \
        "$(verdict "$IMAGE_S" "<=" "$TARGET_STARTUP_S")"
fi
if [[ $AOT_JAVA == none ]]; then
    echo "  no Java 25 (PATH, JAVA_HOME, /usr/lib/jvm): the JVM image (Java 25 with its AOT cache) was not timed"
    exit 0
fi
echo "  JVM image options: ${IMAGE_OPTS//$AOT_APP\//}"
if [[ -n $IMAGE_REFUSAL ]]; then
    echo "  NOTE: with the chart's settings alone ($(image_java_opts app.aot) $(chart_memory_opts)) the JVM"
    echo "  does not start: \"$IMAGE_REFUSAL\"; the JVM image's figures are taken with $IMAGE_FIX_OPTS added."
fi
echo "  AOT cache: ${AOT_CACHE_MB} MB, trained in ${TRAIN_S}s by src/main/docker/aot-train.sh ($TRAIN_ROUNDS rounds, the"
echo "  image's options and heap share without a memory limit, as the image build; the peer and dataplane stand-ins),"
echo "  on $AOT_JAVA_VENDOR $AOT_JAVA_VERSION"
