#!/usr/bin/env bash
# CSV benchmark: datamask CSV -> CSV with 5 masked columns against plain read-and-write.
#
# Usage: bench/csv_bench.sh [--help]
#
# Scenarios (alternating, ROUNDS times; the slow Python baseline PY_ROUNDS times):
#   cat                 cat IN > OUT: the bytes read and written, nothing parsed
#   python csv          Python's csv module: parse every row and write it back
#   datamask csv        datamask run CSV -> CSV masking email, first_name, last_name, phone,
#                       ssn (fpe), verify on
#   datamask csv no-verify   the same with --no-verify
# MB/s is the input size over the median wall time; MB/s per CPU-s divides the input size by
# the user+sys CPU seconds (the issue's target: 100 MB/s or more per core).
#
# Environment (all optional):
#   CSV_MB=1000          input size in MB (generated once by bench/gen_csv.py, then reused)
#   CSV_CACHE=/tmp/dm-bench-csv-$CSV_MB   where the input is kept (customers.csv)
#   ROUNDS=3 PY_ROUNDS=1
#   DATAMASK=path/to/datamask (default: the release build, built if missing)
#   OUT=bench/results/csv-$CSV_MB.csv   the raw timings
#   BENCH_WORK=$(mktemp -d)   scratch space for the outputs (removed at the end)
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CSV_MB="${CSV_MB:-1000}"
CSV_CACHE="${CSV_CACHE:-/tmp/dm-bench-csv-$CSV_MB}"
ROUNDS="${ROUNDS:-3}"
PY_ROUNDS="${PY_ROUNDS:-1}"
OUT="${OUT:-$BENCH_DIR/results/csv-$CSV_MB.csv}"
export BENCH_WORK="${BENCH_WORK:-$(mktemp -d /tmp/dm-bench.XXXXXX)}"
export DATAMASK_KEY="${DATAMASK_KEY:-$(printf '%064d' 0 | tr 0 7)}"
export CSV_IN="$CSV_CACHE/customers.csv" CSV_OUT="$BENCH_WORK/out/customers.csv"
trap '[[ "${KEEP_WORK:-0}" == 1 ]] || rm -rf "$BENCH_WORK"' EXIT

if [[ ! -s "$CSV_IN" ]]; then
  mkdir -p "$CSV_CACHE"
  "$BENCH_DIR/gen_csv.py" "$CSV_IN.tmp" "$CSV_MB"
  mv "$CSV_IN.tmp" "$CSV_IN"
fi
BYTES="$(stat -c %s "$CSV_IN")"
ROWS=$(($(wc -l <"$CSV_IN") - 1))
DM="$(find_datamask)"
mkdir -p "$(dirname "$OUT")" "$BENCH_WORK/logs" "$BENCH_WORK/out"
csv_header "$OUT"
echo "input $CSV_IN: $ROWS rows, $((BYTES / 1000000)) MB; $ROUNDS rounds; timings in $OUT" >&2

log() { echo "$BENCH_WORK/logs/$1-$2.log"; }
fresh() { rm -rf "$BENCH_WORK/out" && mkdir -p "$BENCH_WORK/out"; }

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round" >&2
  fresh
  measure "$OUT" "cat" "$round" "$ROWS" "$BYTES" "$(log cat "$round")" -- \
    bash -c "cat '$CSV_IN' > '$CSV_OUT'"
  if ((round <= PY_ROUNDS)); then
    fresh
    measure "$OUT" "python csv" "$round" "$ROWS" "$BYTES" "$(log py "$round")" -- \
      python3 -c "import csv, sys
with open(sys.argv[1], newline='') as i, open(sys.argv[2], 'w', newline='') as o:
    csv.writer(o).writerows(csv.reader(i))" "$CSV_IN" "$CSV_OUT"
  fi
  fresh
  measure "$OUT" "datamask csv" "$round" "$ROWS" "$BYTES" "$(log dm "$round")" -- \
    "$DM" run -c "$BENCH_DIR/datamask-csv.yaml" --yes --format json
  if [[ "$round" == 1 ]]; then
    head -c 300 "$CSV_OUT" | sed -n 2p | sed 's/^/  first masked row: /' >&2
  fi
  fresh
  measure "$OUT" "datamask csv no-verify" "$round" "$ROWS" "$BYTES" "$(log dmnv "$round")" -- \
    "$DM" run -c "$BENCH_DIR/datamask-csv.yaml" --yes --format json --no-verify
done

echo >&2
echo "CSV, $((BYTES / 1000000)) MB, $ROWS rows, 5 masked columns (datamask):"
"$BENCH_DIR/report.py" "$OUT" --baseline "cat"
