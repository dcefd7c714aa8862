#!/usr/bin/env bash
# Atrium fault runs against the packaged service, a real PostgreSQL and a dataplane that answers slowly.
#
#  crash     makes RUNS (50) workspace creates, kills the service with SIGKILL while their runs are in flight, starts it
#            again on the same database, and waits until every run has finished. Passes when every workspace is
#            active, or failed with a reason; every run succeeded or failed; no step's effect happened twice (per
#            active workspace exactly 3 environments, 2 access relationships, 1 workspace.provisioned event, and one
#            dataplane effect: repeated calls after the crash carry the same Idempotency-Key).
#  database  starts DB_RUNS (10) creates, stops PostgreSQL while runs are in flight, checks that readiness goes DOWN
#            (liveness stays UP), starts PostgreSQL again, and checks that readiness comes back UP and every run
#            finishes with the same invariants, without restarting the service.
#
# Usage: deploy/faults/run.sh [crash|database|all]   (default all)
# Settings (environment):
#   ATRIUM_JAR=path/to/quarkus-run.jar   a production build (-Pprod); otherwise ./mvnw -B -Pprod package -DskipTests
#   RUNS=50 DB_RUNS=10 DATAPLANE_DELAY=3 (seconds per dataplane call) KILL_AFTER_RUNS=5 (runs finished before
#   the kill) FINISH_TIMEOUT=180
#   PG_BIN=/usr/lib/postgresql/15/bin    KEEP_WORKDIR=1 keeps logs and database
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCENARIO=${1:-all}
RUNS=${RUNS:-50}
DB_RUNS=${DB_RUNS:-10}
DATAPLANE_DELAY=${DATAPLANE_DELAY:-3}
KILL_AFTER_RUNS=${KILL_AFTER_RUNS:-5}
FINISH_TIMEOUT=${FINISH_TIMEOUT:-180}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
ATRIUM_JAR=${ATRIUM_JAR:-}

log() { printf '[faults %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
case $SCENARIO in crash|database|all) ;; *) die "usage: $0 [crash|database|all]" ;; esac
for tool in curl openssl java python3; do command -v "$tool" >/dev/null || die "missing $tool"; done
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
[[ -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL binaries (Debian: apt-get install postgresql)"
PSQL=$PG_BIN/psql

WORK=$(mktemp -d /tmp/atrium-faults.XXXXXX)
chmod 755 "$WORK"
SERVICE_PID="" DATAPLANE_PID="" PG_STARTED=0
PGDATA=$WORK/pg/data
as_pg() { if (( EUID == 0 )); then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [[ -n $SERVICE_PID ]] && kill -KILL "$SERVICE_PID" 2>/dev/null
    [[ -n $DATAPLANE_PID ]] && kill "$DATAPLANE_PID" 2>/dev/null
    (( PG_STARTED )) && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1
    if (( rc != 0 )) || [[ $KEEP_WORKDIR == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then printf '%s' "$port"; return 0; fi
    done
    die "no free port"
}

# ------------------------------------------------------------------------------------------------ PostgreSQL

PG_PORT=$(free_port)
DB_PASSWORD=$(openssl rand -hex 16)
mkdir -p "$WORK/pg"
printf '%s\n' "$DB_PASSWORD" > "$WORK/pg/pwfile"
(( EUID == 0 )) && chown -R postgres "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U atrium --pwfile="$WORK/pg/pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 || die "initdb failed"
pg_start() {
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/postgres.log" -w -t 60 \
        -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null || die "PostgreSQL did not start"
    PG_STARTED=1
}
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null; PG_STARTED=0; }
pg_start
export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=atrium PGPASSWORD=$DB_PASSWORD PGDATABASE=atrium
"$PSQL" -X -q -d postgres -c "create database atrium" >/dev/null
sql() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# ------------------------------------------------------------------------------------------------ build, keys

if [[ -n $ATRIUM_JAR ]]; then
    JAR=$ATRIUM_JAR
else
    log "building: ./mvnw -B -Pprod package -DskipTests"
    (cd "$ROOT" && ./mvnw -B -q -Pprod package -DskipTests) >"$WORK/build.log" 2>&1 || die "build failed"
    JAR=$ROOT/target/quarkus-app/quarkus-run.jar
fi
[[ -f $JAR ]] || die "no jar at $JAR"
if compgen -G "$(dirname "$JAR")/lib/*/*embedded-postgres*" >/dev/null; then die "$JAR is not a -Pprod build"; fi

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/jwt-private.pem" 2>/dev/null
openssl pkey -in "$WORK/jwt-private.pem" -pubout -out "$WORK/jwt-public.pem"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
NOW=$(date +%s)
HEADER=$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | b64url)
CLAIMS=$(printf '{"iss":"https://auth.atrium.local","aud":"atrium","sub":"fault-user","email":"fault-user@example.com","email_verified":true,"name":"Fault User","iat":%d,"exp":%d}' \
    "$NOW" $(( NOW + 7200 )) | b64url)
TOKEN=$HEADER.$CLAIMS.$(printf '%s.%s' "$HEADER" "$CLAIMS" | openssl dgst -sha256 -sign "$WORK/jwt-private.pem" -binary | b64url)

DP_PORT=$(free_port)
python3 "$HERE/fake_dataplane.py" "$DP_PORT" "$WORK/dataplane-calls.log" "$DATAPLANE_DELAY" &
DATAPLANE_PID=$!
touch "$WORK/dataplane-calls.log"

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
PEPPER=$(openssl rand -hex 32)
SEAL=$(openssl rand -base64 32)
START=0
start_service() {
    START=$(( START + 1 ))
    (cd "$WORK" && exec env ATRIUM_MIGRATE_AT_START=true \
        ATRIUM_DB_REACTIVE_URL="postgresql://127.0.0.1:$PG_PORT/atrium" \
        ATRIUM_DB_JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/atrium" \
        ATRIUM_DB_USER=atrium ATRIUM_DB_PASSWORD="$DB_PASSWORD" \
        ATRIUM_JWT_PUBLIC_KEY_LOCATION="$WORK/jwt-public.pem" \
        ATRIUM_CELL_REGION=us-east-1 ATRIUM_CELL_BASE_URL="$BASE" \
        ATRIUM_API_KEY_PEPPER="$PEPPER" ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY="$SEAL" \
        ATRIUM_LIMITS_MAX_JOINED_WORKSPACES=100000 \
        ATRIUM_DATAPLANE_URL="http://127.0.0.1:$DP_PORT" \
        ATRIUM_PROVISIONING_LEASE=15s ATRIUM_PROVISIONING_WORKER_EVERY=1s \
        ATRIUM_PROVISIONING_BACKOFF_BASE=200ms ATRIUM_PROVISIONING_BACKOFF_MAX=2s \
        ATRIUM_PROVISIONING_MAX_ATTEMPTS=30 \
        QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$APP_PORT" \
        java -jar "$JAR") >"$WORK/service-$START.log" 2>&1 &
    SERVICE_PID=$!
    for _ in $(seq 1 600); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/q/health/ready" || true) == 200 ]] && return 0
        kill -0 "$SERVICE_PID" 2>/dev/null || { tail -n 30 "$WORK/service-$START.log" >&2; die "the service exited"; }
        sleep 0.1
    done
    die "the service did not become ready"
}

create_workspaces() { # count prefix -> ids of the workspaces answered 202 on stdout
    local i f pids=()
    for i in $(seq 1 "$1"); do
        curl -s --max-time 30 -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
            -d "{\"name\":\"$2 $i\"}" "$BASE/v1/workspaces" -o "$WORK/create-$2-$i.json" &
        pids+=($!)
        if (( ${#pids[@]} == 10 )); then wait "${pids[@]}" || true; pids=(); fi
    done
    (( ${#pids[@]} == 0 )) || wait "${pids[@]}" || true
    for f in "$WORK"/create-"$2"-*.json; do
        [[ -f $f ]] && grep -o '"id":"ws_[0-9A-Za-z]*"' "$f" | head -n 1 | cut -d'"' -f4
    done
    return 0
}

await_finished() { # prefix
    local deadline=$(( $(date +%s) + FINISH_TIMEOUT )) open
    while :; do
        open=$(sql "select count(*) from provisioning_runs r join workspaces w on w.id = r.workspace_id
                     where w.name like '$1 %' and r.status not in ('succeeded', 'failed')" 2>/dev/null || echo "?")
        [[ $open == 0 ]] && return 0
        (( $(date +%s) > deadline )) && die "$open runs of '$1' still unfinished after ${FINISH_TIMEOUT}s"
        sleep 0.5
    done
}

check_invariants() { # prefix expected-count
    local total bad
    total=$(sql "select count(*) from workspaces where name like '$1 %'")
    [[ $total == "$2" ]] || die "$1: $total workspaces exist, expected $2"
    bad=$(sql "select count(*) from workspaces where name like '$1 %'
                and not (status = 'active' or (status = 'failed' and failure_reason is not null))")
    [[ $bad == 0 ]] || die "$1: $bad workspaces neither active nor failed with a reason"
    bad=$(sql "select count(*) from workspaces w where w.name like '$1 %' and w.status = 'active' and (
                 (select count(*) from environments e where e.workspace_id = w.id) <> 3
              or (select count(*) from access_relationships a where a.workspace_id = w.id) <> 2
              or (select count(*) from events v where v.workspace_id = w.id and v.type = 'workspace.provisioned') <> 1)")
    [[ $bad == 0 ]] || die "$1: $bad active workspaces whose local steps took effect more than once or not at all"
    local ids effects repeats
    ids=$(sql "select id from workspaces where name like '$1 %' and status = 'active'")
    for id in $ids; do
        effects=$(awk -v id="$id" '$1 == "PUT" && $2 == id { print $3 }' "$WORK/dataplane-calls.log" | sort -u | wc -l)
        [[ $effects == 1 ]] || die "$1: workspace $id had $effects distinct dataplane provisions"
    done
    repeats=$(awk '$1 == "PUT" { n[$3]++ } END { r = 0; for (k in n) if (n[k] > 1) r++; print r }' "$WORK/dataplane-calls.log")
    local retried
    retried=$(sql "select count(*) from provisioning_steps s join provisioning_runs r on r.id = s.run_id
                    join workspaces w on w.id = r.workspace_id where w.name like '$1 %' and s.attempts > 1")
    log "$1: $total workspaces: $(sql "select count(*) from workspaces where name like '$1 %' and status = 'active'") active," \
        "$(sql "select count(*) from workspaces where name like '$1 %' and status = 'failed'") failed;" \
        "$retried steps needed more than one attempt; $repeats dataplane keys were sent again and recognised"
}

start_service
# The user's personal organization is made by the first create; made here, alone, the measured creates do not race.
curl -s -o /dev/null --max-time 30 -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Warm-up"}' "$BASE/v1/workspaces"

if [[ $SCENARIO == crash || $SCENARIO == all ]]; then
    log "crash: $RUNS creates, then SIGKILL once the first runs have finished"
    create_workspaces "$RUNS" "Crash" > "$WORK/crash-ids.txt"
    accepted=$(wc -l < "$WORK/crash-ids.txt")
    (( accepted == RUNS )) || die "only $accepted of $RUNS creates were accepted"
    for _ in $(seq 1 300); do
        done_runs=$(sql "select count(*) from provisioning_runs r join workspaces w on w.id = r.workspace_id
                          where w.name like 'Crash %' and r.status = 'succeeded'")
        (( done_runs >= KILL_AFTER_RUNS )) && break
        sleep 0.05
    done
    kill -KILL "$SERVICE_PID"
    wait "$SERVICE_PID" 2>/dev/null || true
    inflight=$(sql "select count(*) from provisioning_runs where status not in ('succeeded', 'failed')")
    log "killed: $accepted creates were answered 202, $inflight runs unfinished in the database"
    (( inflight > 0 )) || die "no run was in flight at the kill: lower KILL_AFTER_RUNS or raise DATAPLANE_DELAY"
    start_service
    await_finished "Crash"
    check_invariants "Crash" "$RUNS"
    missing=$(comm -23 <(sort "$WORK/crash-ids.txt") <(sql "select id from workspaces where name like 'Crash %'" | sort) | wc -l)
    [[ $missing == 0 ]] || die "$missing workspaces answered 202 are missing"
    log "crash: passed"
fi

if [[ $SCENARIO == database || $SCENARIO == all ]]; then
    log "database: $DB_RUNS creates, PostgreSQL stopped while they run"
    create_workspaces "$DB_RUNS" "Outage" > "$WORK/outage-ids.txt"
    pg_stop
    log "PostgreSQL stopped"
    down=0
    for _ in $(seq 1 150); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$BASE/q/health/ready" || true) == 503 ]] && { down=1; break; }
        sleep 0.1
    done
    (( down )) || die "readiness did not go DOWN without the database"
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$BASE/q/health/live") == 200 ]] || die "liveness went DOWN"
    log "readiness DOWN, liveness UP; waiting 16 s (longer than a lease) before starting PostgreSQL again"
    sleep 16
    pg_start
    up=0
    for _ in $(seq 1 300); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$BASE/q/health/ready" || true) == 200 ]] && { up=1; break; }
        sleep 0.1
    done
    (( up )) || die "readiness did not come back UP"
    log "readiness UP again (same process: pid $SERVICE_PID)"
    await_finished "Outage"
    kill -0 "$SERVICE_PID" 2>/dev/null || die "the service died"
    check_invariants "Outage" "$DB_RUNS"
    log "database: passed"
fi
log "all passed"
