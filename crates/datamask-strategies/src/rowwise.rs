//! Strategies that read other columns of the same row: `copy`, `template`, `pattern_based`
//! and `name_fallback`.
//!
//! They declare what they read ([`Strategy::row_inputs`]) and the engine hands them the row
//! ([`Strategy::apply_row`]). By default they read the *masked* values of the other columns,
//! so a derived column never reintroduces what its source column masked (`display_name`
//! built from the fake first and last name); `read: original` reads the source values
//! instead, which is only safe when the result is masked another way.

use crate::generalize::compile;
use crate::person::first_names;
use crate::util::{ascii_slug, convert};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, RowAccess, RowInput,
    Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

const READ: OptionSpec = OptionSpec::optional(
    "read",
    OptionType::String,
    Some("masked"),
    "Read the other column's masked value (what the target gets) or its original value \
     (source data: only when the result is masked some other way).",
)
.one_of(&["masked", "original"]);

fn read_masked(opts: &Options) -> bool {
    opts.str_or("read", "masked") == "masked"
}

/// A required column-name option.
fn column_option(opts: &Options, name: &str) -> Result<String, String> {
    match opts.get(name) {
        Some(OptionValue::String(c)) if !c.trim().is_empty() => Ok(c.trim().to_string()),
        _ => Err(format!(
            "option `{name}` must name a column of the same table"
        )),
    }
}

fn no_row(name: &str) -> String {
    format!("{name} needs the other columns of the row, which are not available here")
}

/// Converts a value read from another column to the kind of this column's value.
fn to_kind(v: &Value, kind: &str) -> Result<Value, String> {
    if v.kind() == kind || v.is_null() {
        return Ok(v.clone());
    }
    convert(&OptionValue::String(v.to_string()), kind)
        .map_err(|_| format!("the other column's value cannot be converted to {kind}"))
}

fn missing(column: &str) -> String {
    format!("column `{column}` is not in this row")
}

/// The one other column of the row that `copy` and `pattern_based` read: its original value,
/// or its masked value when `masked`.
struct SourceField {
    column: String,
    masked: bool,
}

impl SourceField {
    fn from_options(opts: &Options) -> Result<Self, String> {
        Ok(SourceField {
            column: column_option(opts, "source_field")?,
            masked: read_masked(opts),
        })
    }

    fn row_inputs(&self) -> Vec<RowInput> {
        vec![RowInput {
            column: self.column.clone(),
            masked: self.masked,
        }]
    }

    fn get<'r>(&self, row: &'r dyn RowAccess) -> Result<&'r Value, String> {
        row.get(&self.column, self.masked)
            .ok_or_else(|| missing(&self.column))
    }
}

pub const COPY: StrategyInfo = StrategyInfo {
    name: "copy",
    aliases: &[],
    family: "row",
    description: "Copies the value of another column of the same row (its masked value by \
                  default), converted to this column's type; `fallback` when that is NULL. \
                  For denormalised copies that must agree with their source column.",
    options: &[
        OptionSpec::required(
            "source_field",
            OptionType::String,
            "The column to copy from.",
        ),
        OptionSpec::optional(
            "fallback",
            OptionType::Any,
            None,
            "Value used when the source is NULL (NULL when not given).",
        ),
        READ,
    ],
    accepts: &["any"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("alice@example.com", "m.nunez@example.com"),
    build: build_copy,
};

struct Copy {
    source: SourceField,
    fallback: Option<OptionValue>,
}

fn build_copy(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Copy {
        source: SourceField::from_options(opts)?,
        fallback: opts.get("fallback").cloned(),
    }))
}

impl Strategy for Copy {
    fn apply_value(&self, _value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        Err(no_row("copy"))
    }

    fn row_inputs(&self) -> Vec<RowInput> {
        self.source.row_inputs()
    }

    fn apply_row(
        &self,
        value: &Value,
        _ctx: &ApplyCtx<'_>,
        row: &dyn RowAccess,
    ) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let v = self.source.get(row)?;
        let kind = value.kind();
        match (&self.fallback, v.is_null()) {
            (Some(f), true) => convert(f, kind).map_err(|e| format!("option `fallback`: {e}")),
            _ => to_kind(v, kind),
        }
    }
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Field { column: String, filter: Filter },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Filter {
    None,
    Upper,
    Lower,
    Slug,
    Initial,
}

/// Parses `Hello {first_name|upper}, {{literal}}`.
fn parse_template(t: &str) -> Result<Vec<Piece>, String> {
    let bad = |why: &str| format!("option `template`: {why}");
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '}' => return Err(bad("a `}` without `{` (write `}}` for a literal brace)")),
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => {
                            return Err(bad("a `{` is not closed (write `{{` for a literal brace)"))
                        }
                        Some(x) => inner.push(x),
                    }
                }
                let (column, filter) = match inner.split_once('|') {
                    Some((c, f)) => (c.trim(), f.trim()),
                    None => (inner.trim(), ""),
                };
                if column.is_empty() {
                    return Err(bad("an empty `{}` placeholder"));
                }
                let filter = match filter {
                    "" => Filter::None,
                    "upper" => Filter::Upper,
                    "lower" => Filter::Lower,
                    "slug" => Filter::Slug,
                    "initial" => Filter::Initial,
                    _ => return Err(bad("filters are upper, lower, slug and initial")),
                };
                if !lit.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Field {
                    column: column.to_string(),
                    filter,
                });
            }
            other => lit.push(other),
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Literal(lit));
    }
    if !pieces.iter().any(|p| matches!(p, Piece::Field { .. })) {
        return Err(bad(
            "no `{column}` placeholder (use `constant` for fixed text)",
        ));
    }
    Ok(pieces)
}

pub const TEMPLATE: StrategyInfo = StrategyInfo {
    name: "template",
    aliases: &[],
    family: "row",
    description: "Builds the value from other columns of the same row: `{first_name}.{last_name}\
                  @example.com`, with filters `{col|lower}`, `{col|upper}`, `{col|slug}` \
                  (lowercase ASCII) and `{col|initial}`. Reads masked values by default. The \
                  text is converted to the column's type.",
    options: &[
        OptionSpec::required(
            "template",
            OptionType::String,
            "Text with `{column}` placeholders; `{{` and `}}` are literal braces. A NULL \
             column gives an empty string.",
        ),
        READ,
    ],
    accepts: &["any"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("Alice Smith", "maria.nunez@example.com"),
    build: build_template,
};

struct Template {
    pieces: Vec<Piece>,
    masked: bool,
}

fn build_template(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let Some(OptionValue::String(t)) = opts.get("template") else {
        return Err("option `template` must be a string".into());
    };
    Ok(Box::new(Template {
        pieces: parse_template(t)?,
        masked: read_masked(opts),
    }))
}

impl Strategy for Template {
    fn apply_value(&self, _value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        Err(no_row("template"))
    }

    fn row_inputs(&self) -> Vec<RowInput> {
        let mut out: Vec<RowInput> = Vec::new();
        for p in &self.pieces {
            if let Piece::Field { column, .. } = p {
                if !out.iter().any(|i| &i.column == column) {
                    out.push(RowInput {
                        column: column.clone(),
                        masked: self.masked,
                    });
                }
            }
        }
        out
    }

    fn apply_row(
        &self,
        value: &Value,
        _ctx: &ApplyCtx<'_>,
        row: &dyn RowAccess,
    ) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Literal(l) => out.push_str(l),
                Piece::Field { column, filter } => {
                    let v = row
                        .get(column, self.masked)
                        .ok_or_else(|| missing(column))?;
                    let text = v.to_string();
                    out.push_str(&match filter {
                        Filter::None => text,
                        Filter::Upper => text.to_uppercase(),
                        Filter::Lower => text.to_lowercase(),
                        Filter::Slug => ascii_slug(&text),
                        Filter::Initial => {
                            text.chars().next().map(String::from).unwrap_or_default()
                        }
                    });
                }
            }
        }
        let kind = value.kind();
        to_kind(&Value::Text(out.into()), kind)
            .map_err(|_| format!("the template's text cannot be converted to {kind}"))
    }
}

pub const PATTERN_BASED: StrategyInfo = StrategyInfo {
    name: "pattern_based",
    aliases: &[],
    family: "row",
    description: "Derives the value from another column of the row with a regular \
                  expression: the first match of `pattern` in that column's (masked) text, \
                  rewritten as `replacement` (`$1`, `${name}`). E.g. a username from the \
                  masked email: pattern `^([^@]+)@`, replacement `$1`.",
    options: &[
        OptionSpec::required("source_field", OptionType::String, "The column to read."),
        OptionSpec::required(
            "pattern",
            OptionType::String,
            "A regular expression matched against the source column's text.",
        ),
        OptionSpec::optional(
            "replacement",
            OptionType::String,
            Some("$0"),
            "What the match becomes: `$0` the whole match, `$1`... groups.",
        ),
        OptionSpec::optional(
            "fallback",
            OptionType::String,
            Some("\"\""),
            "Value when the pattern does not match or the source is NULL.",
        ),
        READ,
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("alice_w", "m.nunez"),
    build: build_pattern,
};

struct Pattern {
    source: SourceField,
    re: regex::Regex,
    replacement: String,
    fallback: String,
}

fn build_pattern(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let Some(OptionValue::String(p)) = opts.get("pattern") else {
        return Err("option `pattern` must be a string".into());
    };
    Ok(Box::new(Pattern {
        source: SourceField::from_options(opts)?,
        re: compile(p, "pattern")?,
        replacement: opts.str_or("replacement", "$0").to_string(),
        fallback: opts.str_or("fallback", "").to_string(),
    }))
}

impl Strategy for Pattern {
    fn apply_value(&self, _value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        Err(no_row("pattern_based"))
    }

    fn row_inputs(&self) -> Vec<RowInput> {
        self.source.row_inputs()
    }

    fn apply_row(
        &self,
        value: &Value,
        _ctx: &ApplyCtx<'_>,
        row: &dyn RowAccess,
    ) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let v = self.source.get(row)?;
        let text = v.to_string();
        let out = match self.re.captures(&text) {
            Some(caps) if !v.is_null() => {
                let mut out = String::new();
                caps.expand(&self.replacement, &mut out);
                out
            }
            _ => self.fallback.clone(),
        };
        Ok(Value::Text(out.into()))
    }
}

pub const NAME_FALLBACK: StrategyInfo = StrategyInfo {
    name: "name_fallback",
    aliases: &[],
    family: "row",
    description: "A first-name faker for optional name columns that go with another one \
                  (`fallback_field`): a present name is replaced like `first_name`; a missing \
                  one (NULL or empty) is filled with a fake name when the other column of the \
                  row has a value, keyed on that value, so the pair stays complete and \
                  consistent. Stays NULL when both are missing.",
    options: &[
        OptionSpec::required(
            "fallback_field",
            OptionType::String,
            "The related column whose presence decides whether a missing name is filled.",
        ),
        OptionSpec::optional(
            "gender",
            OptionType::String,
            Some("any"),
            "Draw from male, female or both lists.",
        )
        .one_of(&["any", "male", "female"]),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("Alice", "Nicholas"),
    build: build_name_fallback,
};

struct NameFallback {
    prf: Prf,
    fallback: String,
    names: Vec<&'static str>,
}

fn build_name_fallback(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(NameFallback {
        prf: ctx.prf.clone(),
        fallback: column_option(opts, "fallback_field")?,
        names: first_names(opts, opts.str_or("gender", "any"))?,
    }))
}

impl NameFallback {
    fn name_for(&self, key: &Value, model: &str) -> Value {
        let i = self
            .prf
            .stream("first_name", key)
            .below(self.names.len() as u64) as usize;
        let same = |n: &str| model.trim().eq_ignore_ascii_case(n);
        let n = self.names.len();
        let pick = (0..n)
            .map(|k| self.names[(i + k) % n])
            .find(|name| !same(name))
            .unwrap_or(self.names[i]);
        Value::Text(crate::util::match_case(model, pick))
    }
}

impl Strategy for NameFallback {
    /// Without the row, a present name is still replaced (the fallback only matters for
    /// missing names).
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        match value {
            Value::Text(s) => Ok(self.name_for(value, s)),
            other => Err(format!(
                "name_fallback does not apply to {} values",
                other.kind()
            )),
        }
    }

    fn row_inputs(&self) -> Vec<RowInput> {
        vec![RowInput {
            column: self.fallback.clone(),
            masked: false,
        }]
    }

    fn apply_row(
        &self,
        value: &Value,
        ctx: &ApplyCtx<'_>,
        row: &dyn RowAccess,
    ) -> Result<Value, String> {
        let empty = match value {
            Value::Null => true,
            Value::Text(s) => s.trim().is_empty(),
            _ => false,
        };
        if !empty {
            return self.apply_value(value, ctx);
        }
        let other = row
            .get(&self.fallback, false)
            .ok_or_else(|| missing(&self.fallback))?;
        let other_present = match other {
            Value::Null => false,
            Value::Text(s) => !s.trim().is_empty(),
            _ => true,
        };
        if !other_present {
            return Ok(value.clone());
        }
        // Keyed on the related value (under its own purpose), so equal partners get equal
        // fill-ins and the fill-in is unrelated to the partner's own mask.
        let mut key = Vec::new();
        other.encode_canonical(&mut key);
        Ok(self.name_for(&Value::Bytes(key), ""))
    }
}

/// The columns a strategy with these options reads from its row, each with the option that
/// names it, for the plan to check against the table. Empty for strategies that read nothing
/// else, and when the options do not build.
pub fn row_inputs(info: &StrategyInfo, options: &Options) -> Vec<(&'static str, RowInput)> {
    let option = match info.name {
        "copy" | "pattern_based" => "source_field",
        "template" => "template",
        "name_fallback" => "fallback_field",
        _ => return Vec::new(),
    };
    let column = datamask_core::Column::new("validation", datamask_core::DataType::text());
    let ctx = BuildCtx {
        prf: datamask_core::MasterKey::from_bytes([0; 32]).prf("validation"),
        column: &column,
    };
    match (info.build)(options, &ctx) {
        Ok(s) => s.row_inputs().into_iter().map(|i| (option, i)).collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{build_for, opts};
    use datamask_core::{Column, DataType};
    use std::collections::BTreeMap;

    /// A row: column -> (original, masked).
    struct Row(BTreeMap<&'static str, (Value, Value)>);

    impl RowAccess for Row {
        fn get(&self, column: &str, masked: bool) -> Option<&Value> {
            self.0.get(column).map(|(o, m)| if masked { m } else { o })
        }
    }

    fn row() -> Row {
        Row([
            ("first", (Value::text("Alice"), Value::text("Maria"))),
            ("last", (Value::text("Smith"), Value::text("Núñez"))),
            (
                "email",
                (
                    Value::text("alice@corp.test"),
                    Value::text("m.nunez@example.com"),
                ),
            ),
            ("age", (Value::Int(41), Value::Int(38))),
            ("nothing", (Value::Null, Value::Null)),
        ]
        .into_iter()
        .collect())
    }

    fn apply(name: &str, o: &Options, ty: DataType, v: Value) -> Result<Value, String> {
        let column = Column::new("c", ty);
        let s = build_for(name, o, &column)?;
        s.apply_row(
            &v,
            &ApplyCtx {
                column: &column,
                row_key: None,
            },
            &row(),
        )
    }

    #[test]
    fn templates() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "{first}.{last}@example.com",
                "masked",
                "Maria.Núñez@example.com",
            ),
            ("{first|lower}.{last|slug}", "masked", "maria.nunez"),
            ("{first|initial}. {last|upper}", "original", "A. SMITH"),
            ("{{{age}}}", "masked", "{38}"),
            ("[{nothing}]", "masked", "[]"),
        ];
        for (t, read, expected) in cases {
            let o = opts(&[("template", t), ("read", read)]);
            assert_eq!(
                apply("template", &o, DataType::text(), Value::text("x")).unwrap(),
                Value::text(*expected),
                "{t}"
            );
        }
        let int = DataType::Int {
            bits: 64,
            unsigned: false,
        };
        let o = opts(&[("template", "{age}")]);
        assert_eq!(
            apply("template", &o, int, Value::Int(1)).unwrap(),
            Value::Int(38)
        );
        assert_eq!(
            apply("template", &o, DataType::text(), Value::Null).unwrap(),
            Value::Null
        );
        let err = apply(
            "template",
            &opts(&[("template", "{nope}")]),
            DataType::text(),
            Value::text("x"),
        )
        .unwrap_err();
        assert!(err.contains("`nope`"), "{err}");
        let info = crate::lookup("template").unwrap();
        for bad in ["no placeholder", "{open", "close}", "{first|shout}", "{}"] {
            let p = crate::validate_options(info, &opts(&[("template", bad)]));
            assert_eq!(p[0].option, "template", "{bad}");
        }
        let s = build_for(
            "template",
            &opts(&[("template", "{a}{b}{a}")]),
            &Column::new("c", DataType::text()),
        )
        .unwrap();
        assert_eq!(
            s.row_inputs()
                .iter()
                .map(|i| i.column.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn copy_and_pattern() {
        let o = opts(&[("source_field", "email")]);
        assert_eq!(
            apply("copy", &o, DataType::text(), Value::text("x")).unwrap(),
            Value::text("m.nunez@example.com")
        );
        let o = opts(&[("source_field", "age"), ("read", "original")]);
        assert_eq!(
            apply("copy", &o, DataType::text(), Value::text("x")).unwrap(),
            Value::text("41")
        );
        let o = opts(&[("source_field", "nothing"), ("fallback", "n/a")]);
        assert_eq!(
            apply("copy", &o, DataType::text(), Value::text("x")).unwrap(),
            Value::text("n/a")
        );
        let o = opts(&[
            ("source_field", "email"),
            ("pattern", "^([^@]+)@"),
            ("replacement", "$1"),
        ]);
        assert_eq!(
            apply(
                "pattern_based",
                &o,
                DataType::text(),
                Value::text("alice_w")
            )
            .unwrap(),
            Value::text("m.nunez")
        );
        let o = opts(&[
            ("source_field", "first"),
            ("pattern", "\\d+"),
            ("fallback", "none"),
        ]);
        assert_eq!(
            apply("pattern_based", &o, DataType::text(), Value::text("x")).unwrap(),
            Value::text("none")
        );
        // Without a row these are errors, never the original value.
        let s = build_for(
            "copy",
            &opts(&[("source_field", "a")]),
            &Column::new("c", DataType::text()),
        )
        .unwrap();
        let err = s
            .apply(
                &Value::text("secret"),
                &ApplyCtx {
                    column: &Column::new("c", DataType::text()),
                    row_key: None,
                },
            )
            .unwrap_err();
        assert!(!err.contains("secret"));
    }

    #[test]
    fn name_fallback_fills_missing_names() {
        let o = opts(&[("fallback_field", "last")]);
        let present = apply("name_fallback", &o, DataType::text(), Value::text("Alice")).unwrap();
        assert!(matches!(&present, Value::Text(s) if s != "Alice"));
        let filled = apply("name_fallback", &o, DataType::text(), Value::Null).unwrap();
        assert!(
            matches!(&filled, Value::Text(s) if !s.is_empty()),
            "{filled:?}"
        );
        let o2 = opts(&[("fallback_field", "nothing")]);
        assert_eq!(
            apply("name_fallback", &o2, DataType::text(), Value::Null).unwrap(),
            Value::Null
        );
        assert_eq!(
            apply("name_fallback", &o2, DataType::text(), Value::text(" ")).unwrap(),
            Value::text(" ")
        );
    }

    #[test]
    fn row_inputs_name_their_option() {
        let info = crate::lookup("template").unwrap();
        let inputs = row_inputs(info, &opts(&[("template", "{a} {b}")]));
        assert_eq!(inputs.len(), 2);
        assert!(inputs.iter().all(|(o, i)| *o == "template" && i.masked));
        let info = crate::lookup("name_fallback").unwrap();
        let inputs = row_inputs(info, &opts(&[("fallback_field", "last")]));
        assert_eq!(
            inputs[0].1,
            RowInput {
                column: "last".into(),
                masked: false
            }
        );
        assert!(row_inputs(crate::lookup("token").unwrap(), &opts(&[])).is_empty());
    }
}
