//! Bare table names in the config resolved against schema-qualified source tables.
//!
//! PostgreSQL tables are introspected as `schema.table`. Users write `customers` far more often
//! than `public.customers`, and psql resolves the bare name through `search_path`; the config
//! does the same for the default schema so that the first config a user writes just works.
//! A bare name resolves when the source has no table of exactly that name and either one
//! `public.NAME` or exactly one `SCHEMA.NAME`; anything ambiguous is left for the
//! "not found" diagnostic, which then lists the candidates.

use crate::config::Config;
use datamask_core::TableSchema;

/// The config with every bare table name replaced by the source table it denotes, or `None`
/// when every name already matches (the common case costs no copy).
pub(crate) fn qualify(config: &Config, tables: &[TableSchema]) -> Option<Config> {
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let resolve = |name: &str| resolve(name, &names);
    let needs = config.tables.iter().any(|t| resolve(&t.name).is_some())
        || config
            .relations
            .iter()
            .any(|r| resolve(&r.from_table).is_some() || resolve(&r.to_table).is_some())
        || config
            .domains
            .iter()
            .flat_map(|d| &d.columns)
            .any(|(c, _)| resolve(&c.table).is_some());
    if !needs {
        return None;
    }
    let mut config = config.clone();
    let fix = |name: &mut String| {
        if let Some(q) = resolve(name) {
            *name = q;
        }
    };
    for t in &mut config.tables {
        // A query table names a new table; it is never a reference to an existing one.
        if t.query.is_none() {
            fix(&mut t.name);
        }
    }
    for r in &mut config.relations {
        fix(&mut r.from_table);
        fix(&mut r.to_table);
    }
    for d in &mut config.domains {
        for (c, _) in &mut d.columns {
            fix(&mut c.table);
        }
    }
    Some(config)
}

/// The qualified table among `tables` that a bare `name` denotes, if it needs resolving and
/// resolves.
pub(crate) fn resolve(name: &str, tables: &[&str]) -> Option<String> {
    if name.contains('.') || tables.contains(&name) {
        return None;
    }
    let candidates = candidates(name, tables.iter().copied());
    let public = format!("public.{name}");
    if candidates.iter().any(|c| *c == public) {
        return Some(public);
    }
    match candidates.as_slice() {
        [only] => Some((*only).to_string()),
        _ => None,
    }
}

/// Tables called `SCHEMA.name`, whatever the schema.
pub(crate) fn candidates<'t>(name: &str, tables: impl Iterator<Item = &'t str>) -> Vec<&'t str> {
    tables
        .filter(|t| t.rsplit_once('.').is_some_and(|(_, bare)| bare == name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_resolve_like_a_search_path() {
        let cases: &[(&[&str], &str, Option<&str>)] = &[
            (&["public.customers"], "customers", Some("public.customers")),
            (&["sales.orders"], "orders", Some("sales.orders")),
            // public wins over other schemas, as with the default search_path.
            (&["a.t", "public.t"], "t", Some("public.t")),
            // Ambiguous: left for the "not found" diagnostic.
            (&["a.t", "b.t"], "t", None),
            // Exact and qualified names are never rewritten.
            (&["t", "public.t"], "t", None),
            (&["public.t"], "public.t", None),
            (&["public.t"], "x.t", None),
            (&["public.t"], "u", None),
        ];
        for (names, name, want) in cases {
            assert_eq!(
                resolve(name, names).as_deref(),
                *want,
                "{name} in {names:?}"
            );
        }
    }
}
