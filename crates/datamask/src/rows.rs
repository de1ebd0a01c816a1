//! Row rules: patterns that pick rows, for a table's `where`, `include` and `exclude` and a
//! column's `when`.
//!
//! ```yaml
//! tables:
//!   orders:
//!     where: { status: "paid|shipped", total: ">= 100" }   # rows kept in the target
//!     exclude: { customer_id.email: "%@ourcompany.test" }  # rows copied unmasked
//!     columns:
//!       note: { strategy: redact_text, when: { channel: "email" } }
//! ```
//!
//! A pattern is a map of `field: condition` (all must hold) or a list of such maps (any may
//! hold). A condition is a value (equality), a list of values, or a string: `a|b` (any of),
//! `>= 10`, `< 2024-01-01`, `!= x`, `%@example.com` (LIKE, `%` and `_` wildcards, `!` in front
//! negates), `NULL`, `!NULL`. A field is a column of the table, or a path through foreign
//! keys: `customer_id.country` is the `country` of the row `customer_id` references.
//!
//! Patterns are evaluated by datamask on every source (files included), not pushed down as SQL.
//! A path is resolved once per table by reading the referenced table and keeping the keys of
//! its matching rows, so memory grows with the number of matching parent rows, not with the
//! tables.

use crate::config::yaml::{Node, NodeKind, Pos};
use crate::config::Diagnostic;
use datamask_core::source::{ReadOptions, Source};
use datamask_core::{Batch, TableSchema, Value};
use serde::Serialize;
use std::collections::BTreeSet;

/// One test on a field's value; a condition holds when any of its tests does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", content = "value", rename_all = "snake_case")]
pub enum Test {
    Eq(String),
    Ne(String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
    Like(String),
    NotLike(String),
    IsNull,
    NotNull,
}

/// A condition as written: a field path and its tests.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionSpec {
    pub field: String,
    pub tests: Vec<Test>,
    #[serde(skip)]
    pub pos: Pos,
}

/// A pattern as written: alternatives (OR) of conditions (AND).
#[derive(Debug, Clone, Serialize)]
pub struct PatternSpec {
    pub any_of: Vec<Vec<ConditionSpec>>,
    #[serde(skip)]
    pub pos: Pos,
}

/// Parses one atom of a condition string.
fn atom(s: &str) -> Test {
    let t = s.trim();
    if t.eq_ignore_ascii_case("null") {
        return Test::IsNull;
    }
    if t.eq_ignore_ascii_case("!null") {
        return Test::NotNull;
    }
    for (op, make) in [
        (">=", Test::Ge as fn(String) -> Test),
        ("<=", Test::Le),
        ("!=", Test::Ne),
        ("<>", Test::Ne),
        (">", Test::Gt),
        ("<", Test::Lt),
        ("=", Test::Eq),
    ] {
        if let Some(rest) = t.strip_prefix(op) {
            return make(rest.trim().to_string());
        }
    }
    if let Some(rest) = t.strip_prefix('!') {
        if rest.contains('%') {
            return Test::NotLike(rest.to_string());
        }
    }
    if t.contains('%') {
        return Test::Like(t.to_string());
    }
    Test::Eq(t.to_string())
}

/// Splits at `|`, except `\|`.
fn split_alternatives(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                out.last_mut().expect("one").push('|');
            }
            '|' => out.push(String::new()),
            other => out.last_mut().expect("one").push(other),
        }
    }
    out
}

fn tests_of(node: &Node) -> Option<Vec<Test>> {
    Some(match &node.kind {
        NodeKind::Str(s) => split_alternatives(s).iter().map(|a| atom(a)).collect(),
        NodeKind::Int(i) => vec![Test::Eq(i.to_string())],
        NodeKind::Float(f) => vec![Test::Eq(f.to_string())],
        NodeKind::Bool(b) => vec![Test::Eq(b.to_string())],
        NodeKind::Null => vec![Test::IsNull],
        NodeKind::Seq(items) => {
            let mut all = Vec::new();
            for i in items {
                all.extend(tests_of(i)?);
            }
            all
        }
        NodeKind::Map(_) => return None,
    })
}

fn and_set(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Vec<ConditionSpec>> {
    let NodeKind::Map(entries) = &node.kind else {
        diags.push(
            Diagnostic::new(
                node.pos,
                format!("{what} must be a map of `column: condition` or a list of such maps"),
            )
            .hint("e.g. { status: \"paid|shipped\", total: \">= 100\" }"),
        );
        return None;
    };
    if entries.is_empty() {
        diags.push(Diagnostic::new(node.pos, format!("{what} is an empty map")));
        return None;
    }
    let mut out = Vec::new();
    for (k, v) in entries {
        let Some(field) = k.scalar_text() else {
            diags.push(Diagnostic::new(k.pos, "a pattern's keys are column names"));
            continue;
        };
        match tests_of(v) {
            Some(tests) if !tests.is_empty() => out.push(ConditionSpec {
                field,
                tests,
                pos: k.pos,
            }),
            _ => diags.push(
                Diagnostic::new(v.pos, format!("the condition on `{field}` must be a value, a list of values or a string such as \">= 10\""))
                    .hint("conditions: value, a|b, >= x, <= x, > x, < x, != x, %like%, !%not like%, NULL, !NULL"),
            ),
        }
    }
    Some(out)
}

/// Parses a pattern (a map, or a list of maps) from the config, reporting problems.
pub(crate) fn parse(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<PatternSpec> {
    let any_of = match &node.kind {
        NodeKind::Seq(items) if !items.is_empty() => items
            .iter()
            .map(|i| and_set(i, what, diags))
            .collect::<Option<Vec<_>>>()?,
        _ => vec![and_set(node, what, diags)?],
    };
    Some(PatternSpec {
        any_of,
        pos: node.pos,
    })
}

/// Where a condition's value comes from.
#[derive(Debug, Clone)]
enum Target {
    /// A column of the table itself (its index).
    Column(usize),
    /// A foreign-key column whose referenced row must satisfy `rest` in `parent`.
    Path {
        fk: usize,
        parent: Box<TableSchema>,
        /// The referenced column of `parent`.
        key: usize,
        rest: Box<Condition>,
    },
}

/// A condition resolved against a table.
#[derive(Debug, Clone)]
pub struct Condition {
    target: Target,
    tests: Vec<Test>,
}

/// A pattern resolved against a table's schema (and the schemas of the tables its paths
/// cross).
#[derive(Debug, Clone, Serialize)]
pub struct RowPattern {
    /// The pattern as written, for `plan --format json`.
    #[serde(flatten)]
    pub spec: PatternSpec,
    #[serde(skip)]
    any_of: Vec<Vec<Condition>>,
}

/// Resolves `field` (a column, or `fk.column...` through foreign keys) in `schema`.
fn resolve_field(
    field: &str,
    tests: &[Test],
    schema: &TableSchema,
    tables: &[TableSchema],
    depth: usize,
) -> Result<Condition, String> {
    if let Some(i) = schema.column_index(field) {
        return Ok(Condition {
            target: Target::Column(i),
            tests: tests.to_vec(),
        });
    }
    let Some((head, rest)) = field.split_once('.') else {
        return Err(format!("`{field}` is not a column of `{}`", schema.name));
    };
    if depth >= 8 {
        return Err(format!(
            "the path `{field}` is too deep (8 foreign keys at most)"
        ));
    }
    let fk_index = schema
        .column_index(head)
        .ok_or_else(|| format!("`{head}` is not a column of `{}`", schema.name))?;
    let fk = schema
        .foreign_keys
        .iter()
        .find(|f| f.columns.len() == 1 && f.columns[0] == head)
        .ok_or_else(|| {
            format!(
                "`{head}` of `{}` is not a single-column foreign key, so `{field}` cannot follow it",
                schema.name
            )
        })?;
    let parent = tables
        .iter()
        .find(|t| t.name == fk.ref_table)
        .ok_or_else(|| {
            format!(
                "the table `{}` that `{head}` references is not in the source",
                fk.ref_table
            )
        })?;
    let key = parent.column_index(&fk.ref_columns[0]).ok_or_else(|| {
        format!(
            "`{}` is not a column of `{}`",
            fk.ref_columns[0], parent.name
        )
    })?;
    let rest = resolve_field(rest, tests, parent, tables, depth + 1)?;
    Ok(Condition {
        target: Target::Path {
            fk: fk_index,
            parent: Box::new(parent.clone()),
            key,
            rest: Box::new(rest),
        },
        tests: Vec::new(),
    })
}

/// Resolves a written pattern against `schema`; problems are reported at their field.
pub fn resolve(
    spec: &PatternSpec,
    schema: &TableSchema,
    tables: &[TableSchema],
    diags: &mut Vec<Diagnostic>,
) -> Option<RowPattern> {
    let mut any_of = Vec::new();
    let mut ok = true;
    for and_set in &spec.any_of {
        let mut conds = Vec::new();
        for c in and_set {
            match resolve_field(&c.field, &c.tests, schema, tables, 0) {
                Ok(cond) => conds.push(cond),
                Err(message) => {
                    ok = false;
                    let mut d = Diagnostic::new(c.pos, message).width(c.field.chars().count());
                    if let Some(s) = crate::config::diagnostic::did_you_mean(
                        &c.field,
                        schema.columns.iter().map(|c| c.name.as_str()),
                    ) {
                        d = d.hint(format!("did you mean `{s}`?"));
                    }
                    diags.push(d);
                }
            }
        }
        any_of.push(conds);
    }
    ok.then(|| RowPattern {
        spec: spec.clone(),
        any_of,
    })
}

/// A table's row rules, resolved.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RowRules {
    /// Rows kept in the target (`where:` as a pattern).
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub keep: Option<RowPattern>,
    /// Rows masked (`include:`); the others are copied unmasked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include: Option<RowPattern>,
    /// Rows copied unmasked (`exclude:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<RowPattern>,
}

impl RowRules {
    /// True when the table has no row rules.
    pub fn is_empty(&self) -> bool {
        self.keep.is_none() && self.include.is_none() && self.exclude.is_none()
    }
}

/// Resolves every table's row rules and every column's `when` against the source's schemas.
/// `linked` says whether a column (table index, column index) is linked to other columns
/// (foreign keys, relations, domains): such a column is masked in every row, since masking
/// only some rows would break its joins, and a `when` on it is refused.
pub(crate) fn plan_rows(
    config: &crate::Config,
    tables: &[TableSchema],
    linked: &dyn Fn((usize, usize)) -> bool,
    plans: &mut [crate::plan::TablePlan],
    diags: &mut Vec<Diagnostic>,
) {
    for (t, (schema, plan)) in tables.iter().zip(plans.iter_mut()).enumerate() {
        let Some(rule) = config.table(&schema.name) else {
            continue;
        };
        let mut resolve_opt = |spec: &Option<PatternSpec>| {
            spec.as_ref()
                .and_then(|s| resolve(s, schema, tables, diags))
        };
        plan.rows = RowRules {
            keep: resolve_opt(&rule.row_filter),
            include: resolve_opt(&rule.include),
            exclude: resolve_opt(&rule.exclude),
        };
        for (c, col) in plan.columns.iter_mut().enumerate() {
            col.every_row = linked((t, c));
            let Some(r) = rule.columns.iter().find(|r| r.column == col.name) else {
                continue;
            };
            let Some(spec) = &r.when else {
                continue;
            };
            if col.every_row {
                diags.push(
                    Diagnostic::new(spec.pos, format!(
                        "`when` on `{}.{}`, which is linked to other columns: masking only some of its rows would break their joins",
                        schema.name, col.name
                    ))
                    .hint("mask linked columns in every row; use `when` on columns that nothing joins on"),
                );
                continue;
            }
            col.when = resolve(spec, schema, tables, diags);
        }
    }
}

/// `s LIKE pattern` with `%` (any run) and `_` (one character) wildcards.
fn like(s: &str, pattern: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative matcher with backtracking to the last `%`.
    let (mut i, mut j) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while i < s.len() {
        if j < p.len() && (p[j] == '_' || p[j] == s[i]) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(st) = star {
            j = st + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while j < p.len() && p[j] == '%' {
        j += 1;
    }
    j == p.len()
}

/// Compares a cell with a literal: as numbers when both are numbers, else as text (which
/// orders ISO dates correctly).
fn compare(cell: &str, literal: &str) -> std::cmp::Ordering {
    match (cell.trim().parse::<f64>(), literal.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal),
        _ => cell.cmp(literal),
    }
}

/// True when `value` passes `test` (SQL semantics: NULL passes only `IsNull`).
fn passes(value: &Value, test: &Test) -> bool {
    use std::cmp::Ordering::*;
    if value.is_null() {
        return *test == Test::IsNull;
    }
    let cell = value.to_string();
    match test {
        Test::IsNull => false,
        Test::NotNull => true,
        Test::Eq(x) => compare(&cell, x) == Equal,
        Test::Ne(x) => compare(&cell, x) != Equal,
        Test::Lt(x) => compare(&cell, x) == Less,
        Test::Le(x) => compare(&cell, x) != Greater,
        Test::Gt(x) => compare(&cell, x) == Greater,
        Test::Ge(x) => compare(&cell, x) != Less,
        Test::Like(p) => like(&cell, p),
        Test::NotLike(p) => !like(&cell, p),
    }
}

/// A condition ready to evaluate: paths replaced by the keys of the parent rows that match.
#[derive(Debug)]
enum Ready {
    Column(usize, Vec<Test>),
    InSet(usize, BTreeSet<Vec<u8>>),
}

/// A pattern ready to evaluate on batches of its table.
#[derive(Debug)]
pub struct Prepared {
    any_of: Vec<Vec<Ready>>,
}

fn canonical(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Keys compare across engines by their text form (an INTEGER key referenced from a TEXT
    // column of a CSV must still match).
    Value::Text(v.to_string().into()).encode_canonical(&mut out);
    out
}

/// Reads `parent` and returns the keys (column `key`) of the rows where `cond` holds.
fn matching_keys(
    source: &mut dyn Source,
    parent: &TableSchema,
    key: usize,
    cond: &Condition,
    batch_size: usize,
) -> Result<BTreeSet<Vec<u8>>, datamask_core::Error> {
    let ready = prepare_condition(source, cond, batch_size)?;
    let mut keys = BTreeSet::new();
    let read = ReadOptions {
        batch_size,
        filter: None,
    };
    for batch in source.read(parent, &read)? {
        let batch = batch?;
        for i in 0..batch.len() {
            if holds(&ready, &batch, i) {
                let k = &batch.columns[key][i];
                if !k.is_null() {
                    keys.insert(canonical(k));
                }
            }
        }
    }
    Ok(keys)
}

fn prepare_condition(
    source: &mut dyn Source,
    cond: &Condition,
    batch_size: usize,
) -> Result<Ready, datamask_core::Error> {
    Ok(match &cond.target {
        Target::Column(i) => Ready::Column(*i, cond.tests.clone()),
        Target::Path {
            fk,
            parent,
            key,
            rest,
        } => Ready::InSet(*fk, matching_keys(source, parent, *key, rest, batch_size)?),
    })
}

fn holds(r: &Ready, batch: &Batch, row: usize) -> bool {
    match r {
        Ready::Column(i, tests) => tests.iter().any(|t| passes(&batch.columns[*i][row], t)),
        Ready::InSet(i, set) => {
            let v = &batch.columns[*i][row];
            !v.is_null() && set.contains(&canonical(v))
        }
    }
}

impl RowPattern {
    /// Resolves the pattern's paths by reading the tables they cross (before the table
    /// itself is read: a source reads one table at a time).
    pub fn prepare(
        &self,
        source: &mut dyn Source,
        batch_size: usize,
    ) -> Result<Prepared, datamask_core::Error> {
        let any_of = self
            .any_of
            .iter()
            .map(|and| {
                and.iter()
                    .map(|c| prepare_condition(source, c, batch_size))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Prepared { any_of })
    }
}

impl Prepared {
    /// Whether row `row` of `batch` matches.
    pub fn matches(&self, batch: &Batch, row: usize) -> bool {
        self.any_of
            .iter()
            .any(|and| and.iter().all(|c| holds(c, batch, row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datamask_core::{Column, DataType, ForeignKey};

    #[test]
    fn atoms_and_like() {
        assert_eq!(atom(">= 10"), Test::Ge("10".into()));
        assert_eq!(atom("!=x"), Test::Ne("x".into()));
        assert_eq!(atom("%@x.test"), Test::Like("%@x.test".into()));
        assert_eq!(atom("!%@x.test"), Test::NotLike("%@x.test".into()));
        assert_eq!(atom("null"), Test::IsNull);
        assert_eq!(atom("!NULL"), Test::NotNull);
        assert_eq!(atom(" paid "), Test::Eq("paid".into()));
        assert_eq!(split_alternatives("a|b\\|c"), vec!["a", "b|c"]);
        for (s, p, m) in [
            ("alice@x.test", "%@x.test", true),
            ("alice@y.test", "%@x.test", false),
            ("abc", "a_c", true),
            ("abc", "a%", true),
            ("abc", "%b%", true),
            ("abc", "%d%", false),
            ("", "%", true),
            ("a%c", "a%c", true),
        ] {
            assert_eq!(like(s, p), m, "{s} {p}");
        }
        let v = Value::Int(15);
        assert!(passes(&v, &Test::Gt("9".into())) && !passes(&v, &Test::Lt("9".into())));
        assert!(passes(
            &Value::text("2024-03-01"),
            &Test::Lt("2024-12-31".into())
        ));
        assert!(
            !passes(&Value::Null, &Test::Ne("x".into())) && passes(&Value::Null, &Test::IsNull)
        );
    }

    #[test]
    fn paths_resolve_through_foreign_keys() {
        let mut orders = TableSchema::new(
            "orders",
            vec![
                Column::new("id", DataType::text()),
                Column::new("customer_id", DataType::text()),
            ],
        );
        orders.foreign_keys.push(ForeignKey {
            columns: vec!["customer_id".into()],
            ref_table: "customers".into(),
            ref_columns: vec!["id".into()],
        });
        let customers = TableSchema::new(
            "customers",
            vec![
                Column::new("id", DataType::text()),
                Column::new("country", DataType::text()),
            ],
        );
        let tables = vec![orders.clone(), customers];
        let c = resolve_field(
            "customer_id.country",
            &[Test::Eq("ES".into())],
            &orders,
            &tables,
            0,
        )
        .unwrap();
        assert!(matches!(c.target, Target::Path { fk: 1, key: 0, .. }));
        for (bad, why) in [
            ("nope", "is not a column"),
            ("id.country", "not a single-column foreign key"),
            ("customer_id.nope", "is not a column of `customers`"),
        ] {
            let e = resolve_field(bad, &[], &orders, &tables, 0).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
