#!/usr/bin/env bash
# Side-by-side benchmark: nb-exodus against the Python tools a NationBuilder user
# would reach for instead (Parsons, dlt), all reading the same simulated nation.
#
# Part 1 — people only, unthrottled simulator (--people $PEOPLE, --rate-limit off),
#   interleaved round robin ($ROUNDS rounds; the starting tool rotates each round),
#   each run into a fresh database:
#     parsons     NationBuilder.get_people() (API v1) + Postgres.copy(if_exists='drop')
#     dlt         rest_api source on /api/v2/signups (Bearer, links.next) -> postgres
#     nbx-v2      nb-exodus migrate --resources people --api v2 --rate-limit off
#     nbx-v1      nb-exodus migrate --resources people --api v1 --rate-limit off
#   Per tool: median wall time, people/s, peak RSS (/usr/bin/time %M: max RSS of the
#   tool's process; PostgreSQL and the simulator are not counted), CPU seconds, API
#   requests (simulator manifest delta), and the people rows found in the database.
#
# Part 2 — nb-exodus alone, every resource (API v2), $FULL_PEOPLE people, the real
#   budget on both sides (simulator and migrate --rate-limit 250/10s): requests,
#   records loaded, requests per record, rate-limited responses (429s), wall time,
#   and the share of the budget used = requests / (25 x seconds).
#
# Prints markdown tables; raw data goes to $WORK (results.tsv, full.json, logs).
#
# Usage:
#   benches/side_by_side/run.sh
# Environment (defaults in brackets):
#   NBX_BIN      nb-exodus binary            [target/release/nb-exodus: `cargo build --release`]
#   VENV         Python virtualenv           [$TMPDIR/nb-exodus-side-by-side/venv] (created
#                if missing: parsons[postgres], dlt[postgres], psycopg2-binary from PyPI)
#   WORK         scratch directory           [$TMPDIR/nb-exodus-side-by-side]
#   PGHOST PGPORT PGUSER                     [127.0.0.1 5432 postgres] (trust auth)
#   PEOPLE ROUNDS                            [30000 3]
#   FULL_PEOPLE                              [20000]; SKIP_FULL=1 skips part 2
#   TOOLS        tools of part 1             ["parsons dlt nbx-v2 nbx-v1"]
#   KEEP_DBS=1   keep the databases (default: dropped after counting)
#   RUN_TIMEOUT  seconds per run before it is killed [3600]
# Needs: bash, curl, psql, python3, /usr/bin/time (GNU).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NBX_BIN="${NBX_BIN:-$HERE/../../target/release/nb-exodus}"
WORK="${WORK:-${TMPDIR:-/tmp}/nb-exodus-side-by-side}"
VENV="${VENV:-$WORK/venv}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
PEOPLE="${PEOPLE:-30000}"
ROUNDS="${ROUNDS:-3}"
FULL_PEOPLE="${FULL_PEOPLE:-20000}"
SKIP_FULL="${SKIP_FULL:-0}"
TOOLS="${TOOLS:-parsons dlt nbx-v2 nbx-v1}"
KEEP_DBS="${KEEP_DBS:-0}"
RUN_TIMEOUT="${RUN_TIMEOUT:-3600}"
TOKEN=tok
TAG="sbs$$"

[ -x "$NBX_BIN" ] || { echo "no nb-exodus binary at $NBX_BIN (set NBX_BIN)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 2; }
psql -d postgres -Atc 'select 1' >/dev/null

mkdir -p "$WORK/logs"
printf '%s\n' "$TOKEN" > "$WORK/token"

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "parsons[postgres]" "dlt[postgres]" psycopg2-binary
fi
PY="$VENV/bin/python"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SIM_PID=""
DBS=()
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  if [ "$KEEP_DBS" != 1 ]; then
    for db in "${DBS[@]:-}"; do [ -n "$db" ] && psql -d postgres -qc "drop database if exists $db" 2>/dev/null || true; done
  fi
}
trap cleanup EXIT

# start_sim PEOPLE RATE_LIMIT: starts a simulator, sets SIM_PID and BASE.
start_sim() {
  local port; port="$(free_port)"
  "$NBX_BIN" simulate --listen "127.0.0.1:$port" --people "$1" --token "$TOKEN" \
    --rate-limit "$2" >"$WORK/logs/simulator-$1.log" 2>&1 &
  SIM_PID=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -sf "$BASE/__simulator/manifest" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "simulator did not start" >&2; exit 1
}
stop_sim() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""; }
manifest() { curl -sf "$BASE/__simulator/manifest"; }
mfield() { manifest | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
now() { date +%s.%N; }

# ---------------------------------------------------------------- part 1
start_sim "$PEOPLE" off
EXPECTED="$(mfield people)"
echo "part 1: simulator $BASE, $EXPECTED people, rate limit off; $ROUNDS rounds of: $TOOLS" >&2

RESULTS="$WORK/results.tsv"
printf 'round\ttool\twall_s\tmaxrss_kb\tcpu_s\trequests\trows\tdistinct_ids\texit\n' > "$RESULTS"

read -r -a TOOL_ARR <<<"$TOOLS"
NT=${#TOOL_ARR[@]}

run_one() { # round tool
  local r="$1" tool="$2" db="${TAG}_${2//-/_}_r$1" log="$WORK/logs/$2-r$1"
  DBS+=("$db")
  psql -d postgres -qc "drop database if exists $db" -c "create database $db"
  local cmd table
  case "$tool" in
    parsons) table=people
      cmd=("$PY" "$HERE/parsons_people.py" "$BASE" "$TOKEN" "$db") ;;
    dlt) table=nationbuilder.signups
      rm -rf "$WORK/dlt-pipelines-$r"
      cmd=("$PY" "$HERE/dlt_signups.py" "$BASE" "$TOKEN" "$db" "$WORK/dlt-pipelines-$r") ;;
    nbx-v2|nbx-v1) table=core.people
      cmd=("$NBX_BIN" migrate --nation testnation --api-base "$BASE"
           --database-url "postgres://$PGUSER@$PGHOST:$PGPORT/$db" --token-file "$WORK/token"
           --rate-limit off --resources people --api "${tool#nbx-}" --json --quiet) ;;
    *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
  local req0 req1 t0 t1 rc=0
  req0="$(mfield requests)"
  t0="$(now)"
  /usr/bin/time -f '%M %U %S' -o "$log.time" timeout "$RUN_TIMEOUT" "${cmd[@]}" >"$log.out" 2>"$log.err" || rc=$?
  t1="$(now)"
  req1="$(mfield requests)"
  local rss cpu wall counts
  rss="$(tail -n1 "$log.time" | awk '{print $1}')"
  cpu="$(tail -n1 "$log.time" | awk '{printf "%.2f", $2+$3}')"
  wall="$(python3 -c "print(f'{$t1-$t0:.3f}')")"
  counts="$(psql -d "$db" -Atc "select count(*) || E'\t' || count(distinct id) from $table" 2>/dev/null || printf '0\t0')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$tool" "$wall" "$rss" "$cpu" "$((req1-req0))" "$counts" "$rc" >> "$RESULTS"
  echo "  round $r $tool: ${wall}s, rss ${rss} kB, rows/distinct ids $(echo "$counts" | tr '\t' /), exit $rc" >&2
  if [ "$KEEP_DBS" != 1 ]; then psql -d postgres -qc "drop database if exists $db"; fi
}

for r in $(seq 1 "$ROUNDS"); do
  for i in $(seq 0 $((NT-1))); do
    run_one "$r" "${TOOL_ARR[$(( (i + r - 1) % NT ))]}"
  done
done
stop_sim

# ---------------------------------------------------------------- part 2
FULL_JSON="$WORK/full.json"
if [ "$SKIP_FULL" != 1 ]; then
  start_sim "$FULL_PEOPLE" 250/10s
  echo "part 2: simulator $BASE, $FULL_PEOPLE people, 250/10s; nb-exodus all resources (v2), 250/10s" >&2
  db="${TAG}_full"; DBS+=("$db")
  psql -d postgres -qc "drop database if exists $db" -c "create database $db"
  t0="$(now)"; rc=0
  /usr/bin/time -f '%M %U %S' -o "$WORK/logs/full.time" timeout "$RUN_TIMEOUT" "$NBX_BIN" migrate \
    --nation testnation --api-base "$BASE" --database-url "postgres://$PGUSER@$PGHOST:$PGPORT/$db" \
    --token-file "$WORK/token" --rate-limit 250/10s --json --quiet \
    >"$WORK/logs/full.out" 2>"$WORK/logs/full.err" || rc=$?
  t1="$(now)"
  manifest > "$WORK/logs/full-manifest.json"
  python3 - "$WORK/logs/full.out" "$WORK/logs/full-manifest.json" "$WORK/logs/full.time" "$t0" "$t1" "$rc" "$FULL_PEOPLE" > "$FULL_JSON" <<'EOF'
import json, sys
out, man, tim, t0, t1, rc, people = sys.argv[1:8]
try:
    s = json.load(open(out))
except Exception:
    s = {}
m = json.load(open(man))
rss, u, sy = open(tim).read().split()[-3:]
print(json.dumps({
    "people": int(people), "exit": int(rc), "wall_s": float(t1) - float(t0),
    "maxrss_kb": int(rss), "cpu_s": float(u) + float(sy),
    "summary_requests": s.get("requests"), "summary_elapsed_s": s.get("elapsed_secs"),
    "summary_rate_limited": s.get("rate_limited"), "retries": s.get("retries"),
    "loaded": sum(st.get("loaded") or 0 for st in s.get("streams", [])),
    "streams": len(s.get("streams", [])),
    "by_purpose": s.get("requests_by_purpose"),
    "manifest_requests": m.get("requests"), "manifest_rate_limited": m.get("rate_limited"),
}))
EOF
  stop_sim
  if [ "$KEEP_DBS" != 1 ]; then psql -d postgres -qc "drop database if exists $db"; fi
else
  rm -f "$FULL_JSON"
fi

python3 "$HERE/summarise.py" "$RESULTS" "$EXPECTED" "$FULL_JSON" | tee "$WORK/results.md"
