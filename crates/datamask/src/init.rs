//! `datamask init`: a draft config from the source's schema and a discovery scan.
//!
//! Every finding gets a rule (a strategy that exists in the registry now, accepts the column's
//! type, is injective where a unique key needs it, and masks the sampled values into something
//! that fits the column). Columns joined by a foreign key get one identical rule, so joins
//! survive. Each rule carries a comment with its evidence; `possible` findings are marked
//! `REVIEW`. The draft holds no value from the data: comments show counts and shares only, and a
//! password in the source URL is replaced by a `${DATAMASK_SOURCE_PASSWORD}` reference.

use datamask_core::strategy::{OptionValue, Options};
use datamask_core::TableSchema;
use datamask_discovery::{suggest, ColumnScan, Confidence, Suggestion, TableScan};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One rule of the draft.
#[derive(Debug, Clone)]
pub struct DraftRule {
    pub table: String,
    pub column: String,
    pub suggestion: Suggestion,
    /// The comment above the rule (evidence, review marks).
    pub comment: String,
    /// Written commented out (discovery ruled the type out; kept as a hint).
    pub disabled: bool,
    pub confidence: Option<Confidence>,
}

/// The draft: rules in table and column order.
#[derive(Debug, Clone)]
pub struct Draft {
    pub source_url: String,
    pub rows_sampled: usize,
    pub rules: Vec<DraftRule>,
    pub tables: Vec<TableSchema>,
}

impl Draft {
    /// Rules that are active (not commented out).
    pub fn active(&self) -> impl Iterator<Item = &DraftRule> {
        self.rules.iter().filter(|r| !r.disabled)
    }
}

/// Builds the draft from scans. `source_url` is what the config's `source` will say.
pub fn draft(source_url: &str, scans: &[TableScan], rows: usize) -> Draft {
    let mut rules: Vec<DraftRule> = Vec::new();
    for scan in scans {
        for (i, col) in scan.columns.iter().enumerate() {
            if let Some(rule) = rule_for(scan, i, col) {
                rules.push(rule);
            }
        }
    }
    link_foreign_keys(scans, &mut rules);
    Draft {
        source_url: source_url.to_string(),
        rows_sampled: rows,
        rules,
        tables: scans.iter().map(|s| s.schema.clone()).collect(),
    }
}

fn rule_for(scan: &TableScan, index: usize, col: &ColumnScan) -> Option<DraftRule> {
    let finding = col.finding.as_ref()?;
    let column = &scan.schema.columns[index];
    let sample = &scan.sample.columns[index];
    let suggestion = suggest(finding, &scan.schema, column, sample);
    // A rule in the column's comment already covers it: the draft only says so.
    let in_comment = column
        .comment
        .as_deref()
        .and_then(crate::config::comments::find)
        .map(|(_, _, rule)| rule.to_string());
    let ruled_out = finding
        .evidence
        .notes
        .iter()
        .any(|n| n.starts_with("ruled out"))
        || in_comment.is_some();
    let mut comment = format!(
        "{}: {} {} ({:.2}): {}",
        col.column,
        finding.pii_type,
        finding.confidence,
        finding.score,
        finding.evidence.summary()
    );
    if let Some(note) = &suggestion.note {
        let _ = write!(comment, "; {note}");
    }
    if let Some(rule) = &in_comment {
        let _ = write!(
            comment,
            "; ruled by its column comment (`datamask: {rule}`)"
        );
    } else if finding.confidence == Confidence::Possible || suggestion.strategy == "preserve" {
        comment.push_str(" -- REVIEW");
    }
    Some(DraftRule {
        table: scan.schema.name.clone(),
        column: col.column.clone(),
        suggestion,
        comment,
        disabled: ruled_out,
        confidence: Some(finding.confidence),
    })
}

/// Gives both ends of every single-column foreign key the same rule: the referenced (unique)
/// side's, so it stays injective.
fn link_foreign_keys(scans: &[TableScan], rules: &mut Vec<DraftRule>) {
    for scan in scans {
        for fk in &scan.schema.foreign_keys {
            let ([child], [parent]) = (fk.columns.as_slice(), fk.ref_columns.as_slice()) else {
                continue;
            };
            let find = |rules: &[DraftRule], t: &str, c: &str| {
                rules
                    .iter()
                    .position(|r| !r.disabled && r.table == t && r.column == c)
            };
            let p = find(rules, &fk.ref_table, parent);
            let c = find(rules, &scan.schema.name, child);
            let (from, to_table, to_col) = match (p, c) {
                (Some(p), _) => (p, scan.schema.name.clone(), child.clone()),
                (None, Some(c)) => (c, fk.ref_table.clone(), parent.clone()),
                (None, None) => continue,
            };
            let source = rules[from].clone();
            let linked = DraftRule {
                table: to_table.clone(),
                column: to_col.clone(),
                suggestion: source.suggestion.clone(),
                comment: format!(
                    "{to_col}: same rule as {}.{} (foreign key)",
                    source.table, source.column
                ),
                disabled: false,
                confidence: source.confidence,
            };
            match find(rules, &to_table, &to_col) {
                Some(i) => {
                    let keep = rules[i].comment.clone();
                    rules[i] = DraftRule {
                        comment: format!(
                            "{keep}; same rule as {}.{} (foreign key)",
                            source.table, source.column
                        ),
                        ..linked
                    };
                }
                None => rules.push(linked),
            }
        }
    }
    // Keep table order, then column order, as in the source.
    let order: BTreeMap<(String, String), usize> = scans
        .iter()
        .flat_map(|s| {
            s.schema
                .columns
                .iter()
                .map(move |c| (s.schema.name.clone(), c.name.clone()))
        })
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    rules.sort_by_key(|r| {
        order
            .get(&(r.table.clone(), r.column.clone()))
            .copied()
            .unwrap_or(usize::MAX)
    });
}

/// A YAML key: plain when safe, double-quoted otherwise.
pub fn yaml_key(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        && !matches!(
            s,
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A YAML double-quoted string (JSON escaping is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn option_value(v: &OptionValue) -> String {
    match v {
        OptionValue::String(s) => quote(s),
        OptionValue::Int(i) => i.to_string(),
        OptionValue::Float(f) => f.to_string(),
        OptionValue::Bool(b) => b.to_string(),
        OptionValue::Null => "null".into(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// A rule as a YAML value: the bare strategy name, or a flow mapping with its options.
pub fn rule_yaml(strategy: &str, options: &Options) -> String {
    if options.0.is_empty() {
        return quote(strategy);
    }
    let opts: Vec<String> = options
        .0
        .iter()
        .map(|(k, v)| format!("{k}: {}", option_value(v)))
        .collect();
    format!("{{ strategy: {}, {} }}", quote(strategy), opts.join(", "))
}

impl Draft {
    /// The YAML text of the draft.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Draft written by `datamask init` (sampled up to {} rows per table).",
            self.rows_sampled
        );
        out.push_str("# Every rule below comes from discovery; its comment gives the evidence (never a value).\n");
        out.push_str("# Rules marked REVIEW are uncertain: keep, change or delete them.\n");
        out.push_str("# Add a target, then: datamask check && datamask run\n");
        out.push_str("version: 1\n");
        let _ = writeln!(out, "source: {{ url: {} }}", quote(&self.source_url));
        out.push_str("# target: { url: \"sqlite://masked.db\", environment: development }\n");
        out.push_str("key: { env: DATAMASK_KEY }\n");
        let tables: Vec<&str> = self
            .tables
            .iter()
            .map(|t| t.name.as_str())
            .filter(|t| self.rules.iter().any(|r| r.table == *t))
            .collect();
        if !self.rules.iter().any(|r| !r.disabled) {
            out.push_str(
                "# tables: discovery found nothing to mask; columns are copied unchanged\n",
            );
        }
        if tables.is_empty() {
            out.push_str("# discovery found no personal data; columns are copied unchanged\n");
            return out;
        }
        if self.rules.iter().any(|r| !r.disabled) {
            out.push_str("tables:\n");
        }
        for t in tables {
            // A table whose only rules are disabled hints is written commented out whole.
            let live = self.rules.iter().any(|r| r.table == t && !r.disabled);
            let hash = if live { "" } else { "# " };
            let _ = writeln!(out, "  {hash}{}:", yaml_key(t));
            let _ = writeln!(out, "  {hash}  columns:");
            for r in self.rules.iter().filter(|r| r.table == t) {
                let _ = writeln!(out, "      # {}", r.comment.replace('\n', " "));
                let line = format!(
                    "{}: {}",
                    yaml_key(&r.column),
                    rule_yaml(r.suggestion.strategy, &r.suggestion.options)
                );
                if r.disabled {
                    let _ = writeln!(out, "      # {line}");
                } else {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
        out
    }
}

/// Whether the password that `redacted` hides is already a `${VAR}` reference, which the
/// draft can keep as it is.
fn password_is_reference(url: &str, redacted: &str) -> bool {
    let Some(star) = redacted.find("***") else {
        return false;
    };
    let suffix = &redacted[star + 3..];
    url.get(star..url.len().saturating_sub(suffix.len()))
        .is_some_and(|p| p.starts_with("${") && p.ends_with('}'))
}

/// The URL to write into the draft: a password becomes `${DATAMASK_SOURCE_PASSWORD}`; a relative
/// SQLite or file path is made absolute when the config is written elsewhere than the working
/// directory (paths in a config are relative to the config's directory).
pub fn config_url(url: &str, config_dir_is_cwd: bool) -> (String, bool) {
    let redacted = datamask_connectors::redact_url(url);
    let (mut out, had_password) = if redacted != url && !password_is_reference(url, &redacted) {
        (redacted.replace("***", "${DATAMASK_SOURCE_PASSWORD}"), true)
    } else {
        (url.to_string(), false)
    };
    if !config_dir_is_cwd {
        let (prefix, path) = match out.strip_prefix("sqlite://") {
            Some(p) => ("sqlite://", p.to_string()),
            None if !out.contains("://") => ("", out.clone()),
            None => return (out, had_password),
        };
        let p = std::path::Path::new(&path);
        if p.is_relative() {
            if let Ok(abs) = std::path::absolute(p) {
                out = format!("{prefix}{}", abs.display());
            }
        }
    }
    (out, had_password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_reference_stays_a_reference() {
        let (url, had) = config_url("postgres://app:${PGPASSWORD}@db/shop", true);
        assert_eq!(url, "postgres://app:${PGPASSWORD}@db/shop");
        assert!(!had);
        let (url, had) = config_url("postgres://app:s3cret@db/shop", true);
        assert_eq!(url, "postgres://app:${DATAMASK_SOURCE_PASSWORD}@db/shop");
        assert!(had);
    }
}
