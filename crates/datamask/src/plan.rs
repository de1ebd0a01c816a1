//! What a run will do: tables in order, and the strategy and domain of every column.
//!
//! A plan is built from the config and the source's schemas only. It is serialisable (for
//! `datamask plan --format json`) and holds no data, so it can be shipped to workers: every
//! transform is a pure function of (key, domain, options, value).

use crate::config::diagnostic::did_you_mean;
use crate::config::{ColumnRule, Config, Diagnostic, Pos, UnlistedColumns};
use datamask_core::strategy::{BuildCtx, Options, Strategy, StrategyInfo};
use datamask_core::{Column, MasterKey, TableSchema};
use serde::Serialize;

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub source: String,
    pub target: Option<String>,
    pub unlisted_columns: UnlistedColumns,
    pub tables: Vec<TablePlan>,
}

/// Whether a table is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableAction {
    Copy,
    Skip,
}

/// One table.
#[derive(Debug, Clone, Serialize)]
pub struct TablePlan {
    pub name: String,
    pub action: TableAction,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The SQL query the table's rows come from, for `query:` entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub estimated_rows: Option<u64>,
    pub columns: Vec<ColumnPlan>,
    #[serde(skip)]
    pub schema: TableSchema,
}

/// Why a column gets its strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A rule in the config.
    Rule,
    /// No rule: `policy.unlisted_columns: preserve`.
    Policy,
}

/// One column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnPlan {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub strategy: String,
    #[serde(skip_serializing_if = "is_empty")]
    pub options: Options,
    /// The PRF domain; columns sharing one share every token.
    pub domain: String,
    pub origin: Origin,
    #[serde(skip)]
    pub info: &'static StrategyInfo,
}

fn is_empty(o: &Options) -> bool {
    o.0.is_empty()
}

impl ColumnPlan {
    /// True when the column is copied unchanged.
    pub fn is_preserved(&self) -> bool {
        self.info.name == "preserve"
    }

    /// Builds the strategy for `column` with the domain's PRF.
    pub fn build(&self, key: &MasterKey, column: &Column) -> Result<Box<dyn Strategy>, String> {
        let ctx = BuildCtx {
            prf: key.prf(&self.domain),
            column,
        };
        datamask_strategies::build(self.info, &self.options, &ctx)
    }
}

impl TablePlan {
    /// Number of columns that are transformed.
    pub fn masked_columns(&self) -> usize {
        self.columns.iter().filter(|c| !c.is_preserved()).count()
    }
}

impl Plan {
    /// Matches the config against the source's tables. Every problem is reported, each at the
    /// place in the config it comes from.
    pub fn build(config: &Config, tables: &[TableSchema]) -> Result<Plan, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        for rule in &config.tables {
            if rule.query.is_none() && !tables.iter().any(|t| t.name == rule.name) {
                let mut d = Diagnostic::new(
                    rule.pos,
                    format!("table `{}` not found in the source", rule.name),
                )
                .width(rule.name.len());
                if let Some(s) = did_you_mean(&rule.name, tables.iter().map(|t| t.name.as_str())) {
                    d = d.hint(format!("did you mean `{s}`?"));
                }
                diags.push(d);
            }
        }
        let plan_tables = tables
            .iter()
            .map(|t| table_plan(config, t, &mut diags))
            .collect();
        if diags.is_empty() {
            Ok(Plan {
                source: config.source.url.redacted(),
                target: config.target.as_ref().map(|t| t.url.redacted()),
                unlisted_columns: config.policy.unlisted_columns,
                tables: plan_tables,
            })
        } else {
            diags.sort_by_key(|d| (d.pos.line, d.pos.col));
            Err(diags)
        }
    }

    /// The tables that are copied.
    pub fn copied(&self) -> impl Iterator<Item = &TablePlan> {
        self.tables.iter().filter(|t| t.action == TableAction::Copy)
    }
}

fn table_plan(config: &Config, schema: &TableSchema, diags: &mut Vec<Diagnostic>) -> TablePlan {
    let rule = config.table(&schema.name);
    let skip = rule.is_some_and(|r| r.skip);
    let rules: &[ColumnRule] = rule.map_or(&[], |r| &r.columns);
    for r in rules {
        if schema.column(&r.column).is_none() {
            let mut d = Diagnostic::new(
                r.pos,
                format!(
                    "column `{}.{}` not found in the source",
                    schema.name, r.column
                ),
            )
            .width(r.column.len());
            if let Some(s) = did_you_mean(&r.column, schema.columns.iter().map(|c| c.name.as_str()))
            {
                d = d.hint(format!("did you mean `{s}`?"));
            }
            diags.push(d);
        }
    }
    let mut unlisted = Vec::new();
    let columns = schema
        .columns
        .iter()
        .map(|col| match rules.iter().find(|r| r.column == col.name) {
            Some(r) => column_from_rule(schema, col, r, diags),
            None => {
                unlisted.push(col.name.clone());
                preserved(schema, col)
            }
        })
        .collect();
    if !skip && config.policy.unlisted_columns == UnlistedColumns::Fail && !unlisted.is_empty() {
        let pos = rule.map_or(Pos { line: 1, col: 1 }, |r| r.pos);
        diags.push(
            Diagnostic::new(pos, format!("table `{}` has columns without a rule: {}", schema.name, unlisted.join(", ")))
                .hint("give each a strategy (`preserve` to copy it unchanged), or set `policy: { unlisted_columns: preserve }`"),
        );
    }
    TablePlan {
        name: schema.name.clone(),
        action: if skip {
            TableAction::Skip
        } else {
            TableAction::Copy
        },
        filter: rule.and_then(|r| r.filter.clone()),
        query: rule.and_then(|r| r.query.clone()),
        estimated_rows: None,
        columns,
        schema: schema.clone(),
    }
}

fn type_label(col: &Column) -> String {
    col.native_type
        .clone()
        .unwrap_or_else(|| col.data_type.family().to_string())
}

fn preserved(schema: &TableSchema, col: &Column) -> ColumnPlan {
    ColumnPlan {
        name: col.name.clone(),
        data_type: type_label(col),
        strategy: "preserve".into(),
        options: Options::default(),
        domain: format!("{}.{}", schema.name, col.name),
        origin: Origin::Policy,
        info: datamask_strategies::lookup("preserve").expect("preserve is registered"),
    }
}

fn column_from_rule(
    schema: &TableSchema,
    col: &Column,
    rule: &ColumnRule,
    diags: &mut Vec<Diagnostic>,
) -> ColumnPlan {
    let info = rule.strategy;
    let family = col.data_type.family();
    if !info.accepts_family(family) {
        diags.push(
            Diagnostic::new(
                rule.pos,
                format!(
                    "strategy `{}` does not accept column `{}.{}` of type {}",
                    info.name, schema.name, col.name, family
                ),
            )
            .width(rule.column.len())
            .hint(format!(
                "`{}` accepts: {}",
                info.name,
                info.accepts.join(", ")
            )),
        );
    }
    if let Some(kc) = rule.options.get("key_column").and_then(|v| v.as_text()) {
        if schema.column(&kc).is_none() {
            let pos = option_pos(rule, "key_column");
            diags.push(
                Diagnostic::new(
                    pos,
                    format!("key_column `{kc}` is not a column of `{}`", schema.name),
                )
                .width(10),
            );
        }
    }
    let domain = rule
        .options
        .get("domain")
        .and_then(|v| v.as_text())
        .unwrap_or_else(|| format!("{}.{}", schema.name, col.name));
    let plan = ColumnPlan {
        name: col.name.clone(),
        data_type: type_label(col),
        strategy: info.name.to_string(),
        options: rule.options.clone(),
        domain,
        origin: Origin::Rule,
        info,
    };
    // Building once with a throw-away key surfaces option/column mismatches in `check`,
    // before any key or data is needed.
    if let Err(message) = plan.build(&MasterKey::from_bytes([0; 32]), col) {
        diags.push(
            Diagnostic::new(
                rule.pos,
                format!("`{}.{}`: {message}", schema.name, col.name),
            )
            .width(rule.column.len()),
        );
    }
    plan
}

fn option_pos(rule: &ColumnRule, name: &str) -> Pos {
    rule.option_pos
        .iter()
        .find(|(n, _)| n == name)
        .map_or(rule.pos, |(_, p)| *p)
}
