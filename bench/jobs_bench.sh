#!/usr/bin/env bash
# Parallel tables: two independent large tables copied with --jobs 1 and with --jobs 2.
#
# Usage: bench/jobs_bench.sh [--help]
#
# The source is a copy of the benchmark database (CREATE DATABASE ... TEMPLATE, untimed) with
# the orders dropped and a second customer table, customers_b, made from the first: two tables
# of CUSTOMERS rows each, the same 8 masked columns, no foreign key between them. Each round runs
# `datamask run` PG -> PG with --jobs 1, then with --jobs 2 (--no-verify unless VERIFY=1, so the
# number is about the copy). Prints the table and the speed-up (target: 1.6x or more).
#
# Environment (all optional):
#   CUSTOMERS=1000000 ROUNDS=3 VERIFY=0 SRC_DB=dm_bench_src
#   DATAMASK=path/to/datamask (default: the release build, built if missing)
#   OUT=bench/results/jobs-$CUSTOMERS.csv   the raw timings
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CUSTOMERS="${CUSTOMERS:-1000000}"
ROUNDS="${ROUNDS:-3}"
VERIFY="${VERIFY:-0}"
BASE_DB="${SRC_DB:-dm_bench_src}"
OUT="${OUT:-$BENCH_DIR/results/jobs-$CUSTOMERS.csv}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
export BENCH_WORK="${BENCH_WORK:-$(mktemp -d /tmp/dm-bench.XXXXXX)}"
export DATAMASK_KEY="${DATAMASK_KEY:-$(printf '%064d' 0 | tr 0 7)}"
export SRC_DB="dm_bench_jobs_$$" DST_DB="dm_bench_jobs_$$_dst"

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
drop_db() { psql_q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" 2>/dev/null || true; }
cleanup() {
  drop_db "$SRC_DB"
  drop_db "$DST_DB"
  [[ "${KEEP_WORK:-0}" == 1 ]] || rm -rf "$BENCH_WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM   # so the EXIT trap drops what was created

if [[ "$(psql -X -At -d "$BASE_DB" -c 'SELECT count(*) FROM customers' 2>/dev/null || true)" != "$CUSTOMERS" ]]; then
  CUSTOMERS="$CUSTOMERS" SRC_DB="$BASE_DB" "$BENCH_DIR/pg_setup.sh"
fi
psql_q -d postgres -c "CREATE DATABASE $SRC_DB TEMPLATE $BASE_DB"
psql_q -d "$SRC_DB" <<'SQL'
DROP TABLE orders;
CREATE TABLE customers_b (LIKE customers INCLUDING ALL);
INSERT INTO customers_b SELECT * FROM customers;
VACUUM ANALYZE customers_b;
SQL

DM="$(find_datamask)"
flags=()
[[ "$VERIFY" == 1 ]] || flags=(--no-verify)
mkdir -p "$(dirname "$OUT")" "$BENCH_WORK/logs"
csv_header "$OUT"
echo "two tables of $CUSTOMERS rows; $ROUNDS rounds; timings in $OUT" >&2

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round" >&2
  for jobs in 1 2; do
    drop_db "$DST_DB"
    psql_q -d postgres -c "CREATE DATABASE $DST_DB"
    measure "$OUT" "datamask --jobs $jobs" "$round" "$((CUSTOMERS * 2))" 0 \
      "$BENCH_WORK/logs/jobs$jobs-$round.log" -- \
      "$DM" run -c "$BENCH_DIR/datamask-jobs.yaml" --yes --format json --jobs "$jobs" "${flags[@]}"
  done
done

echo >&2
echo "Two independent tables of $CUSTOMERS rows, 8 masked columns each${flags[*]:+, ${flags[*]}}:"
"$BENCH_DIR/report.py" "$OUT" --baseline "datamask --jobs 1"
python3 - "$OUT" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["exit"] == "0"]
med = {j: statistics.median(float(r["wall_s"]) for r in rows if r["scenario"] == f"datamask --jobs {j}")
       for j in (1, 2)}
print(f"\nspeed-up of --jobs 2 over --jobs 1: {med[1] / med[2]:.2f}x (target 1.6x)")
PY
