# Shared helpers for the benchmark scripts (sourced, not run).
# shellcheck shell=bash

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"

# The datamask binary: $DATAMASK, else the release build of this checkout.
find_datamask() {
  if [[ -n "${DATAMASK:-}" ]]; then
    echo "$DATAMASK"
    return
  fi
  local target="${CARGO_TARGET_DIR:-$REPO_DIR/target}"
  if [[ ! -x "$target/release/datamask" ]]; then
    echo "building the release binary (cargo build --release -p datamask-cli)" >&2
    (cd "$REPO_DIR" && cargo build --release -p datamask-cli >&2)
  fi
  echo "$target/release/datamask"
}

# The CSV of raw timings: one line per measured command.
csv_header() {
  echo "scenario,round,wall_s,peak_rss_kb,user_s,sys_s,server_cpu_s,rows,bytes,exit" >"$1"
}

# measure CSV SCENARIO ROUND ROWS BYTES LOG -- COMMAND...
# Runs COMMAND under /usr/bin/time, appends one line to CSV, sends the command's output to LOG.
# server_cpu_s is the PostgreSQL server's CPU over the same interval (see pgcpu.py).
measure() {
  local csv="$1" scenario="$2" round="$3" rows="$4" bytes="$5" log="$6"
  shift 7
  local tf rc=0 s0 s1
  tf="$(mktemp)"
  s0="$("$BENCH_DIR/pgcpu.py")"
  /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" >"$log" 2>&1 || rc=$?
  s1="$("$BENCH_DIR/pgcpu.py")"
  local wall rss user sys
  read -r wall rss user sys < <(grep -E '^[0-9.]+ [0-9]+ [0-9.]+ [0-9.]+$' "$tf" | tail -1)
  rm -f "$tf"
  local server
  server="$(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b-a}')"
  echo "$scenario,$round,$wall,$rss,$user,$sys,$server,$rows,$bytes,$rc" >>"$csv"
  printf '  %-28s round %s: %7.2f s  %6d MB  cpu %6.2f s (+ server %6.2f s)%s\n' \
    "$scenario" "$round" "$wall" "$((rss / 1024))" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" \
    "$server" "$([[ $rc == 0 ]] || echo "  EXIT $rc, see $log")" >&2
  return 0
}

# Median of the numbers on stdin.
median() {
  sort -g | awk '{a[NR]=$1} END{if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
