#!/usr/bin/env bash
# PostgreSQL benchmark: datamask against a physical copy and against peer tools, in one run.
#
# Usage: bench/pg_bench.sh [--help]
#
# Scenarios (alternating, ROUNDS times; the slow peers PEER_ROUNDS times):
#   pg_dump|psql        baseline A: pg_dump SRC | psql DST into an empty database
#   COPY out+in         baseline B: tables created first (untimed), then COPY TO STDOUT | COPY FROM
#                       STDIN per table, then indexes and constraints (timed, as pg_dump does)
#   datamask pg         datamask run PG -> PG, 8 customer columns masked, orders copied (verifies)
#   datamask pg no-verify   the same with --no-verify
#   datamask parquet    datamask run PG -> a directory of Parquet files
#   datamask sqlite     datamask run PG -> SQLite
#   datamask in-place   datamask masking the customers of a copy in place (what the peers do)
#   in-place floor      no datamask: psql runs what any in-place replacement of the customers
#                       that leaves the table compact needs from PostgreSQL, with the rows already
#                       in a file (keys and the email index dropped, TRUNCATE, COPY in, keys and
#                       index rebuilt, the orders' foreign key validated), in one transaction
#   pganonymize md5     pganonymize on a copy, 8 customer columns, md5 providers
#   pganonymize faker   pganonymize on a copy with Faker providers (only with PEER_FAKER=1: slow)
#   pynonymizer         pynonymizer --only-step ANONYMIZE_DB on a copy, 8 customer columns
# Copies for the in-place tools are made with CREATE DATABASE ... TEMPLATE (untimed).
#
# Environment (all optional):
#   CUSTOMERS=1000000   scale: the source gets CUSTOMERS customers and 3x orders (bench/pg_setup.sh
#                       creates it when SRC_DB is missing or holds another number of customers)
#   ROUNDS=3 PEER_ROUNDS=1 PEER_FAKER=0
#   SCENARIOS="dump copy dm_pg dm_pg_noverify dm_parquet dm_sqlite dm_inplace inplace_floor
#              pganonymize pynonymizer"
#   SRC_DB=dm_bench_src  DATAMASK=path/to/datamask (default: the release build, built if missing)
#   VENV=/work/bench-venv   virtualenv for the peers (created with pip if missing)
#   OUT=bench/results/pg-CUSTOMERS.csv   the raw timings; the table is printed at the end
#   BENCH_WORK=$(mktemp -d)   scratch space (Parquet/SQLite outputs, logs, audit manifests)
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
#
# Every database this script creates is dropped on exit. Wall time, peak RSS and client CPU come
# from /usr/bin/time; server CPU is the PostgreSQL server's CPU over the same interval.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CUSTOMERS="${CUSTOMERS:-1000000}"
ROUNDS="${ROUNDS:-3}"
PEER_ROUNDS="${PEER_ROUNDS:-1}"
PEER_FAKER="${PEER_FAKER:-0}"
SCENARIOS="${SCENARIOS:-dump copy dm_pg dm_pg_noverify dm_parquet dm_sqlite dm_inplace inplace_floor pganonymize pynonymizer}"
export SRC_DB="${SRC_DB:-dm_bench_src}"
VENV="${VENV:-/work/bench-venv}"
OUT="${OUT:-$BENCH_DIR/results/pg-$CUSTOMERS.csv}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
export BENCH_WORK="${BENCH_WORK:-$(mktemp -d /tmp/dm-bench.XXXXXX)}"
# A fixed benchmark key: the runs are reproducible byte for byte. Not a secret.
export DATAMASK_KEY="${DATAMASK_KEY:-$(printf '%064d' 0 | tr 0 7)}"
DST_PREFIX="dm_bench_run_$$"
FULL_ROWS=$((CUSTOMERS * 4))

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
created=()
create_db() { # create_db NAME [TEMPLATE]
  psql_q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
  if [[ -n "${2:-}" ]]; then
    psql_q -d postgres -c "CREATE DATABASE $1 TEMPLATE $2"
  else
    psql_q -d postgres -c "CREATE DATABASE $1"
  fi
  created+=("$1")
}
drop_db() { psql_q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" 2>/dev/null || true; }
cleanup() {
  for db in "${created[@]}"; do drop_db "$db"; done
  [[ "${KEEP_WORK:-0}" == 1 ]] || rm -rf "$BENCH_WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM   # so the EXIT trap drops what was created

have() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# --- the source -------------------------------------------------------------------------
have_customers="$(psql -X -At -d "$SRC_DB" -c 'SELECT count(*) FROM customers' 2>/dev/null || echo none)"
if [[ "$have_customers" != "$CUSTOMERS" ]]; then
  CUSTOMERS="$CUSTOMERS" SRC_DB="$SRC_DB" "$BENCH_DIR/pg_setup.sh"
fi

DM="$(find_datamask)"
"$DM" --version >&2 || true

# --- the peers' virtualenv -------------------------------------------------------------
if have pganonymize || have pynonymizer; then
  if [[ ! -x "$VENV/bin/pganonymize" || ! -x "$VENV/bin/pynonymizer" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q pganonymize pynonymizer
  fi
  "$VENV/bin/pip" list 2>/dev/null | grep -i -E '^(pganonymize|pynonymizer|faker) ' >&2 || true
fi

mkdir -p "$(dirname "$OUT")" "$BENCH_WORK/logs"
csv_header "$OUT"
echo "source $SRC_DB: $CUSTOMERS customers, $((CUSTOMERS * 3)) orders; $ROUNDS rounds; timings in $OUT" >&2

# --- scenarios: each prepares untimed, then calls measure ----------------------------------
log() { echo "$BENCH_WORK/logs/$1-$2.log"; }

run_dump() {
  local dst="${DST_PREFIX}_a"
  create_db "$dst"
  measure "$OUT" "pg_dump|psql" "$1" "$FULL_ROWS" 0 "$(log dump "$1")" -- \
    bash -c "set -o pipefail; pg_dump -d '$SRC_DB' | psql -X -q -v ON_ERROR_STOP=1 -d '$dst' >/dev/null"
  drop_db "$dst"
}

run_copy() {
  local dst="${DST_PREFIX}_b"
  create_db "$dst"
  pg_dump -d "$SRC_DB" --section=pre-data | psql_q -d "$dst" >/dev/null
  pg_dump -d "$SRC_DB" --section=post-data >"$BENCH_WORK/post-data.sql"
  measure "$OUT" "COPY out+in" "$1" "$FULL_ROWS" 0 "$(log copy "$1")" -- bash -c "set -o pipefail
    for t in customers orders; do
      psql -X -q -d '$SRC_DB' -c \"COPY \$t TO STDOUT\" | psql -X -q -v ON_ERROR_STOP=1 -d '$dst' -c \"COPY \$t FROM STDIN\"
    done
    psql -X -q -v ON_ERROR_STOP=1 -d '$dst' -f '$BENCH_WORK/post-data.sql' >/dev/null"
  drop_db "$dst"
}

# check_masked DB: a cheap untimed sanity check that the target is complete and masked.
check_masked() {
  local got
  got="$(psql -X -At -d "$1" -c "SELECT count(*) FROM customers")/$(psql -X -At -d "$1" -c "SELECT count(*) FROM orders")"
  [[ "$got" == "$CUSTOMERS/$((CUSTOMERS * 3))" ]] || echo "  WARNING: $1 holds $got rows" >&2
  if [[ "$(psql -X -At -d "$1" -c "SELECT email FROM customers ORDER BY id LIMIT 1")" == \
        "$(psql -X -At -d "$SRC_DB" -c "SELECT email FROM customers ORDER BY id LIMIT 1")" ]]; then
    echo "  WARNING: $1: the first email is not masked" >&2
  fi
}

run_dm_pg() { # run_dm_pg ROUND SCENARIO_NAME [FLAGS...]
  local round="$1" name="$2"
  shift 2
  export DST_DB="${DST_PREFIX}_d"
  create_db "$DST_DB"
  measure "$OUT" "$name" "$round" "$FULL_ROWS" 0 "$(log "${name// /_}" "$round")" -- \
    "$DM" run -c "$BENCH_DIR/datamask-pg.yaml" --yes --format json "$@"
  [[ "$round" != 1 ]] || check_masked "$DST_DB"
  drop_db "$DST_DB"
}

run_dm_file() { # run_dm_file ROUND parquet|sqlite
  rm -rf "$BENCH_WORK/parquet" "$BENCH_WORK/masked.db"
  [[ "$2" != parquet ]] || mkdir -p "$BENCH_WORK/parquet"
  measure "$OUT" "datamask $2" "$1" "$FULL_ROWS" 0 "$(log "dm_$2" "$1")" -- \
    "$DM" run -c "$BENCH_DIR/datamask-$2.yaml" --yes --format json
  du -sh "$BENCH_WORK/parquet" "$BENCH_WORK/masked.db" 2>/dev/null | sed 's/^/  output /' >&2 || true
  rm -rf "$BENCH_WORK/parquet" "$BENCH_WORK/masked.db"
}

run_inplace() { # run_inplace ROUND SCENARIO_NAME COMMAND... (DB name in $DST_DB)
  local round="$1" name="$2"
  shift 2
  export DST_DB="${DST_PREFIX}_c"
  create_db "$DST_DB" "$SRC_DB"
  measure "$OUT" "$name" "$round" "$CUSTOMERS" 0 "$(log "${name// /_}" "$round")" -- "$@"
  [[ "$round" != 1 ]] || check_masked "$DST_DB"
  drop_db "$DST_DB"
}

# inplace_floor_sql DB FILE: the statements of the in-place floor for the customers of DB, from
# the catalog's own definitions (the customers' primary key and unique constraints, every
# foreign key that points at them), with the rows loaded from FILE (binary COPY).
inplace_floor_sql() {
  local q="SELECT format('ALTER TABLE %s DROP CONSTRAINT %I;', conrelid::regclass, conname),
                  format('ALTER TABLE %s ADD CONSTRAINT %I %s;', conrelid::regclass, conname,
                         pg_get_constraintdef(oid)), contype
           FROM pg_constraint
           WHERE (conrelid = 'customers'::regclass AND contype IN ('p', 'u'))
              OR (confrelid = 'customers'::regclass AND contype = 'f')"
  local drops adds
  drops="$(psql -X -At -d "$1" -c "SELECT d FROM ($q) AS c(d, a, t) ORDER BY t = 'f' DESC")"
  adds="$(psql -X -At -d "$1" -c "SELECT a FROM ($q) AS c(d, a, t) ORDER BY t = 'f', t = 'u'")"
  printf '%s\n' "BEGIN;" "SET LOCAL maintenance_work_mem = '256MB';" "$drops" \
    "TRUNCATE ONLY customers;" "\\copy customers FROM '$2' (FORMAT binary)" "$adds" "COMMIT;"
}

run_inplace_floor() {
  local dst="${DST_PREFIX}_c" rows="$BENCH_WORK/customers.bin"
  create_db "$dst" "$SRC_DB"
  [[ -s "$rows" ]] || psql_q -d "$SRC_DB" -c "\\copy customers TO '$rows' (FORMAT binary)"
  inplace_floor_sql "$dst" "$rows" >"$BENCH_WORK/inplace-floor.sql"
  measure "$OUT" "in-place floor" "$1" "$CUSTOMERS" 0 "$(log inplace_floor "$1")" -- \
    psql -X -q -v ON_ERROR_STOP=1 -d "$dst" -f "$BENCH_WORK/inplace-floor.sql"
  drop_db "$dst"
}

dst_c="${DST_PREFIX}_c"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round" >&2
  if have dump; then run_dump "$round"; fi
  if have copy; then run_copy "$round"; fi
  if have dm_pg; then run_dm_pg "$round" "datamask pg"; fi
  if have dm_pg_noverify; then run_dm_pg "$round" "datamask pg no-verify" --no-verify; fi
  if have dm_parquet; then run_dm_file "$round" parquet; fi
  if have dm_sqlite; then run_dm_file "$round" sqlite; fi
  if have dm_inplace; then
    run_inplace "$round" "datamask in-place" \
      "$DM" run -c "$BENCH_DIR/datamask-inplace.yaml" --in-place --yes --format json
  fi
  if have inplace_floor; then run_inplace_floor "$round"; fi
  if ((round <= PEER_ROUNDS)); then
    if have pganonymize; then
      run_inplace "$round" "pganonymize md5" "$VENV/bin/pganonymize" \
        --schema "$BENCH_DIR/peers/pganonymize-md5.yml" --dbname "$dst_c" \
        --user "$PGUSER" --host "$PGHOST" --port "$PGPORT"
      if [[ "$PEER_FAKER" == 1 ]]; then
        run_inplace "$round" "pganonymize faker" "$VENV/bin/pganonymize" \
          --schema "$BENCH_DIR/peers/pganonymize-faker.yml" --dbname "$dst_c" \
          --user "$PGUSER" --host "$PGHOST" --port "$PGPORT"
      fi
    fi
    if have pynonymizer; then
      run_inplace "$round" "pynonymizer" "$VENV/bin/pynonymizer" --only-step ANONYMIZE_DB \
        -t postgres -d "$PGHOST" -P "$PGPORT" -u "$PGUSER" -n "$dst_c" \
        -s "$BENCH_DIR/peers/pynonymizer.yml"
    fi
  fi
done

echo >&2
echo "PostgreSQL, $CUSTOMERS customers + $((CUSTOMERS * 3)) orders; rows/s counts all rows copied" \
  "($FULL_ROWS), or the $CUSTOMERS customers for the in-place tools:"
"$BENCH_DIR/report.py" "$OUT" --baseline "pg_dump|psql"
