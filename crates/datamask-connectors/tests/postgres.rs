//! PostgreSQL source and sink against the real server on this machine.
//!
//! The server comes from `DATAMASK_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//! started by `scripts/services.sh`). Every test creates its own uniquely named databases and
//! drops them at the end, also when it fails.
#![cfg(feature = "postgres")]

use datamask_connectors::{open_sink, open_source, parse_location, probe, FileOptions, Location};
use datamask_core::source::ReadOptions;
use datamask_core::{Batch, Column, DataType, Error, ForeignKey, Index, TableSchema, Value};
use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicUsize, Ordering};

fn base_url() -> String {
    std::env::var("DATAMASK_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `base` with its database replaced by `db`.
fn url_with_db(base: &str, db: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base, String::new()),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let head = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    format!("{head}/{db}{query}")
}

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database that exists for one test (or, with `create: false`, just a unique name) and is
/// dropped when the guard goes out of scope.
struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    fn named() -> TestDb {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("dm_t_{}_{nanos}_{n}", std::process::id());
        TestDb {
            url: url_with_db(&base_url(), &name),
            name,
        }
    }

    fn create() -> TestDb {
        let db = TestDb::named();
        connect(&base_url())
            .batch_execute(&format!("CREATE DATABASE {}", db.name))
            .unwrap();
        db
    }

    fn client(&self) -> Client {
        connect(&self.url)
    }

    fn location(&self) -> Location {
        parse_location(&self.url, None).unwrap()
    }

    fn exists(&self) -> bool {
        connect(&base_url())
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1",
                &[&self.name],
            )
            .unwrap()
            .is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(&base_url(), NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Every type and foreign-key shape of issue 3.
const FIXTURE: &str = r#"
CREATE SCHEMA sales;
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN public.email AS varchar(120) CHECK (VALUE LIKE '%@%');
CREATE SEQUENCE public.invoice_no START 1000;

CREATE TABLE public.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email public.email NOT NULL UNIQUE,
  name varchar(80),
  code char(4),
  small smallint, medium integer, big bigint,
  price numeric(10,2), ratio real, score double precision, exact numeric,
  note text, active boolean DEFAULT true,
  born date, wakes time, seen timestamp, seen_tz timestamptz DEFAULT now(),
  pause interval, ext_id uuid, doc json, docb jsonb, photo bytea,
  ip inet, net cidr, mac macaddr, tags text[], nums integer[],
  feeling public.mood DEFAULT 'ok', rank public.posint, search tsvector, cash money,
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
  CONSTRAINT code_not_x CHECK (code <> 'XXXX')
);
COMMENT ON TABLE public.customers IS 'people';
COMMENT ON COLUMN public.customers.email IS 'pii: email';
CREATE INDEX customers_name_idx ON public.customers (name);
CREATE UNIQUE INDEX customers_code_idx ON public.customers (code, small);
CREATE INDEX customers_lower_idx ON public.customers (lower(name));

CREATE TABLE public.employees (
  id serial PRIMARY KEY,
  manager_id integer REFERENCES public.employees (id),
  name text NOT NULL
);

CREATE TABLE sales.orders (
  region text,
  n integer,
  customer_id bigint REFERENCES public.customers (id) DEFERRABLE INITIALLY DEFERRED,
  invoice integer DEFAULT nextval('public.invoice_no'),
  total numeric(12,2) NOT NULL DEFAULT 0,
  PRIMARY KEY (region, n),
  UNIQUE (invoice)
);
CREATE TABLE sales.order_lines (
  region text, n integer, line integer, sku text,
  PRIMARY KEY (region, n, line),
  FOREIGN KEY (region, n) REFERENCES sales.orders (region, n) ON DELETE CASCADE
);

CREATE TABLE public.events (
  id bigserial, at timestamptz NOT NULL, kind text, PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_2025 PARTITION OF public.events
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

CREATE TABLE public.nokey (a text, b integer);

CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Tab.le" ("Weird ""col""" integer PRIMARY KEY, "UPPER" text);
INSERT INTO "Odd Schema"."Tab.le" VALUES (2, 'two'), (1, E'one\ttab');

CREATE VIEW public.customer_emails AS SELECT id, email FROM public.customers;
CREATE MATERIALIZED VIEW public.order_totals AS
  SELECT customer_id, sum(total) AS total FROM sales.orders GROUP BY customer_id;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.seen := now(); RETURN NEW; END $$;
CREATE TRIGGER customers_touch BEFORE UPDATE ON public.customers
  FOR EACH ROW EXECUTE FUNCTION public.touch();

INSERT INTO public.customers (email, name, code, small, medium, big, price, ratio, score, exact,
  note, active, born, wakes, seen, seen_tz, pause, ext_id, doc, docb, photo, ip, net, mac, tags,
  nums, feeling, rank, search, cash) VALUES
 ('ann@example.com', 'Ann', 'ab', -32768, 2147483647, -9223372036854775808, -12345678.90, 0.1,
  1e300, 3.14159265358979323846264338327950288, E'tab\there\nnew line \\ back "q" ''s', true,
  '1990-02-03', '13:14:15.123456', '2024-01-31 13:14:15.5', '2024-01-31 13:14:15+02',
  '1 year 2 mons 3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"b": 1,  "a": [1, 2]}', '{"b": 1, "a": [1, 2]}', '\x00ff10', '192.168.0.1/24', '10.0.0.0/8',
  '08:00:2b:01:02:03', ARRAY['x', NULL, 'with "quote"', 'comma,here', ''], '{1,2,3}', 'happy', 7,
  to_tsvector('simple', 'the quick fox'), 12.34),
 ('bob@example.com', 'Bøb Ünïcode ✓', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL),
 ('cy@example.com', '', 'zz', 1, 2, 3, 0, 'NaN', '-Infinity', 'NaN', '', false, '0044-03-15 BC',
  '00:00:00', '1850-06-01 00:00:00.000001', '1999-12-31 23:59:59.999999-11', '-1 days',
  '00000000-0000-0000-0000-000000000000', '[]', '{}', '\x', '::1', '2001:db8::/32',
  'ff:ff:ff:ff:ff:ff', '{}', '{NULL}', 'sad', 1, '', -0.5);

INSERT INTO public.employees (manager_id, name) VALUES (NULL, 'boss'), (1, 'mid'), (2, 'junior');
INSERT INTO sales.orders (region, n, customer_id, total) VALUES
  ('eu', 1, 1, 10.50), ('eu', 2, 2, 0), ('us', 1, NULL, 99.99);
INSERT INTO sales.order_lines VALUES ('eu', 1, 1, 'A'), ('eu', 1, 2, 'B'), ('us', 1, 1, 'C');
INSERT INTO public.events (at, kind) VALUES
  ('2024-05-01 10:00+00', 'a'), ('2025-02-01 11:00+00', 'b'), ('2024-12-31 23:59:59+00', 'c');
INSERT INTO public.nokey VALUES ('z', 1), ('y', NULL), (NULL, 3);
SELECT nextval('public.invoice_no');
REFRESH MATERIALIZED VIEW public.order_totals;
"#;

const TABLES: [&str; 7] = [
    "Odd Schema.Tab.le",
    "public.customers",
    "public.employees",
    "public.events",
    "public.nokey",
    "sales.order_lines",
    "sales.orders",
];

fn fixture() -> TestDb {
    let db = TestDb::create();
    db.client().batch_execute(FIXTURE).unwrap();
    db
}

fn copy(from: &TestDb, to: &TestDb, with_schema: bool) -> datamask_core::Result<()> {
    let mut options = FileOptions::default();
    let mut source = open_source(&from.location(), &options)?;
    if with_schema {
        options.schema_source = Some(from.url.clone());
    }
    let mut sink = open_sink(&to.location(), &options)?;
    let read = ReadOptions {
        batch_size: 2,
        filter: None,
    };
    for table in source.tables()? {
        let mut writer = sink.table(&table)?;
        for batch in source.read(&table, &read)? {
            writer.write(&batch?)?;
        }
        writer.finish()?;
    }
    sink.commit()
}

/// A checksum of a table's rows in their text form, independent of physical order.
fn checksum(client: &mut Client, table: &str) -> String {
    let (schema, name) = table.split_once('.').unwrap();
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    client
        .query_one(
            &format!(
                "SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, E'\\n' \
                 ORDER BY t::text)), '') FROM {}.{} t",
                quote(schema),
                quote(name)
            ),
            &[],
        )
        .unwrap()
        .get(0)
}

fn read_all(location: &Location, table: &str) -> Vec<Vec<Value>> {
    let mut source = open_source(location, &FileOptions::default()).unwrap();
    let schema = source
        .tables()
        .unwrap()
        .into_iter()
        .find(|t| t.name == table)
        .unwrap();
    let mut rows = Vec::new();
    for batch in source.read(&schema, &ReadOptions::default()).unwrap() {
        let batch = batch.unwrap();
        rows.extend((0..batch.len()).map(|r| batch.row(r).cloned().collect::<Vec<_>>()));
    }
    rows
}

/// `pg_dump --schema-only` without the lines that differ between two dumps of equal schemas.
fn schema_dump(db: &TestDb) -> String {
    let out = std::process::Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            &db.url,
        ])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn introspection_finds_every_table_type_and_key() {
    let db = fixture();
    let mut source = open_source(&db.location(), &FileOptions::default()).unwrap();
    assert_eq!(source.kind(), "postgres");
    let tables = source.tables().unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names, TABLES,
        "partitions, views and matviews are not tables"
    );
    let t = |name: &str| tables.iter().find(|t| t.name == name).unwrap();

    let c = t("public.customers");
    let int = |bits| DataType::Int {
        bits,
        unsigned: false,
    };
    let expect: &[(&str, DataType, &str)] = &[
        ("id", int(64), "bigint"),
        (
            "email",
            DataType::Text { max_len: Some(120) },
            "public.email",
        ),
        (
            "name",
            DataType::Text { max_len: Some(80) },
            "character varying(80)",
        ),
        ("code", DataType::Text { max_len: Some(4) }, "character(4)"),
        ("small", int(16), "smallint"),
        ("medium", int(32), "integer"),
        ("big", int(64), "bigint"),
        (
            "price",
            DataType::Decimal {
                precision: Some(10),
                scale: Some(2),
            },
            "numeric(10,2)",
        ),
        ("ratio", DataType::Float { bits: 32 }, "real"),
        ("score", DataType::Float { bits: 64 }, "double precision"),
        (
            "exact",
            DataType::Decimal {
                precision: None,
                scale: None,
            },
            "numeric",
        ),
        ("note", DataType::text(), "text"),
        ("active", DataType::Bool, "boolean"),
        ("born", DataType::Date, "date"),
        ("wakes", DataType::Time, "time without time zone"),
        ("seen", DataType::Timestamp, "timestamp without time zone"),
        ("seen_tz", DataType::TimestampTz, "timestamp with time zone"),
        ("pause", DataType::text(), "interval"),
        ("ext_id", DataType::Uuid, "uuid"),
        ("doc", DataType::Json, "json"),
        ("docb", DataType::Json, "jsonb"),
        ("photo", DataType::Bytes, "bytea"),
        ("ip", DataType::text(), "inet"),
        ("net", DataType::text(), "cidr"),
        ("mac", DataType::text(), "macaddr"),
        ("tags", DataType::text(), "text[]"),
        ("nums", DataType::text(), "integer[]"),
        ("feeling", DataType::text(), "public.mood"),
        ("rank", int(32), "public.posint"),
        ("search", DataType::text(), "tsvector"),
        ("cash", DataType::text(), "money"),
        ("name_upper", DataType::text(), "text"),
    ];
    assert_eq!(c.columns.len(), expect.len());
    for (column, (name, data_type, native)) in c.columns.iter().zip(expect) {
        assert_eq!(&column.name, name);
        assert_eq!(&column.data_type, data_type, "{name}");
        assert_eq!(column.native_type.as_deref(), Some(*native), "{name}");
    }
    assert!(!c.column("id").unwrap().nullable);
    assert!(!c.column("email").unwrap().nullable);
    assert!(c.column("name").unwrap().nullable);
    assert_eq!(c.primary_key, ["id"]);
    assert_eq!(c.unique, vec![vec!["email".to_string()]]);
    assert_eq!(
        c.indexes,
        vec![
            Index {
                name: "customers_code_idx".into(),
                columns: vec!["code".into(), "small".into()],
                unique: true,
            },
            Index {
                name: "customers_name_idx".into(),
                columns: vec!["name".into()],
                unique: false,
            },
        ],
        "constraint indexes and expression indexes are not listed"
    );

    let e = t("public.employees");
    assert_eq!(
        e.foreign_keys,
        vec![ForeignKey {
            columns: vec!["manager_id".into()],
            ref_table: "public.employees".into(),
            ref_columns: vec!["id".into()],
        }]
    );
    let o = t("sales.orders");
    assert_eq!(o.primary_key, ["region", "n"]);
    assert_eq!(o.unique, vec![vec!["invoice".to_string()]]);
    assert_eq!(o.foreign_keys[0].ref_table, "public.customers");
    let l = t("sales.order_lines");
    assert_eq!(l.primary_key, ["region", "n", "line"]);
    assert_eq!(
        l.foreign_keys,
        vec![ForeignKey {
            columns: vec!["region".into(), "n".into()],
            ref_table: "sales.orders".into(),
            ref_columns: vec!["region".into(), "n".into()],
        }]
    );
    let ev = t("public.events");
    assert_eq!(ev.primary_key, ["id", "at"]);
    assert!(t("public.nokey").primary_key.is_empty());

    // Never analysed: exact counts; partitioned: summed over the partitions.
    assert_eq!(source.estimate_rows(c).unwrap(), Some(3));
    assert_eq!(source.estimate_rows(ev).unwrap(), Some(3));
    db.client().batch_execute("ANALYZE").unwrap();
    assert_eq!(source.estimate_rows(ev).unwrap(), Some(3));
    // Analysed: the statistics answer, with no count(*) of the table (a row added since is
    // not seen), for a plain table as for a partitioned one.
    let nokey = t("public.nokey");
    db.client()
        .batch_execute("INSERT INTO public.nokey VALUES ('late', 4)")
        .unwrap();
    assert_eq!(source.estimate_rows(nokey).unwrap(), Some(3));
}

#[test]
fn unordered_reads_follow_storage_order() {
    let db = TestDb::create();
    db.client()
        .batch_execute(
            "CREATE TABLE t (id integer PRIMARY KEY, v text);
             INSERT INTO t VALUES (3, 'c'), (1, 'a'), (2, 'b');",
        )
        .unwrap();
    let mut source = open_source(&db.location(), &FileOptions::default()).unwrap();
    let schema = source.tables().unwrap().remove(0);
    let ids = |batches: datamask_core::source::BatchIter<'_>| -> Vec<Value> {
        batches
            .flat_map(|b| b.unwrap().columns.swap_remove(0))
            .collect()
    };
    let options = ReadOptions::default();
    let keyed = ids(source.read(&schema, &options).unwrap());
    assert_eq!(keyed, [Value::Int(1), Value::Int(2), Value::Int(3)]);
    for _ in 0..2 {
        let stored = ids(source.read_unordered(&schema, &options).unwrap());
        assert_eq!(stored, [Value::Int(3), Value::Int(1), Value::Int(2)]);
    }
}

#[test]
fn reads_values_in_key_order_with_filters_and_batches() {
    let db = fixture();
    let rows = read_all(&db.location(), "public.customers");
    assert_eq!(rows.len(), 3);
    let ann = &rows[0];
    assert_eq!(ann[0], Value::Int(1));
    assert_eq!(ann[1], Value::text("ann@example.com"));
    assert_eq!(ann[3], Value::text("ab  "), "char(n) keeps its padding");
    assert_eq!(ann[4], Value::Int(-32768));
    assert_eq!(ann[6], Value::Int(i64::MIN));
    assert_eq!(ann[7], Value::Decimal("-12345678.90".into()));
    assert_eq!(ann[8], Value::Float(f64::from(0.1f32)));
    assert_eq!(ann[9], Value::Float(1e300));
    assert_eq!(ann[11], Value::text("tab\there\nnew line \\ back \"q\" 's"));
    assert_eq!(ann[12], Value::Bool(true));
    assert_eq!(
        ann[16],
        Value::TimestampTz(
            chrono::DateTime::parse_from_rfc3339("2024-01-31T11:14:15Z")
                .unwrap()
                .to_utc()
        )
    );
    assert_eq!(ann[17], Value::text("1 year 2 mons 3 days 04:05:06.7"));
    assert_eq!(ann[19], Value::Json("{\"b\": 1,  \"a\": [1, 2]}".into()));
    assert_eq!(ann[20], Value::Json("{\"a\": [1, 2], \"b\": 1}".into()));
    assert_eq!(ann[21], Value::Bytes(vec![0, 255, 16]));
    assert_eq!(ann[22], Value::text("192.168.0.1/24"));
    assert_eq!(
        ann[25],
        Value::text("{x,NULL,\"with \\\"quote\\\"\",\"comma,here\",\"\"}")
    );
    assert_eq!(ann[27], Value::text("happy"));
    assert_eq!(ann[28], Value::Int(7));
    assert_eq!(ann[31], Value::text("ANN"));
    assert!(rows[1][3..31].iter().all(|v| v.is_null()));
    assert!(matches!(rows[2][8], Value::Float(f) if f.is_nan()));
    assert_eq!(rows[2][9], Value::Float(f64::NEG_INFINITY));
    assert_eq!(rows[2][10], Value::Decimal("NaN".into()));
    assert_eq!(
        rows[2][13],
        Value::Date(chrono::NaiveDate::from_ymd_opt(-43, 3, 15).unwrap())
    );

    let mut source = open_source(&db.location(), &FileOptions::default()).unwrap();
    let tables = source.tables().unwrap();
    let lines = tables
        .iter()
        .find(|t| t.name == "sales.order_lines")
        .unwrap();
    let options = ReadOptions {
        batch_size: 1,
        filter: Some("sku <> 'B'".into()),
    };
    let batches: Vec<Batch> = source
        .read(lines, &options)
        .unwrap()
        .map(|b| b.unwrap())
        .collect();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[1].columns[0][0], Value::text("us"));

    // A projection of the columns is read as asked.
    let mut projected = lines.clone();
    projected.columns = vec![lines.columns[3].clone(), lines.columns[0].clone()];
    let first = source
        .read(&projected, &ReadOptions::default())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(first.columns[0][0], Value::text("A"));
    assert_eq!(first.columns[1][0], Value::text("eu"));

    // A bad filter fails at read(), not later; an unknown table is a MissingTable.
    let bad = ReadOptions {
        batch_size: 10,
        filter: Some("no_such_column = 1".into()),
    };
    let err = source.read(lines, &bad).err().unwrap().to_string();
    assert!(err.contains("no_such_column"), "{err}");
    let ghost = TableSchema::new("public.ghost", vec![]);
    assert!(matches!(
        source.read(&ghost, &ReadOptions::default()).err().unwrap(),
        Error::MissingTable(_)
    ));
    // Stopping early ends the reader cleanly and the source stays usable.
    let events = tables.iter().find(|t| t.name == "public.events").unwrap();
    let one = ReadOptions {
        batch_size: 1,
        filter: None,
    };
    assert_eq!(
        source
            .read(events, &one)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(read_all(&db.location(), "public.events").len(), 3);
}

#[test]
fn pg_to_pg_copy_reproduces_data_and_schema() {
    let src = fixture();
    let dst = TestDb::named();
    copy(&src, &dst, true).unwrap();
    assert!(dst.exists(), "the target database is created");

    let (mut a, mut b) = (src.client(), dst.client());
    for table in TABLES {
        assert_eq!(checksum(&mut a, table), checksum(&mut b, table), "{table}");
    }
    // Types, domains, defaults, checks, keys, indexes, views, functions, triggers, comments,
    // partitions: the schema dumps are identical.
    assert_eq!(schema_dump(&src), schema_dump(&dst));

    // The materialized view is populated; sequences continue after the loaded data.
    let q = |c: &mut Client, sql: &str| -> String { c.query_one(sql, &[]).unwrap().get(0) };
    let totals = "SELECT string_agg(customer_id || '=' || total, ',' ORDER BY customer_id)::text \
                  FROM public.order_totals";
    assert_eq!(q(&mut a, totals), q(&mut b, totals));
    for sql in [
        "SELECT nextval('public.invoice_no')::text",
        "SELECT nextval('public.employees_id_seq')::text",
        "SELECT nextval('public.events_id_seq')::text",
        "SELECT nextval(pg_get_serial_sequence('public.customers', 'id'))::text",
    ] {
        assert_eq!(q(&mut a, sql), q(&mut b, sql), "{sql}");
    }
    // Read back through the source: the same values.
    for table in TABLES {
        // (Debug text, because NaN != NaN.)
        assert_eq!(
            format!("{:?}", read_all(&src.location(), table)),
            format!("{:?}", read_all(&dst.location(), table)),
            "{table}"
        );
    }

    // Generated columns were recomputed, the trigger fires, identity keeps working.
    b.batch_execute(
        "UPDATE public.customers SET name = 'Zed', seen = NULL WHERE id = 1;
         INSERT INTO public.customers (email) VALUES ('new@example.com');",
    )
    .unwrap();
    let row = b
        .query_one(
            "SELECT name_upper, seen IS NOT NULL FROM public.customers WHERE id = 1",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "ZED");
    assert!(row.get::<_, bool>(1));

    // A second run over the first replaces it and gives the same result.
    let dst2_before = checksum(&mut b, "public.customers");
    assert_ne!(dst2_before, checksum(&mut a, "public.customers"));
    drop(b);
    copy(&src, &dst, true).unwrap();
    let mut b = dst.client();
    for table in TABLES {
        assert_eq!(checksum(&mut a, table), checksum(&mut b, table), "{table}");
    }
    assert_eq!(schema_dump(&src), schema_dump(&dst));
}

#[test]
fn tables_created_from_table_schema_hold_the_same_rows() {
    // No schema source (as for a copy from another engine): tables come from TableSchema.
    let src = fixture();
    let dst = TestDb::named();
    copy(&src, &dst, false).unwrap();
    let (mut a, mut b) = (src.client(), dst.client());
    for table in TABLES {
        assert_eq!(checksum(&mut a, table), checksum(&mut b, table), "{table}");
    }
    let types: Vec<(String, String)> = b
        .query(
            "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = 'public.customers'::regclass AND attnum > 0 ORDER BY attnum",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let ty = |name: &str| types.iter().find(|t| t.0 == name).unwrap().1.as_str();
    assert_eq!(ty("email"), "character varying(120)");
    assert_eq!(ty("code"), "character(4)");
    assert_eq!(ty("price"), "numeric(10,2)");
    assert_eq!(ty("pause"), "interval");
    assert_eq!(ty("tags"), "text[]");
    assert_eq!(ty("docb"), "jsonb");
    assert_eq!(
        ty("feeling"),
        "text",
        "the enum does not exist in the target"
    );
    // Keys, uniques, indexes and foreign keys (towards tables of the run) are created.
    let constraints: Vec<(String, String)> = b
        .query(
            "SELECT conrelid::regclass::text, contype::text FROM pg_constraint \
             WHERE connamespace IN ('public'::regnamespace, 'sales'::regnamespace) \
               AND contype IN ('p', 'u', 'f') ORDER BY 1, 2",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let count = |t: &str, k: &str| constraints.iter().filter(|c| c.0 == t && c.1 == k).count();
    assert_eq!(count("customers", "p"), 1);
    assert_eq!(count("customers", "u"), 1);
    assert_eq!(count("employees", "f"), 1);
    assert_eq!(count("sales.order_lines", "f"), 1);
    assert_eq!(count("sales.orders", "f"), 1);
    let idx: i64 = b
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname IN \
             ('customers_code_idx', 'customers_name_idx')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(idx, 2);
}

#[test]
fn a_dropped_sink_leaves_the_target_untouched() {
    let src = fixture();
    let dst = TestDb::create();
    dst.client()
        .batch_execute(
            "CREATE TABLE public.customers (old text); INSERT INTO public.customers VALUES ('old');
             CREATE TABLE public.keep (k int); INSERT INTO public.keep VALUES (1);",
        )
        .unwrap();
    let before = schema_dump(&dst);
    let schema = TableSchema::new(
        "public.customers",
        vec![Column::new(
            "b",
            DataType::Int {
                bits: 64,
                unsigned: false,
            },
        )],
    );
    for with_schema in [false, true] {
        let mut options = FileOptions::default();
        if with_schema {
            options.schema_source = Some(src.url.clone());
        }
        let mut sink = open_sink(&dst.location(), &options).unwrap();
        assert_eq!(
            sink.existing_tables().unwrap(),
            ["public.customers", "public.keep"]
        );
        if with_schema {
            let mut source = open_source(&src.location(), &FileOptions::default()).unwrap();
            let tables = source.tables().unwrap();
            let mut w = sink.table(&tables[0]).unwrap();
            for batch in source.read(&tables[0], &ReadOptions::default()).unwrap() {
                w.write(&batch.unwrap()).unwrap();
            }
            w.finish().unwrap();
        } else {
            let mut w = sink.table(&schema).unwrap();
            w.write(&Batch::from_rows(1, vec![vec![Value::Int(1)]]))
                .unwrap();
            w.finish().unwrap();
        }
        drop(sink); // without commit
        assert_eq!(schema_dump(&dst), before);
        let rows = dst
            .client()
            .query("SELECT old FROM public.customers", &[])
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get::<_, String>(0), "old");
    }

    // A database the sink created is removed again when nothing was committed.
    let fresh = TestDb::named();
    {
        let mut sink = open_sink(&fresh.location(), &FileOptions::default()).unwrap();
        assert!(sink.existing_tables().unwrap().is_empty());
        sink.table(&schema).unwrap().finish().unwrap();
    }
    assert!(!fresh.exists());
}

#[test]
fn load_errors_name_table_column_and_row_but_not_the_value() {
    let dst = TestDb::create();
    let schema = TableSchema::new(
        "public.t",
        vec![
            Column::new("a", DataType::text()),
            Column::new(
                "n",
                DataType::Int {
                    bits: 32,
                    unsigned: false,
                },
            ),
        ],
    );
    let mut sink = open_sink(&dst.location(), &FileOptions::default()).unwrap();
    let mut w = sink.table(&schema).unwrap();
    let rows = vec![
        vec![Value::text("fine"), Value::Int(1)],
        vec![Value::text("fine"), Value::text("secret-value-42")],
    ];
    let result = w
        .write(&Batch::from_rows(2, rows))
        .and_then(|()| w.finish());
    let err = result.expect_err("an integer column refuses text");
    let text = err.to_string();
    match &err {
        Error::Value {
            table, column, row, ..
        } => {
            assert_eq!(table, "public.t");
            assert_eq!(column, "n");
            assert_eq!(row, "2");
        }
        other => panic!("expected a value error, got {other:?}"),
    }
    assert!(!text.contains("secret-value-42"), "{text}");
    assert!(text.contains("integer"), "{text}");
}

#[test]
fn probe_and_connection_errors_never_show_the_password() {
    let base = base_url();
    probe(&parse_location(&base, None).unwrap()).unwrap();
    // A missing target database is fine for a target (the sink creates it), not for probe().
    let missing = TestDb::named();
    assert!(!datamask_connectors::postgres::probe_target(&missing.url).unwrap());
    assert!(probe(&missing.location()).is_err());
    assert!(datamask_connectors::postgres::probe_target(&base).unwrap());
    assert!(!missing.exists());
    // An unknown sslmode is refused before connecting, naming the valid ones.
    let tls = format!(
        "{base}{}sslmode=sometimes",
        if base.contains('?') { '&' } else { '?' }
    );
    let err = probe(&parse_location(&tls, None).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("verify-full"), "{err}");

    let with_password = |url: &str| url.replacen("://", "://postgres:s3cr3t-pw@", 1);
    let host_part = |url: &str| {
        // drop any user info of the base URL, keep host/port/db
        let rest = &url[url.find("://").unwrap() + 3..];
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        format!("postgres://{rest}")
    };
    let missing_db = with_password(&url_with_db(&host_part(&base), "dm_no_such_database"));
    let unreachable = "postgres://u:s3cr3t-pw@127.0.0.1:1/db";
    for (url, expect) in [
        (missing_db.as_str(), "does not exist"),
        (unreachable, "connect"),
        (
            "postgres://u:s3cr3t-pw@127.0.0.1:5432/db?port=nope",
            "invalid",
        ),
    ] {
        let loc = parse_location(url, None).unwrap();
        let err = probe(&loc).expect_err("probe fails").to_string();
        assert!(!err.contains("s3cr3t-pw"), "{err}");
        assert!(err.contains("***"), "{err}");
        assert!(err.contains(expect), "{err}");
        let err = open_source(&loc, &FileOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("s3cr3t-pw"), "{err}");
    }
}

#[test]
fn query_inputs_are_described_and_read_without_writing() {
    let db = fixture();
    let mut source = open_source(&db.location(), &FileOptions::default()).unwrap();
    let sql = "SELECT c.id, c.email, o.total, o.total * 2 AS doubled, c.pause, c.rank
               FROM public.customers c JOIN sales.orders o ON o.customer_id = c.id
               ORDER BY c.id; ";
    let schema = source.describe_query("recent", sql).unwrap();
    assert_eq!(schema.name, "recent");
    let described: Vec<(&str, &DataType, &str)> = schema
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                &c.data_type,
                c.native_type.as_deref().unwrap(),
            )
        })
        .collect();
    let int = |bits| DataType::Int {
        bits,
        unsigned: false,
    };
    assert_eq!(
        described,
        [
            ("id", &int(64), "bigint"),
            // A result description names a domain's base type.
            (
                "email",
                &DataType::Text { max_len: Some(120) },
                "character varying(120)"
            ),
            (
                "total",
                &DataType::Decimal {
                    precision: Some(12),
                    scale: Some(2)
                },
                "numeric(12,2)"
            ),
            (
                "doubled",
                &DataType::Decimal {
                    precision: None,
                    scale: None
                },
                "numeric"
            ),
            ("pause", &DataType::text(), "interval"),
            ("rank", &int(32), "integer"),
        ]
    );
    let rows: Vec<Vec<Value>> = source
        .read_query(&schema, sql, &ReadOptions::default())
        .unwrap()
        .flat_map(|b| {
            let b = b.unwrap();
            (0..b.len())
                .map(|r| b.row(r).cloned().collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        [
            Value::Int(1),
            Value::text("ann@example.com"),
            Value::Decimal("10.50".into()),
            Value::Decimal("21.00".into()),
            Value::text("1 year 2 mons 3 days 04:05:06.7"),
            Value::Int(7),
        ]
    );

    // Duplicate names and bad SQL are clear errors at describe time.
    let err = source
        .describe_query("dup", "SELECT 1 AS a, 2 AS a")
        .unwrap_err()
        .to_string();
    assert!(err.contains("two columns named `a`"), "{err}");
    let err = source
        .describe_query("bad", "SELECT nope FROM public.customers")
        .unwrap_err()
        .to_string();
    assert!(err.contains("query `bad`") && err.contains("nope"), "{err}");

    // A query that would write is refused when it runs, and writes nothing.
    let sql = "WITH d AS (DELETE FROM public.nokey RETURNING a) SELECT a FROM d";
    let schema = source.describe_query("sneaky", sql).unwrap();
    assert!(source
        .read_query(&schema, sql, &ReadOptions::default())
        .is_err());
    let sql = "SELECT nextval('public.invoice_no') AS n";
    let schema = source.describe_query("sneaky", sql).unwrap();
    let err = source
        .read_query(&schema, sql, &ReadOptions::default())
        .unwrap()
        .find_map(|r| r.err())
        .expect("the read fails")
        .to_string();
    assert!(err.contains("read-only"), "{err}");
    let mut c = db.client();
    let n: i64 = c
        .query_one("SELECT count(*) FROM public.nokey", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    let last: i64 = c
        .query_one("SELECT last_value FROM public.invoice_no", &[])
        .unwrap()
        .get(0);
    assert_eq!(last, 1003, "three orders and one nextval in the fixture");
}

/// Run in a child process by `a_killed_run_leaves_the_target_untouched`: loads part of a copy,
/// signals, and waits to be killed. Does nothing in a normal test run.
#[test]
fn kill_helper() {
    let Ok(spec) = std::env::var("DM_PG_KILL_HELPER") else {
        return;
    };
    let mut parts = spec.split('\n');
    let (src, dst, marker) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let options = FileOptions {
        schema_source: Some(src.to_string()),
        ..FileOptions::default()
    };
    let mut source = open_source(&parse_location(src, None).unwrap(), &options).unwrap();
    let mut sink = open_sink(&parse_location(dst, None).unwrap(), &options).unwrap();
    let tables = source.tables().unwrap();
    let mut writer = sink.table(&tables[0]).unwrap();
    for batch in source.read(&tables[0], &ReadOptions::default()).unwrap() {
        writer.write(&batch.unwrap()).unwrap();
    }
    writer.finish().unwrap();
    std::fs::write(marker, "loading").unwrap();
    std::thread::sleep(std::time::Duration::from_secs(60));
    panic!("the helper should have been killed");
}

#[test]
fn a_killed_run_leaves_the_target_untouched_and_a_rerun_completes() {
    let src = fixture();
    let dst = TestDb::create();
    dst.client()
        .batch_execute(
            "CREATE TABLE public.customers (old text); INSERT INTO public.customers VALUES ('old');",
        )
        .unwrap();
    let before = schema_dump(&dst);
    let marker = std::env::temp_dir().join(format!("{}.loading", dst.name));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["kill_helper", "--exact", "--nocapture"])
        .env(
            "DM_PG_KILL_HELPER",
            format!("{}\n{}\n{}", src.url, dst.url, marker.display()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed().as_secs() < 30,
            "the helper did not start loading"
        );
        assert!(child.try_wait().unwrap().is_none(), "the helper died early");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let _ = std::fs::remove_file(&marker);

    // The server rolls the dead session's transaction back.
    assert_eq!(schema_dump(&dst), before);
    let old: String = dst
        .client()
        .query_one("SELECT old FROM public.customers", &[])
        .unwrap()
        .get(0);
    assert_eq!(old, "old");

    copy(&src, &dst, true).unwrap();
    let (mut a, mut b) = (src.client(), dst.client());
    for table in TABLES {
        assert_eq!(checksum(&mut a, table), checksum(&mut b, table), "{table}");
    }
}

#[test]
fn large_tables_stream_in_bounded_batches() {
    let db = TestDb::create();
    db.client()
        .batch_execute(
            "CREATE TABLE public.big (id integer PRIMARY KEY, v text);
             INSERT INTO public.big SELECT i, 'v' || i FROM generate_series(200000, 1, -1) i;",
        )
        .unwrap();
    let mut source = open_source(&db.location(), &FileOptions::default()).unwrap();
    let big = source.tables().unwrap().remove(0);
    let options = ReadOptions {
        batch_size: 5000,
        filter: None,
    };
    let (mut total, mut last) = (0, 0);
    for batch in source.read(&big, &options).unwrap() {
        let batch = batch.unwrap();
        assert!(batch.len() <= 5000);
        total += batch.len();
        for v in &batch.columns[0] {
            let Value::Int(id) = v else { panic!() };
            assert_eq!(*id, last + 1, "primary-key order");
            last = *id;
        }
    }
    assert_eq!(total, 200_000);
    // Stopping after one batch cancels the server side; the source stays usable.
    let started = std::time::Instant::now();
    for _ in 0..3 {
        let first = source
            .read(&big, &options)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(first.len(), 5000);
    }
    assert!(started.elapsed().as_secs() < 10);
    let filtered = ReadOptions {
        batch_size: 10,
        filter: Some("id % 50000 = 0".into()),
    };
    let rows: usize = source
        .read(&big, &filtered)
        .unwrap()
        .map(|b| b.unwrap().len())
        .sum();
    assert_eq!(rows, 4);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_tables_load_into_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("src.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            r#"CREATE TABLE customers (
                 id INTEGER PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, active BOOLEAN,
                 born DATE, balance DECIMAL(10,2), photo BLOB, meta JSON, score REAL, untyped);
               CREATE TABLE orders (id INTEGER PRIMARY KEY,
                 customer_id INTEGER REFERENCES customers(id), note TEXT);
               CREATE INDEX orders_customer ON orders (customer_id);
               INSERT INTO customers VALUES
                 (1, 'a@x.io', 1, '2001-02-03', '12.50', x'00ff', '{"a": 1}', 1.5, 'free'),
                 (2, 'b@x.io', 0, NULL, 7, NULL, NULL, -0.25, 42);
               INSERT INTO orders VALUES (10, 1, 'tab	and
newline'), (11, NULL, NULL);"#,
        )
        .unwrap();
    }
    let dst = TestDb::named();
    let options = FileOptions::default();
    let src = parse_location(&format!("sqlite://{}", path.display()), None).unwrap();
    let mut source = open_source(&src, &options).unwrap();
    let mut sink = open_sink(&dst.location(), &options).unwrap();
    for table in source.tables().unwrap() {
        let mut w = sink.table(&table).unwrap();
        for batch in source.read(&table, &ReadOptions::default()).unwrap() {
            w.write(&batch.unwrap()).unwrap();
        }
        w.finish().unwrap();
    }
    sink.commit().unwrap();

    let mut c = dst.client();
    let rows: Vec<String> = c
        .query("SELECT t::text FROM public.customers t ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        rows,
        [
            r#"(1,a@x.io,t,2001-02-03,12.50,"\\x00ff","{""a"": 1}",1.5,free)"#,
            r#"(2,b@x.io,f,,7.00,,,-0.25,42)"#,
        ]
    );
    let note: String = c
        .query_one("SELECT note FROM public.orders WHERE id = 10", &[])
        .unwrap()
        .get(0);
    assert_eq!(note, "tab\tand\nnewline");
    let fks: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' \
             AND conrelid = 'public.orders'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(fks, 1);
    let tables = open_source(&dst.location(), &options)
        .unwrap()
        .tables()
        .unwrap();
    assert_eq!(tables[0].name, "public.customers");
    assert_eq!(
        tables[0].column("id").unwrap().data_type,
        DataType::Int {
            bits: 64,
            unsigned: false
        }
    );
    assert_eq!(
        tables[0].column("active").unwrap().data_type,
        DataType::Bool
    );
    assert_eq!(tables[0].indexes.len(), 0);
    assert_eq!(tables[1].indexes[0].name, "orders_customer");
}

#[test]
fn a_skipped_table_is_left_out_of_the_target_with_what_depends_on_it() {
    let src = fixture();
    let dst = TestDb::create();
    let options = FileOptions {
        schema_source: Some(src.url.clone()),
        ..FileOptions::default()
    };
    let mut source = open_source(&src.location(), &options).unwrap();
    let mut sink = open_sink(&dst.location(), &options).unwrap();
    for table in source.tables().unwrap() {
        if table.name == "public.customers" {
            continue; // skipped, while sales.orders references it
        }
        let mut w = sink.table(&table).unwrap();
        for batch in source.read(&table, &ReadOptions::default()).unwrap() {
            w.write(&batch.unwrap()).unwrap();
        }
        w.finish().unwrap();
    }
    sink.commit().unwrap();
    let mut c = dst.client();
    let gone: bool = c
        .query_one("SELECT to_regclass('public.customers') IS NULL", &[])
        .unwrap()
        .get(0);
    assert!(gone, "a skipped table is not created");
    let fks: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' \
             AND conname = 'orders_customer_id_fkey'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        fks, 0,
        "the foreign key towards the skipped table is left out"
    );
    let copied: i64 = c
        .query_one("SELECT count(*) FROM sales.orders", &[])
        .unwrap()
        .get(0);
    let original: i64 = src
        .client()
        .query_one("SELECT count(*) FROM sales.orders", &[])
        .unwrap()
        .get(0);
    assert_eq!(copied, original);
    let indexes: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'sales' AND tablename = 'orders'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(indexes > 0, "the copied table keeps its keys and indexes");
}

#[test]
fn a_second_run_lock_is_refused_naming_the_first() {
    use datamask_connectors::lock::{acquire, Holder, LockError};
    let holder = |run: &str| Holder {
        run_id: run.into(),
        actor: "alice".into(),
        host: "box".into(),
        pid: 7,
        started: "2026-01-01T00:00:00Z".into(),
    };
    // The database does not exist yet: the lock must not need it.
    let db = TestDb::named();
    let first = acquire(&db.location(), &holder("first-run")).unwrap();
    match acquire(&db.location(), &holder("second-run")) {
        Err(LockError::Busy { holder, target }) => {
            let holder = holder.expect("the holder is named");
            assert!(
                holder.contains("datamask run first-run alice@box"),
                "{holder}"
            );
            assert!(target.contains(&db.name));
        }
        other => panic!("expected busy, got {other:?}"),
    }
    let other = TestDb::named();
    drop(acquire(&other.location(), &holder("elsewhere")).unwrap());
    drop(first);
    drop(acquire(&db.location(), &holder("third-run")).unwrap());
}

/// Columns of every type that loads in binary COPY, plus a domain.
const KINDS: &str = "
CREATE DOMAIN public.positive AS integer CHECK (VALUE > 0);
CREATE TABLE public.kinds_a (
  id int PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
  t text, v varchar(5), c char(4), n numeric(10,2), nn numeric, j json, jb jsonb, by bytea,
  d date, tm time, ts timestamp(3), tz timestamptz, u uuid, dm public.positive);
CREATE TABLE public.kinds_b (LIKE public.kinds_a);";

/// A row of `kinds_a` whose values all have the column's own variant (so it loads in binary).
fn kinds_row(id: i64, variant: usize) -> Vec<Value> {
    use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    if variant == 2 {
        let mut row = vec![Value::Null; 21];
        row[0] = Value::Int(id);
        return row;
    }
    let (f4, f8, n, nn) = if variant == 0 {
        (
            0.5,
            0.1,
            "-12.345",
            "123456789012345678901234567890.000000000001",
        )
    } else {
        (f64::NAN, -0.0, "0.00", "-0.0001")
    };
    vec![
        Value::Int(id),
        Value::Bool(variant == 0),
        Value::Int(-32768),
        Value::Int(2_147_483_647),
        Value::UInt(42),
        Value::Float(f4),
        Value::Float(f8),
        Value::text("tab\there\\ and \u{fc}n\u{ef}code\nnext"),
        Value::text("abc"),
        Value::text("ab"),
        Value::Decimal(n.into()),
        Value::Decimal(nn.into()),
        Value::Json("{\"a\": [1, 2]}".into()),
        Value::Json("{\"b\":1, \"a\":2}".into()),
        Value::Bytes(vec![0, 255, 92]),
        Value::Date(if variant == 0 {
            date(-43, 3, 15)
        } else {
            date(1999, 12, 31)
        }),
        Value::Time(if variant == 0 {
            NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap()
        } else {
            NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap() // a leap second
        }),
        Value::Timestamp(
            date(2000, 1, 1)
                .and_hms_nano_opt(0, 0, 0, 123_456_789)
                .unwrap(),
        ),
        Value::TimestampTz(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap()),
        Value::Uuid(*b"0123456789abcdef"),
        Value::Int(5),
    ]
}

fn kinds_table(source: &TestDb, name: &str) -> TableSchema {
    let mut source = open_source(&source.location(), &FileOptions::default()).unwrap();
    let tables = source.tables().unwrap();
    tables.into_iter().find(|t| t.name == name).unwrap()
}

#[test]
fn binary_and_text_loads_land_the_same_values() {
    let src = TestDb::create();
    src.client().batch_execute(KINDS).unwrap();
    let dst = TestDb::named();
    let options = FileOptions {
        schema_source: Some(src.url.clone()),
        ..FileOptions::default()
    };
    let mut sink = open_sink(&dst.location(), &options).unwrap();
    // kinds_a: every batch has a binary form. kinds_b: the same rows after one whose date is
    // text (as from SQLite), which sends that batch and the rest of the table as text.
    let mut odd = kinds_row(0, 0);
    odd[15] = Value::text("2024-01-05");
    for (table, lead) in [("public.kinds_a", None), ("public.kinds_b", Some(odd))] {
        let mut w = sink.table(&kinds_table(&src, table)).unwrap();
        let batches = lead.map(|row| vec![row]).into_iter().chain([
            vec![kinds_row(1, 0), kinds_row(2, 1)],
            vec![kinds_row(3, 2)],
        ]);
        for rows in batches {
            w.write(&Batch::from_rows(21, rows)).unwrap();
        }
        w.finish().unwrap();
    }
    sink.commit().unwrap();

    let rows = |table: &str| -> Vec<String> {
        dst.client()
            .query(
                &format!(
                    "SELECT row_value::text FROM public.{table} row_value WHERE id > 0 ORDER BY id"
                ),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let binary = rows("kinds_a");
    assert_eq!(binary, rows("kinds_b"));
    assert_eq!(binary.len(), 3);
    // The receive functions applied the columns' modifiers, as the input functions do.
    assert!(binary[0].contains(",-12.35,"), "{}", binary[0]);
    assert!(
        binary[0].contains("\"2000-01-01 00:00:00.123\""),
        "{}",
        binary[0]
    );
    assert!(binary[0].contains("\"ab  \""), "{}", binary[0]);
    assert!(binary[0].contains("0044-03-15 BC"), "{}", binary[0]);
    let odd: String = dst
        .client()
        .query_one("SELECT d::text FROM public.kinds_b WHERE id = 0", &[])
        .unwrap()
        .get(0);
    assert_eq!(odd, "2024-01-05");
}

#[test]
fn binary_load_errors_name_the_row_across_a_switch_to_text() {
    let src = TestDb::create();
    src.client().batch_execute(KINDS).unwrap();
    let table = kinds_table(&src, "public.kinds_a");
    let options = FileOptions {
        schema_source: Some(src.url.clone()),
        ..FileOptions::default()
    };
    // (second batch, expected column, expected row): a value the server refuses in binary
    // (too long for varchar(5), a domain check), and one in text after the switch.
    let mut too_long = kinds_row(5, 0);
    too_long[8] = Value::text("secret-too-long");
    let mut not_positive = kinds_row(5, 0);
    not_positive[20] = Value::Int(-7);
    let mut not_a_number = kinds_row(5, 0);
    not_a_number[3] = Value::text("secret-value-42");
    for (bad, column, row) in [
        (too_long, "v", "5"),
        (not_positive, "dm", "5"),
        (not_a_number, "i4", "5"),
    ] {
        let dst = TestDb::named();
        let mut sink = open_sink(&dst.location(), &options).unwrap();
        let mut w = sink.table(&table).unwrap();
        let first: Vec<_> = (1..=3).map(|i| kinds_row(i, 0)).collect();
        let result = w
            .write(&Batch::from_rows(21, first))
            .and_then(|()| w.write(&Batch::from_rows(21, vec![kinds_row(4, 1), bad])))
            .and_then(|()| w.finish());
        let err = result.expect_err("the server refuses the value");
        let text = err.to_string();
        match &err {
            Error::Value {
                table,
                column: c,
                row: r,
                ..
            } => {
                assert_eq!(table, "public.kinds_a");
                assert_eq!((c.as_str(), r.as_str()), (column, row), "{text}");
            }
            other => panic!("expected a value error, got {other:?}"),
        }
        assert!(!text.contains("secret"), "{text}");
        drop(sink);
        assert!(!dst.exists(), "nothing is left behind");
    }
}
