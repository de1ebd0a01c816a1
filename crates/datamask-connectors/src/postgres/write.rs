//! The PostgreSQL sink: one transaction, binary or text `COPY ... FROM STDIN`, keys last.

use super::binary;
use super::conn::{
    describe, qualified, quote_ident, quote_list, split_name, sqlstate, Target, KIND,
};
use super::dump::{self, SchemaScript};
use super::introspect;
use super::load;
use super::types::{native_equivalent, pg_type, Wire};
use crate::FileOptions;
use datamask_core::{Column, DataType, Error, Result, Sink, TableSchema, TableWriter};
use postgres::error::SqlState;
use postgres::Client;
use std::collections::HashSet;

/// A PostgreSQL database written in one transaction.
pub struct PgSink {
    target: Target,
    client: Option<Client>,
    /// The database did not exist and this sink created it: dropped again unless committed.
    created_db: bool,
    committed: bool,
    /// The source schema to replay (when `FileOptions::schema_source` is a PostgreSQL URL).
    schema: Option<SchemaScript>,
    schema_applied: bool,
    written: Vec<Written>,
    /// `mode: in_place`: tables are staged in temporary tables and replaced at commit.
    in_place: bool,
    staged: Vec<StagedTable>,
}

/// A table of an in-place run, staged in a temporary table until commit.
struct StagedTable {
    /// `schema.table`.
    name: String,
    /// `"schema"."table"`.
    qualified: String,
    /// The temporary table holding the masked rows.
    stage: String,
    /// The loaded (non-generated) columns, quoted and comma-separated.
    columns: String,
    /// `r` (ordinary table, replaced with `ONLY`: inheritance children are tables of their
    /// own) or `p` (partitioned: its partitions are replaced with it).
    relkind: String,
}

/// A table written in this run.
struct Written {
    /// `schema.table`.
    name: String,
    table: TableSchema,
    /// Created from its `TableSchema` (rather than by the replayed source schema), so its keys
    /// and indexes are added at commit.
    from_table_schema: bool,
}

fn normalized(name: &str) -> String {
    let (schema, table) = split_name(name);
    format!("{schema}.{table}")
}

impl PgSink {
    /// Connects to `url` (creating the database if it does not exist) and starts the run's
    /// transaction. With `options.schema_source` naming a PostgreSQL database, its schema is
    /// dumped now, so a missing `pg_dump` or an unreachable source fails before anything is
    /// written.
    pub fn open(url: &str, options: &FileOptions) -> Result<PgSink> {
        let target = Target::parse(url)?;
        let source = options
            .schema_source
            .as_deref()
            .filter(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
            .map(Target::parse)
            .transpose()?;
        if let Some(source) = &source {
            if source.same_database(&target) {
                return Err(Error::Unsupported(format!(
                    "{}: the target is the source database itself; refusing to replace its \
                     tables (write to another database)",
                    target.display
                )));
            }
        }
        let schema = source.as_ref().map(dump::dump).transpose()?;
        let (client, created_db) = if options.in_place {
            (target.connect()?, false)
        } else {
            connect_or_create(&target)?
        };
        let mut sink = PgSink {
            target,
            client: Some(client),
            created_db,
            committed: false,
            schema,
            schema_applied: false,
            written: Vec::new(),
            in_place: options.in_place,
            staged: Vec::new(),
        };
        sink.execute("starting the transaction", "BEGIN")?;
        Ok(sink)
    }

    fn client(&mut self) -> Result<&mut Client> {
        self.client
            .as_mut()
            .ok_or_else(|| Error::Internal("PostgreSQL sink used after commit".into()))
    }

    fn execute(&mut self, what: &str, sql: &str) -> Result<()> {
        let target = self.target.clone();
        self.client()?
            .batch_execute(sql)
            .map_err(|e| target.error_in(what, e))
    }

    /// Replays the pre-data part of the source schema, once, before the first table.
    fn ensure_schema(&mut self) -> Result<()> {
        if self.schema_applied {
            return Ok(());
        }
        self.schema_applied = true;
        if let Some(schema) = self.schema.take() {
            self.execute(
                "dropping the previous copy of the source schema",
                &schema.pre_drops,
            )?;
            self.execute("creating the source schema", &schema.pre_create)?;
            self.schema = Some(schema);
        }
        Ok(())
    }

    /// `DROP TABLE IF EXISTS ... CASCADE` and `CREATE TABLE` from the table's schema.
    fn create_table(&mut self, table: &TableSchema) -> Result<()> {
        let target = self.target.clone();
        let err = |e| target.error_in(&format!("creating table `{}`", table.name), e);
        let client = self.client()?;
        let (schema, _) = split_name(&table.name);
        let exists = client
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
                &[&schema],
            )
            .map_err(err)?
            .is_some();
        if !exists {
            client
                .batch_execute(&format!("CREATE SCHEMA {}", quote_ident(schema)))
                .map_err(err)?;
        }
        let mut defs = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let mut def = format!(
                "{} {}",
                quote_ident(&column.name),
                column_type(client, column)?
            );
            if !column.nullable {
                def.push_str(" NOT NULL");
            }
            defs.push(def);
        }
        let q = qualified(&table.name);
        client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS {q} CASCADE;\nCREATE TABLE {q} (\n  {}\n)",
                defs.join(",\n  ")
            ))
            .map_err(err)
    }

    /// Primary keys, unique constraints, indexes and foreign keys of the tables created from
    /// their `TableSchema`, after all the data is in. Foreign keys are added only towards
    /// tables written in the same run.
    fn add_keys(&mut self) -> Result<()> {
        let written: HashSet<String> = self.written.iter().map(|w| w.name.clone()).collect();
        let mut keys = Vec::new();
        let mut indexes = Vec::new();
        let mut foreign = Vec::new();
        for w in self.written.iter().filter(|w| w.from_table_schema) {
            let q = qualified(&w.name);
            let t = &w.table;
            if !t.primary_key.is_empty() {
                keys.push(format!(
                    "ALTER TABLE {q} ADD PRIMARY KEY ({})",
                    quote_list(&t.primary_key)
                ));
            }
            for unique in &t.unique {
                keys.push(format!(
                    "ALTER TABLE {q} ADD UNIQUE ({})",
                    quote_list(unique)
                ));
            }
            for index in &t.indexes {
                indexes.push(format!(
                    "CREATE {}INDEX {} ON {q} ({})",
                    if index.unique { "UNIQUE " } else { "" },
                    quote_ident(&index.name),
                    quote_list(&index.columns)
                ));
            }
            for fk in &t.foreign_keys {
                if written.contains(&normalized(&fk.ref_table)) {
                    foreign.push(format!(
                        "ALTER TABLE {q} ADD FOREIGN KEY ({}) REFERENCES {} ({})",
                        quote_list(&fk.columns),
                        qualified(&fk.ref_table),
                        quote_list(&fk.ref_columns)
                    ));
                }
            }
        }
        for sql in keys.iter().chain(&indexes).chain(&foreign) {
            self.execute("adding keys and indexes", sql)?;
        }
        Ok(())
    }

    /// Moves sequences past the loaded data: a sequence owned by a column of a written table
    /// goes to the larger of the column's maximum and the source sequence's position; any
    /// other sequence of the replayed source schema takes the source's position.
    fn set_sequences(
        &mut self,
        in_place: Option<std::collections::HashMap<(String, String), i64>>,
    ) -> Result<()> {
        let target = self.target.clone();
        let err = |e| target.error_in("setting sequences", e);
        let written: HashSet<String> = self.written.iter().map(|w| w.name.clone()).collect();
        // In place, only sequences owned by a replaced table move, and never backwards.
        let only_owned = in_place.is_some();
        let source_positions = match in_place {
            Some(current) => current,
            None => self
                .schema
                .as_ref()
                .map(|s| s.sequences.clone())
                .unwrap_or_default(),
        };
        let client = self.client()?;
        let rows = client
            .query(
                "SELECT sn.nspname::text, s.relname::text, tn.nspname::text, t.relname::text,
                        a.attname::text, q.seqincrement, q.seqmin, q.seqmax
                 FROM pg_catalog.pg_sequence q
                 JOIN pg_catalog.pg_class s ON s.oid = q.seqrelid
                 JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
                 LEFT JOIN pg_catalog.pg_depend d
                   ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.oid
                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND d.deptype IN ('a', 'i')
                 LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
                 LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
                 LEFT JOIN pg_catalog.pg_attribute a
                   ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 ORDER BY 1, 2",
                &[],
            )
            .map_err(err)?;
        for row in rows {
            let seq_schema: String = row.get(0);
            let seq_name: String = row.get(1);
            let owner: Option<(String, String, String)> = match (row.get(2), row.get(3), row.get(4))
            {
                (Some(s), Some(t), Some(c)) => Some((s, t, c)),
                _ => None,
            };
            let (increment, min, max): (i64, i64, i64) = (row.get(5), row.get(6), row.get(7));
            let source = source_positions
                .get(&(seq_schema.clone(), seq_name.clone()))
                .copied();
            let loaded: Option<i64> = match &owner {
                Some((s, t, c)) if written.contains(&format!("{s}.{t}")) => {
                    let sql = format!(
                        "SELECT {}({})::int8 FROM {}.{}",
                        if increment > 0 { "max" } else { "min" },
                        quote_ident(c),
                        quote_ident(s),
                        quote_ident(t)
                    );
                    client.query_one(&sql, &[]).map_err(err)?.get(0)
                }
                _ => None,
            };
            if only_owned && loaded.is_none() {
                continue;
            }
            let position = match (loaded, source) {
                (Some(l), Some(s)) if increment > 0 => Some(l.max(s)),
                (Some(l), Some(s)) => Some(l.min(s)),
                (l, s) => l.or(s),
            };
            if let Some(position) = position.filter(|p| (min..=max).contains(p)) {
                let seq = format!("{}.{}", quote_ident(&seq_schema), quote_ident(&seq_name));
                client
                    .execute(
                        "SELECT pg_catalog.setval($1::text::pg_catalog.regclass, $2, true)",
                        &[&seq, &position],
                    )
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

/// The columns of `table` that are loaded into `q` (positions in the batch, and names):
/// every one but generated columns, which the target recomputes. A column the target table
/// lacks is an error naming it. Also the binary COPY form of each loaded column (from its type
/// in the target, domains resolved), `None` when one of them has none.
fn loaded_columns(
    client: &mut Client,
    target: &Target,
    table: &TableSchema,
    q: &str,
) -> Result<Loaded> {
    let err = |e| target.error_in(&format!("table `{}`", table.name), e);
    let rows = client
        .query(
            "SELECT a.attname::text, a.attgenerated <> '', a.atttypid FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = $1::text::pg_catalog.regclass AND a.attnum > 0
               AND NOT a.attisdropped",
            &[&q],
        )
        .map_err(err)?;
    let domains = introspect::domains(client).map_err(err)?;
    let mut loaded = Loaded {
        positions: Vec::new(),
        names: Vec::new(),
        wires: Some(Vec::new()),
    };
    for (i, column) in table.columns.iter().enumerate() {
        match rows.iter().find(|r| r.get::<_, String>(0) == column.name) {
            Some(r) if r.get::<_, bool>(1) => {}
            Some(r) => {
                loaded.positions.push(i);
                loaded.names.push(column.name.clone());
                let (base, _) = introspect::resolve_domain(&domains, r.get(2), -1);
                let wire = binary::wire_of(base);
                loaded.wires = loaded.wires.zip(wire).map(|(mut w, wire)| {
                    w.push(wire);
                    w
                });
            }
            None => {
                return Err(Error::connector(
                    KIND,
                    format!(
                        "{}: table `{}` in the target has no column `{}`",
                        target.display, table.name, column.name
                    ),
                ))
            }
        }
    }
    if loaded.names.is_empty() {
        loaded.wires = None;
    }
    Ok(loaded)
}

/// The loaded columns of a table: see [`loaded_columns`].
struct Loaded {
    positions: Vec<usize>,
    names: Vec<String>,
    wires: Option<Vec<Wire>>,
}

/// Connects, creating the database through the `postgres` (or `template1`) maintenance
/// database when it does not exist. Returns whether it was created.
fn connect_or_create(target: &Target) -> Result<(Client, bool)> {
    match target.try_connect() {
        Ok(client) => return Ok((client, false)),
        Err(e) if sqlstate(&e) == Some(&SqlState::INVALID_CATALOG_NAME) => {}
        Err(e) => return Err(target.error(e)),
    }
    let dbname = target.dbname();
    let mut maintenance = None;
    let mut last_error = None;
    for db in ["postgres", "template1"] {
        match target.with_dbname(db).try_connect() {
            Ok(c) => {
                maintenance = Some(c);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let mut maintenance = match (maintenance, last_error) {
        (Some(c), _) => c,
        (None, Some(e)) => {
            return Err(target.error_in(
                &format!("database `{dbname}` does not exist and cannot be created"),
                e,
            ))
        }
        (None, None) => unreachable!("one of the two is set"),
    };
    let created =
        match maintenance.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&dbname))) {
            Ok(()) => true,
            Err(e) if sqlstate(&e) == Some(&SqlState::DUPLICATE_DATABASE) => false,
            Err(e) => {
                return Err(target.error_in(&format!("creating database `{dbname}`"), e));
            }
        };
    let _ = maintenance.close();
    let client = target.connect()?;
    Ok((client, created))
}

/// The PostgreSQL type for `column` in a table created from its `TableSchema`.
///
/// The logical mapping ([`pg_type`]) is used, except where the native type says more and the
/// target knows it: `character(n)` and `jsonb` always; and for a column carried as unbounded
/// text, its native type when the target resolves it (`interval`, `inet`, `integer[]`, an
/// enum the target has), so a PostgreSQL-to-PostgreSQL copy keeps those types.
fn column_type(client: &mut Client, column: &Column) -> Result<String> {
    if let Some(native) = native_equivalent(column) {
        return Ok(native);
    }
    let native = column.native_type.as_deref().map(str::trim).unwrap_or("");
    if column.data_type == DataType::text() && !native.is_empty() {
        // A savepoint, because an unparsable type name (from another engine) is an error that
        // would otherwise abort the whole transaction.
        let resolved = (|| -> std::result::Result<Option<String>, postgres::Error> {
            client.batch_execute("SAVEPOINT datamask_type")?;
            match client.query_one(
                "SELECT pg_catalog.format_type(pg_catalog.to_regtype($1), NULL)",
                &[&native],
            ) {
                Ok(row) => {
                    client.batch_execute("RELEASE SAVEPOINT datamask_type")?;
                    Ok(row.get(0))
                }
                Err(_) => {
                    client.batch_execute(
                        "ROLLBACK TO SAVEPOINT datamask_type; RELEASE SAVEPOINT datamask_type",
                    )?;
                    Ok(None)
                }
            }
        })()
        .map_err(|e| Error::connector(KIND, describe(&e)))?;
        if resolved.is_some() {
            // The native spelling keeps any modifier (`character varying` has none here,
            // `bit(3)` does), which format_type(oid, NULL) would drop.
            return Ok(native.to_string());
        }
    }
    Ok(pg_type(&column.data_type))
}

impl Sink for PgSink {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn existing_tables(&mut self) -> Result<Vec<String>> {
        let target = self.target.clone();
        introspect::table_names(self.client()?, &target)
    }

    fn table<'a>(&'a mut self, table: &TableSchema) -> Result<Box<dyn TableWriter + 'a>> {
        if self.in_place {
            return self.stage_table(table);
        }
        self.ensure_schema()?;
        let name = normalized(&table.name);
        let from_dump = self
            .schema
            .as_ref()
            .is_some_and(|s| s.tables.contains(&name));
        if !from_dump {
            self.create_table(table)?;
        }
        let q = qualified(&table.name);
        let target = self.target.clone();
        let loaded = loaded_columns(self.client()?, &target, table, &q)?;
        self.written.push(Written {
            name,
            table: table.clone(),
            from_table_schema: !from_dump,
        });
        let copy = if loaded.names.is_empty() {
            format!("COPY {q} FROM STDIN")
        } else {
            format!("COPY {q} ({}) FROM STDIN", quote_list(&loaded.names))
        };
        self.load(table, copy, loaded)
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.in_place {
            self.replace_staged()?;
            return self.finish_commit();
        }
        self.ensure_schema()?;
        let unloaded = self.drop_unloaded_tables()?;
        if let Some(post) = self.schema.as_ref().map(|s| s.post_create.clone()) {
            self.run_post_data(&post, &unloaded)?;
        }
        self.add_keys()?;
        self.set_sequences(None)?;
        let matviews = self
            .schema
            .as_ref()
            .map(|s| s.matviews.clone())
            .unwrap_or_default();
        for (schema, name) in matviews {
            if unloaded.contains(&format!("{schema}.{name}")) {
                continue; // it was over a table this run did not write
            }
            let sql = format!(
                "REFRESH MATERIALIZED VIEW {}.{}",
                quote_ident(&schema),
                quote_ident(&name)
            );
            self.execute(
                &format!("refreshing materialized view `{schema}.{name}`"),
                &sql,
            )?;
        }
        self.finish_commit()
    }
}

impl PgSink {
    /// Tables of the replayed source schema that this run did not write (skipped in the config,
    /// or left out of the plan) are dropped again, `CASCADE`: a skipped table does not appear in
    /// the target, and neither do views over it. Returns their names (`schema.table`), plus
    /// those of the materialized views that went with them.
    fn drop_unloaded_tables(&mut self) -> Result<HashSet<String>> {
        let Some(schema) = self.schema.as_ref() else {
            return Ok(HashSet::new());
        };
        let loaded: HashSet<&str> = self.written.iter().map(|w| w.name.as_str()).collect();
        let mut unloaded: Vec<String> = schema
            .tables
            .difference(&schema.partitions)
            .filter(|t| !loaded.contains(t.as_str()))
            .cloned()
            .collect();
        if unloaded.is_empty() {
            return Ok(HashSet::new());
        }
        unloaded.sort();
        let matviews: Vec<String> = schema
            .matviews
            .iter()
            .map(|(s, n)| format!("{s}.{n}"))
            .collect();
        let list: Vec<String> = unloaded.iter().map(|t| qualified(t)).collect();
        self.execute(
            "dropping the tables this run does not write",
            &format!("DROP TABLE IF EXISTS {} CASCADE", list.join(", ")),
        )?;
        let target = self.target.clone();
        let client = self.client()?;
        let mut out: HashSet<String> = unloaded.into_iter().collect();
        for m in matviews {
            let gone = client
                .query_one(
                    "SELECT pg_catalog.to_regclass($1) IS NULL",
                    &[&qualified(&m)],
                )
                .map_err(|e| target.error_in("looking up materialized views", e))?
                .get::<_, bool>(0);
            if gone {
                out.insert(m);
            }
        }
        Ok(out)
    }

    /// Runs the post-data part of the source schema (keys, indexes, triggers...). When tables
    /// were left out, each object runs on its own under a savepoint, and one that fails only
    /// because it belongs to or references a left-out table (a foreign key towards it, its
    /// index or trigger) is left out too.
    fn run_post_data(&mut self, post: &str, unloaded: &HashSet<String>) -> Result<()> {
        let target = self.target.clone();
        let fail = |e: postgres::Error| {
            let mut error = target.error_in(
                "creating keys, indexes and triggers of the source schema",
                e,
            );
            if let Error::Connector { message, .. } = &mut error {
                if message.contains("SQLSTATE 23503") {
                    message.push_str(
                        "; a foreign key cannot hold towards rows a `where:` filter left out: \
                         filter the referencing table consistently",
                    );
                }
            }
            error
        };
        let client = self.client()?;
        if unloaded.is_empty() {
            return client.batch_execute(post).map_err(fail);
        }
        let quoted: Vec<String> = unloaded
            .iter()
            .flat_map(|t| {
                let (schema, table) = split_name(t);
                [format!("\"{schema}.{table}\""), format!("\"{table}\"")]
            })
            .collect();
        for chunk in post_data_objects(post) {
            client
                .batch_execute("SAVEPOINT datamask_post")
                .map_err(fail)?;
            match client.batch_execute(chunk) {
                Ok(()) => client
                    .batch_execute("RELEASE SAVEPOINT datamask_post")
                    .map_err(fail)?,
                Err(e)
                    if sqlstate(&e) == Some(&SqlState::UNDEFINED_TABLE)
                        && e.as_db_error()
                            .is_some_and(|db| quoted.iter().any(|q| db.message().contains(q))) =>
                {
                    client
                        .batch_execute(
                            "ROLLBACK TO SAVEPOINT datamask_post; RELEASE SAVEPOINT datamask_post",
                        )
                        .map_err(fail)?;
                }
                Err(e) => return Err(fail(e)),
            }
        }
        Ok(())
    }

    /// `COMMIT`, the single moment the run becomes visible.
    fn finish_commit(&mut self) -> Result<()> {
        datamask_core::failpoint("before-swap");
        self.execute("committing", "COMMIT")?;
        self.committed = true;
        if let Some(client) = self.client.take() {
            let _ = client.close();
        }
        Ok(())
    }

    /// In place: a temporary table shaped like the loaded columns of `table` (no constraints,
    /// so rows can arrive in any order), loaded with `COPY`. The table itself is not touched
    /// until commit, so the readers of the same table are never blocked.
    fn stage_table<'a>(&'a mut self, table: &TableSchema) -> Result<Box<dyn TableWriter + 'a>> {
        let q = qualified(&table.name);
        let target = self.target.clone();
        let err = |e| target.error_in(&format!("table `{}`", table.name), e);
        let client = self.client()?;
        let relkind: Option<String> = client
            .query_opt(
                "SELECT c.relkind::text FROM pg_catalog.pg_class c \
                 WHERE c.oid = pg_catalog.to_regclass($1)",
                &[&q],
            )
            .map_err(err)?
            .map(|r| r.get(0));
        let Some(relkind) = relkind.filter(|k| k == "r" || k == "p") else {
            return Err(Error::MissingTable(table.name.clone()));
        };
        let loaded = loaded_columns(client, &target, table, &q)?;
        let stage = format!("datamask_stage_{}", self.staged.len() + 1);
        let columns = quote_list(&loaded.names);
        let client = self.client()?;
        client
            .batch_execute(&format!(
                "CREATE TEMPORARY TABLE {stage} AS SELECT {columns} FROM {q} WITH NO DATA"
            ))
            .map_err(err)?;
        self.staged.push(StagedTable {
            name: normalized(&table.name),
            qualified: q,
            stage: stage.clone(),
            columns: columns.clone(),
            relkind,
        });
        let copy = format!("COPY pg_temp.{stage} ({columns}) FROM STDIN");
        self.load(table, copy, loaded)
    }

    /// Starts loading `table` with `copy` (`COPY ... FROM STDIN`) on a loader thread.
    fn load<'a>(
        &'a mut self,
        table: &TableSchema,
        copy: String,
        loaded: Loaded,
    ) -> Result<Box<dyn TableWriter + 'a>> {
        load::start(
            &mut self.client,
            load::Load {
                table: table.name.clone(),
                display: self.target.display.clone(),
                copy,
                positions: loaded.positions,
                width: table.columns.len(),
                wires: loaded.wires,
            },
        )
    }

    /// In place, at commit: inside the run's transaction, the foreign keys that touch a staged
    /// table are dropped, user triggers are disabled, the tables' indexes are set aside (see
    /// [`indexes_to_rebuild`]), each table is emptied (`TRUNCATE`) and refilled from its stage,
    /// the indexes are re-created from their own definitions, then triggers are re-enabled and
    /// the foreign keys re-created from theirs, which validates them against the masked rows.
    /// Sequences move past any masked key and populated materialized views are refreshed (they
    /// would otherwise keep unmasked data). A failure or a kill anywhere rolls all of it back.
    ///
    /// Why the indexes go: refilling a table while its indexes stay means one B-tree insertion
    /// per row and index, in random order for a masked unique column (an email): about three
    /// quarters of the swap's time at 1M rows. Built after the rows are in, each index is one
    /// sorted pass, with `maintenance_work_mem` raised for this transaction only.
    fn replace_staged(&mut self) -> Result<()> {
        let target = self.target.clone();
        let staged = std::mem::take(&mut self.staged);
        let names: Vec<String> = staged.iter().map(|s| s.qualified.clone()).collect();
        let err = |what: &str| {
            let what = what.to_string();
            let target = target.clone();
            move |e| target.error_in(&what, e)
        };
        let client = self.client()?;
        // Every relation involved: the staged tables and their partitions.
        let members: Vec<(u32, String)> = client
            .query(
                "SELECT r::pg_catalog.oid, r::text FROM (
                   SELECT n.name::pg_catalog.regclass FROM pg_catalog.unnest($1::text[]) AS n(name)
                   UNION
                   SELECT t.relid FROM pg_catalog.unnest($1::text[]) AS n(name),
                     LATERAL pg_catalog.pg_partition_tree(n.name::pg_catalog.regclass) t
                   WHERE t.isleaf
                 ) AS m(r) ORDER BY 1",
                &[&names],
            )
            .map_err(err("listing the tables to replace"))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let oids: Vec<u32> = members.iter().map(|m| m.0).collect();
        let foreign: Vec<(String, String, String)> = client
            .query(
                "SELECT c.conrelid::pg_catalog.regclass::text, c.conname::text,
                        pg_catalog.pg_get_constraintdef(c.oid)
                 FROM pg_catalog.pg_constraint c
                 WHERE c.contype = 'f' AND c.conparentid = 0
                   AND (c.conrelid = ANY($1) OR c.confrelid = ANY($1))
                 ORDER BY 1, 2",
                &[&oids],
            )
            .map_err(err("reading foreign keys"))?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let mut sql = String::new();
        for (table, name, _) in &foreign {
            sql.push_str(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT {};\n",
                quote_ident(name)
            ));
        }
        for (_, member) in &members {
            sql.push_str(&format!("ALTER TABLE {member} DISABLE TRIGGER USER;\n"));
        }
        client
            .batch_execute(&sql)
            .map_err(err("setting foreign keys and triggers aside"))?;
        // Only now, with the foreign keys gone, are the unique indexes they pointed at free of
        // dependents.
        let indexes = indexes_to_rebuild(client, &oids).map_err(err("reading indexes"))?;
        if !indexes.is_empty() {
            let mut sql = String::from(
                "SELECT pg_catalog.set_config('maintenance_work_mem', \
                   GREATEST(setting::int8, 262144)::text || 'kB', true) \
                 FROM pg_catalog.pg_settings WHERE name = 'maintenance_work_mem';\n",
            );
            for index in &indexes {
                sql.push_str(&index.drop);
                sql.push_str(";\n");
            }
            client
                .batch_execute(&sql)
                .map_err(err("setting indexes aside"))?;
        }
        for (i, s) in staged.iter().enumerate() {
            if i == 1 {
                datamask_core::failpoint("mid-swap");
            }
            let only = if s.relkind == "r" { "ONLY " } else { "" };
            let replace = format!(
                "TRUNCATE {only}{q};\n\
                 INSERT INTO {q} ({c}) OVERRIDING SYSTEM VALUE SELECT {c} FROM pg_temp.{stage};\n\
                 DROP TABLE pg_temp.{stage}",
                q = s.qualified,
                c = s.columns,
                stage = s.stage
            );
            client
                .batch_execute(&replace)
                .map_err(err(&format!("replacing the rows of {}", s.qualified)))?;
        }
        for index in &indexes {
            client
                .batch_execute(&index.restore)
                .map_err(err(&format!("re-creating index {}", index.name)))?;
        }
        let mut sql = String::new();
        for (_, member) in &members {
            sql.push_str(&format!("ALTER TABLE {member} ENABLE TRIGGER USER;\n"));
        }
        client
            .batch_execute(&sql)
            .map_err(err("re-enabling triggers"))?;
        for (table, name, definition) in &foreign {
            let add = format!(
                "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
                quote_ident(name)
            );
            if let Err(e) = client.batch_execute(&add) {
                let mut error =
                    target.error_in(&format!("restoring foreign key {name} of {table}"), e);
                if let Error::Connector { message, .. } = &mut error {
                    if message.contains("SQLSTATE 23503") {
                        message.push_str(
                            "; after masking, the key no longer matches its parent: mask both \
                             sides with the same strategy and domain (or leave them unmasked). \
                             Nothing was changed",
                        );
                    }
                }
                return Err(error);
            }
        }
        // Owned sequences move past masked keys; nothing else about them changes.
        let current: std::collections::HashMap<(String, String), i64> = client
            .query(
                "SELECT schemaname::text, sequencename::text, last_value \
                 FROM pg_catalog.pg_sequences WHERE last_value IS NOT NULL",
                &[],
            )
            .map_err(err("reading sequences"))?
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect();
        self.written = staged
            .iter()
            .map(|s| Written {
                name: s.name.clone(),
                table: TableSchema::new(s.qualified.clone(), Vec::new()),
                from_table_schema: false,
            })
            .collect();
        self.set_sequences(Some(current))?;
        let client = self.client()?;
        let matviews: Vec<String> = client
            .query(
                "SELECT c.oid::pg_catalog.regclass::text FROM pg_catalog.pg_class c \
                 WHERE c.relkind = 'm' AND c.relispopulated ORDER BY c.oid",
                &[],
            )
            .map_err(err("listing materialized views"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for m in matviews {
            client
                .batch_execute(&format!("REFRESH MATERIALIZED VIEW {m}"))
                .map_err(err(&format!("refreshing materialized view {m}")))?;
        }
        Ok(())
    }
}

/// An index set aside during an in-place swap: dropped before the table is refilled and
/// re-created after, from the catalog's own definition.
struct SetAside {
    /// The index's name, for errors.
    name: String,
    /// `DROP INDEX ...`, or `ALTER TABLE ... DROP CONSTRAINT ...` for the index of a primary
    /// key, unique or exclusion constraint.
    drop: String,
    /// `CREATE INDEX ...` (`pg_get_indexdef`) or `ALTER TABLE ... ADD CONSTRAINT name ...`
    /// (`pg_get_constraintdef`: deferrability, `NULLS NOT DISTINCT` and `INCLUDE` come with
    /// it), then what else the index carried: its `CLUSTER` mark, replica identity, and the
    /// comments of index and constraint.
    restore: String,
}

/// The indexes of the ordinary tables among `oids` that can be dropped and re-created
/// unchanged, in creation order. The definitions come from the server (`pg_get_indexdef`,
/// `pg_get_constraintdef`, `format` for quoting), so names, partial and expression indexes,
/// operator classes and collations come back exactly. An index is left in place (and kept up
/// to date row by row, as before) when re-creating it could lose something: an index of a
/// partition or of a partitioned table (partition indexes are attached to their parent's, under
/// generated names), one another object depends on (a view grouping by a primary key, a
/// foreign key not set aside; the internal trigger of a deferrable constraint goes and comes
/// back with it), one that is not valid (a failed `CREATE INDEX CONCURRENTLY`:
/// re-creating it could fail the run or silently make it valid), one in a tablespace of its own
/// (neither definition names it), the index of a constraint with storage parameters
/// (`pg_get_constraintdef` leaves them out, `pg_get_indexdef` does not), one with a column
/// statistics target or a security label.
fn indexes_to_rebuild(
    client: &mut Client,
    oids: &[u32],
) -> std::result::Result<Vec<SetAside>, postgres::Error> {
    let rows = client.query(
        "SELECT ic.relname::text,
                CASE WHEN c.oid IS NULL THEN pg_catalog.format('DROP INDEX %s', i.indexrelid::pg_catalog.regclass)
                     ELSE pg_catalog.format('ALTER TABLE ONLY %s DROP CONSTRAINT %I', i.indrelid::pg_catalog.regclass, c.conname)
                END,
                pg_catalog.array_to_string(ARRAY[
                  CASE WHEN c.oid IS NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid)
                       ELSE pg_catalog.format('ALTER TABLE ONLY %s ADD CONSTRAINT %I %s',
                              i.indrelid::pg_catalog.regclass, c.conname, pg_catalog.pg_get_constraintdef(c.oid))
                  END,
                  CASE WHEN i.indisclustered THEN pg_catalog.format('ALTER TABLE ONLY %s CLUSTER ON %I',
                         i.indrelid::pg_catalog.regclass, ic.relname) END,
                  CASE WHEN i.indisreplident THEN pg_catalog.format('ALTER TABLE ONLY %s REPLICA IDENTITY USING INDEX %I',
                         i.indrelid::pg_catalog.regclass, ic.relname) END,
                  (SELECT pg_catalog.format('COMMENT ON INDEX %s IS %L', i.indexrelid::pg_catalog.regclass, d.description)
                   FROM pg_catalog.pg_description d
                   WHERE d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
                     AND d.objoid = i.indexrelid AND d.objsubid = 0),
                  (SELECT pg_catalog.format('COMMENT ON CONSTRAINT %I ON %s IS %L', c.conname,
                            i.indrelid::pg_catalog.regclass, d.description)
                   FROM pg_catalog.pg_description d
                   WHERE d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
                     AND d.objoid = c.oid AND d.objsubid = 0)
                ], E';\n')
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
         LEFT JOIN pg_catalog.pg_constraint c
           ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
         WHERE i.indrelid = ANY($1) AND t.relkind = 'r' AND NOT t.relispartition
           AND i.indisvalid AND i.indisready AND i.indislive
           AND ic.reltablespace = 0 AND (c.oid IS NULL OR ic.reloptions IS NULL)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d.refobjid = i.indexrelid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.refclassid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
                             AND d.refobjid = c.oid
                             AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                      AND d.objid = i.indexrelid)
                             AND NOT (d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
                                      AND d.deptype = 'i'))
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_seclabel l
                           WHERE (l.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                  AND l.objoid = i.indexrelid)
                              OR (l.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
                                  AND l.objoid = c.oid))
         ORDER BY i.indexrelid",
        &[&oids],
    )?;
    Ok(rows
        .iter()
        .map(|r| SetAside {
            name: r.get(0),
            drop: r.get(1),
            restore: r.get(2),
        })
        .collect())
}

impl Drop for PgSink {
    fn drop(&mut self) {
        if let Some(mut client) = self.client.take() {
            if !self.committed {
                let _ = client.batch_execute("ROLLBACK");
            }
            let _ = client.close();
        }
        if !self.committed && self.created_db {
            // Nothing was published: do not leave an empty database behind.
            if let Ok(mut c) = self.target.with_dbname("postgres").try_connect() {
                let _ = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {}",
                    quote_ident(&self.target.dbname())
                ));
            }
        }
    }
}

/// The objects of a `pg_restore` script, each with its `-- Name: ...` header (the first piece
/// is the script's preamble of `SET` statements).
fn post_data_objects(script: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(i) = script[start + 1..].find("\n--\n-- Name: ") {
        let end = start + 1 + i + 1;
        out.push(&script[start..end]);
        start = end;
    }
    out.push(&script[start..]);
    out.retain(|c| !c.trim().is_empty());
    out
}
