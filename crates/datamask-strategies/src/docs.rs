//! The strategy reference, generated from the registry: Markdown for docs/strategies.md and
//! JSON for `datamask strategies --format json`.

use crate::{common_options, example_options, registry};
use datamask_core::strategy::{Injectivity, OptionSpec, OptionType, StrategyInfo};
#[cfg(test)]
use datamask_core::{strategy::RowAccess, Value};
use serde_json::json;
use std::fmt::Write;

/// The row the examples of row strategies (`copy`, `template`, ...) are computed in:
/// (column, original value, masked value).
const EXAMPLE_ROW: [(&str, &str, &str); 3] = [
    ("first_name", "Alice", "Maria"),
    ("last_name", "Smith", "Núñez"),
    ("email", "alice@corp.test", "m.nunez@example.com"),
];

/// [`EXAMPLE_ROW`] as a [`RowAccess`].
#[cfg(test)]
pub(crate) struct ExampleRow(Vec<(&'static str, Value, Value)>);

#[cfg(test)]
impl ExampleRow {
    pub(crate) fn new() -> Self {
        ExampleRow(
            EXAMPLE_ROW
                .iter()
                .map(|(c, o, m)| (*c, Value::text(*o), Value::text(*m)))
                .collect(),
        )
    }
}

#[cfg(test)]
impl RowAccess for ExampleRow {
    fn get(&self, column: &str, masked: bool) -> Option<&Value> {
        self.0
            .iter()
            .find(|(c, _, _)| *c == column)
            .map(|(_, o, m)| if masked { m } else { o })
    }
}

fn injectivity_text(i: Injectivity) -> &'static str {
    match i {
        Injectivity::Always => "yes (always)",
        Injectivity::ByDefault => "yes with the default options",
        Injectivity::Never => "no",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn type_text(t: OptionType) -> &'static str {
    match t {
        OptionType::String => "string",
        OptionType::Integer => "integer",
        OptionType::Number => "number",
        OptionType::Boolean => "boolean",
        OptionType::List => "list",
        OptionType::Map => "map",
        OptionType::Any => "any",
    }
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn options_table(out: &mut String, options: &[OptionSpec]) {
    out.push_str("| option | type | default | required | description |\n|---|---|---|---|---|\n");
    for o in options {
        let mut desc = o.description.to_string();
        if !o.choices.is_empty() {
            let _ = write!(
                desc,
                " One of: {}.",
                o.choices
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            o.name,
            type_text(o.ty),
            match o.default {
                Some("") => "`\"\"`".to_string(),
                Some(d) => format!("`{}`", cell(d)),
                None => "-".into(),
            },
            yes_no(o.required),
            cell(&desc)
        );
    }
}

/// The options the example was computed with, as `name: value` text.
fn example_options_text(name: &str) -> String {
    let o = example_options(name);
    o.0.iter()
        .map(|(k, v)| format!("{k}: {}", serde_json::to_string(v).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn section(out: &mut String, s: &StrategyInfo) {
    let _ = writeln!(out, "## `{}`\n\n{}\n", s.name, s.description);
    if !s.aliases.is_empty() {
        let aliases: Vec<String> = s.aliases.iter().map(|a| format!("`{a}`")).collect();
        let _ = writeln!(out, "- **Aliases:** {}", aliases.join(", "));
    }
    let _ = writeln!(out, "- **Family:** {}", s.family);
    let _ = writeln!(out, "- **Accepts:** {}", s.accepts.join(", "));
    let _ = writeln!(out, "- **Injective:** {}", injectivity_text(s.injective));
    let _ = writeln!(out, "- **Keyed:** {}", yes_no(s.keyed));
    let _ = writeln!(
        out,
        "- **Format-preserving:** {}\n",
        yes_no(s.format_preserving)
    );
    if s.options.is_empty() {
        out.push_str("No options besides the common ones.\n\n");
    } else {
        options_table(out, s.options);
        out.push('\n');
    }
    let opts = example_options_text(s.name);
    let with = if opts.is_empty() {
        String::new()
    } else {
        format!(" (with {opts})")
    };
    let row = if s.family == "row" {
        let cells: Vec<String> = EXAMPLE_ROW
            .iter()
            .map(|(c, o, m)| format!("{c} `{o}` (masked `{m}`)"))
            .collect();
        format!(" in a row with {}", cells.join(", "))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "Example{with}{row}, under the test key `000102…1f` and domain `example`:\n\n```text\n{}  ->  {}\n```\n",
        s.example.0, s.example.1
    );
}

/// Renders the whole registry as Markdown (docs/strategies.md).
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Strategy reference\n\n\
         Generated from the strategy registry (`datamask-strategies`); do not edit by hand.\n\n\
         Every strategy is deterministic: the same master key, domain, options and input give \
         the same output. Keyed strategies change output when the key changes. NULL stays \
         NULL unless `keep_null: false`.\n\n\
         - **Arrays.** On a PostgreSQL array column (`text[]`, `int[]`, ...) every strategy \
         masks element by element; NULL elements stay NULL and the nesting is kept.\n\
         - **JSON.** To mask values inside documents and keep the rest, use \
         [`json_path`](#json_path); [`json`](#json) replaces whole documents.\n\
         - **Rows.** [`copy`](#copy), [`template`](#template), \
         [`pattern_based`](#pattern_based) and [`name_fallback`](#name_fallback) read other \
         columns of the same row (masked values by default).\n\
         - **Plug-ins.** [`service`](#service) (alias `external`) runs your own program; its \
         protocol is in [plugins.md](plugins.md).\n\
         - **Locales.** Dictionaries and their sources: [locales.md](locales.md).\n\n\
         ## Contents\n\n",
    );
    out.push_str("- [Common options](#common-options)\n");
    for s in registry() {
        let _ = writeln!(out, "- [`{}`](#{})", s.name, s.name);
    }
    out.push_str(
        "\n## Common options\n\nEvery strategy takes these options as well as its own.\n\n",
    );
    options_table(&mut out, common_options());
    out.push('\n');
    for s in registry() {
        section(&mut out, s);
    }
    out
}

/// The registry as JSON, for `datamask strategies --format json`:
/// `{"common_options": [...], "strategies": [{name, aliases, family, description, options,
/// accepts, injective, keyed, format_preserving, example: {input, output, options}}]}`.
pub fn registry_json() -> serde_json::Value {
    let strategies: Vec<serde_json::Value> = registry()
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "aliases": s.aliases,
                "family": s.family,
                "description": s.description,
                "options": s.options,
                "accepts": s.accepts,
                "injective": s.injective,
                "keyed": s.keyed,
                "format_preserving": s.format_preserving,
                "example": {
                    "input": s.example.0,
                    "output": s.example.1,
                    "options": example_options(s.name),
                },
            })
        })
        .collect();
    json!({ "common_options": common_options(), "strategies": strategies })
}
