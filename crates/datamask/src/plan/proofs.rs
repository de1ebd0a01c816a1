//! The pre-flight proofs: masked keys stay unique, masked values fit their columns.
//!
//! Both are decided once per *unit*: a group of linked columns sharing one transform (see
//! [`super::links`]), or a single masked column. A unit's strategy is built for its *fit
//! column*, the member column with the tightest limits of all members (shortest varchar,
//! narrowest integer range, intersection of allowed values...), so every member gets the same,
//! fitting output.
//!
//! * **Unique.** If any member is part of a primary key (declared or from the config), a unique
//!   constraint or a unique index, the strategy must be injective (the strategy's own
//!   [`Strategy::is_injective`], which accounts for its options) *and* provably never longer
//!   than the column, since shortening could merge two keys. Otherwise the plan is refused and
//!   the message names injective strategies that do fit.
//! * **Fit.** NOT NULL columns must not receive NULL; a column with a closed list of values
//!   (enum type, `CHECK (x IN ...)`) must receive values from it, which is tested on the list
//!   itself; text longer than the column is shortened (non-key columns only); numeric ranges
//!   are clamped; every other check is verified value by value during the run
//!   ([`crate::fit`]), before anything is committed.

use super::links::{ColId, Links};
use super::{col_name, same_rule, ColumnPlan, TablePlan};
use crate::config::{Diagnostic, Pos, Topic};
use datamask_core::strategy::{BuildCtx, Injectivity, Strategy, StrategyInfo};
use datamask_core::{
    ApplyCtx, Check, CmpOp, Column, DataType, Literal, MasterKey, TableSchema, Value,
};
use std::collections::BTreeSet;

/// Runs the proofs for every masked column and records the fit column, the uniqueness reason
/// and the fit note on each.
pub(super) fn prove(
    tables: &[TableSchema],
    links: &Links,
    plans: &mut [TablePlan],
    diags: &mut Vec<Diagnostic>,
) {
    let mut done: BTreeSet<ColId> = BTreeSet::new();
    for t in 0..plans.len() {
        for c in 0..plans[t].columns.len() {
            if done.contains(&(t, c)) || plans[t].columns[c].is_preserved() {
                continue;
            }
            let first = plans[t].columns[c].clone();
            let members: Vec<ColId> = match links.group_of((t, c)) {
                Some(g) => g
                    .members
                    .iter()
                    .copied()
                    .filter(|&(mt, mc)| same_rule(&plans[mt].columns[mc], &first))
                    .collect(),
                None => vec![(t, c)],
            };
            done.extend(members.iter().copied());
            // Values of a referencing column are values of the column it references (except
            // orphans, which the run checks value by value), so only the others bound the
            // input length.
            let sources: Vec<ColId> = members
                .iter()
                .copied()
                .filter(|&m| {
                    !links
                        .links
                        .iter()
                        .any(|l| l.is_reference() && l.from == m && members.contains(&l.to))
                })
                .collect();
            prove_unit(tables, plans, &members, &sources, diags);
        }
    }
}

/// What a unit's proofs found.
struct Outcome {
    fit_column: Column,
    fit: Option<String>,
}

fn prove_unit(
    tables: &[TableSchema],
    plans: &mut [TablePlan],
    members: &[ColId],
    sources: &[ColId],
    diags: &mut Vec<Diagnostic>,
) {
    let column = |&(t, c): &ColId| &tables[t].columns[c];
    let cols: Vec<&Column> = members.iter().map(column).collect();
    let source_cols: Vec<&Column> = if sources.is_empty() {
        cols.clone()
    } else {
        sources.iter().map(column).collect()
    };
    let fit_column = merge(&cols);
    // The reason shown is the one the user is most likely to recognise: a column with its
    // own rule first, then primary keys.
    let unique = members
        .iter()
        .filter_map(|&(t, c)| {
            unique_reason(&plans[t], &tables[t].columns[c].name).map(|r| (r, (t, c)))
        })
        .min_by_key(|(r, (t, c))| (plans[*t].columns[*c].rule_pos.is_none(), !r.primary));
    let lead = plans[members[0].0].columns[members[0].1].clone();
    let at = members
        .iter()
        .find_map(|&(t, c)| plans[t].columns[c].rule_pos)
        .unwrap_or(Pos { line: 1, col: 1 });
    let unit = Unit {
        tables,
        members,
        plan: &lead,
        column: &fit_column,
        input_max: input_max(&source_cols),
        at,
        width: lead.name.chars().count(),
    };
    let outcome = match unit.build() {
        Err(message) => {
            diags.push(
                Diagnostic::new(at, format!("`{}`: {message}", unit.name())).width(unit.width),
            );
            Outcome {
                fit_column: fit_column.clone(),
                fit: None,
            }
        }
        Ok(strategy) => unit.judge(strategy.as_ref(), unique.as_ref(), diags),
    };
    for &(t, c) in members {
        // Every member of a key's unit keeps values distinct (the transform is shared); say
        // why in the member's own terms.
        let own = unique_reason(&plans[t], &tables[t].columns[c].name).map(|r| r.text);
        let shared = unique.as_ref().map(|(r, holder)| {
            format!(
                "shares its transform with `{}`, {}",
                col_name(tables, *holder),
                r.text
            )
        });
        let p = &mut plans[t].columns[c];
        p.fit_column = outcome.fit_column.clone();
        p.unique = own.or(shared);
        p.fit = outcome.fit.clone();
    }
}

/// Why a column's values must stay distinct.
struct UniqueReason {
    text: String,
    /// Part of the primary key (so it cannot be NULL either).
    primary: bool,
}

fn unique_reason(table: &TablePlan, column: &str) -> Option<UniqueReason> {
    let schema = &table.schema;
    let list = |cols: &[String]| cols.join(", ");
    let has = |cols: &[String]| cols.iter().any(|c| c == column);
    if has(&table.primary_key) {
        let key = if table.primary_key.len() == 1 {
            format!("the primary key of `{}`", table.name)
        } else {
            format!(
                "part of the primary key ({}) of `{}`",
                list(&table.primary_key),
                table.name
            )
        };
        let from = if table.virtual_key {
            " (from the config)"
        } else {
            ""
        };
        return Some(UniqueReason {
            text: format!("{key}{from}"),
            primary: true,
        });
    }
    let text = if let Some(u) = schema.unique.iter().find(|u| has(u)) {
        if u.len() == 1 {
            format!("a unique key of `{}`", table.name)
        } else {
            format!("part of the unique key ({}) of `{}`", list(u), table.name)
        }
    } else {
        let i = schema
            .indexes
            .iter()
            .find(|i| i.unique && has(&i.columns))?;
        format!("in the unique index `{}` of `{}`", i.name, table.name)
    };
    Some(UniqueReason {
        text,
        primary: false,
    })
}

/// One column with the limits of all: the shortest text, the narrowest numbers, the common
/// allowed values, every check, NOT NULL if any member is.
fn merge(cols: &[&Column]) -> Column {
    let mut m = cols[0].clone();
    for c in &cols[1..] {
        m.nullable &= c.nullable;
        match (&mut m.data_type, &c.data_type) {
            (DataType::Text { max_len: a }, DataType::Text { max_len: b }) => {
                *a = min_opt(*a, *b);
            }
            (
                DataType::Decimal {
                    precision: pa,
                    scale: sa,
                },
                DataType::Decimal {
                    precision: pb,
                    scale: sb,
                },
            ) => {
                let int = |p: Option<u32>, s: Option<u32>| p.map(|p| p - s.unwrap_or(0).min(p));
                let digits = min_opt(int(*pa, *sa), int(*pb, *sb));
                let scale = min_opt(*sa, *sb);
                *pa = digits.map(|d| d + scale.unwrap_or(0));
                *sa = scale;
            }
            _ => {}
        }
        if let (Some((mlo, mhi)), Some((lo, hi))) = (m.int_range(), c.int_range()) {
            for (op, v, tighter) in [(CmpOp::Ge, lo, lo > mlo), (CmpOp::Le, hi, hi < mhi)] {
                if tighter {
                    push_check(
                        &mut m,
                        Check::Compare {
                            op,
                            value: Literal::Number(v.to_string()),
                        },
                    );
                }
            }
        }
        for check in &c.constraints.checks {
            push_check(&mut m, check.clone());
        }
        let theirs = &c.constraints.enum_values;
        if !theirs.is_empty() {
            let ours = &mut m.constraints.enum_values;
            *ours = if ours.is_empty() {
                theirs.clone()
            } else {
                ours.iter()
                    .filter(|v| theirs.contains(v))
                    .cloned()
                    .collect()
            };
        }
    }
    m
}

fn push_check(m: &mut Column, check: Check) {
    if !m.constraints.checks.contains(&check) {
        m.constraints.checks.push(check);
    }
}

fn min_opt(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// The longest input any of `cols` can hold (`None`: unbounded).
fn input_max(cols: &[&Column]) -> Option<u32> {
    cols.iter()
        .map(|c| c.max_chars())
        .try_fold(0u32, |acc, m| m.map(|m| acc.max(m)))
}

/// A unit under test.
struct Unit<'a> {
    tables: &'a [TableSchema],
    members: &'a [ColId],
    plan: &'a ColumnPlan,
    column: &'a Column,
    input_max: Option<u32>,
    at: Pos,
    width: usize,
}

impl Unit<'_> {
    fn name(&self) -> String {
        col_name(self.tables, self.members[0])
    }

    /// " (its transform is shared with `b.x`, `c.y`)" for groups.
    fn linked(&self) -> String {
        self.linked_except(self.members[0])
    }

    fn linked_except(&self, who: ColId) -> String {
        if self.members.len() < 2 {
            return String::new();
        }
        let others: Vec<String> = self
            .members
            .iter()
            .filter(|&&m| m != who)
            .map(|&m| format!("`{}`", col_name(self.tables, m)))
            .collect();
        format!(" (its transform is shared with {})", others.join(", "))
    }

    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        build_for(self.plan.info, &self.plan.options, self.column)
    }

    fn diag(&self, topic: Topic, message: String, hint: String) -> Diagnostic {
        Diagnostic::new(self.at, message)
            .width(self.width)
            .topic(topic)
            .hint(hint)
    }

    /// Every proof for a built strategy.
    fn judge(
        &self,
        s: &dyn Strategy,
        unique: Option<&(UniqueReason, ColId)>,
        diags: &mut Vec<Diagnostic>,
    ) -> Outcome {
        let mut notes: Vec<String> = Vec::new();
        let strategy = self.plan.info.name;
        let text = self.column.data_type.family() == "text";
        self.not_null(diags);
        // A closed list proven to be respected settles the length too.
        let listed = self.allowed(s, diags);
        // Length: proven, or shortened (never on keys).
        let max = self.column.max_chars().filter(|_| text);
        let bound = s.max_output_chars(self.input_max);
        let length_ok = match (max, bound) {
            (None, _) => true,
            _ if listed.is_some() => true,
            (Some(m), Some(b)) if b <= m => {
                notes.push(format!("at most {b} of {m} characters"));
                true
            }
            (Some(m), _) => {
                if unique.is_none() {
                    notes.push(format!("shortened to {m} characters where longer"));
                }
                false
            }
        };
        if let Some((reason, holder)) = unique {
            let exempt = strategy == "null" && !reason.primary;
            let nulls_collide = text
                && !self.plan.options.bool_or("keep_null", true)
                && self.column_nullable_anywhere();
            let injective = s.is_injective() && !nulls_collide;
            let proven = exempt || (injective && length_ok);
            if !proven {
                let why = if !injective {
                    format!("strategy `{strategy}` can give two rows the same value")
                } else {
                    let made = bound.map_or("values of unbounded length".to_string(), |b| {
                        format!("values of up to {b} characters")
                    });
                    format!(
                        "strategy `{strategy}` makes {made} but the column holds {}, and shortening could make two keys equal",
                        max.unwrap_or(0)
                    )
                };
                diags.push(self.diag(
                    Topic::Unique,
                    format!(
                        "`{}` is {}{}: {why}, which would break the key",
                        col_name(self.tables, *holder),
                        reason.text,
                        self.linked_except(*holder)
                    ),
                    alternatives_hint(self.column, self.input_max, self.plan.info),
                ));
            } else if !exempt {
                notes.push("injective".into());
            }
        }
        notes.extend(listed);
        self.ranges(&mut notes, unique.is_some());
        Outcome {
            fit_column: self.column.clone(),
            fit: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }

    fn column_nullable_anywhere(&self) -> bool {
        self.members
            .iter()
            .any(|&(t, c)| self.tables[t].columns[c].nullable)
    }

    fn not_null(&self, diags: &mut Vec<Diagnostic>) {
        if self.column.nullable {
            return;
        }
        let p = self.plan.options.float_or("null_probability", 0.0);
        let makes_null = self.plan.info.name == "null" || p > 0.0;
        if makes_null {
            diags.push(self.diag(
                Topic::Fit,
                format!(
                    "`{}` is NOT NULL{}, but strategy `{}` produces NULLs",
                    self.name(),
                    self.linked(),
                    self.plan.info.name
                ),
                "choose a strategy that always gives a value (`constant`, a faker), or drop `null_probability`".into(),
            ));
        }
    }

    /// A closed list of values (enum, `IN (...)`) is tested exhaustively on the list itself:
    /// the source can only hold those values, so they are every possible input.
    /// Returns the plan note when the list is respected.
    fn allowed(&self, s: &dyn Strategy, diags: &mut Vec<Diagnostic>) -> Option<String> {
        let list = self.column.allowed_values()?;
        let ctx = ApplyCtx {
            column: self.column,
            row_key: None,
        };
        let escapes = list.iter().any(|v| {
            let out = s.apply(&value_for(self.column, v), &ctx);
            matches!(out, Ok(o) if !o.is_null() && !list.contains(&o.to_string()))
        });
        if escapes {
            let preview: Vec<String> = list.iter().take(6).map(|v| format!("'{v}'")).collect();
            let more = if list.len() > 6 { ", ..." } else { "" };
            diags.push(self.diag(
                Topic::Fit,
                format!(
                    "`{}` only accepts {} values ({}{more}), but strategy `{}` produces others",
                    self.name(),
                    list.len(),
                    preview.join(", "),
                    self.plan.info.name
                ),
                "use `enum` with `values` taken from that list, or `preserve`".into(),
            ));
            None
        } else {
            Some(format!("within the {} allowed values", list.len()))
        }
    }

    /// Numeric ranges and other checks: clamped or verified during the run.
    fn ranges(&self, notes: &mut Vec<String>, unique: bool) {
        let checks: Vec<String> = self
            .column
            .constraints
            .checks
            .iter()
            .filter(|c| !matches!(c, Check::In { negated: false, .. }))
            .map(ToString::to_string)
            .collect();
        if let Some((lo, hi)) = self.column.int_range() {
            if lo > i128::from(i64::MIN) || hi < i128::from(i64::MAX) {
                let verb = if unique { "checked to be" } else { "kept" };
                notes.push(format!("{verb} within {lo}..={hi}"));
            }
            return;
        }
        if !checks.is_empty() {
            notes.push(format!("each value checked: {}", checks.join(", ")));
        }
    }
}

/// Builds `info` with `options` for `column` under a throw-away key: surfaces option/column
/// mismatches before any key or data is needed.
fn build_for(
    info: &'static StrategyInfo,
    options: &datamask_core::strategy::Options,
    column: &Column,
) -> Result<Box<dyn Strategy>, String> {
    let ctx = BuildCtx {
        prf: MasterKey::from_bytes([0; 32]).prf("proof"),
        column,
    };
    datamask_strategies::build(info, options, &ctx)
}

/// The value an allowed-list entry stands for in a column of this type.
fn value_for(column: &Column, text: &str) -> Value {
    match column.data_type {
        DataType::Int { unsigned: true, .. } => {
            text.parse().map_or_else(|_| Value::text(text), Value::UInt)
        }
        DataType::Int { .. } => text.parse().map_or_else(|_| Value::text(text), Value::Int),
        DataType::Decimal { .. } => Value::Decimal(text.into()),
        _ => Value::text(text),
    }
}

/// "use a strategy that is injective and fits 40 characters: `email`, `fpe` (keeps the
/// format), ...", from the registry: every strategy that accepts the column, claims
/// injectivity, builds with its default options, reports itself injective, and provably fits
/// the column's length. The current strategy (with default options) comes first, then
/// strategies of the same family, then format-preserving ones.
fn alternatives_hint(column: &Column, input_max: Option<u32>, current: &StrategyInfo) -> String {
    let family = column.data_type.family();
    let max = column.max_chars().filter(|_| family == "text");
    let mut found: Vec<(u8, usize, String)> = Vec::new();
    for (order, info) in datamask_strategies::registry().iter().enumerate() {
        if info.name == "preserve"
            || info.injective == Injectivity::Never
            || !info.accepts_family(family)
        {
            continue;
        }
        let Ok(s) = build_for(info, &Default::default(), column) else {
            continue;
        };
        let fits = match max {
            None => true,
            Some(m) => s.max_output_chars(input_max).is_some_and(|b| b <= m),
        };
        if !(s.is_injective() && fits) {
            continue;
        }
        let (rank, note) = if info.name == current.name {
            (0, " (with its default options)")
        } else if info.family == current.family {
            (1, "")
        } else if info.format_preserving {
            (2, " (keeps the format)")
        } else {
            (3, "")
        };
        found.push((rank, order, format!("`{}`{note}", info.name)));
    }
    found.sort();
    let names: Vec<String> = found.into_iter().take(5).map(|(_, _, n)| n).collect();
    let width = max
        .map(|m| format!(" and fits {m} characters"))
        .unwrap_or_default();
    if names.is_empty() {
        format!("no strategy in the catalogue is injective{width} here; `preserve` keeps the key unmasked")
    } else {
        format!(
            "use a strategy that is injective{width}: {}",
            names.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_takes_the_tightest_limits() {
        let mut a = Column::new("a", DataType::Text { max_len: Some(80) });
        a.nullable = false;
        let b = Column::new("b", DataType::Text { max_len: Some(40) });
        let m = merge(&[&a, &b]);
        assert_eq!(m.data_type, DataType::Text { max_len: Some(40) });
        assert!(!m.nullable);
        let i = Column::new(
            "i",
            DataType::Int {
                bits: 32,
                unsigned: false,
            },
        );
        let u = Column::new(
            "u",
            DataType::Int {
                bits: 64,
                unsigned: true,
            },
        );
        assert_eq!(merge(&[&u, &i]).int_range(), Some((0, i32::MAX as i128)));
        let d1 = Column::new(
            "d",
            DataType::Decimal {
                precision: Some(10),
                scale: Some(2),
            },
        );
        let d2 = Column::new(
            "d",
            DataType::Decimal {
                precision: Some(6),
                scale: Some(4),
            },
        );
        assert_eq!(
            merge(&[&d1, &d2]).data_type,
            DataType::Decimal {
                precision: Some(4),
                scale: Some(2)
            }
        );
    }
}
