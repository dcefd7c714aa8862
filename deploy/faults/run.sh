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
#  overload  OVERLOAD_CONNECTIONS (512) wrk connections for OVERLOAD_SECONDS (20) against GET /v1/workspaces, served by
#            a pool of 20 connections; clients wait as a 503's Retry-After asks (HONOR_RETRY_AFTER=0: they send again
#            at once). Passes when every request is answered within OVERLOAD_BOUND seconds (5) with 200, or 503
#            service_unavailable with Retry-After; no connection is dropped; liveness, probed every second with the
#            chart's 2 s timeout, never fails 3 times in a row (the chart's restart threshold); and right after,
#            readiness is UP within 3 s and the next 20 requests are answered 200 within a second each.
#  shutdown  SHUTDOWN_CONNECTIONS (16) wrk connections on GET /v1/workspaces, SIGTERM, and 5 creates that wait for their
#            provisioning (Prefer: wait) sent just before the delay ends, so that they are in flight when the drain
#            starts; the load stops 2 s into the drain, as a load balancer that has taken the instance out would. Passes
#            when readiness is DOWN within a second while a new connection is still served, every request that got an
#            answer got a 2xx, no request lost its answer (wrk read, write or timeout errors), every create is answered
#            2xx, the process exits within its shutdown delay plus drain timeout (plus SHUTDOWN_SPARE, 5 s), and the
#            port refuses connections after that.
#
# Usage: deploy/faults/run.sh [crash|database|overload|shutdown|all]   (default all; shutdown runs last: it stops
# the service)
# Settings (environment):
#   ATRIUM_JAR=path/to/quarkus-run.jar   a production build (-Pprod); otherwise ./mvnw -B -Pprod package -DskipTests
#   RUNS=50 DB_RUNS=10 DATAPLANE_DELAY=3 (seconds per dataplane call) KILL_AFTER_RUNS=5 (runs finished before
#   the kill) FINISH_TIMEOUT=180
#   OVERLOAD_CONNECTIONS=512 OVERLOAD_SECONDS=20 OVERLOAD_BOUND=5 HONOR_RETRY_AFTER=1 SHUTDOWN_CONNECTIONS=16
#   SHUTDOWN_DELAY=5 SHUTDOWN_TIMEOUT=20 (seconds; the service's ATRIUM_SHUTDOWN_DELAY and ATRIUM_SHUTDOWN_TIMEOUT)
#   PG_BIN=/usr/lib/postgresql/15/bin    KEEP_WORKDIR=1 keeps logs and database
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOG_TAG=faults DIE_WORD=FAILED
# shellcheck source=../lib.sh
source "$ROOT/deploy/lib.sh"

SCENARIO=${1:-all}
RUNS=${RUNS:-50}
DB_RUNS=${DB_RUNS:-10}
DATAPLANE_DELAY=${DATAPLANE_DELAY:-3}
KILL_AFTER_RUNS=${KILL_AFTER_RUNS:-5}
FINISH_TIMEOUT=${FINISH_TIMEOUT:-180}
OVERLOAD_CONNECTIONS=${OVERLOAD_CONNECTIONS:-512}
OVERLOAD_SECONDS=${OVERLOAD_SECONDS:-20}
OVERLOAD_BOUND=${OVERLOAD_BOUND:-5}
HONOR_RETRY_AFTER=${HONOR_RETRY_AFTER:-1}
SHUTDOWN_CONNECTIONS=${SHUTDOWN_CONNECTIONS:-16}
SHUTDOWN_DELAY=${SHUTDOWN_DELAY:-5}
SHUTDOWN_TIMEOUT=${SHUTDOWN_TIMEOUT:-20}
SHUTDOWN_SPARE=${SHUTDOWN_SPARE:-5}
ATRIUM_JAR=${ATRIUM_JAR:-}

case $SCENARIO in crash|database|overload|shutdown|all) ;; *) die "usage: $0 [crash|database|overload|shutdown|all]" ;; esac
runs() { [[ $SCENARIO == "$1" || $SCENARIO == all ]]; }
for tool in curl openssl java python3; do command -v "$tool" >/dev/null || die "missing $tool"; done
if runs overload || runs shutdown; then command -v wrk >/dev/null || die "missing wrk (Debian: apt-get install wrk)"; fi
PG_BIN=${PG_BIN:-$(newest_pg_bin)}
[[ -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL binaries (Debian: apt-get install postgresql)"

SERVICE_PID="" DATAPLANE_PID=""
before_exit() {
    [[ -n $SERVICE_PID ]] && { kill -KILL "$SERVICE_PID"; wait "$SERVICE_PID"; } 2>/dev/null
    [[ -n $DATAPLANE_PID ]] && { kill "$DATAPLANE_PID"; wait "$DATAPLANE_PID"; } 2>/dev/null
}
work_dir_open atrium-faults

# ------------------------------------------------------------------------------------------------ PostgreSQL

pg_init
pg_start
pg_create_database atrium
pg_client_env

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

jwt_keys "$WORK"
TOKEN=$(jwt_user_token "$WORK/jwt-private.pem" fault-user fault-user@example.com "Fault User" 7200)

DP_PORT=$(free_port)
python3 "$HERE/fake_dataplane.py" "$DP_PORT" "$WORK/dataplane-calls.log" "$DATAPLANE_DELAY" &
DATAPLANE_PID=$!
touch "$WORK/dataplane-calls.log"

APP_PORT=$(free_port)
BASE=http://127.0.0.1:$APP_PORT
service_env "$PG_PORT" "$DB_PASSWORD" "$WORK/jwt-public.pem" "$BASE"
SERVICE_ENV+=(
    ATRIUM_MIGRATE_AT_START=true
    ATRIUM_CELL_REGION=us-east-1
    ATRIUM_LIMITS_MAX_JOINED_WORKSPACES=100000
    ATRIUM_DATAPLANE_URL="http://127.0.0.1:$DP_PORT"
    ATRIUM_PROVISIONING_LEASE=15s ATRIUM_PROVISIONING_WORKER_EVERY=1s
    ATRIUM_PROVISIONING_BACKOFF_BASE=200ms ATRIUM_PROVISIONING_BACKOFF_MAX=2s
    ATRIUM_PROVISIONING_MAX_ATTEMPTS=30
    ATRIUM_DB_POOL_SIZE=20
    ATRIUM_SHUTDOWN_DELAY="${SHUTDOWN_DELAY}s" ATRIUM_SHUTDOWN_TIMEOUT="${SHUTDOWN_TIMEOUT}s"
)
START=0
start_service() {
    START=$(( START + 1 ))
    (cd "$WORK" && exec env "${SERVICE_ENV[@]}" java -jar "$JAR") >"$WORK/service-$START.log" 2>&1 &
    SERVICE_PID=$!
    for _ in $(seq 1 600); do
        [[ $(http_status --max-time 2 "$BASE/q/health/ready") == 200 ]] && return 0
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

if runs crash; then
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

if runs database; then
    log "database: $DB_RUNS creates, PostgreSQL stopped while they run"
    create_workspaces "$DB_RUNS" "Outage" > "$WORK/outage-ids.txt"
    pg_stop
    log "PostgreSQL stopped"
    down=0
    for _ in $(seq 1 150); do
        [[ $(http_status --max-time 3 "$BASE/q/health/ready") == 503 ]] && { down=1; break; }
        sleep 0.1
    done
    (( down )) || die "readiness did not go DOWN without the database"
    [[ $(http_status --max-time 3 "$BASE/q/health/live") == 200 ]] || die "liveness went DOWN"
    log "readiness DOWN, liveness UP; waiting 16 s (longer than a lease) before starting PostgreSQL again"
    sleep 16
    pg_start
    up=0
    for _ in $(seq 1 300); do
        [[ $(http_status --max-time 3 "$BASE/q/health/ready") == 200 ]] && { up=1; break; }
        sleep 0.1
    done
    (( up )) || die "readiness did not come back UP"
    log "readiness UP again (same process: pid $SERVICE_PID)"
    await_finished "Outage"
    kill -0 "$SERVICE_PID" 2>/dev/null || die "the service died"
    check_invariants "Outage" "$DB_RUNS"
    log "database: passed"
fi

# ------------------------------------------------------------------------------------------------ load

load() { # name connections seconds timeout-seconds: GET /v1/workspaces under wrk, counted by load.lua
    FAULT_TOKEN=$TOKEN FAULT_PATH=/v1/workspaces FAULT_REPORT=$WORK/load-$1.txt FAULT_HONOR_RETRY_AFTER=$HONOR_RETRY_AFTER \
        timeout $(( $3 + 60 )) wrk -t2 -c"$2" -d"$3s" --timeout "$4s" -s "$HERE/load.lua" "$BASE" \
        > "$WORK/wrk-$1.txt" 2>&1 || { cat "$WORK/wrk-$1.txt" >&2; die "wrk $1 failed"; }
}
figure() { # name key [field]: a line of load-<name>.txt
    awk -v k="$2" -v f="${3:-2}" '$1 == k { print $f; found = 1 } END { if (!found) print 0 }' "$WORK/load-$1.txt"
}
statuses() { # name: "200 x 503 y ..."
    awk '$1 == "status" { printf "%s%s: %s", sep, $2, $3; sep = ", " }' "$WORK/load-$1.txt"
}
non_2xx() { # name
    awk '$1 == "status" && ($2 < 200 || $2 > 299) { n += $3 } END { print n + 0 }' "$WORK/load-$1.txt"
}
lost() { # name: requests sent that got no answer (read, write and timeout errors)
    awk '$1 == "errors" { print $3 + $4 + $5 }' "$WORK/load-$1.txt"
}

if runs overload; then
    kill -0 "$SERVICE_PID" 2>/dev/null || start_service
    log "overload: $OVERLOAD_CONNECTIONS connections for ${OVERLOAD_SECONDS}s on GET /v1/workspaces, a pool of 20;" \
        "clients $( (( HONOR_RETRY_AFTER )) && echo "wait as Retry-After asks" || echo "send again at once");" \
        "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    : > "$WORK/overload-live.txt"
    : > "$WORK/overload-ready.txt"
    load overload "$OVERLOAD_CONNECTIONS" "$OVERLOAD_SECONDS" "$OVERLOAD_BOUND" &
    LOAD_PID=$!
    sleep 1
    # Probed as the chart's probes do (2 s timeout; liveness restarts the pod after 3 failures in a row).
    while kill -0 "$LOAD_PID" 2>/dev/null; do
        http_status --max-time 2 "$BASE/q/health/live" >> "$WORK/overload-live.txt"; echo >> "$WORK/overload-live.txt"
        http_status --max-time 2 "$BASE/q/health/ready" >> "$WORK/overload-ready.txt"; echo >> "$WORK/overload-ready.txt"
        sleep 1
    done
    wait "$LOAD_PID" || die "the overload load failed"
    after_start=$(date +%s%N)
    # Waits still queued when the load stops give up within the acquisition timeout (1 s).
    ready_after=000
    for _ in $(seq 1 30); do
        ready_after=$(http_status --max-time 1 "$BASE/q/health/ready")
        [[ $ready_after == 200 ]] && break
        sleep 0.1
    done
    [[ $ready_after == 200 ]] || die "readiness is not UP within 3 s after the load"
    ready_ms=$(( ($(date +%s%N) - after_start) / 1000000 ))
    slowest_after=0
    for _ in $(seq 1 20); do
        t0=$(date +%s%N)
        code=$(http_status --max-time 1 -H "Authorization: Bearer $TOKEN" "$BASE/v1/workspaces")
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        (( ms > slowest_after )) && slowest_after=$ms
        [[ $code == 200 ]] || die "GET /v1/workspaces answered $code right after the load"
    done
    kill -0 "$SERVICE_PID" 2>/dev/null || die "the service died"

    live_checks=$(grep -c . "$WORK/overload-live.txt")
    live_failed=$(grep -vc '^200$' "$WORK/overload-live.txt" || true)
    live_failed_in_a_row=$(awk '$1 != 200 { run++; if (run > max) max = run; next } { run = 0 } END { print max + 0 }' \
        "$WORK/overload-live.txt")
    ready_down=$(grep -vc '^200$' "$WORK/overload-ready.txt" || true)
    others=$(awk '$1 == "status" && $2 != 200 && $2 != 503 { n += $3 } END { print n + 0 }' "$WORK/load-overload.txt")
    log "overload: $(figure overload requests) answers ($(statuses overload)) in ${OVERLOAD_SECONDS}s, p50" \
        "$(figure overload latency_p50_ms) ms, p99 $(figure overload latency_p99_ms) ms, slowest $(figure overload latency_max_ms) ms;" \
        "errors connect/read/write/timeout: $(figure overload errors 2)/$(figure overload errors 3)/$(figure overload errors 4)/$(figure overload errors 5);" \
        "liveness answered 200 within 2 s to $(( live_checks - live_failed )) of $live_checks probes (at most" \
        "$live_failed_in_a_row failed in a row), readiness DOWN in $ready_down of $(grep -c . "$WORK/overload-ready.txt");" \
        "after the load: readiness UP after $ready_ms ms, then 20 GETs answered 200 (slowest $slowest_after ms)"
    (( others == 0 )) || die "overload: $others answers neither 200 nor 503"
    (( $(figure overload retry_after_missing) == 0 )) || die "overload: 503 answers without Retry-After"
    (( $(figure overload not_problem_503) == 0 )) || die "overload: 503 answers that are not service_unavailable problems"
    [[ $(figure overload errors 2) == 0 && $(lost overload) == 0 ]] \
        || die "overload: connections refused or dropped, or requests unanswered within ${OVERLOAD_BOUND}s"
    (( $(figure overload latency_max_ms) <= OVERLOAD_BOUND * 1000 )) || die "overload: an answer took longer than ${OVERLOAD_BOUND}s"
    (( live_failed_in_a_row < 3 )) || die "overload: liveness failed $live_failed_in_a_row times in a row"
    (( slowest_after < 1000 )) || die "overload: a request took ${slowest_after} ms right after the load"
    log "overload: passed"
fi

if runs shutdown; then
    kill -0 "$SERVICE_PID" 2>/dev/null || start_service
    budget=$(( SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT ))
    log "shutdown: $SHUTDOWN_CONNECTIONS connections on GET /v1/workspaces, SIGTERM, 5 creates that wait for their" \
        "provisioning sent just before the delay ends; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    # The load stands for clients behind a load balancer: it goes on through the delay, while the balancer has not
    # yet taken the instance out, and 2 s into the drain (answered with Connection: close), then stops. Connections
    # it opens after the port has closed are refused (connect errors), which is allowed.
    load shutdown "$SHUTDOWN_CONNECTIONS" $(( 2 + SHUTDOWN_DELAY + 2 )) 10 &
    LOAD_PID=$!
    sleep 2
    t_term=$(date +%s%N)
    kill -TERM "$SERVICE_PID"
    down_ms=""
    for _ in $(seq 1 100); do
        if [[ $(http_status --max-time 1 "$BASE/q/health/ready") == 503 ]]; then
            down_ms=$(( ($(date +%s%N) - t_term) / 1000000 ))
            break
        fi
        sleep 0.01
    done
    [[ -n $down_ms ]] || die "shutdown: readiness did not go DOWN after SIGTERM"
    # Until the delay is over, a client the balancer still sends here gets its new connection served.
    during=$(http_status --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/v1/workspaces")
    # Requests that take seconds (each waits for its provisioning, a dataplane call of DATAPLANE_DELAY s), accepted
    # before the delay ends and still running when the drain starts: they must be answered before the exit.
    sleep_ms=$(( SHUTDOWN_DELAY * 1000 - 1000 - ($(date +%s%N) - t_term) / 1000000 ))
    (( sleep_ms > 0 )) && sleep "$(awk -v ms="$sleep_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    waits=()
    for i in 1 2 3 4 5; do
        curl -s -o "$WORK/shutdown-wait-$i.json" -w '%{http_code}' --max-time $(( budget + 10 )) -X POST \
            -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Prefer: wait=10' \
            -d "{\"name\":\"Shutdown $i\"}" "$BASE/v1/workspaces" > "$WORK/shutdown-wait-$i.status" &
        waits+=($!)
    done
    exited=0
    for _ in $(seq 1 $(( (budget + SHUTDOWN_SPARE) * 20 ))); do
        kill -0 "$SERVICE_PID" 2>/dev/null || { exited=1; break; }
        sleep 0.05
    done
    exit_ms=$(( ($(date +%s%N) - t_term) / 1000000 ))
    (( exited )) || die "shutdown: the service was still running $(( budget + SHUTDOWN_SPARE ))s after SIGTERM"
    exit_code=0
    wait "$SERVICE_PID" || exit_code=$?
    SERVICE_PID=""
    refused=$(http_status --max-time 2 "$BASE/q/health/live")
    wait "${waits[@]}" || true
    wait "$LOAD_PID" || die "the shutdown load failed"
    wait_codes=$(for f in "$WORK"/shutdown-wait-*.status; do printf '%s ' "$(cat "$f")"; done)
    log "shutdown: readiness DOWN ${down_ms} ms after SIGTERM; a new connection then answered $during; exit $exit_code" \
        "${exit_ms} ms after SIGTERM (delay ${SHUTDOWN_DELAY}s, then drain up to ${SHUTDOWN_TIMEOUT}s); then the port" \
        "answered $refused; load: $(figure shutdown requests) answers ($(statuses shutdown)), errors" \
        "connect/read/write/timeout: $(figure shutdown errors 2)/$(figure shutdown errors 3)/$(figure shutdown errors 4)/$(figure shutdown errors 5);" \
        "waiting creates sent at the end of the delay answered: $wait_codes"
    (( down_ms <= 1000 )) || die "shutdown: readiness took ${down_ms} ms to go DOWN"
    [[ $during == 200 ]] || die "shutdown: a new connection during the delay answered $during"
    [[ $refused == 000 ]] || die "shutdown: the port still answered after the exit ($refused)"
    (( $(non_2xx shutdown) == 0 )) || die "shutdown: $(non_2xx shutdown) answers were not 2xx"
    (( $(lost shutdown) == 0 )) || die "shutdown: $(lost shutdown) requests lost their answer"
    for f in "$WORK"/shutdown-wait-*.status; do
        [[ $(cat "$f") == 2?? ]] || die "shutdown: a create in flight at the drain answered '$(cat "$f")'"
    done
    log "shutdown: passed"
fi
log "all passed"
