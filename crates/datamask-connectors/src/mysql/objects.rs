//! Schema objects other than tables, for MySQL-to-MySQL copies: stored functions and
//! procedures, views and triggers, replayed from the source's `SHOW CREATE ...` after the swap.
//!
//! The `DEFINER=` clause is dropped, so objects belong to the connecting user (as with
//! `--no-owner` elsewhere) and no `SUPER`/`SET USER` privilege is needed.

use super::conn::{quote, rows, text};
use mysql::prelude::Queryable;
use mysql::Conn;
use std::collections::HashSet;

/// One object to create in the target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object {
    /// `FUNCTION`, `PROCEDURE`, `VIEW` or `TRIGGER`.
    pub kind: &'static str,
    pub name: String,
    /// The `CREATE` statement, without its definer.
    pub create: String,
    /// The `sql_mode` the object was created under (routines and triggers).
    pub sql_mode: Option<String>,
}

/// Removes `DEFINER=`user`@`host`` (with its trailing space) from a `CREATE` statement.
pub(crate) fn strip_definer(sql: &str) -> String {
    let Some(at) = sql.find("DEFINER=") else {
        return sql.to_string();
    };
    let rest = &sql[at + "DEFINER=".len()..];
    let end = rest
        .find(' ')
        .filter(|i| rest[..*i].contains('@'))
        .map(|i| i + 1);
    match end {
        Some(end) => format!("{}{}", &sql[..at], &rest[end..]),
        None => sql.to_string(),
    }
}

/// Reads the routines, views and triggers of `db` (through a connection whose current
/// database is `db`, so the definitions name its tables without the database). Triggers are
/// kept only for tables in `tables`.
pub(crate) fn read(
    conn: &mut Conn,
    db: &str,
    tables: &HashSet<String>,
) -> std::result::Result<Vec<Object>, mysql::Error> {
    conn.query_drop(format!("USE {}", quote(db)))?;
    let mut out = Vec::new();
    let routines = rows(
        conn,
        "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') \
         ORDER BY ROUTINE_TYPE, ROUTINE_NAME",
        (db,),
    )?;
    for r in &routines {
        let (Some(kind), Some(name)) = (text(&r[0]), text(&r[1])) else {
            continue;
        };
        let kind = if kind == "FUNCTION" {
            "FUNCTION"
        } else {
            "PROCEDURE"
        };
        let show = rows(conn, &format!("SHOW CREATE {kind} {}", quote(&name)), ())?;
        if let Some(row) = show.first() {
            // Function | sql_mode | Create Function | ...; NULL without privileges.
            if let Some(create) = row.get(2).and_then(text) {
                out.push(Object {
                    kind,
                    name,
                    create: strip_definer(&create),
                    sql_mode: row.get(1).and_then(text),
                });
            }
        }
    }
    let views = rows(
        conn,
        "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? \
         ORDER BY TABLE_NAME",
        (db,),
    )?;
    for r in &views {
        let Some(name) = text(&r[0]) else { continue };
        let show = rows(conn, &format!("SHOW CREATE VIEW {}", quote(&name)), ())?;
        if let Some(create) = show.first().and_then(|row| row.get(1)).and_then(text) {
            let create = strip_definer(&create);
            let create = match create.strip_prefix("CREATE ") {
                Some(rest) => format!("CREATE OR REPLACE {rest}"),
                None => create,
            };
            out.push(Object {
                kind: "VIEW",
                name,
                create,
                sql_mode: None,
            });
        }
    }
    let triggers = rows(
        conn,
        "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS \
         WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER",
        (db,),
    )?;
    for r in &triggers {
        let (Some(name), Some(table)) = (text(&r[0]), text(&r[1])) else {
            continue;
        };
        if !tables.contains(&table) {
            continue;
        }
        let show = rows(conn, &format!("SHOW CREATE TRIGGER {}", quote(&name)), ())?;
        if let Some(row) = show.first() {
            if let Some(create) = row.get(2).and_then(text) {
                out.push(Object {
                    kind: "TRIGGER",
                    name,
                    create: strip_definer(&create),
                    sql_mode: row.get(1).and_then(text),
                });
            }
        }
    }
    Ok(out)
}

/// Names of the triggers on `tables` in `db`.
pub(crate) fn triggers_on(
    conn: &mut Conn,
    db: &str,
    tables: &HashSet<String>,
) -> std::result::Result<Vec<String>, mysql::Error> {
    let found = rows(
        conn,
        "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS \
         WHERE TRIGGER_SCHEMA = ?",
        (db,),
    )?;
    Ok(found
        .iter()
        .filter(|r| text(&r[1]).is_some_and(|t| tables.contains(&t)))
        .filter_map(|r| text(&r[0]))
        .collect())
}

/// Creates `objects` in the current database of `conn`: routines first, then views (retried
/// until those that depend on other views find them), then triggers. Returns the first error
/// with the object it concerns.
pub(crate) fn create(
    conn: &mut Conn,
    objects: &[Object],
) -> std::result::Result<(), (String, mysql::Error)> {
    let session_mode: Option<String> = conn
        .query_first("SELECT @@SESSION.sql_mode")
        .map_err(|e| (String::from("sql_mode"), e))?;
    let run = |conn: &mut Conn, o: &Object| -> std::result::Result<(), mysql::Error> {
        if o.kind != "VIEW" {
            conn.query_drop(format!("DROP {} IF EXISTS {}", o.kind, quote(&o.name)))?;
        }
        if let Some(mode) = &o.sql_mode {
            conn.exec_drop("SET SESSION sql_mode = ?", (mode,))?;
        }
        let result = conn.query_drop(&o.create);
        if o.sql_mode.is_some() {
            if let Some(mode) = &session_mode {
                conn.exec_drop("SET SESSION sql_mode = ?", (mode,))?;
            }
        }
        result
    };
    let label = |o: &Object| format!("{} `{}`", o.kind.to_ascii_lowercase(), o.name);
    for o in objects
        .iter()
        .filter(|o| o.kind != "VIEW" && o.kind != "TRIGGER")
    {
        run(conn, o).map_err(|e| (label(o), e))?;
    }
    let mut pending: Vec<&Object> = objects.iter().filter(|o| o.kind == "VIEW").collect();
    while !pending.is_empty() {
        let mut failed = Vec::new();
        let mut last_error = None;
        for o in &pending {
            if let Err(e) = run(conn, o) {
                last_error = Some((label(o), e));
                failed.push(*o);
            }
        }
        if failed.len() == pending.len() {
            match last_error {
                // Views over tables the target does not have (skipped ones) are left out.
                Some((_, e)) if super::conn::server_code(&e) == Some(1146) => break,
                Some(err) => return Err(err),
                None => break,
            }
        }
        pending = failed;
    }
    for o in objects.iter().filter(|o| o.kind == "TRIGGER") {
        run(conn, o).map_err(|e| (label(o), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definers_are_dropped() {
        assert_eq!(
            strip_definer(
                "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`127.0.0.1` SQL SECURITY DEFINER \
                 VIEW `v` AS select 1"
            ),
            "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1"
        );
        assert_eq!(
            strip_definer("CREATE DEFINER=`app`@`%` FUNCTION `f`() RETURNS int RETURN 1"),
            "CREATE FUNCTION `f`() RETURNS int RETURN 1"
        );
        assert_eq!(
            strip_definer("CREATE VIEW v AS select 1"),
            "CREATE VIEW v AS select 1"
        );
    }
}
