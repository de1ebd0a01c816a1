//! The MySQL/MariaDB sink: load into a staging database, swap in one `RENAME TABLE`.
//!
//! MySQL DDL is not transactional, so atomicity comes from renaming instead of a transaction:
//!
//! 1. `open` takes a named lock for the target (`GET_LOCK`), drops what a killed earlier run
//!    may have left (`<db>__dm_stage`, `<db>__dm_old`) and creates the staging database.
//! 2. Each table is created there, loaded with multi-row prepared `INSERT`s (foreign-key checks
//!    off), then gets its secondary indexes in one `ALTER TABLE`.
//! 3. `commit` adds the foreign keys, creates the target database if needed, and swaps every
//!    table at once: `RENAME TABLE db.a TO old.a, stage.a TO db.a, ...` is a single atomic
//!    statement (MySQL 8.0+, MariaDB 10.6+). The previous tables are then dropped.
//!
//! Until that `RENAME` the target is untouched; a dropped sink removes its staging database and
//! a killed one leaves it for the next run to drop.

use super::conn::{
    database_exists, describe, qualified, quote, rows, text, Target, KIND, MAX_IDENT,
};
use super::ddl::{generate, split_show_create, FkDef, TableDdl};
use super::objects;
use crate::FileOptions;
use datamask_core::{Batch, DataType, Error, Result, Sink, TableSchema, TableWriter, Value};
use mysql::prelude::Queryable;
use mysql::{Conn, Statement};
use std::collections::HashSet;

/// Values per multi-row `INSERT` (rows = this / columns, at most [`MAX_ROWS_PER_INSERT`]).
const VALUES_PER_INSERT: usize = 4096;
const MAX_ROWS_PER_INSERT: usize = 1000;
/// Statements per transaction while loading a table (bounds the server's undo log).
const INSERTS_PER_TRANSACTION: usize = 64;

/// `<db>__dm_<suffix>`, shortened with a hash when it would pass 64 characters.
pub(crate) fn helper_database(db: &str, suffix: &str) -> String {
    let tail = format!("__dm_{suffix}");
    let name = format!("{db}{tail}");
    if name.chars().count() <= MAX_IDENT {
        return name;
    }
    let hash = blake3::hash(db.as_bytes()).to_hex();
    let keep = MAX_IDENT - tail.len() - 13;
    let prefix: String = db.chars().take(keep).collect();
    format!("{prefix}_{}{tail}", &hash[..12])
}

/// What tells two servers apart (host name, port, data directory); `None` if unknown.
fn server_identity(conn: &mut Conn) -> Option<(String, String, String)> {
    let row = rows(conn, "SELECT @@hostname, @@port, @@datadir", ()).ok()?;
    let row = row.first()?;
    Some((text(&row[0])?, text(&row[1])?, text(&row[2])?))
}

/// The source of a MySQL-to-MySQL copy, for `SHOW CREATE TABLE`.
struct SchemaSource {
    target: Target,
    conn: Conn,
    database: String,
}

impl SchemaSource {
    /// The source's DDL for `table`, when its columns are exactly the schema's; and which
    /// columns are generated (their values are computed by the server, never inserted).
    fn ddl(&mut self, table: &TableSchema) -> Result<Option<(String, Vec<bool>)>> {
        let columns = rows(
            &mut self.conn,
            "SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (&self.database, &table.name),
        )
        .map_err(|e| self.target.error("reading the source schema", e))?;
        let names: Vec<String> = columns.iter().filter_map(|r| text(&r[0])).collect();
        let wanted: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        if names.is_empty() || names != wanted {
            return Ok(None);
        }
        let generated = columns
            .iter()
            .map(|r| {
                let extra = text(&r[1]).unwrap_or_default().to_ascii_uppercase();
                extra.contains("GENERATED")
                    || extra.contains("VIRTUAL")
                    || extra.contains("PERSISTENT")
                    || extra == "STORED"
            })
            .collect();
        let sql = format!(
            "SHOW CREATE TABLE {}",
            qualified(&self.database, &table.name)
        );
        let show = rows(&mut self.conn, &sql, ()).map_err(|e| {
            self.target
                .error(&format!("reading the DDL of `{}`", table.name), e)
        })?;
        Ok(show
            .first()
            .and_then(|r| r.get(1))
            .and_then(text)
            .map(|ddl| (ddl, generated)))
    }
}

/// A table written to the staging database.
struct Staged {
    name: String,
    foreign_keys: Vec<FkDef>,
    finished: bool,
    /// The loaded (non-generated) columns, quoted and comma-separated.
    columns: String,
}

/// A foreign key inside one database, for the in-place check.
struct ForeignKeyUse {
    name: String,
    child: String,
    parent: String,
    /// (child column, parent column) in key order.
    pairs: Vec<(String, String)>,
}

/// A MySQL or MariaDB database written through a staging database and one atomic swap.
pub struct MysqlSink {
    target: Target,
    database: String,
    stage: String,
    old: String,
    lock: String,
    conn: Conn,
    max_packet: usize,
    /// `CHARACTER SET x COLLATE y` for databases this sink creates.
    charset: String,
    source: Option<SchemaSource>,
    staged: Vec<Staged>,
    /// True once the staging database is gone (committed, or cleaned up).
    done: bool,
    /// `mode: in_place`: the staged rows replace the rows of the same database's tables in one
    /// transaction at commit (no `RENAME`: the tables, their triggers and grants stay).
    in_place: bool,
}

impl std::fmt::Debug for MysqlSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlSink")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl MysqlSink {
    /// Connects, takes the target's lock, clears leftovers and creates the staging database.
    /// Nothing visible changes until [`Sink::commit`].
    pub fn open(url: &str, options: &FileOptions) -> Result<MysqlSink> {
        let target = Target::parse(url)?;
        let database = target.require_database()?.to_string();
        let mut conn = target.connect()?;
        conn.query_drop(
            "SET SESSION foreign_key_checks = 0, \
             SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
        )
        .map_err(|e| target.error("setting up the session", e))?;
        let lock = super::conn::fit_ident(&format!("datamask:{database}"));
        let got: Option<Option<i64>> = conn
            .exec_first("SELECT GET_LOCK(?, 0)", (&lock,))
            .map_err(|e| target.error("taking the target lock", e))?;
        if got.flatten() != Some(1) {
            return Err(Error::connector(
                KIND,
                format!(
                    "{}: another datamask run is writing to database `{database}`; wait for it \
                     to finish",
                    target.redacted
                ),
            ));
        }
        let max_packet = conn
            .query_first::<u64, _>("SELECT @@max_allowed_packet")
            .map_err(|e| target.error("reading max_allowed_packet", e))?
            .unwrap_or(4 << 20) as usize;
        let mut source = match &options.schema_source {
            Some(url) => match Target::parse(url) {
                Ok(src) if src.database.is_some() => {
                    let conn = src.connect()?;
                    let database = src.database.clone().unwrap_or_default();
                    Some(SchemaSource {
                        target: src,
                        conn,
                        database,
                    })
                }
                _ => None,
            },
            None => None,
        };
        if let Some(src) = source.as_mut().filter(|_| !options.in_place) {
            if src.database == database
                && server_identity(&mut conn) == server_identity(&mut src.conn)
            {
                return Err(Error::connector(
                    KIND,
                    format!(
                        "{}: the target is the source database itself; datamask never writes \
                         to its source",
                        target.redacted
                    ),
                ));
            }
        }
        let mut sink = MysqlSink {
            stage: helper_database(&database, "stage"),
            old: helper_database(&database, "old"),
            target,
            database,
            lock,
            conn,
            max_packet,
            charset: String::new(),
            source,
            staged: Vec::new(),
            done: false,
            in_place: options.in_place,
        };
        sink.charset = sink.database_charset()?;
        sink.drop_helpers()?;
        let create = format!("CREATE DATABASE {}{}", quote(&sink.stage), sink.charset);
        sink.exec(&create, "creating the staging database")?;
        Ok(sink)
    }

    /// The charset clause for new databases: the target's if it exists, else the source's
    /// (MySQL to MySQL), else the server's default.
    fn database_charset(&mut self) -> Result<String> {
        let lookup = "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME \
                      FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?";
        let mut found = rows(&mut self.conn, lookup, (&self.database,))
            .map_err(|e| self.target.error("reading the target database", e))?;
        if found.is_empty() {
            if let Some(src) = self.source.as_mut() {
                found = rows(&mut src.conn, lookup, (&src.database,))
                    .map_err(|e| src.target.error("reading the source database", e))?;
            }
        }
        Ok(match found.first() {
            Some(r) => match (text(&r[0]), text(&r[1])) {
                (Some(cs), Some(coll)) => format!(" CHARACTER SET {cs} COLLATE {coll}"),
                _ => String::new(),
            },
            None => String::new(),
        })
    }

    fn exec(&mut self, sql: &str, what: &str) -> Result<()> {
        self.conn
            .query_drop(sql)
            .map_err(|e| self.target.error(what, e))
    }

    /// Drops the staging and old-table databases (leftovers of an interrupted run).
    fn drop_helpers(&mut self) -> Result<()> {
        for db in [self.stage.clone(), self.old.clone()] {
            let sql = format!("DROP DATABASE IF EXISTS {}", quote(&db));
            self.exec(&sql, "removing a staging database")?;
        }
        Ok(())
    }

    fn ddl_for(&mut self, table: &TableSchema) -> Result<(TableDdl, Vec<bool>)> {
        let stage_name = qualified(&self.stage, &table.name);
        if let Some(source) = self.source.as_mut() {
            if let Some((show, generated)) = source.ddl(table)? {
                if let Some(ddl) = split_show_create(&show, &stage_name) {
                    return Ok((ddl, generated.into_iter().map(|g| !g).collect()));
                }
            }
        }
        let native = self.source.is_some();
        Ok((
            generate(table, &stage_name, native),
            vec![true; table.columns.len()],
        ))
    }

    fn commit_inner(&mut self) -> Result<()> {
        if let Some(t) = self.staged.iter().find(|t| !t.finished) {
            return Err(Error::Internal(format!(
                "table `{}` was started but not finished before commit",
                t.name
            )));
        }
        let staged: HashSet<String> = self.staged.iter().map(|t| t.name.clone()).collect();
        // Foreign keys, now that every parent is loaded. A key to a table this run did not
        // write points at the target database's table of that name.
        let (stage, database) = (self.stage.clone(), self.database.clone());
        let resolve = |t: &str| {
            if staged.contains(t) {
                qualified(&stage, t)
            } else {
                qualified(&database, t)
            }
        };
        let mut statements = Vec::new();
        for t in &self.staged {
            if t.foreign_keys.is_empty() {
                continue;
            }
            let clauses: Vec<String> = t.foreign_keys.iter().map(|fk| fk.clause(resolve)).collect();
            statements.push((
                t.name.clone(),
                format!(
                    "ALTER TABLE {} {}",
                    qualified(&stage, &t.name),
                    clauses.join(", ")
                ),
            ));
        }
        for (name, sql) in statements {
            self.exec(&sql, &format!("adding the foreign keys of `{name}`"))?;
        }
        let create = format!(
            "CREATE DATABASE IF NOT EXISTS {}{}",
            quote(&self.database),
            self.charset
        );
        self.exec(&create, "creating the target database")?;
        let create_old = format!("CREATE DATABASE {}{}", quote(&self.old), self.charset);
        self.exec(&create_old, "creating a database for the replaced tables")?;
        let existing: HashSet<String> = self.existing()?.into_iter().collect();
        let outside = self.outside_references(&staged)?;
        // Routines, views and triggers of a MySQL source, read before anything changes.
        let objects = match self.source.as_mut() {
            Some(src) => objects::read(&mut src.conn, &src.database, &staged).map_err(|e| {
                src.target
                    .error("reading the source's views, routines and triggers", e)
            })?,
            None => Vec::new(),
        };
        // A table with triggers cannot move to another database: the replaced tables' triggers
        // go first (the source's are recreated after the swap).
        let replaced: HashSet<String> = staged.intersection(&existing).cloned().collect();
        let triggers = objects::triggers_on(&mut self.conn, &self.database, &replaced)
            .map_err(|e| self.target.error("reading the target's triggers", e))?;
        for name in triggers {
            let sql = format!("DROP TRIGGER {}", qualified(&self.database, &name));
            self.exec(
                &sql,
                &format!("dropping trigger `{name}` of a replaced table"),
            )?;
        }
        let mut renames = Vec::new();
        for t in &self.staged {
            if existing.contains(&t.name) {
                renames.push(format!(
                    "{} TO {}",
                    qualified(&self.database, &t.name),
                    qualified(&self.old, &t.name)
                ));
            }
            renames.push(format!(
                "{} TO {}",
                qualified(&self.stage, &t.name),
                qualified(&self.database, &t.name)
            ));
        }
        if !renames.is_empty() {
            datamask_core::failpoint("before-swap");
            let sql = format!("RENAME TABLE {}", renames.join(", "));
            self.exec(&sql, "swapping the new tables in")?;
        }
        // Keys of tables this run did not write followed their parents to the old-tables
        // database: point them at the new parents.
        for (child, name, fk) in outside {
            let table = qualified(&self.database, &child);
            let database = self.database.clone();
            let what = format!("re-pointing foreign key `{name}` of `{child}`");
            self.exec(
                &format!("ALTER TABLE {table} DROP FOREIGN KEY {}", quote(&name)),
                &what,
            )?;
            let clause = fk.clause(|t| qualified(&database, t));
            self.exec(&format!("ALTER TABLE {table} {clause}"), &what)?;
        }
        if !objects.is_empty() {
            let use_target = format!("USE {}", quote(&self.database));
            self.exec(&use_target, "selecting the target database")?;
            objects::create(&mut self.conn, &objects)
                .map_err(|(what, e)| self.target.error(&format!("creating {what}"), e))?;
        }
        self.drop_helpers()?;
        self.done = true;
        Ok(())
    }

    /// In place: refuses, before anything is staged, a table whose rows cannot be replaced
    /// atomically and silently: one of a storage engine without transactions (MyISAM...),
    /// or one with triggers (they would fire on every replaced row, and MySQL cannot disable
    /// them inside a transaction).
    fn check_in_place(&mut self, table: &str) -> Result<()> {
        let found = rows(
            &mut self.conn,
            "SELECT ENGINE, TABLE_TYPE FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (&self.database, table),
        )
        .map_err(|e| self.target.error("looking up the table", e))?;
        let Some(row) = found.first() else {
            return Err(Error::MissingTable(table.to_string()));
        };
        let engine = text(&row[0]).unwrap_or_default();
        if !engine.eq_ignore_ascii_case("InnoDB") {
            return Err(Error::Unsupported(format!(
                "{}: table `{table}` uses the {engine} storage engine, which cannot roll back; \
                 in-place mode needs InnoDB tables (convert it, or mask into a copy with \
                 `target:`)",
                self.target.redacted
            )));
        }
        let only: HashSet<String> = [table.to_string()].into_iter().collect();
        let triggers = objects::triggers_on(&mut self.conn, &self.database, &only)
            .map_err(|e| self.target.error("reading triggers", e))?;
        if !triggers.is_empty() {
            return Err(Error::Unsupported(format!(
                "{}: table `{table}` has triggers ({}), which would fire on every masked row; \
                 MySQL cannot disable them inside a transaction. Drop them before masking in \
                 place and re-create them after, or mask into a copy with `target:`",
                self.target.redacted,
                triggers.join(", ")
            )));
        }
        Ok(())
    }

    /// In place, at commit: one InnoDB transaction (foreign-key checks off) empties each staged
    /// table and refills it from its stage, then checks every foreign key that touches those
    /// tables against the new rows; a key that held before and no longer does is an error and
    /// the transaction rolls back. A kill at any point rolls back too.
    fn commit_in_place(&mut self) -> Result<()> {
        if let Some(t) = self.staged.iter().find(|t| !t.finished) {
            return Err(Error::Internal(format!(
                "table `{}` was started but not finished before commit",
                t.name
            )));
        }
        let names: HashSet<String> = self.staged.iter().map(|t| t.name.clone()).collect();
        let keys = self.foreign_keys_touching(&names)?;
        let mut broken_before = HashSet::new();
        for (i, key) in keys.iter().enumerate() {
            if self.violated(key)? {
                broken_before.insert(i);
            }
        }
        self.exec("START TRANSACTION", "starting the transaction")?;
        let staged: Vec<(String, String)> = self
            .staged
            .iter()
            .map(|t| (t.name.clone(), t.columns.clone()))
            .collect();
        for (i, (name, columns)) in staged.iter().enumerate() {
            if i == 1 {
                datamask_core::failpoint("mid-swap");
            }
            let real = qualified(&self.database, name);
            let stage = qualified(&self.stage, name);
            let what = format!("replacing the rows of `{name}`");
            self.exec(&format!("DELETE FROM {real}"), &what)?;
            self.exec(
                &format!("INSERT INTO {real} ({columns}) SELECT {columns} FROM {stage}"),
                &what,
            )?;
        }
        for (i, key) in keys.iter().enumerate() {
            if !broken_before.contains(&i) && self.violated(key)? {
                let _ = self.conn.query_drop("ROLLBACK");
                return Err(Error::connector(
                    KIND,
                    format!(
                        "{}: after masking, rows of `{}` no longer match their parent `{}` \
                         (foreign key `{}`): mask both sides with the same strategy and domain \
                         (or leave them unmasked). Nothing was changed",
                        self.target.redacted, key.child, key.parent, key.name
                    ),
                ));
            }
        }
        datamask_core::failpoint("before-swap");
        self.exec("COMMIT", "committing")?;
        self.drop_helpers()?;
        self.done = true;
        Ok(())
    }

    /// The foreign keys inside the target database whose child or parent is in `tables`.
    fn foreign_keys_touching(&mut self, tables: &HashSet<String>) -> Result<Vec<ForeignKeyUse>> {
        let found = rows(
            &mut self.conn,
            "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, \
                    REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_SCHEMA = ? \
             ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
            (&self.database, &self.database),
        )
        .map_err(|e| self.target.error("reading foreign keys", e))?;
        let mut out: Vec<ForeignKeyUse> = Vec::new();
        for r in &found {
            let (Some(name), Some(child), Some(column), Some(parent), Some(ref_column)) = (
                text(&r[0]),
                text(&r[1]),
                text(&r[2]),
                text(&r[3]),
                text(&r[4]),
            ) else {
                continue;
            };
            if !tables.contains(&child) && !tables.contains(&parent) {
                continue;
            }
            match out.last_mut() {
                Some(k) if k.name == name && k.child == child => {
                    k.pairs.push((column, ref_column));
                }
                _ => out.push(ForeignKeyUse {
                    name,
                    child,
                    parent,
                    pairs: vec![(column, ref_column)],
                }),
            }
        }
        Ok(out)
    }

    /// Whether some row of the key's child has all key columns set and no parent row.
    fn violated(&mut self, key: &ForeignKeyUse) -> Result<bool> {
        let set: Vec<String> = key
            .pairs
            .iter()
            .map(|(c, _)| format!("c.{} IS NOT NULL", quote(c)))
            .collect();
        let join: Vec<String> = key
            .pairs
            .iter()
            .map(|(c, p)| format!("p.{} = c.{}", quote(p), quote(c)))
            .collect();
        let sql = format!(
            "SELECT 1 FROM {} AS c WHERE {} AND NOT EXISTS \
             (SELECT 1 FROM {} AS p WHERE {}) LIMIT 1",
            qualified(&self.database, &key.child),
            set.join(" AND "),
            qualified(&self.database, &key.parent),
            join.join(" AND ")
        );
        let found = rows(&mut self.conn, &sql, ()).map_err(|e| {
            self.target
                .error(&format!("checking foreign key `{}`", key.name), e)
        })?;
        Ok(!found.is_empty())
    }

    /// Foreign keys of target tables this run does not replace that reference a table it
    /// does: (child table, constraint name, definition).
    fn outside_references(
        &mut self,
        staged: &HashSet<String>,
    ) -> Result<Vec<(String, String, FkDef)>> {
        let found = rows(
            &mut self.conn,
            "SELECT TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME \
             FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = ? AND UNIQUE_CONSTRAINT_SCHEMA = ? \
             ORDER BY TABLE_NAME, CONSTRAINT_NAME",
            (&self.database, &self.database),
        )
        .map_err(|e| self.target.error("reading the target's foreign keys", e))?;
        let mut out = Vec::new();
        for r in &found {
            let (Some(child), Some(name), Some(parent)) = (text(&r[0]), text(&r[1]), text(&r[2]))
            else {
                continue;
            };
            if staged.contains(&child) || !staged.contains(&parent) {
                continue;
            }
            let sql = format!("SHOW CREATE TABLE {}", qualified(&self.database, &child));
            let show = rows(&mut self.conn, &sql, ()).map_err(|e| {
                self.target
                    .error(&format!("reading the DDL of `{child}`"), e)
            })?;
            let ddl = show
                .first()
                .and_then(|r| r.get(1))
                .and_then(text)
                .and_then(|ddl| split_show_create(&ddl, "t"));
            if let Some(fk) = ddl
                .into_iter()
                .flat_map(|d| d.foreign_keys)
                .find(|fk| fk.name().as_deref() == Some(name.as_str()))
            {
                out.push((child, name, fk));
            }
        }
        Ok(out)
    }

    /// Names of the tables and views in the target database.
    fn existing(&mut self) -> Result<Vec<String>> {
        let found = rows(
            &mut self.conn,
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? \
             ORDER BY TABLE_NAME",
            (&self.database,),
        )
        .map_err(|e| self.target.error("listing the target's tables", e))?;
        Ok(found.iter().filter_map(|r| text(&r[0])).collect())
    }
}

impl Sink for MysqlSink {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn existing_tables(&mut self) -> Result<Vec<String>> {
        if !database_exists(&mut self.conn, &self.database)
            .map_err(|e| self.target.error("looking up the target database", e))?
        {
            return Ok(Vec::new());
        }
        self.existing()
    }

    fn table<'a>(&'a mut self, table: &TableSchema) -> Result<Box<dyn TableWriter + 'a>> {
        if table.columns.is_empty() {
            return Err(Error::Unsupported(format!(
                "table `{}` has no columns; MySQL cannot create it",
                table.name
            )));
        }
        self.staged.retain(|t| t.name != table.name);
        if self.in_place {
            self.check_in_place(&table.name)?;
        }
        let (mut ddl, insert) = self.ddl_for(table)?;
        if self.in_place {
            // The stage only carries rows to the real table: no keys or indexes needed.
            ddl.indexes.clear();
            ddl.foreign_keys.clear();
        }
        let stage_name = qualified(&self.stage, &table.name);
        self.exec(
            &format!("DROP TABLE IF EXISTS {stage_name}"),
            &format!("creating table `{}`", table.name),
        )?;
        self.exec(&ddl.create, &format!("creating table `{}`", table.name))?;
        let columns: Vec<usize> = (0..table.columns.len()).filter(|i| insert[*i]).collect();
        let names = columns
            .iter()
            .map(|i| quote(&table.columns[*i].name))
            .collect::<Vec<_>>()
            .join(", ");
        self.staged.push(Staged {
            name: table.name.clone(),
            foreign_keys: ddl.foreign_keys,
            finished: false,
            columns: names.clone(),
        });
        let binary_uuid: Vec<bool> = columns
            .iter()
            .map(|i| table.columns[*i].data_type == DataType::Bytes)
            .collect();
        let rows_per_insert =
            (VALUES_PER_INSERT / columns.len().max(1)).clamp(1, MAX_ROWS_PER_INSERT);
        let MysqlSink {
            conn,
            staged,
            target,
            max_packet,
            ..
        } = self;
        Ok(Box::new(MysqlTableWriter {
            conn,
            entry: staged.last_mut().expect("pushed above"),
            target,
            table: table.name.clone(),
            width: table.columns.len(),
            insert_prefix: format!("INSERT INTO {stage_name} ({names}) VALUES "),
            stage_name,
            row_params: format!("({})", vec!["?"; columns.len()].join(", ")),
            columns,
            binary_uuid,
            rows_per_insert,
            byte_cap: (*max_packet / 2).clamp(64 << 10, 16 << 20),
            pending: Vec::new(),
            pending_rows: 0,
            pending_bytes: 0,
            full_insert: None,
            written: 0,
            inserts_in_transaction: 0,
            indexes: ddl.indexes,
        }))
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.in_place {
            return self.commit_in_place();
        }
        self.commit_inner()
    }
}

impl Drop for MysqlSink {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.drop_helpers();
        }
        let _ = self.conn.exec_drop("SELECT RELEASE_LOCK(?)", (&self.lock,));
    }
}

struct MysqlTableWriter<'a> {
    conn: &'a mut Conn,
    entry: &'a mut Staged,
    target: &'a Target,
    table: String,
    stage_name: String,
    /// Columns in the batches (generated ones included).
    width: usize,
    insert_prefix: String,
    row_params: String,
    /// Positions of the inserted columns in the batches.
    columns: Vec<usize>,
    /// Per inserted column: a UUID goes in as its 16 bytes (else as hyphenated text).
    binary_uuid: Vec<bool>,
    rows_per_insert: usize,
    byte_cap: usize,
    pending: Vec<mysql::Value>,
    pending_rows: usize,
    pending_bytes: usize,
    full_insert: Option<Statement>,
    written: u64,
    inserts_in_transaction: usize,
    indexes: Vec<String>,
}

/// A value as the driver binds it.
fn bind(value: &Value, binary_uuid: bool) -> mysql::Value {
    use chrono::{Datelike, Timelike};
    use mysql::Value as M;
    let micros = |nanos: u32| nanos.min(999_999_999) / 1000;
    match value {
        Value::Null => M::NULL,
        Value::Bool(b) => M::Int(i64::from(*b)),
        Value::Int(i) => M::Int(*i),
        Value::UInt(u) => M::UInt(*u),
        Value::Float(f) => M::Double(*f),
        Value::Decimal(s) | Value::Text(s) | Value::Json(s) => M::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => M::Bytes(b.clone()),
        Value::Date(d) => M::Date(d.year() as u16, d.month() as u8, d.day() as u8, 0, 0, 0, 0),
        Value::Time(t) => M::Time(
            false,
            0,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            micros(t.nanosecond()),
        ),
        Value::Timestamp(ts) => M::Date(
            ts.year() as u16,
            ts.month() as u8,
            ts.day() as u8,
            ts.hour() as u8,
            ts.minute() as u8,
            ts.second() as u8,
            micros(ts.nanosecond()),
        ),
        Value::TimestampTz(ts) => bind(&Value::Timestamp(ts.naive_utc()), false),
        Value::Uuid(u) if binary_uuid => M::Bytes(u.to_vec()),
        Value::Uuid(u) => M::Bytes(datamask_core::value::format_uuid(u).into_bytes()),
    }
}

fn size_of(v: &mysql::Value) -> usize {
    match v {
        mysql::Value::Bytes(b) => b.len() + 9,
        _ => 12,
    }
}

impl MysqlTableWriter<'_> {
    fn insert_sql(&self, rows: usize) -> String {
        let mut sql =
            String::with_capacity(self.insert_prefix.len() + rows * (self.row_params.len() + 2));
        sql.push_str(&self.insert_prefix);
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&self.row_params);
        }
        sql
    }

    fn fail(&self, what: &str, e: mysql::Error) -> Error {
        Error::connector(
            KIND,
            format!(
                "{}: table `{}`: {what}: {}",
                self.target.redacted,
                self.table,
                describe(&e)
            ),
        )
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending_rows == 0 {
            return Ok(());
        }
        if self.inserts_in_transaction == 0 {
            self.conn
                .query_drop("START TRANSACTION")
                .map_err(|e| self.fail("starting a transaction", e))?;
        }
        let rows = self.pending_rows;
        let stmt = if rows == self.rows_per_insert {
            match &self.full_insert {
                Some(stmt) => stmt.clone(),
                None => {
                    let sql = self.insert_sql(rows);
                    let stmt = self
                        .conn
                        .prep(sql)
                        .map_err(|e| self.fail("preparing the insert", e))?;
                    self.full_insert = Some(stmt.clone());
                    stmt
                }
            }
        } else {
            let sql = self.insert_sql(rows);
            self.conn
                .prep(sql)
                .map_err(|e| self.fail("preparing the insert", e))?
        };
        let params = mysql::Params::Positional(std::mem::take(&mut self.pending));
        let first = self.written + 1;
        if let Err(e) = self.conn.exec_drop(&stmt, params) {
            return Err(self.insert_error(first, rows, e));
        }
        self.written += rows as u64;
        self.pending_rows = 0;
        self.pending_bytes = 0;
        self.inserts_in_transaction += 1;
        if self.inserts_in_transaction >= INSERTS_PER_TRANSACTION {
            self.commit_transaction()?;
        }
        Ok(())
    }

    fn commit_transaction(&mut self) -> Result<()> {
        if self.inserts_in_transaction > 0 {
            self.conn
                .query_drop("COMMIT")
                .map_err(|e| self.fail("committing the load", e))?;
            self.inserts_in_transaction = 0;
        }
        Ok(())
    }

    /// Names the row (from the server's `at row N`, relative to the statement) when it can.
    fn insert_error(&self, first: u64, rows: usize, e: mysql::Error) -> Error {
        let message = describe(&e);
        let at_row = message
            .rfind(" at row ")
            .and_then(|i| message[i + 8..].trim().parse::<u64>().ok());
        let place = match at_row {
            Some(n) if n >= 1 && n <= rows as u64 => format!("row {}", first + n - 1),
            _ => format!("rows {first}-{}", first + rows as u64 - 1),
        };
        Error::connector(
            KIND,
            format!(
                "{}: table `{}`, {place}: {message}",
                self.target.redacted, self.table
            ),
        )
    }
}

impl TableWriter for MysqlTableWriter<'_> {
    fn write(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns.len() != self.width {
            return Err(Error::Internal(format!(
                "table `{}`: batch has {} columns, schema has {}",
                self.table,
                batch.columns.len(),
                self.width
            )));
        }
        for r in 0..batch.len() {
            for (k, &c) in self.columns.iter().enumerate() {
                let v = bind(&batch.columns[c][r], self.binary_uuid[k]);
                self.pending_bytes += size_of(&v);
                self.pending.push(v);
            }
            self.pending_rows += 1;
            if self.pending_rows >= self.rows_per_insert || self.pending_bytes >= self.byte_cap {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.flush()?;
        self.commit_transaction()?;
        if !self.indexes.is_empty() {
            let sql = format!(
                "ALTER TABLE {} {}",
                self.stage_name,
                self.indexes.join(", ")
            );
            self.conn
                .query_drop(&sql)
                .map_err(|e| self.fail("creating the indexes", e))?;
        }
        self.entry.finished = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_names_fit() {
        assert_eq!(helper_database("shop", "stage"), "shop__dm_stage");
        let long = "d".repeat(64);
        let stage = helper_database(&long, "stage");
        assert!(stage.chars().count() <= MAX_IDENT);
        assert!(stage.ends_with("__dm_stage"));
        assert_ne!(stage, helper_database(&"e".repeat(64), "stage"));
    }

    #[test]
    fn binding() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(
            bind(&Value::Date(d), false),
            mysql::Value::Date(2024, 2, 29, 0, 0, 0, 0)
        );
        let ts = d.and_hms_micro_opt(1, 2, 3, 456).unwrap();
        assert_eq!(
            bind(&Value::Timestamp(ts), false),
            mysql::Value::Date(2024, 2, 29, 1, 2, 3, 456)
        );
        let u = [7u8; 16];
        assert_eq!(bind(&Value::Uuid(u), true), mysql::Value::Bytes(u.to_vec()));
        assert_eq!(
            bind(&Value::UInt(u64::MAX), false),
            mysql::Value::UInt(u64::MAX)
        );
    }
}
