#!/usr/bin/env bash
# Scaling: datamask run PG -> PG at several sizes; time per row and peak RSS.
#
# Usage: bench/scaling.sh [--help]
#
# For each scale, a source with that many customers (and 3x orders) is used: SRC_DB when it has
# exactly that many, otherwise dm_bench_src_<scale>, created by bench/pg_setup.sh and dropped at
# the end (KEEP_SRC=1 keeps it). Each scale is measured ROUNDS times with the same config as
# pg_bench.sh (8 masked customer columns, verify on; FLAGS="--no-verify" to skip it).
# Targets: time grows linearly (seconds per million rows stays flat) and peak RSS stays flat
# (at most 300 MB at 1M customers, no more than 10% more at 10M).
#
# Environment (all optional):
#   SCALES="1000000 3000000"  ROUNDS=1  FLAGS=""  SRC_DB=dm_bench_src  KEEP_SRC=0
#   DATAMASK=path/to/datamask (default: the release build, built if missing)
#   OUT=bench/results/scaling.csv   the raw timings
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

SCALES="${SCALES:-1000000 3000000}"
ROUNDS="${ROUNDS:-1}"
read -r -a flags <<<"${FLAGS:-}"
BASE_DB="${SRC_DB:-dm_bench_src}"
OUT="${OUT:-$BENCH_DIR/results/scaling.csv}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
export BENCH_WORK="${BENCH_WORK:-$(mktemp -d /tmp/dm-bench.XXXXXX)}"
export DATAMASK_KEY="${DATAMASK_KEY:-$(printf '%064d' 0 | tr 0 7)}"
export DST_DB="dm_bench_scale_$$_dst"

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
drop_db() { psql_q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" 2>/dev/null || true; }
made=()
cleanup() {
  drop_db "$DST_DB"
  if [[ "${KEEP_SRC:-0}" != 1 ]]; then
    for db in "${made[@]}"; do drop_db "$db"; done
  fi
  [[ "${KEEP_WORK:-0}" == 1 ]] || rm -rf "$BENCH_WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM   # so the EXIT trap drops what was created

count() { psql -X -At -d "$1" -c 'SELECT count(*) FROM customers' 2>/dev/null || true; }

DM="$(find_datamask)"
mkdir -p "$(dirname "$OUT")" "$BENCH_WORK/logs"
csv_header "$OUT"
for scale in $SCALES; do
  if [[ "$(count "$BASE_DB")" == "$scale" ]]; then
    export SRC_DB="$BASE_DB"
  else
    export SRC_DB="dm_bench_src_$scale"
    if [[ "$(count "$SRC_DB")" != "$scale" ]]; then
      made+=("$SRC_DB")
      CUSTOMERS="$scale" SRC_DB="$SRC_DB" "$BENCH_DIR/pg_setup.sh"
    fi
  fi
  size="$(psql -X -At -d "$SRC_DB" -c 'SELECT pg_size_pretty(pg_database_size(current_database()))')"
  echo "scale $scale customers ($SRC_DB, $size)" >&2
  for round in $(seq 1 "$ROUNDS"); do
    drop_db "$DST_DB"
    psql_q -d postgres -c "CREATE DATABASE $DST_DB"
    measure "$OUT" "$scale customers" "$round" "$((scale * 4))" 0 \
      "$BENCH_WORK/logs/scale-$scale-$round.log" -- \
      "$DM" run -c "$BENCH_DIR/datamask-pg.yaml" --yes --format json "${flags[@]}"
  done
  drop_db "$DST_DB"
done

echo >&2
echo "datamask run PG -> PG, customers + 3x orders, 8 masked columns${FLAGS:+, $FLAGS}:"
"$BENCH_DIR/report.py" "$OUT"
python3 - "$OUT" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["exit"] == "0"]
names = list(dict.fromkeys(r["scenario"] for r in rows))
print("\n| scale | rows | s per million rows | peak RSS MB | RSS vs first scale |")
print("|---|---|---|---|---|")
first = None
for n in names:
    rs = [r for r in rows if r["scenario"] == n]
    wall = statistics.median(float(r["wall_s"]) for r in rs)
    nrows = int(rs[0]["rows"])
    rss = max(int(r["peak_rss_kb"]) for r in rs) / 1024
    first = first or rss
    print(f"| {n} | {nrows:,} | {wall / nrows * 1e6:.2f} | {rss:.0f} | {(rss / first - 1) * 100:+.0f}% |")
PY
