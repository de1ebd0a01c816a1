//! Catalog introspection: one query per kind of object for the whole database.

use super::conn::Target;
use super::types::{classify, Wire};
use datamask_core::{Column, ForeignKey, Index, TableSchema};
use postgres::Client;
use std::collections::HashMap;

/// A table as the source knows it: its schema plus what reading it needs.
#[derive(Debug, Clone)]
pub(crate) struct TableMeta {
    pub(crate) oid: u32,
    pub(crate) schema: TableSchema,
    /// `r` (ordinary) or `p` (partitioned).
    pub(crate) relkind: String,
    /// How each column of `schema.columns` travels.
    pub(crate) wires: Vec<Wire>,
    /// Generated (computed) columns, by position.
    pub(crate) generated: Vec<bool>,
}

impl TableMeta {
    /// `FROM` target: `ONLY "s"."t"` for ordinary tables (so inheritance children are not
    /// read twice), the parent itself for partitioned tables (which reads every partition).
    pub(crate) fn relation_sql(&self) -> String {
        let q = super::conn::qualified(&self.schema.name);
        if self.relkind == "p" {
            q
        } else {
            format!("ONLY {q}")
        }
    }
}

/// Which relations are user tables: ordinary and partitioned tables of non-system schemas,
/// not partitions (read through their parent) and not tables owned by an extension.
const TABLES: &str = "
SELECT c.oid, n.nspname::text AS nspname, c.relname::text AS relname, c.relkind::text AS relkind
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
      AND d.deptype = 'e')
ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

const COLUMNS: &str = "
SELECT a.attrelid, a.attname::text AS attname, a.atttypid, a.atttypmod,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS native,
       a.attnotnull, a.attgenerated::text AS generated,
       pg_catalog.col_description(a.attrelid, a.attnum) AS comment
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum";

const DOMAINS: &str = "
SELECT oid, typbasetype, typtypmod FROM pg_catalog.pg_type WHERE typtype = 'd'";

const CONSTRAINTS: &str = "
SELECT con.conrelid, con.contype::text AS contype,
  ARRAY(SELECT a.attname::text
        FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY k(n, i)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
        ORDER BY k.i) AS cols,
  rn.nspname::text || '.' || rc.relname::text AS ref_table,
  ARRAY(SELECT a.attname::text
        FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY k(n, i)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
        ORDER BY k.i) AS ref_cols
FROM pg_catalog.pg_constraint con
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.conrelid = ANY($1) AND con.contype IN ('p', 'u', 'f') AND con.conparentid = 0
ORDER BY con.conrelid, con.contype, con.conname COLLATE \"C\"";

/// Table CHECK constraints, as PostgreSQL prints them.
const CHECKS: &str = "
SELECT con.conrelid, pg_catalog.pg_get_constraintdef(con.oid) AS def
FROM pg_catalog.pg_constraint con
WHERE con.conrelid = ANY($1) AND con.contype = 'c'
ORDER BY con.conrelid, con.conname COLLATE \"C\"";

/// CHECK constraints of domains (`CHECK (VALUE > 0)`), by domain type.
const DOMAIN_CHECKS: &str = "
SELECT con.contypid, pg_catalog.pg_get_constraintdef(con.oid) AS def
FROM pg_catalog.pg_constraint con
WHERE con.contypid <> 0 AND con.contype = 'c'
ORDER BY con.contypid, con.conname COLLATE \"C\"";

/// The labels of every enum type, in their declared order.
const ENUMS: &str = "
SELECT enumtypid, enumlabel::text AS label FROM pg_catalog.pg_enum
ORDER BY enumtypid, enumsortorder";

/// Plain indexes (not those behind a primary key, unique or exclusion constraint); indexes on
/// expressions and partial indexes are flagged so they can be left out.
const INDEXES: &str = "
SELECT i.indrelid, ic.relname::text AS name, i.indisunique,
  ARRAY(SELECT a.attname::text
        FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY k(n, o)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
        WHERE k.o <= i.indnkeyatts
        ORDER BY k.o) AS cols,
  (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL) AS complex
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                    AND c.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname COLLATE \"C\"";

/// Every user table of the database with columns, keys and indexes.
///
/// Runs in a read-only transaction with `search_path` emptied, so `format_type` qualifies every
/// type outside `pg_catalog` (`public.mood`) and the queries see one consistent catalog.
pub(crate) fn load(client: &mut Client, target: &Target) -> datamask_core::Result<Vec<TableMeta>> {
    let err = |e| target.error_in("reading the catalog", e);
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()
        .map_err(err)?;
    tx.batch_execute("SET LOCAL search_path = pg_catalog")
        .map_err(err)?;

    let mut metas: Vec<TableMeta> = Vec::new();
    let mut by_oid: HashMap<u32, usize> = HashMap::new();
    for row in tx.query(TABLES, &[]).map_err(err)? {
        let oid: u32 = row.get("oid");
        let schema: String = row.get("nspname");
        let name: String = row.get("relname");
        by_oid.insert(oid, metas.len());
        metas.push(TableMeta {
            oid,
            schema: TableSchema::new(format!("{schema}.{name}"), Vec::new()),
            relkind: row.get("relkind"),
            wires: Vec::new(),
            generated: Vec::new(),
        });
    }
    if metas.is_empty() {
        tx.commit().map_err(err)?;
        return Ok(metas);
    }
    let oids: Vec<u32> = metas.iter().map(|m| m.oid).collect();

    let domains = domains(&mut tx).map_err(err)?;
    let limits = Limits::load(&mut tx).map_err(err)?;

    for row in tx.query(COLUMNS, &[&oids]).map_err(err)? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>("attrelid")) else {
            continue;
        };
        let declared: u32 = row.get("atttypid");
        let (type_oid, typmod) = resolve_domain(&domains, declared, row.get("atttypmod"));
        let (data_type, wire) = classify(type_oid, typmod);
        let generated: String = row.get("generated");
        let meta = &mut metas[i];
        let name: String = row.get("attname");
        let constraints = limits.of(&domains, declared, type_oid);
        if !generated.is_empty() {
            meta.schema.generated.push(name.clone());
        }
        meta.schema.columns.push(Column {
            name,
            data_type,
            native_type: Some(row.get("native")),
            nullable: !row.get::<_, bool>("attnotnull"),
            constraints,
            comment: row
                .get::<_, Option<String>>("comment")
                .filter(|c| !c.trim().is_empty()),
        });
        meta.wires.push(wire);
        meta.generated.push(!generated.is_empty());
    }

    for row in tx.query(CONSTRAINTS, &[&oids]).map_err(err)? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>("conrelid")) else {
            continue;
        };
        let schema = &mut metas[i].schema;
        let cols: Vec<String> = row.get("cols");
        match row.get::<_, String>("contype").as_str() {
            "p" => schema.primary_key = cols,
            "u" => schema.unique.push(cols),
            _ => schema.foreign_keys.push(ForeignKey {
                columns: cols,
                ref_table: row
                    .get::<_, Option<String>>("ref_table")
                    .unwrap_or_default(),
                ref_columns: row.get("ref_cols"),
            }),
        }
    }

    for row in tx.query(CHECKS, &[&oids]).map_err(err)? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>("conrelid")) else {
            continue;
        };
        let def: String = row.get("def");
        crate::checks::attach(&mut metas[i].schema, crate::checks::parse(&def));
    }

    for row in tx.query(INDEXES, &[&oids]).map_err(err)? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>("indrelid")) else {
            continue;
        };
        if row.get::<_, bool>("complex") {
            continue; // an expression or partial index cannot be described by column names
        }
        metas[i].schema.indexes.push(Index {
            name: row.get("name"),
            columns: row.get("cols"),
            unique: row.get("indisunique"),
        });
    }
    tx.commit().map_err(err)?;
    Ok(metas)
}

/// Enum labels and domain checks, which constrain the columns of those types.
struct Limits {
    enums: HashMap<u32, Vec<String>>,
    /// Domain oid -> its checks, written about `VALUE`.
    domain_checks: HashMap<u32, Vec<(String, datamask_core::Check)>>,
}

impl Limits {
    fn load(client: &mut impl postgres::GenericClient) -> Result<Limits, postgres::Error> {
        let mut enums: HashMap<u32, Vec<String>> = HashMap::new();
        for r in client.query(ENUMS, &[])? {
            enums.entry(r.get(0)).or_default().push(r.get(1));
        }
        let mut domain_checks: HashMap<u32, Vec<_>> = HashMap::new();
        for r in client.query(DOMAIN_CHECKS, &[])? {
            let def: String = r.get(1);
            domain_checks
                .entry(r.get(0))
                .or_default()
                .extend(crate::checks::parse(&def));
        }
        Ok(Limits {
            enums,
            domain_checks,
        })
    }

    /// The constraints a column of type `declared` (possibly a domain over `base`) carries.
    fn of(
        &self,
        domains: &HashMap<u32, (u32, i32)>,
        declared: u32,
        base: u32,
    ) -> datamask_core::Constraints {
        let mut c = datamask_core::Constraints {
            enum_values: self.enums.get(&base).cloned().unwrap_or_default(),
            checks: Vec::new(),
        };
        let mut t = declared;
        for _ in 0..32 {
            for (target, check) in self.domain_checks.get(&t).into_iter().flatten() {
                if target.eq_ignore_ascii_case("value") && !c.checks.contains(check) {
                    c.checks.push(check.clone());
                }
            }
            match domains.get(&t) {
                Some(&(next, _)) => t = next,
                None => break,
            }
        }
        c
    }
}

/// Every domain's base type and modifier.
pub(crate) fn domains(
    client: &mut impl postgres::GenericClient,
) -> Result<HashMap<u32, (u32, i32)>, postgres::Error> {
    Ok(client
        .query(DOMAINS, &[])?
        .iter()
        .map(|r| (r.get::<_, u32>(0), (r.get::<_, u32>(1), r.get::<_, i32>(2))))
        .collect())
}

/// The base type and modifier of a (possibly domain) type: a domain travels as its base type,
/// domains over domains included.
pub(crate) fn resolve_domain(
    domains: &HashMap<u32, (u32, i32)>,
    mut type_oid: u32,
    mut typmod: i32,
) -> (u32, i32) {
    let mut depth = 0;
    while let Some(&(base, base_mod)) = domains.get(&type_oid) {
        type_oid = base;
        if base_mod >= 0 || typmod < 0 {
            typmod = base_mod;
        }
        depth += 1;
        if depth > 32 {
            break;
        }
    }
    (type_oid, typmod)
}

/// Names (`schema.table`) of the user tables, without the rest of the introspection.
pub(crate) fn table_names(
    client: &mut Client,
    target: &Target,
) -> datamask_core::Result<Vec<String>> {
    let rows = client
        .query(TABLES, &[])
        .map_err(|e| target.error_in("listing tables", e))?;
    Ok(rows
        .iter()
        .map(|r| format!("{}.{}", r.get::<_, String>(1), r.get::<_, String>(2)))
        .collect())
}

/// A row-count estimate from the planner statistics (`pg_class.reltuples`, summed over the
/// partitions of a partitioned table), or an exact `count(*)` for a table never analysed.
///
/// `pg_partition_tree` lists nothing for a table that is not partitioned, so the relation
/// itself is asked for too (a partitioned parent holds no rows of its own and is left out).
pub(crate) fn estimate_rows(
    client: &mut Client,
    target: &Target,
    meta: &TableMeta,
) -> datamask_core::Result<u64> {
    let err = |e| target.error_in("estimating rows", e);
    let row = client
        .query_one(
            "SELECT pg_catalog.sum(GREATEST(c.reltuples, 0))::float8,
                    pg_catalog.bool_or(c.reltuples < 0)
             FROM pg_catalog.pg_class c
             WHERE c.relkind <> 'p'
               AND (c.oid = $1 OR c.oid IN (
                   SELECT t.relid
                   FROM pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass) t
                   WHERE t.isleaf))",
            &[&meta.oid],
        )
        .map_err(err)?;
    let estimate: Option<f64> = row.get(0);
    let unknown: Option<bool> = row.get(1);
    if unknown.unwrap_or(true) {
        let sql = format!("SELECT pg_catalog.count(*) FROM {}", meta.relation_sql());
        let n: i64 = client.query_one(&sql, &[]).map_err(err)?.get(0);
        return Ok(n.max(0) as u64);
    }
    Ok(estimate.unwrap_or(0.0).max(0.0).round() as u64)
}

/// The constraints PostgreSQL enforces on `meta`'s rows: valid unique indexes over plain
/// columns without a predicate, NOT NULL columns, validated foreign keys (a `NOT VALID` one
/// does not vouch for the rows loaded before it).
pub(crate) fn enforced(
    client: &mut Client,
    target: &Target,
    meta: &TableMeta,
) -> datamask_core::Result<datamask_core::Enforced> {
    let err = |e| target.error_in("reading constraints", e);
    let mut columns = |sql: &str| -> datamask_core::Result<Vec<Vec<String>>> {
        Ok(client
            .query(sql, &[&meta.oid])
            .map_err(err)?
            .iter()
            .map(|r| r.get::<_, Vec<String>>(0))
            .collect())
    };
    let unique = columns(
        "SELECT ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(i.indkey) WITH ORDINALITY k(n, o)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                 ORDER BY k.o)
         FROM pg_catalog.pg_index i
         WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid
           AND i.indpred IS NULL AND i.indexprs IS NULL
         ORDER BY i.indexrelid",
    )?;
    let not_null = columns(
        "SELECT ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
                 ORDER BY a.attnum)",
    )?
    .into_iter()
    .flatten()
    .collect();
    let foreign_keys = client
        .query(
            "SELECT ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(c.conkey) WITH ORDINALITY k(n, o)
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                     ORDER BY k.o),
                    n.nspname::text || '.' || r.relname::text,
                    ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(c.confkey) WITH ORDINALITY k(n, o)
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                     ORDER BY k.o)
             FROM pg_catalog.pg_constraint c
             JOIN pg_catalog.pg_class r ON r.oid = c.confrelid
             JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
             WHERE c.conrelid = $1 AND c.contype = 'f' AND c.convalidated
             ORDER BY c.conname",
            &[&meta.oid],
        )
        .map_err(err)?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    Ok(datamask_core::Enforced {
        unique,
        not_null,
        foreign_keys,
    })
}
