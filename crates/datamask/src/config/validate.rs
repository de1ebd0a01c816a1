//! Turns the YAML tree into a [`Config`], collecting every problem on the way.

use super::diagnostic::{did_you_mean, Diagnostic};
use super::interpolate::interpolate;
use super::yaml::{self, Node, NodeKind, Pos};
use super::*;
use datamask_core::strategy::OptionValue;
use std::collections::BTreeMap;

const TOP_KEYS: &[&str] = &[
    "version",
    "source",
    "target",
    "key",
    "policy",
    "tables",
    "audit",
    "verify",
    "relations",
    "domains",
    "mode",
];
const CONNECTION_KEYS: &[&str] = &[
    "url",
    "environment",
    "format",
    "delimiter",
    "header",
    "password",
];
const POLICY_KEYS: &[&str] = &["unlisted_columns", "production_deny_list"];
const TABLE_KEYS: &[&str] = &[
    "skip",
    "where",
    "include",
    "exclude",
    "query",
    "primary_key",
    "columns",
];
const FORMATS: &[&str] = &["csv", "jsonl", "parquet"];

struct Walker<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    diags: Vec<Diagnostic>,
}

/// Validates `text`; returns the config or every problem found.
pub(super) fn validate(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    path: PathBuf,
    base_dir: PathBuf,
    hash: String,
) -> Result<Config, Vec<Diagnostic>> {
    let root = yaml::parse(text).map_err(|e| vec![Diagnostic::new(e.pos, e.message)])?;
    let mut w = Walker {
        env,
        diags: Vec::new(),
    };
    let config = w.config(&root, path, base_dir, hash);
    match config {
        Some(c) if w.diags.is_empty() => Ok(Config {
            text: text.to_string(),
            ..c
        }),
        _ => {
            w.diags.sort_by_key(|d| (d.pos.line, d.pos.col));
            Err(w.diags)
        }
    }
}

fn key_width(k: &Node) -> usize {
    k.scalar_text().map_or(1, |s| s.chars().count())
}

impl Walker<'_> {
    fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(pos, msg));
    }

    /// The entries of a mapping, reporting unknown keys (with a suggestion) and wrong shapes.
    fn map<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Vec<(&'n str, &'n Node)> {
        let Some(entries) = node.as_map() else {
            self.err(
                node.pos,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(name) = k.as_str() else {
                self.err(k.pos, format!("keys in {what} must be strings"));
                continue;
            };
            if !allowed.is_empty() && !allowed.contains(&name) {
                let mut d = Diagnostic::new(k.pos, format!("unknown key `{name}` in {what}"))
                    .width(key_width(k));
                d = match did_you_mean(name, allowed.iter().copied()) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint(format!("expected one of: {}", allowed.join(", "))),
                };
                self.diags.push(d);
                continue;
            }
            if out.iter().any(|(n, _)| *n == name) {
                self.err(k.pos, format!("duplicate key `{name}` in {what}"));
                continue;
            }
            out.push((name, v));
        }
        out
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            NodeKind::Str(s) => self.interp(s, node.pos),
            _ => {
                self.err(
                    node.pos,
                    format!("{what} must be a string, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    fn interp(&mut self, s: &str, pos: Pos) -> Option<String> {
        match interpolate(s, self.env) {
            Ok(v) => Some(v),
            Err(missing) => {
                for name in missing {
                    self.diags.push(
                        Diagnostic::new(pos, format!("environment variable `{name}` is not set"))
                            .hint(format!("export {name}=... or write ${{{name}:-default}}")),
                    );
                }
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.kind {
            NodeKind::Bool(b) => Some(b),
            _ => {
                self.err(
                    node.pos,
                    format!("{what} must be true or false, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    fn choice(&mut self, node: &Node, what: &str, choices: &[&str]) -> Option<String> {
        let s = self.string(node, what)?;
        if choices.contains(&s.as_str()) {
            return Some(s);
        }
        let mut d = Diagnostic::new(node.pos, format!("invalid {what} `{s}`"))
            .width(s.chars().count())
            .hint(format!("expected one of: {}", choices.join(", ")));
        if let Some(m) = did_you_mean(&s, choices.iter().copied()) {
            d = d.hint(format!("did you mean `{m}`?"));
        }
        self.diags.push(d);
        None
    }

    fn config(
        &mut self,
        root: &Node,
        path: PathBuf,
        base_dir: PathBuf,
        hash: String,
    ) -> Option<Config> {
        let entries = self.map(root, "the config", TOP_KEYS);
        let get = |k: &str| entries.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        match get("version") {
            Some(Node {
                kind: NodeKind::Int(1),
                ..
            }) => {}
            Some(v) => self.err(
                v.pos,
                "unsupported config version; this datamask reads `version: 1`",
            ),
            None => self.err(root.pos, "missing `version: 1`"),
        }
        let source = match get("source") {
            Some(n) => self.connection(n, "source"),
            None => {
                self.err(root.pos, "missing `source` (where the data comes from)");
                None
            }
        };
        let target = get("target").and_then(|n| self.connection(n, "target"));
        let key = get("key").map_or(Some(KeySource::Env("DATAMASK_KEY".into())), |n| self.key(n));
        let policy = get("policy").map_or(Some(Policy::default()), |n| self.policy(n));
        let tables = get("tables").map_or_else(Vec::new, |n| self.tables(n));
        let audit = get("audit").map_or_else(AuditSettings::default, |n| self.audit(n));
        let verify = get("verify").map_or_else(VerifySettings::default, |n| self.verify(n));
        let relations = get("relations").map_or_else(Vec::new, |n| self.relations(n));
        let domains = get("domains").map_or_else(Vec::new, |n| self.domains(n));
        let mode = match get("mode") {
            Some(n) => match self.choice(n, "mode", &["copy", "in_place"]).as_deref() {
                Some("in_place") => Mode::InPlace,
                _ => Mode::Copy,
            },
            None => Mode::Copy,
        };
        if mode == Mode::InPlace {
            self.in_place_rules(get("target"), &tables);
        }
        Some(Config {
            path,
            base_dir,
            hash,
            text: String::new(),
            source: source?,
            target,
            key: key?,
            policy: policy?,
            tables,
            audit,
            verify,
            relations,
            domains,
            mode,
        })
    }

    /// `mode: in_place` masks the source where it stands: no target, and every row stays (a
    /// `where:` would delete rows, a `query:` has no table to rewrite).
    fn in_place_rules(&mut self, target: Option<&Node>, tables: &[TableRule]) {
        if let Some(t) = target {
            self.diags.push(
                Diagnostic::new(t.pos, "`target` cannot be used with `mode: in_place`").hint(
                    "in-place mode masks the source database where it stands; remove `target`",
                ),
            );
        }
        for rule in tables {
            let what = if rule.query.is_some() {
                Some("`query`")
            } else if rule.filter.is_some() {
                Some("`where`")
            } else {
                None
            };
            if let Some(what) = what {
                self.diags.push(
                    Diagnostic::new(
                        rule.pos,
                        format!("table `{}`: {what} cannot be used with `mode: in_place`", rule.name),
                    )
                    .hint("in-place mode rewrites every row of a table where it stands; mask into a copy (`target:`) to filter or query"),
                );
            }
        }
    }

    fn connection(&mut self, node: &Node, what: &str) -> Option<Connection> {
        if let NodeKind::Str(s) = &node.kind {
            let url = self.interp(s, node.pos)?;
            return Some(Connection {
                url: ConnectionUrl::new(url),
                environment: None,
                format: None,
                delimiter: None,
                header: None,
                password: None,
                pos: node.pos,
            });
        }
        let entries = self.map(node, &format!("`{what}`"), CONNECTION_KEYS);
        let mut conn = Connection {
            url: ConnectionUrl::new(""),
            environment: None,
            format: None,
            delimiter: None,
            header: None,
            password: None,
            pos: node.pos,
        };
        let mut has_url = false;
        for (k, v) in entries {
            match k {
                "url" => {
                    if let Some(u) = self.string(v, "`url`") {
                        conn.url = ConnectionUrl::new(u);
                        has_url = true;
                    }
                }
                "environment" => {
                    conn.environment = self
                        .choice(v, "environment", &Environment::NAMES)
                        .and_then(|s| Environment::parse(&s));
                }
                "format" => conn.format = self.choice(v, "format", FORMATS),
                "delimiter" => match self.string(v, "`delimiter`") {
                    Some(d) if d.len() == 1 => conn.delimiter = Some(d.as_bytes()[0]),
                    Some(_) => self.err(v.pos, "`delimiter` must be a single ASCII character"),
                    None => {}
                },
                "header" => conn.header = self.boolean(v, "`header`"),
                "password" => conn.password = self.secret_ref(v, "`password`"),
                _ => {}
            }
        }
        if !has_url && self.diags.iter().all(|d| d.pos != node.pos) {
            self.err(node.pos, format!("`{what}` needs a `url`"));
        }
        Some(conn)
    }

    fn secret_ref(&mut self, node: &Node, what: &str) -> Option<SecretRef> {
        if matches!(node.kind, NodeKind::Str(_)) {
            self.diags.push(
                Diagnostic::new(
                    node.pos,
                    format!("{what} must be a reference, not the secret itself"),
                )
                .hint("write { env: VARIABLE } or { file: path/to/secret }"),
            );
            return None;
        }
        let entries = self.map(node, what, &["env", "file"]);
        match entries.as_slice() {
            [("env", v)] => self.string(v, "`env`").map(SecretRef::Env),
            [("file", v)] => self.string(v, "`file`").map(|p| SecretRef::File(p.into())),
            _ => {
                self.err(
                    node.pos,
                    format!("{what} takes exactly one of `env` or `file`"),
                );
                None
            }
        }
    }

    fn key(&mut self, node: &Node) -> Option<KeySource> {
        match self.secret_ref(node, "`key`")? {
            SecretRef::Env(v) => Some(KeySource::Env(v)),
            SecretRef::File(p) => Some(KeySource::File(p)),
        }
    }

    fn policy(&mut self, node: &Node) -> Option<Policy> {
        let mut policy = Policy::default();
        for (k, v) in self.map(node, "`policy`", POLICY_KEYS) {
            match k {
                "unlisted_columns" => {
                    let name = self.choice(v, "unlisted_columns", &UnlistedColumns::NAMES)?;
                    policy.unlisted_columns = match name.as_str() {
                        "fail" => UnlistedColumns::Fail,
                        "preserve" => UnlistedColumns::Preserve,
                        _ => UnlistedColumns::FailSensitive,
                    };
                }
                _ => policy.production_deny_list = self.words(v, "`production_deny_list`")?,
            }
        }
        Some(policy)
    }

    fn verify(&mut self, node: &Node) -> VerifySettings {
        let mut v = VerifySettings::default();
        let keys = [
            "after_run",
            "sample_rows",
            "all_columns",
            "min_length",
            "memory_mb",
        ];
        for (k, n) in self.map(node, "`verify`", &keys) {
            match k {
                "after_run" => v.after_run = self.boolean(n, "`after_run`").unwrap_or(true),
                "all_columns" => v.all_columns = self.boolean(n, "`all_columns`").unwrap_or(false),
                "sample_rows" => v.sample_rows = self.count(n, "`sample_rows`", 0).unwrap_or(1000),
                "min_length" => v.min_length = self.count(n, "`min_length`", 1).unwrap_or(6),
                _ => v.memory_mb = self.count(n, "`memory_mb`", 1).unwrap_or(256),
            }
        }
        v
    }

    /// A whole number of at least `min`.
    fn count(&mut self, node: &Node, what: &str, min: i64) -> Option<usize> {
        match node.kind {
            NodeKind::Int(i) if i >= min => Some(i as usize),
            _ => {
                self.err(
                    node.pos,
                    format!(
                        "{what} must be a whole number of at least {min}, found {}",
                        node.kind_name()
                    ),
                );
                None
            }
        }
    }

    /// A list of words (letters and digits only), as the production deny-list takes.
    fn words(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        let NodeKind::Seq(items) = &node.kind else {
            self.err(
                node.pos,
                format!("{what} must be a list of words, found {}", node.kind_name()),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            let word = self.string(item, "a deny-list entry")?;
            if word.is_empty() || !word.chars().all(char::is_alphanumeric) {
                self.diags.push(
                    Diagnostic::new(item.pos, format!("`{word}` is not a single word"))
                        .width(word.chars().count().max(1))
                        .hint("addresses are split into words at every character that is not a letter or digit; list whole words such as `prod`"),
                );
                continue;
            }
            out.push(word.to_lowercase());
        }
        Some(out)
    }

    fn audit(&mut self, node: &Node) -> AuditSettings {
        let mut audit = AuditSettings::default();
        for (k, v) in self.map(node, "`audit`", &["dir", "signing_key_file"]) {
            let s = self.string(v, &format!("`{k}`")).map(PathBuf::from);
            match k {
                "dir" => audit.dir = s,
                _ => audit.signing_key_file = s,
            }
        }
        audit
    }

    /// The entries of a mapping keyed by names (tables, columns): each name once, in order.
    fn named<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        duplicate: impl Fn(&str) -> String,
    ) -> Vec<(String, Pos, &'n Node)> {
        let Some(entries) = node.as_map() else {
            self.err(
                node.pos,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            );
            return Vec::new();
        };
        let mut out: Vec<(String, Pos, &Node)> = Vec::new();
        for (k, v) in entries {
            let Some(name) = k.scalar_text() else {
                self.err(k.pos, format!("names in {what} must be strings"));
                continue;
            };
            if out.iter().any(|(n, _, _)| *n == name) {
                self.err(k.pos, duplicate(&name));
                continue;
            }
            out.push((name, k.pos, v));
        }
        out
    }

    fn tables(&mut self, node: &Node) -> Vec<TableRule> {
        self.named(node, "`tables`", |name| {
            format!("table `{name}` is listed twice")
        })
        .into_iter()
        .map(|(name, pos, v)| self.table(name, pos, v))
        .collect()
    }

    fn table(&mut self, name: String, pos: Pos, node: &Node) -> TableRule {
        let mut rule = TableRule {
            name,
            pos,
            skip: false,
            filter: None,
            row_filter: None,
            include: None,
            exclude: None,
            query: None,
            primary_key: None,
            columns: Vec::new(),
        };
        let what = format!("table `{}`", rule.name);
        for (k, v) in self.map(node, &what, TABLE_KEYS) {
            match k {
                "skip" => rule.skip = self.boolean(v, "`skip`").unwrap_or(false),
                "where" if matches!(v.kind, NodeKind::Str(_)) => {
                    rule.filter = self.string(v, "`where`")
                }
                "where" => rule.row_filter = crate::rows::parse(v, "`where`", &mut self.diags),
                "include" => rule.include = crate::rows::parse(v, "`include`", &mut self.diags),
                "exclude" => rule.exclude = crate::rows::parse(v, "`exclude`", &mut self.diags),
                "query" => rule.query = self.string(v, "`query`"),
                "primary_key" => {
                    rule.primary_key = self
                        .names(v, "`primary_key`")
                        .map(|cols| (cols.into_iter().map(|(c, _)| c).collect(), v.pos));
                }
                _ => rule.columns = self.columns(v, &rule.name),
            }
        }
        if rule.query.is_some() && (rule.filter.is_some() || rule.row_filter.is_some()) {
            self.diags.push(
                Diagnostic::new(
                    pos,
                    format!("table `{}` has both `query` and `where`", rule.name),
                )
                .width(rule.name.chars().count())
                .hint("put the condition inside the query"),
            );
        }
        rule
    }

    fn columns(&mut self, node: &Node, table: &str) -> Vec<ColumnRule> {
        self.named(node, "`columns`", |column| {
            format!("column `{table}.{column}` has two rules")
        })
        .into_iter()
        .filter_map(|(column, pos, v)| self.column(column, pos, v))
        .collect()
    }

    fn column(&mut self, column: String, pos: Pos, node: &Node) -> Option<ColumnRule> {
        let (name_node, option_entries): (&Node, Vec<(&Node, &Node)>) = match &node.kind {
            NodeKind::Str(_) => (node, Vec::new()),
            NodeKind::Map(entries) => {
                let Some((_, s)) = entries.iter().find(|(k, _)| k.as_str() == Some("strategy"))
                else {
                    self.err(
                        node.pos,
                        format!("the rule for `{column}` needs a `strategy`"),
                    );
                    return None;
                };
                let opts = entries
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), Some("strategy" | "reason" | "when")));
                (s, opts.map(|(k, v)| (k, v)).collect())
            }
            NodeKind::Null => {
                self.diags.push(
                    Diagnostic::new(pos, format!("no strategy given for `{column}`"))
                        .width(column.chars().count())
                        .hint("write a strategy name; to blank the column write \"null\" (quoted: bare null is YAML's empty value)"),
                );
                return None;
            }
            _ => {
                self.err(
                    node.pos,
                    format!(
                        "the rule for `{column}` must be a strategy name or a mapping, found {}",
                        node.kind_name()
                    ),
                );
                return None;
            }
        };
        let reason = self.reason(node);
        let when = match &node.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some("when"))
                .and_then(|(_, v)| crate::rows::parse(v, "`when`", &mut self.diags)),
            _ => None,
        };
        let strategy = self.strategy(name_node)?;
        let mut options = BTreeMap::new();
        let mut option_pos = Vec::new();
        for (k, v) in option_entries {
            let Some(name) = k.as_str() else {
                self.err(k.pos, "option names must be strings");
                continue;
            };
            option_pos.push((name.to_string(), k.pos));
            if let Some(value) = self.option_value(v) {
                options.insert(name.to_string(), value);
            }
        }
        let options = Options(options);
        for problem in datamask_strategies::validate_options(strategy, &options) {
            let at = option_pos
                .iter()
                .find(|(n, _)| *n == problem.option)
                .map_or(name_node.pos, |(_, p)| *p);
            let message = if problem.option.is_empty() {
                problem.message
            } else {
                format!(
                    "option `{}` of `{}`: {}",
                    problem.option, strategy.name, problem.message
                )
            };
            self.diags.push(split_hint(
                Diagnostic::new(at, message).width(problem.option.len()),
            ));
        }
        Some(ColumnRule {
            column,
            pos,
            strategy,
            options,
            option_pos,
            reason,
            when,
        })
    }

    /// The `reason:` of a long-form rule: a non-empty string, kept for the audit.
    fn reason(&mut self, rule: &Node) -> Option<String> {
        let NodeKind::Map(entries) = &rule.kind else {
            return None;
        };
        let (_, v) = entries.iter().find(|(k, _)| k.as_str() == Some("reason"))?;
        let text = self.string(v, "`reason`")?;
        if text.trim().is_empty() {
            self.err(v.pos, "`reason` is empty; say why, or leave it out");
            return None;
        }
        Some(text.trim().to_string())
    }

    fn strategy(&mut self, node: &Node) -> Option<&'static StrategyInfo> {
        let name = self.string(node, "a strategy")?;
        if let Some(info) = datamask_strategies::lookup(&name) {
            return Some(info);
        }
        let mut d = Diagnostic::new(node.pos, format!("unknown strategy `{name}`"))
            .width(name.chars().count());
        let names = datamask_strategies::names_and_aliases();
        d = match did_you_mean(&name, names.iter().map(|(n, _)| *n)) {
            Some(s) => d.hint(format!("did you mean `{s}`?")),
            None => d.hint("run `datamask strategies` to list them"),
        };
        self.diags.push(d);
        None
    }

    fn option_value(&mut self, node: &Node) -> Option<OptionValue> {
        Some(match &node.kind {
            NodeKind::Null => OptionValue::Null,
            NodeKind::Bool(b) => OptionValue::Bool(*b),
            NodeKind::Int(i) => OptionValue::Int(*i),
            NodeKind::Float(f) => OptionValue::Float(*f),
            NodeKind::Str(s) => OptionValue::String(self.interp(s, node.pos)?),
            NodeKind::Seq(items) => OptionValue::List(
                items
                    .iter()
                    .map(|n| self.option_value(n))
                    .collect::<Option<_>>()?,
            ),
            NodeKind::Map(entries) => {
                let mut m = BTreeMap::new();
                for (k, v) in entries {
                    let key = k.scalar_text().unwrap_or_default();
                    m.insert(key, self.option_value(v)?);
                }
                OptionValue::Map(m)
            }
        })
    }
}

/// `relations:` and `domains:`, the config's additions to the schema's foreign keys.
impl Walker<'_> {
    /// A string or a list of strings, each with its place; at least one.
    fn names(&mut self, node: &Node, what: &str) -> Option<Vec<(String, Pos)>> {
        let items: Vec<&Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        if items.is_empty() {
            self.err(node.pos, format!("{what} must name at least one column"));
            return None;
        }
        let mut out = Vec::new();
        for item in items {
            out.push((self.string(item, what)?, item.pos));
        }
        Some(out)
    }

    /// `table.column` references.
    fn column_refs(&mut self, node: &Node, what: &str) -> Option<Vec<(ColumnRef, Pos)>> {
        let mut out = Vec::new();
        for (text, pos) in self.names(node, what)? {
            match ColumnRef::parse(&text) {
                Some(r) => out.push((r, pos)),
                None => {
                    self.diags.push(
                        Diagnostic::new(pos, format!("`{text}` is not a `table.column` name"))
                            .width(text.chars().count().max(1))
                            .hint("write the table, a dot and the column: `orders.customer_id`"),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn relations(&mut self, node: &Node) -> Vec<RelationRule> {
        let NodeKind::Seq(items) = &node.kind else {
            self.err(
                node.pos,
                format!("`relations` must be a list, found {}", node.kind_name()),
            );
            return Vec::new();
        };
        items.iter().filter_map(|n| self.relation(n)).collect()
    }

    fn relation(&mut self, node: &Node) -> Option<RelationRule> {
        let entries = self.map(node, "a relation", &["from", "to"]);
        let get = |k: &str| entries.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let (Some(from), Some(to)) = (get("from"), get("to")) else {
            if self.diags.iter().all(|d| d.pos != node.pos) {
                self.diags.push(
                    Diagnostic::new(node.pos, "a relation needs `from` and `to`")
                        .hint("write { from: orders.customer_ref, to: customers.id }"),
                );
            }
            return None;
        };
        let from_refs = self.column_refs(from, "`from`")?;
        let to_refs = self.column_refs(to, "`to`")?;
        let one_table = |w: &mut Self, refs: &[(ColumnRef, Pos)], what: &str| {
            let first = &refs[0].0.table;
            match refs.iter().find(|(r, _)| &r.table != first) {
                Some((r, p)) => {
                    w.diags.push(
                        Diagnostic::new(
                            *p,
                            format!("`{what}` mixes tables `{first}` and `{}`", r.table),
                        )
                        .hint("a composite relation lists columns of one table on each side"),
                    );
                    false
                }
                None => true,
            }
        };
        if !one_table(self, &from_refs, "from") | !one_table(self, &to_refs, "to") {
            return None;
        }
        if from_refs.len() != to_refs.len() {
            self.err(
                node.pos,
                format!(
                    "`from` names {} columns but `to` names {}; they pair up one by one",
                    from_refs.len(),
                    to_refs.len()
                ),
            );
            return None;
        }
        Some(RelationRule {
            from_table: from_refs[0].0.table.clone(),
            from_columns: from_refs.into_iter().map(|(r, _)| r.column).collect(),
            to_table: to_refs[0].0.table.clone(),
            to_columns: to_refs.into_iter().map(|(r, _)| r.column).collect(),
            pos: node.pos,
        })
    }

    fn domains(&mut self, node: &Node) -> Vec<DomainRule> {
        self.named(node, "`domains`", |name| {
            format!("domain `{name}` is listed twice")
        })
        .into_iter()
        .filter_map(|(name, pos, v)| {
            let columns = self.column_refs(v, &format!("domain `{name}`"))?;
            Some(DomainRule { name, pos, columns })
        })
        .collect()
    }
}

/// Parses `text`, the YAML value of one column rule written outside the config (after
/// `datamask:` in a column comment), exactly as the config's rules are parsed. Positions are
/// in `text`.
pub(super) fn rule_value(
    column: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ColumnRule, Vec<Diagnostic>> {
    let root = yaml::parse(text).map_err(|e| vec![Diagnostic::new(e.pos, e.message)])?;
    let mut w = Walker {
        env,
        diags: Vec::new(),
    };
    match w.column(column.to_string(), root.pos, &root) {
        Some(rule) if w.diags.is_empty() => Ok(rule),
        _ => Err(w.diags),
    }
}

/// Strategy validation messages may carry "; did you mean ..." style hints after a `\n`.
fn split_hint(d: Diagnostic) -> Diagnostic {
    match d.message.split_once('\n') {
        Some((m, h)) => {
            let (m, h) = (m.to_string(), h.trim().to_string());
            Diagnostic { message: m, ..d }.hint(h)
        }
        None => d,
    }
}
