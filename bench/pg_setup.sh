#!/usr/bin/env bash
# Create the PostgreSQL source database for the datamask benchmarks.
#
# Usage: bench/pg_setup.sh [--help]
#
# Environment (all optional):
#   CUSTOMERS=1000000     customers to create; orders are ORDERS_PER_CUSTOMER times as many
#   ORDERS_PER_CUSTOMER=3
#   SRC_DB=dm_bench_src   name of the database to (re)create
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres   where PostgreSQL listens (trust auth)
#
# The data is generated inside PostgreSQL with generate_series and arithmetic on the row
# number (no random()), so the same CUSTOMERS gives the same bytes on every run. Shapes are
# realistic: unique first.last.N@domain emails, SSNs ddd-dd-dddd, German IBANs with a valid
# mod-97 check, 16-digit Visa-like cards with a valid Luhn digit, street addresses, free text.
# Constraints (PK, UNIQUE, FK) are added after loading, which is the fast order.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

CUSTOMERS="${CUSTOMERS:-1000000}"
ORDERS_PER_CUSTOMER="${ORDERS_PER_CUSTOMER:-3}"
SRC_DB="${SRC_DB:-dm_bench_src}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

start=$(date +%s.%N)
psql_q -d postgres -c "DROP DATABASE IF EXISTS ${SRC_DB} WITH (FORCE)"
psql_q -d postgres -c "CREATE DATABASE ${SRC_DB}"

psql_q -d "$SRC_DB" -v n="$CUSTOMERS" -v k="$ORDERS_PER_CUSTOMER" <<'SQL'
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
SET work_mem = '64MB';

CREATE TABLE customers (
  id          bigint       NOT NULL,
  first_name  varchar(60)  NOT NULL,
  last_name   varchar(60)  NOT NULL,
  email       varchar(254) NOT NULL,
  phone       varchar(32),
  ssn         varchar(11),
  iban        varchar(34),
  card        varchar(19),
  address     varchar(200),
  city        varchar(80),
  notes       text,
  created_at  timestamptz  NOT NULL
);

CREATE TABLE orders (
  id           bigint      NOT NULL,
  customer_id  bigint      NOT NULL,
  status       varchar(16) NOT NULL,
  total_cents  bigint      NOT NULL,
  currency     char(3)     NOT NULL,
  created_at   timestamptz NOT NULL
);

-- Word lists; a row picks from them by arithmetic on its id (deterministic, well spread).
CREATE TEMP TABLE w AS SELECT
  ARRAY['James','Mary','John','Patricia','Robert','Jennifer','Michael','Linda','William','Elizabeth',
        'David','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah','Charles','Karen',
        'Christopher','Nancy','Daniel','Lisa','Matthew','Betty','Anthony','Margaret','Mark','Sandra',
        'Donald','Ashley','Steven','Kimberly','Paul','Emily','Andrew','Donna','Joshua','Michelle',
        'Kenneth','Carol','Kevin','Amanda','Brian','Dorothy','George','Melissa','Timothy','Deborah'] AS first,
  ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez',
        'Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Martin',
        'Lee','Perez','Thompson','White','Harris','Sanchez','Clark','Ramirez','Lewis','Robinson',
        'Walker','Young','Allen','King','Wright','Scott','Torres','Nguyen','Hill','Flores',
        'Green','Adams','Nelson','Baker','Hall','Rivera','Campbell','Mitchell','Carter','Roberts'] AS last,
  ARRAY['gmail.com','yahoo.com','outlook.com','hotmail.com','example.org','mail.com','proton.me','icloud.com'] AS domains,
  ARRAY['Main St','Oak Ave','Maple Dr','Cedar Ln','Pine St','Elm St','Washington Ave','Lake Rd',
        'Hill St','Park Ave','Sunset Blvd','River Rd','Church St','High St','Mill Rd','Spring St'] AS streets,
  ARRAY['Springfield','Riverside','Franklin','Greenville','Bristol','Clinton','Fairview','Salem',
        'Madison','Georgetown','Arlington','Ashland','Dover','Oxford','Jackson','Burlington'] AS cities,
  ARRAY['Prefers email contact.','Called about a late delivery.','VIP since the spring campaign.',
        'Asked to update the billing address.','Requested a refund for order','Gift wrapping on every order.',
        'Do not call before 10am.','Moved from the old account.'] AS notes,
  ARRAY['paid','shipped','pending','cancelled','refunded'] AS statuses,
  ARRAY['USD','EUR','GBP'] AS currencies;

-- h = 62 well-mixed bits from the row number (PostgreSQL's own hashint8, which is deterministic).
INSERT INTO customers
SELECT i,
       f, l,
       lower(f) || '.' || lower(l) || '.' || i || '@' || w.domains[1 + (h >> 7) % 8],
       '+1-' || lpad((200 + (h >> 3) % 800)::text, 3, '0') || '-' || lpad(((h >> 13) % 1000)::text, 3, '0')
             || '-' || lpad(((h >> 23) % 10000)::text, 4, '0'),
       lpad((1 + (h >> 5) % 899)::text, 3, '0') || '-' || lpad((1 + (h >> 17) % 99)::text, 2, '0')
             || '-' || lpad((1 + (h >> 27) % 9999)::text, 4, '0'),
       'DE' || lpad((98 - ((bban || '131400')::numeric % 97))::text, 2, '0') || bban,
       card15 || ((10 - luhn % 10) % 10)::text,
       (1 + (h >> 11) % 9999) || ' ' || w.streets[1 + (h >> 19) % 16],
       w.cities[1 + (h >> 29) % 16],
       CASE WHEN i % 5 = 0 THEN NULL
            ELSE w.notes[1 + (h >> 31) % 8] || ' Ref ' || (h % 100000) || '.' END,
       timestamptz '2020-01-01 00:00:00+00' + ((h >> 2) % 157680000) * interval '1 second'
FROM (
  SELECT i, h,
         w.first[1 + (h >> 9) % 50] AS f,
         w.last[1 + (h >> 21) % 50] AS l,
         lpad(((h >> 4) % 100000000)::text, 8, '0') || lpad((i % 10000000000)::text, 10, '0') AS bban,
         c.card15,
         (SELECT sum(CASE WHEN p % 2 = 1
                          THEN (2 * substr(c.card15, p, 1)::int) - CASE WHEN substr(c.card15, p, 1)::int >= 5 THEN 9 ELSE 0 END
                          ELSE substr(c.card15, p, 1)::int END)
            FROM generate_series(1, 15) AS p) AS luhn
  FROM w, generate_series(1, :n::bigint) AS i
  CROSS JOIN LATERAL (SELECT ((hashint8(i)::bigint & 2147483647) << 31) | (hashint8(-i)::bigint & 2147483647) AS h) AS hh
  CROSS JOIN LATERAL (SELECT '4' || lpad(((h >> 6) % 100000000000000)::text, 14, '0') AS card15) AS c
) AS r, w;

INSERT INTO orders
SELECT j,
       1 + (h % :n::bigint),
       w.statuses[1 + (h >> 8) % 5],
       100 + (h >> 12) % 99900,
       w.currencies[1 + (h >> 20) % 3],
       timestamptz '2020-01-01 00:00:00+00' + ((h >> 3) % 157680000) * interval '1 second'
FROM generate_series(1, :n::bigint * :k::int) AS j
CROSS JOIN LATERAL (SELECT ((hashint8(j)::bigint & 2147483647) << 31) | (hashint8(-j - 7)::bigint & 2147483647) AS h) AS hh,
     w;

ALTER TABLE customers ADD PRIMARY KEY (id);
ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);
ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE INDEX orders_customer_idx ON orders (customer_id);
VACUUM ANALYZE customers;
VACUUM ANALYZE orders;
SQL

end=$(date +%s.%N)
size=$(psql -X -At -d "$SRC_DB" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
printf 'created %s: %s customers, %s orders, %s, in %.1f s\n' \
  "$SRC_DB" "$CUSTOMERS" "$((CUSTOMERS * ORDERS_PER_CUSTOMER))" "$size" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" >&2
