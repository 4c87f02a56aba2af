#!/usr/bin/env bash
# Smoke test of the brevo-sync Docker image (issue #10): builds it, then proves with real
# containers what the Dockerfile and docker-compose.yml promise. One PASS/FAIL line per check,
# exit status 1 if any failed.
#
#   a  the dependency layer is reused after a source change (only the source layers rebuild)
#   b  the process runs as uid 10001 and PID 1 is tini
#   c  on SQLite in /data: `run` against the Brevo sandbox turns healthy, the image's own
#      HEALTHCHECK command passes, /data/brevo_sync.db is written by the non-root user
#   d  `docker stop -t 10` exits 0 within 10 s; the logs are JSON lines with job
#      names and run ids
#   e  on PostgreSQL: `db upgrade` exits 0; two `run` replicas stay healthy and run each
#      scheduled job once; both stop with exit 0
#   f  docker-compose.yml is valid and has the structure the image needs
#
# Usage: ops/docker/smoke.sh            (from anywhere; needs docker, the project's .venv)
#   IMAGE=brevo-sync:check   image tag to build and test
#   NO_CACHE=1               build from nothing (the cold build time)
#   PG_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/test   a server where we may create and
#                            drop a database; SKIP_PG=1 leaves check e out
#   PYTHON=.venv/bin/python  the interpreter that runs the sandbox on the host
# Containers use --network host (the verification machine's dockerd runs --bridge=none), so
# every HTTP side gets a free port of its own and HEALTHCHECK_URL tells the healthcheck.
# Everything started here (containers, volumes, the sandbox, the database, temp dirs) is
# removed on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=${IMAGE:-brevo-sync:check}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/test}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
TAG=brevo-smoke-$$
WORK=$(mktemp -d /tmp/brevo-smoke.XXXXXX)
SANDBOX_PID=
PG_DB=
FAILED=0
RESULTS=()

say() { printf '%s\n' "$*" >&2; }
result() {  # result PASS|FAIL|SKIP "text"
    RESULTS+=("$1 $2")
    printf '%s %s\n' "$1" "$2"
    [[ $1 == FAIL ]] && FAILED=1
    return 0
}
check() {  # check "text" command...: PASS if the command succeeds
    local text=$1
    shift
    if "$@"; then result PASS "$text"; else result FAIL "$text"; fi
}

cleanup() {
    local ids
    ids=$(docker ps -aq --filter "label=$TAG")
    [[ -n $ids ]] && docker rm -f -v $ids >/dev/null 2>&1
    docker image rm "$IMAGE-srcchange-$$" >/dev/null 2>&1
    [[ -n $SANDBOX_PID ]] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
    if [[ -n $PG_DB ]]; then
        pg_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
            say "could not drop database $PG_DB"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_admin() {  # one statement in autocommit on the admin URL; prints the rows
    "$PYTHON" - "$PG_ADMIN_URL" "$1" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1].replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
    cur = conn.execute(sys.argv[2])
    if cur.description:
        for row in cur.fetchall():
            print("|".join(map(str, row)))
PY
}

wait_for() {  # wait_for SECONDS command...
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS >= deadline)) && return 1
        sleep 0.5
    done
}

health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null; }
is_healthy() { [[ $(health "$1") == healthy ]]; }
running() { [[ $(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }
wait_healthy() {  # wait_healthy SECONDS CONTAINER...: all healthy; gives up early if one exits
    local deadline=$((SECONDS + $1)) c all
    shift
    while ((SECONDS < deadline)); do
        all=1
        for c in "$@"; do
            running "$c" || return 1
            is_healthy "$c" || all=0
        done
        ((all)) && return 0
        sleep 0.5
    done
    return 1
}

# `docker run -d` of a `run` replica: run_worker NAME PORT [docker options...]
run_worker() {
    local name=$1 port=$2
    shift 2
    docker run -d --name "$name" --label "$TAG" --network host \
        -e BREVO_API_KEY="$SANDBOX_KEY" -e BREVO_BASE_URL="$SANDBOX_URL" \
        -e HEALTHCHECK_URL="http://127.0.0.1:$port/healthz" \
        --health-interval=2s --health-start-period=60s \
        "$@" "$IMAGE" run --host 127.0.0.1 --port "$port" >/dev/null
}

# The container's stop: seconds it took and its exit code, "SECONDS EXIT".
timed_stop() {
    local start end
    start=$(date +%s.%N)
    docker stop -t 10 "$1" >/dev/null
    end=$(date +%s.%N)
    printf '%.2f %s\n' "$(echo "$end - $start" | bc)" "$(docker inspect -f '{{.State.ExitCode}}' "$1")"
}

dump_on_failure() {  # the container's logs and health log, for a failed check
    say "---- $1: state $(docker inspect -f '{{.State.Status}} exit={{.State.ExitCode}}' "$1" 2>/dev/null)"
    docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}{{end}}' "$1" >&2 2>/dev/null
    docker logs --tail 30 "$1" 2>&1 | sed 's/^/    /' >&2
}

# ---------------------------------------------------------------------------------- build
if ! docker image inspect python:3.11-slim >/dev/null 2>&1; then
    say "python:3.11-slim is missing (no Docker Hub here?): building the stand-in base"
    "$ROOT/ops/docker/standin-base.sh" >"$WORK/standin.log" 2>&1 ||
        { cat "$WORK/standin.log" >&2; result FAIL "stand-in python:3.11-slim"; exit 1; }
fi

say "building $IMAGE from $ROOT${NO_CACHE:+ (no cache)}"
start=$SECONDS
if ! docker build --network host ${NO_CACHE:+--no-cache} -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1; then
    tail -40 "$WORK/build.log" >&2
    result FAIL "docker build $IMAGE"
    exit 1
fi
BUILD_SECONDS=$((SECONDS - start))
SIZE=$(docker image inspect -f '{{.Size}}' "$IMAGE")
result PASS "build: $IMAGE in ${BUILD_SECONDS} s${NO_CACHE:+ (cold, --no-cache)}, $((SIZE / 1000000)) MB"

# ---------------------------------------------------------------------------- a. layers
# The same context in a temp dir with one comment line added to a module: the pip layer
# must come from the cache, and the change must reach the image.
CTX=$WORK/context
mkdir -p "$CTX"
cp -a "$ROOT/Dockerfile" "$ROOT/.dockerignore" "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/src" "$CTX/"
find "$CTX/src" -name __pycache__ -prune -exec rm -rf {} +
MARK="# smoke $$ $(date +%s)"
echo "$MARK" >>"$CTX/src/brevo_sync/__init__.py"
start=$SECONDS
docker build --network host -t "$IMAGE-srcchange-$$" "$CTX" >"$WORK/build2.log" 2>&1
rc=$?
WARM_SECONDS=$((SECONDS - start))
layer_of() {  # the image layer made by the Dockerfile step whose command contains $2
    docker history --no-trunc --format '{{.ID}} {{.CreatedBy}}' "$1" | grep -F -- "$2" | head -1 | cut -d' ' -f1
}
if ((rc != 0)); then
    tail -30 "$WORK/build2.log" >&2
    result FAIL "a. rebuild after a source change"
else
    # Legacy builder: "Step n : RUN ... pip install . ..." then " ---> Using cache";
    # BuildKit: "CACHED [n/m] RUN ... pip install . ...".
    cached_msg=$(awk '/pip uninstall -y brevo-sync/ {hit=1; if (/CACHED/) {print "CACHED"; exit}; next}
                      hit && /Using cache/ {print "Using cache"; exit}
                      hit && /^Step |^#/ {exit}' "$WORK/build2.log")
    deps_before=$(layer_of "$IMAGE" "pip uninstall -y brevo-sync")
    deps_after=$(layer_of "$IMAGE-srcchange-$$" "pip uninstall -y brevo-sync")
    src_before=$(layer_of "$IMAGE" "pip install --no-deps")
    src_after=$(layer_of "$IMAGE-srcchange-$$" "pip install --no-deps")
    seen=$(docker run --rm --network host --entrypoint python "$IMAGE-srcchange-$$" -c \
        'import brevo_sync, pathlib; print(pathlib.Path(brevo_sync.__file__).read_text().splitlines()[-1])')
    if [[ -n $cached_msg && -n $deps_before && $deps_before == "$deps_after" &&
        $src_before != "$src_after" && $seen == "$MARK" ]]; then
        result PASS "a. source change: pip install-dependencies step '$cached_msg' (layer ${deps_after:7:12} reused), source layer rebuilt (${src_before:7:12} -> ${src_after:7:12}), rebuild ${WARM_SECONDS} s"
    else
        result FAIL "a. source change: cache='$cached_msg' deps ${deps_before:7:12}/${deps_after:7:12} src ${src_before:7:12}/${src_after:7:12} seen='$seen'"
    fi
fi

# ----------------------------------------------------------------------------- sandbox
"$PYTHON" -m brevo_sync sandbox --port 0 --deals 400 --seed 7 --api-key "smoke-key-$$" \
    >"$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
wait_for 30 grep -q 'Brevo sandbox at' "$WORK/sandbox.log" ||
    { cat "$WORK/sandbox.log" >&2; result FAIL "sandbox started"; exit 1; }
SANDBOX_URL=$(grep -o 'http://[^ ]*/v3' "$WORK/sandbox.log" | head -1)
SANDBOX_ROOT=${SANDBOX_URL%/v3}
SANDBOX_KEY=smoke-key-$$
say "sandbox at $SANDBOX_URL"

# ------------------------------------------------------------------- b, c, d. SQLite
C1=$TAG-sqlite
P1=$(free_port)
run_worker "$C1" "$P1"
if wait_healthy 90 "$C1"; then
    result PASS "c. sqlite: container $(health "$C1") (Docker HEALTHCHECK, http side on 127.0.0.1:$P1)"
else
    result FAIL "c. sqlite: container health '$(health "$C1")'"
    dump_on_failure "$C1"
fi

# b. who runs it
uid=$(docker exec "$C1" id -u 2>&1)
pid1=$(docker exec "$C1" cat /proc/1/cmdline 2>&1 | tr '\0' ' ' | sed 's/ $//')
# Every process in the container, not only the exec'd one: "pid uid cmdline" lines.
procs=$(docker exec "$C1" python -c '
import os
for p in sorted(int(d) for d in os.listdir("/proc") if d.isdigit()):
    try:
        uid = next(l.split()[1] for l in open(f"/proc/{p}/status") if l.startswith("Uid:"))
        cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode().strip()
    except OSError:
        continue
    print(p, uid, cmd)' 2>&1)
daemon_uid=$(awk '$3 ~ /python/ && $0 ~ /brevo-sync run/ {print $2; exit}' <<<"$procs")
check "b. uid: docker exec id -u = $uid, the brevo-sync run process uid = ${daemon_uid:-?}" \
    test "$uid" = 10001 -a "${daemon_uid:-}" = 10001
check "b. PID 1 is tini: '$pid1'" [ "${pid1%% *}" = /usr/bin/tini ]

# c. the image's own HEALTHCHECK command, as written in the Dockerfile, run by hand
hc_json=$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE")
mapfile -t hc < <("$PYTHON" -c 'import json, sys; t = json.loads(sys.argv[1]); assert t[0] == "CMD", t; print("\n".join(t[1:]))' "$hc_json")
hc_out=$(docker exec "$C1" "${hc[@]}" 2>&1)
check "c. the Dockerfile's HEALTHCHECK command exits 0 via docker exec${hc_out:+ ($hc_out)}" \
    docker exec "$C1" "${hc[@]}"
# Without HEALTHCHECK_URL it must target the CMD's default port 8080 (checked in c2 below).

mirror_count() {
    docker exec "$C1" python -c '
import sqlite3
print(sqlite3.connect("file:/data/brevo_sync.db?mode=ro", uri=True).execute(
    "SELECT count(*) FROM deals WHERE deleted_at IS NULL").fetchone()[0])' 2>/dev/null
}
pulled_all() { [[ $(mirror_count) == 400 ]]; }
if running "$C1" && wait_for 60 pulled_all; then
    owner=$(docker exec "$C1" stat -c '%u:%U %s bytes' /data/brevo_sync.db)
    result PASS "c. /data/brevo_sync.db written by $owner, 400/400 sandbox deals mirrored"
else
    result FAIL "c. /data/brevo_sync.db: $(mirror_count || echo missing) deals"
    dump_on_failure "$C1"
fi

# d. stop it. (The stop lands between jobs, not inside a pull: the app's own e2e tests cover
# a SIGTERM mid-pull and mid-push; this checks that SIGTERM reaches Python through tini.)
read -r STOP_SECONDS STOP_EXIT < <(timed_stop "$C1")
last_pull=$(docker logs "$C1" 2>&1 | grep '"event": "job finished"' | grep '"job": "pull"' | tail -1 |
    "$PYTHON" -c 'import json, sys; e = json.loads(sys.stdin.read() or "{}"); print(e.get("outcome"), "run", e.get("job_run"))')
check "d. docker stop -t 10 (SIGTERM via tini): exit $STOP_EXIT in $STOP_SECONDS s, last pull: $last_pull" \
    "$PYTHON" -c "import sys; sys.exit(not ($STOP_EXIT == 0 and $STOP_SECONDS < 10))"
docker logs "$C1" >"$WORK/c1.log" 2>&1
logcheck=$("$PYTHON" - "$WORK/c1.log" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
events, other = [], []
for line in lines:
    try:
        events.append(json.loads(line))
    except ValueError:
        other.append(line)
finished = [e for e in events if e.get("event") == "job finished"]
jobs = sorted({e["job"] for e in finished if "job" in e})
with_ids = [e for e in finished if isinstance(e.get("job_run"), int) and e.get("job")]
stopped = [e for e in events if e.get("event") == "daemon stopped"]
interrupted = [e for e in finished if e.get("outcome") == "interrupted"]
# Every line is JSON, the stop notice written from the signal handler included.
bad = other
notice = [e for e in events if e.get("signal") == "SIGTERM"]
ok = bool(events) and bool(notice) and not bad and len(with_ids) == len(finished) >= 3 and stopped and stopped[-1].get("clean") is True
print(f"{'ok' if ok else 'bad'} {len(events)} JSON lines, {len(other)} other "
      f"({'; '.join(other)[:90]}), jobs finished with job+job_run: {', '.join(jobs)}; "
      f"{len(interrupted)} interrupted; daemon stopped clean={stopped[-1].get('clean') if stopped else None}")
for l in bad[:5]:
    print("  not JSON:", l[:200])
PY
)
check "d. logs: ${logcheck#* }" [ "${logcheck%% *}" = ok ]

# c2. the image unchanged (default CMD on 0.0.0.0:8080, HEALTHCHECK without HEALTHCHECK_URL)
if "$PYTHON" -c 'import socket; socket.create_server(("0.0.0.0", 8080)).close()' 2>/dev/null; then
    C0=$TAG-default
    docker run -d --name "$C0" --label "$TAG" --network host -e BREVO_API_KEY="$SANDBOX_KEY" \
        -e BREVO_BASE_URL="$SANDBOX_URL" --health-interval=2s --health-start-period=60s \
        "$IMAGE" >/dev/null
    if wait_healthy 90 "$C0"; then
        result PASS "c. default CMD (run --host 0.0.0.0 --port 8080) and HEALTHCHECK as built: $(health "$C0")"
    else
        result FAIL "c. default CMD and HEALTHCHECK as built: '$(health "$C0")'"
        dump_on_failure "$C0"
    fi
    read -r s e < <(timed_stop "$C0")
    check "d. default CMD container: docker stop exit $e in $s s" test "$e" = 0
else
    result SKIP "c. default CMD on port 8080: the port is taken on this host"
fi

# ----------------------------------------------------------------------- e. PostgreSQL
if [[ -n ${SKIP_PG:-} ]]; then
    result SKIP "e. PostgreSQL (SKIP_PG set)"
elif ! pg_admin "SELECT 1" >/dev/null 2>&1; then
    result FAIL "e. PostgreSQL at $PG_ADMIN_URL unreachable"
else
    PG_DB=brevo_smoke_$$
    pg_admin "CREATE DATABASE \"$PG_DB\"" >/dev/null
    PG_URL="postgresql+psycopg://${PG_ADMIN_URL#*://}"
    PG_URL="${PG_URL%/*}/$PG_DB"
    pg() { PG_ADMIN_URL=${PG_URL/+psycopg/} pg_admin "$1" 2>>"$WORK/pg.err"; }

    if docker run --rm --label "$TAG" --network host -e BREVO_SYNC_DATABASE_URL="$PG_URL" \
        "$IMAGE" db upgrade >"$WORK/upgrade.log" 2>&1; then
        tables=$(pg "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        result PASS "e. postgres: docker run ... db upgrade exit 0 ($tables tables)"
    else
        result FAIL "e. postgres: db upgrade exit $?"
        sed 's/^/    /' "$WORK/upgrade.log" >&2
    fi

    # Two replicas, short intervals and claims, both with the host's name (--network host)
    # and the same PID inside their PID namespaces: the replica names must still differ
    # (their random tail), or one's claims would be taken for the other's.
    FAST=(-e BREVO_SYNC_DATABASE_URL="$PG_URL"
        -e BREVO_SYNC_PULL_INTERVAL_SECONDS=1 -e BREVO_SYNC_PULL_MAX_INTERVAL_SECONDS=2
        -e BREVO_SYNC_PUSH_INTERVAL_SECONDS=1 -e BREVO_SYNC_INBOX_INTERVAL_SECONDS=1
        -e BREVO_SYNC_SWEEP_INTERVAL_SECONDS=2 -e BREVO_SYNC_RECONCILE_INTERVAL_SECONDS=3
        -e BREVO_SYNC_JOB_CLAIM_SECONDS=3)
    R1=$TAG-pg1 R2=$TAG-pg2
    run_worker "$R1" "$(free_port)" "${FAST[@]}"
    run_worker "$R2" "$(free_port)" "${FAST[@]}"
    both_healthy() { is_healthy "$R1" && is_healthy "$R2"; }
    if wait_healthy 90 "$R1" "$R2"; then
        result PASS "e. postgres: two run replicas healthy ($(health "$R1"), $(health "$R2"))"
    else
        result FAIL "e. postgres: replicas '$(health "$R1")' '$(health "$R2")'"
        dump_on_failure "$R1"
        dump_on_failure "$R2"
    fi
    enough_pulls() { (($(pg "SELECT count(*) FROM job_runs WHERE job = 'pull'" 2>/dev/null || echo 0) >= 8)); }
    running "$R1" && running "$R2" && wait_for 60 enough_pulls
    sleep 2
    check "e. postgres: both replicas still running and healthy after the pulls" both_healthy
    dupes=$(pg "SELECT job, seq, count(*) FROM job_runs GROUP BY job, seq HAVING count(*) > 1")
    by_replica=$(pg "SELECT replica, count(*) FROM job_runs GROUP BY replica ORDER BY replica" | tr '\n' ' ')
    nreplicas=$(pg "SELECT count(DISTINCT replica) FROM job_runs")
    pulls=$(pg "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM job_runs WHERE job = 'pull'")
    overlap=$(pg "SELECT count(*) FROM job_runs a JOIN job_runs b ON a.job = b.job AND a.seq < b.seq
                  AND b.started_at < coalesce(a.finished_at, now()) AND a.replica <> b.replica")
    deals=$(pg "SELECT count(*) FROM deals WHERE deleted_at IS NULL")
    check "e. postgres: job_runs has no (job, seq) twice [${dupes:-none}], rows by replica: ${by_replica}" \
        test -z "$dupes" -a "$nreplicas" = 2
    check "e. postgres: pull runs count|distinct seq|min|max = $pulls, runs of one job overlapping across replicas: $overlap, mirror $deals/400 deals" \
        test "$overlap" = 0 -a "$deals" = 400
    read -r s1 e1 < <(timed_stop "$R1")
    read -r s2 e2 < <(timed_stop "$R2")
    check "e. postgres: docker stop replica 1 exit $e1 in $s1 s, replica 2 exit $e2 in $s2 s" \
        "$PYTHON" -c "import sys; sys.exit(not ($e1 == 0 and $e2 == 0 and $s1 < 10 and $s2 < 10))"
fi

# ------------------------------------------------------------------------- f. compose
COMPOSE=()
if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
fi
if ((${#COMPOSE[@]})); then
    if out=$(cd "$ROOT" && BREVO_API_KEY=dummy "${COMPOSE[@]}" -f docker-compose.yml config -q 2>&1); then
        result PASS "f. compose: '${COMPOSE[*]} config -q' accepts docker-compose.yml ($("${COMPOSE[@]}" version --short 2>/dev/null || true))"
    else
        result FAIL "f. compose: ${COMPOSE[*]} config: $out"
    fi
else
    result SKIP "f. compose: neither 'docker compose' nor docker-compose is installed"
fi
stop_env=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" |
    sed -n 's/^BREVO_SYNC_STOP_TIMEOUT_SECONDS=//p')
structure=$("$PYTHON" - "$ROOT/docker-compose.yml" "${stop_env:-10}" <<'PY'
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
stop_timeout = float(sys.argv[2])
s = doc["services"]
def seconds(v):
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?", str(v))
    return int(m[1] or 0) * 60 + float(m[2] or 0)
problems = []
db, migrate, worker = s.get("db", {}), s.get("migrate", {}), s.get("worker", {})
if not db.get("healthcheck"): problems.append("db has no healthcheck")
if migrate.get("command") not in (["db", "upgrade"], "db upgrade"): problems.append("migrate does not run db upgrade")
if (migrate.get("depends_on") or {}).get("db", {}).get("condition") != "service_healthy":
    problems.append("migrate does not wait for db healthy")
if (worker.get("depends_on") or {}).get("migrate", {}).get("condition") != "service_completed_successfully":
    problems.append("worker does not wait for migrate to complete")
grace = seconds(worker.get("stop_grace_period", "10s"))
if grace < stop_timeout: problems.append(f"stop_grace_period {grace} s < BREVO_SYNC_STOP_TIMEOUT_SECONDS {stop_timeout}")
for name in ("migrate", "worker"):
    url = s.get(name, {}).get("environment", {}).get("BREVO_SYNC_DATABASE_URL", "")
    if not url.startswith("postgresql"): problems.append(f"{name} is not on PostgreSQL")
replicas = (worker.get("deploy") or {}).get("replicas", 1)
print("ok" if not problems else "bad",
      f"db healthcheck, migrate 'db upgrade' after db healthy, worker x{replicas} after migrate "
      f"completed, stop_grace_period {grace:g} s >= BREVO_SYNC_STOP_TIMEOUT_SECONDS {stop_timeout:g} s"
      if not problems else "; ".join(problems))
PY
)
check "f. compose structure: ${structure#* }" [ "${structure%% *}" = ok ]
result SKIP "f. compose up: not run (no postgres:16 image without Docker Hub, and dockerd runs --bridge=none)"

echo
echo "build ${BUILD_SECONDS} s${NO_CACHE:+ (cold)}, rebuild after a source change ${WARM_SECONDS} s, image $((SIZE / 1000000)) MB, stop ${STOP_SECONDS:-?} s"
if ((FAILED)); then
    echo "SMOKE: FAILED"
    exit 1
fi
echo "SMOKE: all checks passed"
