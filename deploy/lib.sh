# Shell library of the deploy scripts (deploy/bench, deploy/faults, src/main/docker/aot-train.sh): a throwaway
# PostgreSQL, free ports, signed JWTs, the packaged service's environment and one exit trap. Sourced, never run.
#
#   LOG_TAG=bench; source "$ROOT/deploy/lib.sh"
#
# Before sourcing: LOG_TAG (the log prefix), optionally DIE_WORD (default ERROR). After sourcing:
#   work_dir_open PREFIX          WORK: a new directory under /tmp, or WORK_DIR when the caller hands one down (then
#                                 it is the caller's to remove); installs the exit trap
#   pg_init                       initdb in $WORK/pg as user atrium with a random password (DB_PASSWORD, PG_PORT,
#                                 PGDATA, PG_VERSION); pg_start [postgres -c options], pg_stop [fast|immediate],
#                                 pg_create_database NAME, pg_client_env (PGHOST ... for psql and pgbench), sql
#   free_port                     a free TCP port on 127.0.0.1
#   newest_pg_bin, java_feature JAVA, find_java RELEASE [exact]   PostgreSQL's binaries; a JVM's release; a JVM of at
#                                 least (or, with `exact`, exactly) that release
#   maven_package ROOT LOG ARGS... ./mvnw -B -ntp -Pprod package -DskipTests ARGS, holding MAVEN_LOCK while it builds
#   jar_of NAME GIVEN DIR ARGS...  the quarkus-run.jar to run: GIVEN, or target/DIR as it is with SKIP_BUILD=1, or
#                                 built by maven_package with ARGS and MVN_ARGS; refuses a jar with embedded PostgreSQL
#   image_java_opts CACHE         the JVM image's JAVA_OPTS (src/main/docker/Dockerfile.jvm) with its cache at CACHE
#                                 (none when CACHE is empty) and the HTTP host on loopback
#   image_max_mem_ratio           the image's JAVA_MAX_MEM_RATIO
#   chart_memory_opts             the chart's memory for the JVM flavor (helm/atrium/values.yaml) as JVM options: the
#                                 container's limit as -XX:MaxRAM and the heap's share as -XX:MaxRAMPercentage
#   jwt_keys DIR                  DIR/jwt-private.pem and DIR/jwt-public.pem, RS256
#   jwt_user_token KEY SUB EMAIL NAME TTL   a user token signed with KEY, for JWT_ISSUER / JWT_AUDIENCE
#   jwt_service_token KEY CLIENT SCOPE TTL  a client-credentials token (sub = azp = CLIENT) with SCOPE
#   service_env PG_PORT DB_PASSWORD PUBLIC_KEY BASE   fills SERVICE_ENV with what every start of the jar needs
#   stop_pid PID [seconds]        SIGTERM, then SIGKILL after the given seconds (default 10)
#   http_status CURL-ARGS...      the status code of one request, 000 without an answer
#   await_ok PID URL TOKEN TIMEOUT LOG   polls URL with TOKEN every 10 ms until it answers 200 (dies when PID exits,
#                                 showing LOG, or after TIMEOUT seconds)
#   rss_kb PID [field]            VmRSS (or another /proc/PID/status field) in kB
#   ratio A B, verdict V OP T     report figures: A/B with two decimals; "meets" or "misses" a target (n/a)
#
# The exit trap runs the caller's `before_exit RC` when defined (stop what it started), stops PostgreSQL, and
# disposes of WORK: kept whole on failure (ON_FAILURE_KEEP=logs: only its logs) or with KEEP_WORKDIR=1; only its
# logs (database, private key and the paths in WORK_BULKY removed) with KEEP_LOGS=1; otherwise removed.
# Everything listens on 127.0.0.1 only. As root, PostgreSQL runs as the `postgres` user, which must exist.

LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JWT_ISSUER=${JWT_ISSUER:-https://auth.atrium.local}
JWT_AUDIENCE=${JWT_AUDIENCE:-atrium}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
KEEP_LOGS=${KEEP_LOGS:-0}
ON_FAILURE_KEEP=${ON_FAILURE_KEEP:-all}
WORK_BULKY=()
PG_STARTED=0
OWN_WORK=1

log() { printf '[%s %s] %s\n' "${LOG_TAG:-atrium}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "${DIE_WORD:-ERROR}: $*"; exit 1; }

newest_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }

java_feature() { # the feature release of a java binary (17, 25), 0 when unknown
    local v
    v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
    [[ $v =~ ^[0-9]+$ ]] && printf '%s' "$v" || printf 0
}

find_java() { # feature [exact]: the first java of at least (exactly) that release on PATH, in JAVA_HOME, /usr/lib/jvm
    local candidate feature
    for candidate in "$(command -v java)" ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/*/bin/java; do
        [[ -x $candidate ]] || continue
        feature=$(java_feature "$candidate")
        if { [[ ${2:-} == exact ]] && (( feature == $1 )); } || { [[ ${2:-} != exact ]] && (( feature >= $1 )); }; then
            printf '%s' "$candidate"
            return 0
        fi
    done
    return 1
}

MAVEN_LOCK=${MAVEN_LOCK:-/tmp/atrium-maven.lock}
maven_package() { # root log [maven arguments...]: a production package; the lock is held for the build only
    local root=$1 out=$2
    shift 2
    local lock=()
    command -v flock >/dev/null && lock=(flock "$MAVEN_LOCK")
    (cd "$root" && timeout "${BUILD_TIMEOUT:-1800}" "${lock[@]}" ./mvnw -B -ntp -Pprod package -DskipTests "$@") \
        >"$out" 2>&1 || { tail -n 40 "$out" >&2; die "build failed: ./mvnw -B -ntp -Pprod package -DskipTests $*"; }
}

# The JVM image's and the chart's settings, read from their own files so the figures follow them.
image_java_opts() { # cache-path (empty: without -XX:AOTCache)
    local opts
    opts=$(sed -n 's/^ENV JAVA_OPTS="\([^"]*\)".*/\1/p' "$LIB_ROOT/src/main/docker/Dockerfile.jvm" | head -n 1)
    [[ -n $opts ]] || die "no JAVA_OPTS in src/main/docker/Dockerfile.jvm"
    opts=$(printf '%s' "$opts" | sed -E -e 's/-Dquarkus\.http\.host=[^ ]*/-Dquarkus.http.host=127.0.0.1/' \
        -e 's/-XX:AOTCache=[^ ]* *//' -e 's/^ +//')
    if [[ -n $1 ]]; then opts="-XX:AOTCache=$1 $opts"; fi
    printf '%s' "$opts"
}
image_max_mem_ratio() { # the image's own JAVA_MAX_MEM_RATIO (the training stage runs with it)
    sed -n 's/^ *JAVA_MAX_MEM_RATIO=\([0-9]*\).*/\1/p' "$LIB_ROOT/src/main/docker/Dockerfile.jvm" | head -n 1
}
chart_memory_opts() {
    local values=$LIB_ROOT/helm/atrium/values.yaml memory ratio mib
    memory=$(awk '/^resources:/ {r = 1} r && /^  memory:/ {print $2; exit}' "$values")
    ratio=$(awk '/^jvm:/ {j = 1} j && /^  maxMemRatio:/ {print $2; exit}' "$values")
    case $memory in
        *Gi) mib=$(( ${memory%Gi} * 1024 )) ;;
        *Mi) mib=${memory%Mi} ;;
        *) die "helm/atrium/values.yaml: resources.memory '$memory' is not in Mi or Gi" ;;
    esac
    [[ $ratio =~ ^[0-9]+$ ]] || die "helm/atrium/values.yaml: jvm.maxMemRatio '$ratio' is not a whole number"
    printf '%s' "-XX:MaxRAM=${mib}m -XX:MaxRAMPercentage=$ratio"
}

as_pg() { # initdb and postgres refuse to run as root: run them as the postgres user then
    if (( EUID == 0 )); then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    # Below the kernel's ephemeral range: a port an outgoing connection holds there cannot be bound, though nothing
    # listens on it.
    local port low=32768 span
    read -r low _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    span=$(( low > 21000 ? low - 20000 : 30000 ))
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % span ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s' "$port"
            return 0
        fi
    done
    die "no free port found"
}

# ------------------------------------------------------------------------------------------------ exit trap

work_dir_open() { # prefix
    if [[ -n ${WORK_DIR:-} ]]; then
        WORK=$WORK_DIR
        OWN_WORK=0
        mkdir -p "$WORK"
        unset WORK_DIR  # for this script only: a script it runs makes its own
    else
        WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    fi
    chmod 755 "$WORK"
    PGDATA=$WORK/pg/data
    trap lib_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

lib_exit() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if declare -F before_exit >/dev/null; then before_exit "$rc"; fi
    if (( PG_STARTED )); then pg_stop immediate >/dev/null 2>&1; fi
    if (( OWN_WORK )); then
        if { (( rc != 0 )) && [[ $ON_FAILURE_KEEP == all ]]; } || [[ $KEEP_WORKDIR == 1 ]]; then
            log "work directory kept: $WORK"
        elif (( rc != 0 || KEEP_LOGS )); then
            rm -rf "$WORK/pg" "$WORK/jwt-private.pem" "${WORK_BULKY[@]}"
            log "logs kept: $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}

stop_pid() { # pid [seconds]: SIGTERM, then SIGKILL
    local pid=$1 tenths=$(( ${2:-10} * 10 ))
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 "$tenths"); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# ------------------------------------------------------------------------------------------------ PostgreSQL

pg_init() { # needs PG_BIN and WORK
    [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL server binaries in '$PG_BIN' (set PG_BIN)"
    if (( EUID == 0 )); then
        id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run PostgreSQL"
    fi
    PG_PORT=$(free_port)
    DB_PASSWORD=$(openssl rand -hex 16)
    PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
    mkdir -p "$WORK/pg"
    printf '%s\n' "$DB_PASSWORD" > "$WORK/pg/pwfile"
    if (( EUID == 0 )); then chown -R postgres "$WORK/pg"; fi
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U atrium --pwfile="$WORK/pg/pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
        || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
    rm -f "$WORK/pg/pwfile"
}

pg_start() { # [-c name=value ...]: extra server settings
    PG_STARTED=1
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/postgres.log" -w -t 60 \
        -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 $*" start >/dev/null \
        || { tail -n 30 "$WORK/pg/postgres.log" >&2; die "PostgreSQL did not start"; }
}

pg_stop() { # [fast|immediate]
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m "${1:-fast}" -w -t 60 stop >/dev/null
    PG_STARTED=0
}

pg_create_database() { # name, over the Unix socket (trusted), as the atrium superuser
    as_pg "$PG_BIN/psql" -X -q -h "$WORK/pg" -p "$PG_PORT" -U atrium -d postgres -c "create database $1" >/dev/null
}

pg_client_env() { # psql and pgbench over TCP with the password, as the service connects
    export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=atrium PGPASSWORD=$DB_PASSWORD PGDATABASE=atrium
    PSQL=${PSQL:-$PG_BIN/psql}
    [[ -x $PSQL ]] || PSQL=$(command -v psql || true)
}

sql() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# ------------------------------------------------------------------------------------------------ tokens

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

jwt_keys() { # dir
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1/jwt-private.pem" 2>/dev/null
    openssl pkey -in "$1/jwt-private.pem" -pubout -out "$1/jwt-public.pem"
}

jwt_user_token() { # private-key sub email name ttl-seconds
    local now header claims
    now=$(date +%s)
    header=$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | b64url)
    claims=$(printf '{"iss":"%s","aud":"%s","sub":"%s","email":"%s","email_verified":true,"name":"%s","iat":%d,"exp":%d}' \
        "$JWT_ISSUER" "$JWT_AUDIENCE" "$2" "$3" "$4" "$now" $(( now + $5 )) | b64url)
    printf '%s.%s.%s' "$header" "$claims" \
        "$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$1" -binary | b64url)"
}

jwt_service_token() { # private-key client-id scope ttl-seconds
    local now header claims
    now=$(date +%s)
    header=$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | b64url)
    claims=$(printf '{"iss":"%s","aud":"%s","sub":"%s","azp":"%s","scope":"%s","iat":%d,"exp":%d}' \
        "$JWT_ISSUER" "$JWT_AUDIENCE" "$2" "$2" "$3" "$now" $(( now + $4 )) | b64url)
    printf '%s.%s.%s' "$header" "$claims" \
        "$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$1" -binary | b64url)"
}

# ------------------------------------------------------------------------------------------------ service

service_env() { # pg-port db-password public-key base-url: the environment of every start of the packaged jar
    SERVICE_ENV=(
        ATRIUM_DB_REACTIVE_URL="postgresql://127.0.0.1:$1/atrium"
        ATRIUM_DB_JDBC_URL="jdbc:postgresql://127.0.0.1:$1/atrium"
        ATRIUM_DB_USER=atrium
        ATRIUM_DB_PASSWORD="$2"
        ATRIUM_JWT_PUBLIC_KEY_LOCATION="$3"
        ATRIUM_JWT_ISSUER="$JWT_ISSUER"
        ATRIUM_JWT_AUDIENCE="$JWT_AUDIENCE"
        ATRIUM_CELL_BASE_URL="$4"
        ATRIUM_API_KEY_PEPPER="$(openssl rand -hex 32)"
        ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY="$(openssl rand -base64 32)"
        QUARKUS_HTTP_HOST=127.0.0.1
        QUARKUS_HTTP_PORT="${4##*:}"
    )
}

http_status() { # curl arguments...: the status code, 000 when there was no answer
    curl -s -o /dev/null -w '%{http_code}' "$@" || true
}

await_ok() { # pid url token timeout-seconds log: polls every 10 ms until an authenticated 200
    local code deadline=$(( $(date +%s) + $4 ))
    while :; do
        code=$(http_status --max-time 5 -H "Authorization: Bearer $3" "$2")
        [[ $code == 200 ]] && return 0
        if ! kill -0 "$1" 2>/dev/null; then
            tail -n 40 "$5" >&2
            die "the service exited during startup (log: $5)"
        fi
        if (( $(date +%s) > deadline )); then
            tail -n 40 "$5" >&2
            die "no 200 from $2 within ${4}s (last status $code; log: $5)"
        fi
        sleep 0.01
    done
}

rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"; }

# ------------------------------------------------------------------------------------------------ figures

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { # value op target: "meets", "misses", or "n/a" when the value is not a number
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v !~ /^[0-9]+(\.[0-9]+)?$/) { print "n/a"; exit }
        ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0); print ok ? "meets" : "misses" }'
}

jar_of() { # name given-path skip-build-dir maven-arguments...: the quarkus-run.jar to use, built when needed
    # (SKIP_BUILD=1 takes target/<dir> as it is; MVN_ARGS are added to the build)
    local name=$1 given=$2 dir=$3 jar
    shift 3
    if [[ -n $given ]]; then
        jar=$(cd "$(dirname "$given")" && pwd)/$(basename "$given")
        [[ -f $jar ]] || die "$given does not exist"
    elif [[ ${SKIP_BUILD:-0} == 1 && -f $ROOT/target/$dir/quarkus-run.jar ]]; then
        jar=$ROOT/target/$dir/quarkus-run.jar
    else
        log "building the $name (log: $WORK/build-$name.log)"
        # shellcheck disable=SC2086
        maven_package "$ROOT" "$WORK/build-$name.log" "$@" ${MVN_ARGS:-}
        jar=$ROOT/target/$dir/quarkus-run.jar
    fi
    if compgen -G "$(dirname "$jar")/lib/*/*embedded-postgres*" >/dev/null; then
        die "$jar carries the embedded PostgreSQL: build it with -Pprod"
    fi
    log "$name: $jar"
    printf '%s' "$jar"
}
