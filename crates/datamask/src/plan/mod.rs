//! What a run will do: tables in load order, and the strategy and domain of every column.
//!
//! A plan is built from the config and the source's schemas only. It is serialisable (for
//! `datamask plan --format json`) and holds no data, so it can be shipped to workers: every
//! transform is a pure function of (key, domain, options, value).
//!
//! Building a plan is also where the relationship and constraint guarantees are established
//! (docs/relations.md):
//!
//! * [`links`]: columns linked by foreign keys (declared or from `relations:`) or domains share
//!   one transform; a column without a rule inherits it, one with a different rule is an error;
//! * [`proofs`]: every masked key column has an injective strategy, and every masked column's
//!   output fits its target column, or the plan says why not.

pub mod links;
mod names;
mod proofs;

use crate::config::comments::{self, CommentRules};
use crate::config::diagnostic::did_you_mean;
use crate::config::{ColumnRule, Config, Diagnostic, Pos, Topic, UnlistedColumns};
use datamask_core::strategy::{BuildCtx, Options, Strategy, StrategyInfo};
use datamask_core::{Column, MasterKey, TableSchema};
use links::{ColId, Links};
use serde::Serialize;

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub source: String,
    pub target: Option<String>,
    pub unlisted_columns: UnlistedColumns,
    /// Tables in load order: each after the tables it references.
    pub tables: Vec<TablePlan>,
    /// Things worth knowing that stop nothing (a config rule overriding a column comment's).
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
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
    /// The key that identifies rows: the schema's primary key, or the config's `primary_key`
    /// for a table without one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// True when `primary_key` comes from the config.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub virtual_key: bool,
    /// Tables this one references (declared or virtual foreign keys), loaded before it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    pub columns: Vec<ColumnPlan>,
    /// Row rules (`where` as a pattern, `include`, `exclude`), see [`crate::rows`].
    #[serde(skip_serializing_if = "crate::rows::RowRules::is_empty")]
    pub rows: crate::rows::RowRules,
    #[serde(skip)]
    pub schema: TableSchema,
}

/// Why a column gets its strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A rule in the config.
    Rule,
    /// A rule in the column's comment in the source database (`datamask: email`).
    Comment,
    /// No rule: copied unchanged under `policy.unlisted_columns` (`preserve`, or
    /// `fail_sensitive` when discovery found nothing sensitive in the column).
    Policy,
    /// No rule of its own: the rule of a column it is linked to (see `inherited_from`).
    Inherited,
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
    /// For inherited rules: the linked column the rule came from (`table.column`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
    /// For inherited rules: the link it came through (`foreign key a.x -> b.y`, `relation ...`,
    /// `domain `d``).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Why masked values must stay distinct (`primary key of customers`), when they must.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique: Option<String>,
    /// How the output is made to fit the target column, when it has limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<String>,
    /// The rule's `reason:` (why a sensitive-looking column is kept, for instance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip)]
    pub info: &'static StrategyInfo,
    /// The column the strategy is built for: this column with the tightest limits of every
    /// column it is linked to, so all of them get identical, fitting output.
    #[serde(skip)]
    pub fit_column: Column,
    /// Where the column's own rule is in the config, if it has one.
    #[serde(skip)]
    pub rule_pos: Option<Pos>,
    /// The rows the strategy applies to (`when:`); the others keep their value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<crate::rows::RowPattern>,
    /// Masked in every row whatever the table's `include`/`exclude` say: the column is linked
    /// to others, and masking only some of its rows would break their joins.
    #[serde(skip)]
    pub every_row: bool,
}

impl Origin {
    /// True when the column has a rule of its own (in the config or in its comment).
    pub fn is_rule(self) -> bool {
        matches!(self, Origin::Rule | Origin::Comment)
    }
}

fn is_empty(o: &Options) -> bool {
    o.0.is_empty()
}

impl ColumnPlan {
    /// True when the column is copied unchanged.
    pub fn is_preserved(&self) -> bool {
        self.info.name == "preserve"
    }

    /// True when masked values must stay distinct (the column is in a key).
    pub fn requires_injective(&self) -> bool {
        self.unique.is_some()
    }

    /// Builds the strategy with the domain's PRF, for the column's fit column.
    pub fn build(&self, key: &MasterKey) -> Result<Box<dyn Strategy>, String> {
        let ctx = BuildCtx {
            prf: key.prf(&self.domain),
            column: &self.fit_column,
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
        let (plan, diags) = Plan::analyse(config, tables);
        if diags.is_empty() {
            Ok(plan)
        } else {
            Err(diags)
        }
    }

    /// Builds the plan and returns it with every problem found (sorted by place in the
    /// config), for `check`, which reports problems by topic and still wants the plan.
    pub fn analyse(config: &Config, tables: &[TableSchema]) -> (Plan, Vec<Diagnostic>) {
        let qualified = names::qualify(config, tables);
        let config = qualified.as_ref().unwrap_or(config);
        let mut diags = Vec::new();
        missing_tables(config, tables, &mut diags);
        let (notes, problems) = comments::collect(tables, &|name| std::env::var(name).ok());
        diags.extend(problems);
        let links = links::collect(config, tables, &mut diags);
        let mut plans: Vec<TablePlan> = tables
            .iter()
            .map(|t| table_plan(config, t, &notes, &mut diags))
            .collect();
        propagate(config, tables, &links, &mut plans, &mut diags);
        crate::rows::plan_rows(
            config,
            tables,
            &|c| links.group_of(c).is_some(),
            &mut plans,
            &mut diags,
        );
        proofs::prove(tables, &links, &mut plans, &mut diags);
        unlisted(config, &plans, &mut diags);
        for (t, deps) in plans.iter_mut().zip(&links.depends_on) {
            t.depends_on = deps.iter().map(|&d| tables[d].name.clone()).collect();
        }
        let mut slots: Vec<Option<TablePlan>> = plans.into_iter().map(Some).collect();
        let ordered = links::load_order(&links.depends_on)
            .into_iter()
            .filter_map(|i| slots[i].take())
            .collect();
        // Config problems first, in file order; then those in column comments.
        diags.sort_by_key(|d| (d.elsewhere.is_some(), d.pos.line, d.pos.col));
        let (warnings, errors): (Vec<Diagnostic>, Vec<Diagnostic>) = diags
            .into_iter()
            .map(|d| notes.relocate(d))
            .partition(|d| d.warning);
        let plan = Plan {
            source: config.source.url.redacted(),
            target: config.target.as_ref().map(|t| t.url.redacted()),
            unlisted_columns: config.policy.unlisted_columns,
            tables: ordered,
            warnings,
        };
        (plan, errors)
    }

    /// The tables that are copied, in load order.
    pub fn copied(&self) -> impl Iterator<Item = &TablePlan> {
        self.tables.iter().filter(|t| t.action == TableAction::Copy)
    }

    /// The table called `name`; a bare name also finds its schema-qualified table
    /// (`customers` is `public.customers`), as in the config.
    pub fn table(&self, name: &str) -> Option<&TablePlan> {
        let names: Vec<&str> = self.tables.iter().map(|t| t.name.as_str()).collect();
        let name = names::resolve(name, &names).unwrap_or_else(|| name.to_string());
        self.tables.iter().find(|t| t.name == name)
    }
}

fn missing_tables(config: &Config, tables: &[TableSchema], diags: &mut Vec<Diagnostic>) {
    for rule in &config.tables {
        if rule.query.is_none() && !tables.iter().any(|t| t.name == rule.name) {
            let mut d = Diagnostic::new(
                rule.pos,
                format!("table `{}` not found in the source", rule.name),
            )
            .width(rule.name.len());
            let qualified = names::candidates(&rule.name, tables.iter().map(|t| t.name.as_str()));
            if qualified.len() > 1 {
                d = d.hint(format!(
                    "the name is in several schemas; write one of {}",
                    qualified
                        .iter()
                        .map(|q| format!("`{q}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else if let Some(s) = did_you_mean(&rule.name, tables.iter().map(|t| t.name.as_str()))
            {
                d = d.hint(format!("did you mean `{s}`?"));
            }
            diags.push(d);
        }
    }
}

fn table_plan(
    config: &Config,
    schema: &TableSchema,
    notes: &CommentRules,
    diags: &mut Vec<Diagnostic>,
) -> TablePlan {
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
    let columns = schema
        .columns
        .iter()
        .map(|col| {
            let note = notes.get(&schema.name, &col.name);
            match (rules.iter().find(|r| r.column == col.name), note) {
                (Some(r), note) => {
                    if let Some(n) = note {
                        overridden(schema, r, n, diags);
                    }
                    column_from_rule(schema, col, r, Origin::Rule, diags)
                }
                (None, Some(n)) => column_from_rule(schema, col, &n.rule, Origin::Comment, diags),
                (None, None) => preserved(schema, col),
            }
        })
        .collect();
    let (primary_key, virtual_key) = primary_key(schema, rule, diags);
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
        primary_key,
        virtual_key,
        depends_on: Vec::new(),
        columns,
        rows: crate::rows::RowRules::default(),
        schema: schema.clone(),
    }
}

/// The table's key: the schema's, else the config's `primary_key` (whose columns must exist;
/// a table that has a different key already is an error, since the config would contradict
/// the database).
fn primary_key(
    schema: &TableSchema,
    rule: Option<&crate::config::TableRule>,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<String>, bool) {
    let Some((cols, pos)) = rule.and_then(|r| r.primary_key.clone()) else {
        return (schema.primary_key.clone(), false);
    };
    let mut ok = true;
    for c in &cols {
        if schema.column(c).is_none() {
            ok = false;
            let mut d = Diagnostic::new(
                pos,
                format!(
                    "primary_key column `{}.{c}` not found in the source",
                    schema.name
                ),
            )
            .topic(Topic::Relations);
            if let Some(s) = did_you_mean(c, schema.columns.iter().map(|c| c.name.as_str())) {
                d = d.hint(format!("did you mean `{s}`?"));
            }
            diags.push(d);
        }
    }
    if !schema.primary_key.is_empty() {
        if schema.primary_key != cols {
            diags.push(
                Diagnostic::new(
                    pos,
                    format!(
                        "table `{}` already has the primary key ({}); `primary_key` is for tables without one",
                        schema.name,
                        schema.primary_key.join(", ")
                    ),
                )
                .topic(Topic::Relations)
                .hint("remove `primary_key`, or name the same columns"),
            );
        }
        return (schema.primary_key.clone(), false);
    }
    if ok {
        (cols, true)
    } else {
        (Vec::new(), false)
    }
}

fn type_label(col: &Column) -> String {
    col.native_type
        .clone()
        .filter(|n| !n.is_empty())
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
        inherited_from: None,
        via: None,
        unique: None,
        fit: None,
        reason: None,
        info: datamask_strategies::lookup("preserve").expect("preserve is registered"),
        fit_column: col.clone(),
        when: None,
        every_row: false,
        rule_pos: None,
    }
}

/// A warning when the config's rule for a column differs from the rule in its comment (the
/// config wins; identical rules say nothing).
fn overridden(
    schema: &TableSchema,
    rule: &ColumnRule,
    note: &comments::CommentRule,
    diags: &mut Vec<Diagnostic>,
) {
    if rule.strategy.name == note.rule.strategy.name && rule.options == note.rule.options {
        return;
    }
    diags.push(
        Diagnostic::new(
            rule.pos,
            format!(
                "the rule for `{}.{}` overrides the rule in its column comment (`datamask: {}`)",
                schema.name, rule.column, note.text
            ),
        )
        .width(rule.column.chars().count())
        .hint("the config wins; remove one of the two so that they cannot drift apart")
        .warning(),
    );
}

fn column_from_rule(
    schema: &TableSchema,
    col: &Column,
    rule: &ColumnRule,
    origin: Origin,
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
                "`{}` accepts: {}; use another strategy, or `preserve` to copy the column as it \
                 is, or `null` to empty it",
                info.name,
                info.accepts.join(", ")
            )),
        );
    }
    host_name_as_token_domain(rule, diags);
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
    for (option, input) in datamask_strategies::row_inputs(info, &rule.options) {
        if schema.column(&input.column).is_none() {
            let mut d = Diagnostic::new(
                option_pos(rule, option),
                format!(
                    "`{}` of `{}` reads column `{}`, which is not a column of `{}`",
                    option, info.name, input.column, schema.name
                ),
            )
            .width(option.len());
            if let Some(s) = did_you_mean(
                &input.column,
                schema.columns.iter().map(|c| c.name.as_str()),
            ) {
                d = d.hint(format!("did you mean `{s}`?"));
            }
            diags.push(d);
        }
    }
    let domain = rule
        .options
        .get("domain")
        .and_then(|v| v.as_text())
        .unwrap_or_else(|| format!("{}.{}", schema.name, col.name));
    ColumnPlan {
        name: col.name.clone(),
        data_type: type_label(col),
        strategy: info.name.to_string(),
        options: rule.options.clone(),
        domain,
        origin,
        inherited_from: None,
        via: None,
        unique: None,
        fit: None,
        reason: rule.reason.clone(),
        info,
        fit_column: col.clone(),
        rule_pos: Some(rule.pos),
        when: None,
        every_row: false,
    }
}

/// Warns when `domain` on `email`, `deterministic_email` or `url` looks like a host name.
/// There `domain` is the token domain (columns sharing it share outputs), but STRATEGIES.md
/// and the Anonymize Bundle spell the fake values' own domain `domain`, which these strategies
/// call `email_domain` / `url_domain`: without this warning such a config would silently keep
/// the default example domains. A warning, not an error, since a dotted token domain is legal.
fn host_name_as_token_domain(rule: &ColumnRule, diags: &mut Vec<Diagnostic>) {
    let own = match rule.strategy.name {
        "email" | "deterministic_email" => "email_domain",
        "url" => "url_domain",
        _ => return,
    };
    let Some(d) = rule.options.get("domain").and_then(|v| v.as_text()) else {
        return;
    };
    if rule.options.get(own).is_some() || !looks_like_host(&d) {
        return;
    }
    diags.push(
        Diagnostic::new(
            option_pos(rule, "domain"),
            format!(
                "`domain: {d}` is the token domain of `{}`, not the domain of its fake values",
                rule.strategy.name
            ),
        )
        .width("domain".len())
        .hint(format!(
            "for fake values at {d} write `{own}: {d}`; a token domain without a dot does not \
             raise this warning"
        ))
        .warning(),
    );
}

/// `example.com`, `mail.corp.test`: lowercase labels, the last one letters only.
fn looks_like_host(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_lowercase()))
}

fn option_pos(rule: &ColumnRule, name: &str) -> Pos {
    rule.option_pos
        .iter()
        .find(|(n, _)| n == name)
        .map_or(rule.pos, |(_, p)| *p)
}

fn col_name(tables: &[TableSchema], (t, c): ColId) -> String {
    format!("{}.{}", tables[t].name, tables[t].columns[c].name)
}

/// Two rules give the same transform when strategy and options agree (`domain` aside: the
/// group's domain is decided for all members together).
fn same_rule(a: &ColumnPlan, b: &ColumnPlan) -> bool {
    let strip = |o: &Options| {
        let mut o = o.clone();
        o.0.remove("domain");
        o
    };
    a.info.name == b.info.name && strip(&a.options) == strip(&b.options)
}

/// Gives every linked column the transform of its group: members without a rule inherit it,
/// members with a different rule are errors, and all share one PRF domain.
fn propagate(
    config: &Config,
    tables: &[TableSchema],
    links: &Links,
    plans: &mut [TablePlan],
    diags: &mut Vec<Diagnostic>,
) {
    for group in &links.groups {
        let rule_members: Vec<ColId> = group
            .members
            .iter()
            .copied()
            .filter(|&(t, c)| plans[t].columns[c].origin.is_rule())
            .collect();
        let names = domain_names(links, group, plans);
        if names.len() > 1 {
            let at = group
                .members
                .iter()
                .find_map(|&(t, c)| plans[t].columns[c].rule_pos)
                .or_else(|| config.domains.first().map(|d| d.pos))
                .unwrap_or(Pos { line: 1, col: 1 });
            diags.push(
                Diagnostic::new(
                    at,
                    format!(
                        "linked columns ({}) name different domains: {}",
                        member_list(tables, &group.members),
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .topic(Topic::Relations)
                .hint("columns joined by a key or listed together share one domain; name only one"),
            );
        }
        let Some(root) = choose_root(links, group, &rule_members) else {
            continue;
        };
        let root_plan = plans[root.0].columns[root.1].clone();
        if !root_plan.is_preserved() {
            check_kinds(tables, group, root, &root_plan, diags);
        }
        let domain = names
            .first()
            .cloned()
            .unwrap_or_else(|| col_name(tables, root));
        for (member, via) in reach(links, group, root) {
            let plan = &mut plans[member.0].columns[member.1];
            if member == root {
                plan.domain = domain.clone();
                continue;
            }
            let via_text = via.map(|l| links.links[l].describe(tables));
            if plan.origin.is_rule() {
                if !same_rule(plan, &root_plan) {
                    diags.push(conflict(tables, member, root, plan, &root_plan, via_text));
                }
                plan.domain = domain.clone();
                continue;
            }
            let from = via.map(|l| {
                let l = &links.links[l];
                if l.from == member {
                    l.to
                } else {
                    l.from
                }
            });
            plan.strategy = root_plan.strategy.clone();
            plan.options = root_plan.options.clone();
            plan.info = root_plan.info;
            plan.origin = Origin::Inherited;
            plan.inherited_from = from.map(|f| col_name(tables, f));
            plan.via = via_text;
            plan.domain = domain.clone();
            let at = root_plan.rule_pos.unwrap_or(Pos { line: 1, col: 1 });
            check_inherited(tables, member, root, plan, at, diags);
        }
    }
}

/// The kind of value a column holds, as the keyed PRF sees it: equal values of different kinds
/// (the integer 5 and the text "5", signed and unsigned 5) mask differently.
fn value_kind(col: &Column) -> &'static str {
    match col.data_type {
        datamask_core::DataType::Int { unsigned: true, .. } => "unsigned int",
        ref t => t.family(),
    }
}

/// Masked linked columns must hold the same kind of value, or their tokens cannot match.
fn check_kinds(
    tables: &[TableSchema],
    group: &links::Group,
    root: ColId,
    root_plan: &ColumnPlan,
    diags: &mut Vec<Diagnostic>,
) {
    let kind = value_kind(&tables[root.0].columns[root.1]);
    let odd: Vec<String> = group
        .members
        .iter()
        .filter(|&&(t, c)| value_kind(&tables[t].columns[c]) != kind)
        .map(|&(t, c)| {
            format!(
                "`{}` ({})",
                col_name(tables, (t, c)),
                value_kind(&tables[t].columns[c])
            )
        })
        .collect();
    if odd.is_empty() {
        return;
    }
    diags.push(
        Diagnostic::new(
            root_plan.rule_pos.unwrap_or(Pos { line: 1, col: 1 }),
            format!(
                "`{}` ({kind}) is linked to {}: a value of another type masks to a different token, so these columns would no longer join",
                col_name(tables, root),
                odd.join(", ")
            ),
        )
        .width(root_plan.name.chars().count())
        .topic(Topic::Relations)
        .hint("link only columns of the same type, or mask them separately (drop the relation or domain)"),
    );
}

/// The domain names a group's links and its members' `domain:` options impose, without
/// repeats: `domains:` names first (in link order), then options (in member order).
fn domain_names(links: &Links, group: &links::Group, plans: &[TablePlan]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let listed = group
        .links
        .iter()
        .filter_map(|&l| links.links[l].domain_name().map(str::to_string));
    let options = group.members.iter().filter_map(|&(t, c)| {
        let p = &plans[t].columns[c];
        p.origin
            .is_rule()
            .then(|| p.options.get("domain").and_then(|v| v.as_text()))
            .flatten()
    });
    for d in listed.chain(options) {
        if !names.contains(&d) {
            names.push(d);
        }
    }
    names
}

/// The member whose rule the group follows: a rule-bearing column that references nothing in
/// the group (the key others point at) if there is one, else the first rule-bearing column.
fn choose_root(links: &Links, group: &links::Group, rule_members: &[ColId]) -> Option<ColId> {
    let references = |c: ColId| {
        group
            .links
            .iter()
            .any(|&l| links.links[l].is_reference() && links.links[l].from == c)
    };
    rule_members
        .iter()
        .copied()
        .find(|&c| !references(c))
        .or_else(|| rule_members.first().copied())
}

/// Breadth-first from `root` over the group's links: every member with the link it was
/// reached through (none for the root), in a deterministic order.
fn reach(links: &Links, group: &links::Group, root: ColId) -> Vec<(ColId, Option<usize>)> {
    let mut seen = vec![(root, None)];
    let mut i = 0;
    while i < seen.len() {
        let cur = seen[i].0;
        for &l in &group.links {
            let link = &links.links[l];
            let next = if link.from == cur {
                link.to
            } else if link.to == cur {
                link.from
            } else {
                continue;
            };
            if !seen.iter().any(|(c, _)| *c == next) {
                seen.push((next, Some(l)));
            }
        }
        i += 1;
    }
    seen
}

fn member_list(tables: &[TableSchema], members: &[ColId]) -> String {
    members
        .iter()
        .map(|&m| col_name(tables, m))
        .collect::<Vec<_>>()
        .join(", ")
}

fn conflict(
    tables: &[TableSchema],
    member: ColId,
    root: ColId,
    plan: &ColumnPlan,
    root_plan: &ColumnPlan,
    via: Option<String>,
) -> Diagnostic {
    let name = col_name(tables, member);
    let root_name = col_name(tables, root);
    let link = via.map(|v| format!(" ({v})")).unwrap_or_default();
    Diagnostic::new(
        plan.rule_pos.unwrap_or(Pos { line: 1, col: 1 }),
        format!(
            "`{name}` is linked to `{root_name}`{link} but has a different rule: `{}` instead of `{}`",
            plan.strategy, root_plan.strategy
        ),
    )
    .width(plan.name.chars().count())
    .topic(Topic::Relations)
    .hint(format!(
        "linked columns need one transform or joins break: remove this rule (the column then inherits `{}` from `{root_name}`) or make it identical",
        root_plan.strategy
    ))
}

/// An inherited `key_column` must exist in the inheriting table too, or the two sides would
/// key their randomness differently.
fn check_inherited(
    tables: &[TableSchema],
    member: ColId,
    root: ColId,
    plan: &ColumnPlan,
    at: Pos,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(kc) = plan.options.get("key_column").and_then(|v| v.as_text()) else {
        return;
    };
    if tables[member.0].column(&kc).is_none() {
        diags.push(
            Diagnostic::new(
                at,
                format!(
                    "`{}` inherits the rule of `{}`, whose `key_column: {kc}` is not a column of `{}`",
                    col_name(tables, member),
                    col_name(tables, root),
                    tables[member.0].name
                ),
            )
            .topic(Topic::Relations)
            .hint("drop `key_column` from the rule, or give the linked column an identical table layout"),
        );
    }
}

/// Under `policy: { unlisted_columns: fail }`, columns with neither a rule nor an inherited one.
fn unlisted(config: &Config, plans: &[TablePlan], diags: &mut Vec<Diagnostic>) {
    if config.policy.unlisted_columns != UnlistedColumns::Fail {
        return;
    }
    for t in plans.iter().filter(|t| t.action == TableAction::Copy) {
        let missing: Vec<&str> = t
            .columns
            .iter()
            .filter(|c| c.origin == Origin::Policy)
            .map(|c| c.name.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let pos = config
            .table(&t.name)
            .map_or(Pos { line: 1, col: 1 }, |r| r.pos);
        diags.push(
            Diagnostic::new(pos, format!("table `{}` has columns without a rule: {}", t.name, missing.join(", ")))
                .hint("give each a strategy (`preserve` to copy it unchanged), or set `policy: { unlisted_columns: preserve }`"),
        );
    }
}

#[cfg(test)]
mod tests;
