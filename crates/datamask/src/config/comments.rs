//! Rules next to the schema: `datamask: ...` in a column's comment in the source database.
//!
//! A team that keeps its schema in migrations can keep the masking rules there too:
//!
//! ```sql
//! COMMENT ON COLUMN customers.email IS 'Login address. datamask: email';
//! COMMENT ON COLUMN customers.ssn IS 'datamask: { strategy: fpe, alphabet: digits }';
//! ```
//!
//! The text after `datamask:` up to the end of its line is the rule, written exactly as the
//! value of a column rule in the config (a strategy name, or a flow mapping with `strategy`,
//! options and an optional `reason`) and validated the same way. The config's own rule for a
//! column wins; the planner reports the overridden comment as a warning.
//!
//! Comments are read at planning time (the config alone cannot know them), so a problem in a
//! comment rule cannot point into the config file: it points into the comment instead
//! (`comment on customers.ssn:1:20`). To let such problems travel through the planner like any
//! other diagnostic, a comment rule's positions use *virtual lines* ([`VIRTUAL_LINE`] + the
//! rule's index) that [`relocate`] turns back into the comment's own place.

use super::diagnostic::{Diagnostic, Snippet};
use super::yaml::Pos;
use super::{validate, ColumnRule};
use datamask_core::TableSchema;
use std::sync::Arc;

/// The first virtual line number; no config file has that many lines.
pub const VIRTUAL_LINE: usize = 1 << 40;

/// The marker that starts a rule in a comment (matched without regard to case).
const MARKER: &str = "datamask:";

/// A rule read from a column comment.
#[derive(Debug, Clone)]
pub struct CommentRule {
    pub table: String,
    pub rule: ColumnRule,
    /// The rule as written after the marker, for messages.
    pub text: String,
}

/// Every comment rule of `tables`, in table and column order, and the problems of those that
/// do not parse (already placed in their comment).
pub struct CommentRules {
    pub rules: Vec<CommentRule>,
    /// One per rule (same index): the comment, for rendering problems found later.
    snippets: Vec<Arc<Snippet>>,
    /// Where each rule starts in its comment: (line, column offset of the rule text).
    origins: Vec<(usize, usize)>,
}

impl CommentRules {
    /// The comment rule of `table.column`, if its comment has one.
    pub fn get(&self, table: &str, column: &str) -> Option<&CommentRule> {
        self.rules
            .iter()
            .find(|r| r.table == table && r.rule.column == column)
    }

    /// Gives a diagnostic raised at a virtual position its real place in the comment.
    pub fn relocate(&self, mut d: Diagnostic) -> Diagnostic {
        if d.pos.line < VIRTUAL_LINE || d.elsewhere.is_some() {
            return d;
        }
        let i = d.pos.line - VIRTUAL_LINE;
        if let (Some(snippet), Some(&(line, offset))) = (self.snippets.get(i), self.origins.get(i))
        {
            d.pos = Pos {
                line,
                col: d.pos.col + offset,
            };
            d.elsewhere = Some(snippet.clone());
        }
        d
    }
}

/// Where the rule starts in `comment`: (1-based line, byte offset of the rule text in that
/// line, the rule text). The marker must start the comment, a line, or follow a character
/// that is not a letter or digit (`Login address. datamask: email`).
pub fn find(comment: &str) -> Option<(usize, usize, &str)> {
    for (n, line) in comment.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let mut from = 0;
        while let Some(at) = lower[from..].find(MARKER).map(|i| i + from) {
            let starts_word = line[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_');
            if starts_word {
                let rest = &line[at + MARKER.len()..];
                let lead = rest.len() - rest.trim_start().len();
                let offset = at + MARKER.len() + lead;
                return Some((n + 1, offset, line[offset..].trim_end()));
            }
            from = at + MARKER.len();
        }
    }
    None
}

/// Reads the rules in the column comments of `tables`. `env` resolves `${VAR}` in them, as in
/// the config.
pub fn collect(
    tables: &[TableSchema],
    env: &dyn Fn(&str) -> Option<String>,
) -> (CommentRules, Vec<Diagnostic>) {
    let mut out = CommentRules {
        rules: Vec::new(),
        snippets: Vec::new(),
        origins: Vec::new(),
    };
    let mut problems = Vec::new();
    for table in tables {
        for column in &table.columns {
            let Some(comment) = column.comment.as_deref() else {
                continue;
            };
            let Some((line, offset, text)) = find(comment) else {
                continue;
            };
            let snippet = Arc::new(Snippet {
                name: format!("comment on column {}.{}", table.name, column.name),
                text: comment.to_string(),
            });
            let place = |p: Pos| Pos {
                line,
                col: p.col + byte_to_char(comment.lines().nth(line - 1).unwrap_or(""), offset),
            };
            match validate::rule_value(&column.name, text, env) {
                Ok(mut rule) => {
                    let index = out.rules.len();
                    let virt = |p: Pos| Pos {
                        line: VIRTUAL_LINE + index,
                        col: p.col,
                    };
                    rule.pos = virt(rule.pos);
                    for (_, p) in &mut rule.option_pos {
                        *p = virt(*p);
                    }
                    out.rules.push(CommentRule {
                        table: table.name.clone(),
                        rule,
                        text: text.to_string(),
                    });
                    out.snippets.push(snippet);
                    out.origins.push((
                        line,
                        byte_to_char(comment.lines().nth(line - 1).unwrap_or(""), offset),
                    ));
                }
                Err(diags) => problems.extend(diags.into_iter().map(|mut d| {
                    d.pos = place(d.pos);
                    d.elsewhere = Some(snippet.clone());
                    d
                })),
            }
        }
    }
    (out, problems)
}

/// The character column of byte `offset` in `line` (carets count characters).
fn byte_to_char(line: &str, offset: usize) -> usize {
    line.get(..offset).map_or(offset, |s| s.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datamask_core::{Column, DataType};

    #[test]
    fn the_marker_starts_a_word_and_the_rule_runs_to_the_end_of_its_line() {
        assert_eq!(find("datamask: email"), Some((1, 10, "email")));
        assert_eq!(
            find("Login address. Datamask:  email  "),
            Some((1, 26, "email"))
        );
        assert_eq!(
            find("Tax id\ndatamask: { strategy: fpe, alphabet: digits }\nfrom HR"),
            Some((2, 10, "{ strategy: fpe, alphabet: digits }"))
        );
        assert_eq!(find("see mydatamask: email"), None);
        assert_eq!(find("no rule here"), None);
    }

    fn table(comments: &[(&str, &str)]) -> TableSchema {
        TableSchema::new(
            "customers",
            comments
                .iter()
                .map(|(name, comment)| Column {
                    comment: Some(comment.to_string()),
                    ..Column::new(*name, DataType::text())
                })
                .collect(),
        )
    }

    #[test]
    fn rules_parse_like_config_rules_and_problems_point_into_the_comment() {
        let t = table(&[
            ("email", "Login. datamask: email"),
            (
                "ssn",
                "datamask: { strategy: fpe, alphabet: digits, reason: \"tax\" }",
            ),
            ("notes", "free text"),
            ("phone", "datamask: phnoe"),
        ]);
        let (rules, problems) = collect(&[t], &|_| None);
        assert_eq!(rules.rules.len(), 2);
        let ssn = rules.get("customers", "ssn").unwrap();
        assert_eq!(ssn.rule.strategy.name, "fpe");
        assert_eq!(ssn.rule.options.str_or("alphabet", ""), "digits");
        assert_eq!(ssn.rule.reason.as_deref(), Some("tax"));
        assert_eq!(problems.len(), 1);
        let d = &problems[0];
        assert!(d.message.contains("unknown strategy `phnoe`"), "{d:?}");
        assert_eq!((d.pos.line, d.pos.col), (1, 11));
        let s = d.elsewhere.as_ref().unwrap();
        assert_eq!(s.name, "comment on column customers.phone");
        // A problem found later at the rule's virtual place lands in its comment too.
        let later = rules.relocate(Diagnostic::new(ssn.rule.pos, "later"));
        assert_eq!(later.pos.line, 1);
        assert_eq!(
            later.elsewhere.unwrap().name,
            "comment on column customers.ssn"
        );
    }
}
