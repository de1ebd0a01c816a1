//! Config problems with their place in the file, rendered like a compiler error.

use super::yaml::Pos;
use std::fmt::Write as _;
use std::sync::Arc;

/// One problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub pos: Pos,
    /// Width of the offending token, for the caret line.
    pub width: usize,
    pub message: String,
    pub hint: Option<String>,
    /// Which pre-flight test found it, so `check` can list problems under their test.
    pub topic: Topic,
    /// Set when the problem is not in the config file but in other text (a rule in a column
    /// comment); `pos` is then a place in that text.
    pub elsewhere: Option<Arc<Snippet>>,
    /// A warning does not stop anything (a config rule that overrides a comment rule).
    pub warning: bool,
}

/// Text outside the config that a problem points into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// What to call it in `--> NAME:line:col`.
    pub name: String,
    pub text: String,
}

/// The pre-flight test a problem belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Topic {
    /// The config itself, or a table or column it names.
    Config,
    /// Relations, domains and keys: linked columns that must share a transform.
    Relations,
    /// A masked key column whose strategy is not proven injective.
    Unique,
    /// Masked values that would not fit their target column.
    Fit,
}

impl Topic {
    /// The name `check` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Config => "config",
            Topic::Relations => "relations",
            Topic::Unique => "unique",
            Topic::Fit => "fit",
        }
    }
}

impl Diagnostic {
    /// A problem at `pos`.
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            pos,
            width: 1,
            message: message.into(),
            hint: None,
            topic: Topic::Config,
            elsewhere: None,
            warning: false,
        }
    }

    /// Makes this a warning.
    pub fn warning(mut self) -> Self {
        self.warning = true;
        self
    }

    /// Files the problem under `topic`.
    pub fn topic(mut self, topic: Topic) -> Self {
        self.topic = topic;
        self
    }

    /// Adds a help line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the caret width.
    pub fn width(mut self, width: usize) -> Self {
        self.width = width.max(1);
        self
    }
}

/// Renders diagnostics against the config text:
///
/// ```text
/// error: unknown strategy `emial`
///   --> datamask.yaml:12:14
///    |
/// 12 |       email: emial
///    |              ^^^^^
///    = help: did you mean `email`?
/// ```
pub fn render(file: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = render_each(file, text, diagnostics);
    let n = diagnostics.iter().filter(|d| !d.warning).count();
    let _ = writeln!(
        out,
        "{file}: {n} problem{} found",
        if n == 1 { "" } else { "s" }
    );
    out
}

/// Renders each diagnostic (errors and warnings) without the closing count.
pub fn render_each(file: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let (file, text) = match &d.elsewhere {
            Some(s) => (s.name.as_str(), s.text.as_str()),
            None => (file, text),
        };
        let lines: Vec<&str> = text.lines().collect();
        let level = if d.warning { "warning" } else { "error" };
        let _ = writeln!(out, "{level}: {}", d.message);
        let gutter = d.pos.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {file}:{}:{}", d.pos.line, d.pos.col);
        if let Some(line) = d.pos.line.checked_sub(1).and_then(|i| lines.get(i)) {
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {line}", d.pos.line);
            let indent = " ".repeat(d.pos.col.saturating_sub(1));
            let _ = writeln!(out, "{pad} | {indent}{}", "^".repeat(d.width));
        }
        if let Some(h) = &d.hint {
            let _ = writeln!(out, "{pad} = help: {h}");
        }
        out.push('\n');
    }
    out
}

/// Closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("emial", ["email", "token", "uuid"]),
            Some("email")
        );
        assert_eq!(did_you_mean("zzzzzz", ["email", "token"]), None);
    }

    #[test]
    fn renders_caret_under_token() {
        let text = "tables:\n  t:\n    columns:\n      email: emial\n";
        let d = Diagnostic::new(Pos { line: 4, col: 14 }, "unknown strategy `emial`")
            .width(5)
            .hint("did you mean `email`?");
        let out = render("c.yaml", text, &[d]);
        assert!(out.contains("--> c.yaml:4:14"));
        assert!(out.contains("4 |       email: emial\n  |              ^^^^^\n"));
        assert!(out.contains("= help: did you mean `email`?"));
    }
}
