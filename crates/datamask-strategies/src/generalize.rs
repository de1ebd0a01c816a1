//! Generalisation: `generalize` (bands, date truncation, postcode truncation) and
//! `regex_replace`. Neither is keyed: they coarsen or rewrite values the same way under every
//! key, which is what makes generalised columns comparable across datasets.

use crate::gen::text_of;
use crate::util::{format_decimal, int_in, is_decimal, single_char};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Value};

pub const GENERALIZE: StrategyInfo = StrategyInfo {
    name: "generalize",
    aliases: &[],
    family: "generalize",
    description: "Coarsens values so they describe groups, not people: numbers into bands \
                  (`width` or explicit `bands`; text gets labels such as `30-39`), dates and \
                  timestamps truncated to `date_part`, postcodes and other codes cut to their \
                  first `keep_chars` characters. Without options: numbers in bands of 10, dates \
                  to the year, other text to 3 characters.",
    options: &[
        OptionSpec::optional(
            "width",
            OptionType::Number,
            None,
            "Band width for numbers: a value becomes its band's lower edge (text: `lo-hi`).",
        ),
        OptionSpec::optional(
            "bands",
            OptionType::List,
            None,
            "Increasing band edges, e.g. [18, 30, 45, 65]: numbers become their band's lower \
             edge (values below the first edge become the first edge); text gets `<18`, \
             `18-29`, ..., `65+`.",
        ),
        OptionSpec::optional(
            "date_part",
            OptionType::String,
            None,
            "Truncate dates and timestamps to the start of their year, quarter, month, day \
             or hour; text dates keep their format.",
        )
        .one_of(&["year", "quarter", "month", "day", "hour"]),
        OptionSpec::optional(
            "keep_chars",
            OptionType::Integer,
            None,
            "Keep the first n letters or digits and replace the following ones with `fill` \
             (02134 -> 021**, SW1A 1AA -> SW1* ***); integers get zeros (90210 -> 90200).",
        ),
        OptionSpec::optional(
            "fill",
            OptionType::String,
            Some("*"),
            "Replacement character for `keep_chars`.",
        ),
    ],
    accepts: &[
        "int",
        "float",
        "decimal",
        "date",
        "timestamp",
        "timestamptz",
        "text",
    ],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("34", "30"),
    build,
};

enum Rule {
    Width(f64),
    Bands(Vec<f64>),
    DatePart(String),
    Keep(usize, char),
    /// No option: by the value's kind.
    Auto,
}

struct Generalize {
    rule: Rule,
}

fn build(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let given: Vec<&str> = ["width", "bands", "date_part", "keep_chars"]
        .into_iter()
        .filter(|o| opts.get(o).is_some())
        .collect();
    if given.len() > 1 {
        return Err(format!(
            "options `{}` and `{}` exclude each other: give one",
            given[0], given[1]
        ));
    }
    if opts.get("fill").is_some() && opts.get("keep_chars").is_none() {
        return Err("option `fill` only applies with `keep_chars`".into());
    }
    let rule = match given.first().copied() {
        Some("width") => {
            let w = opts.float_or("width", 10.0);
            if !(w.is_finite() && w > 0.0) {
                return Err("option `width` must be a positive number".into());
            }
            Rule::Width(w)
        }
        Some("bands") => {
            let Some(OptionValue::List(items)) = opts.get("bands") else {
                return Err("option `bands` must be a list of numbers".into());
            };
            let edges: Option<Vec<f64>> = items
                .iter()
                .map(|v| match v {
                    OptionValue::Int(i) => Some(*i as f64),
                    OptionValue::Float(f) if f.is_finite() => Some(*f),
                    _ => None,
                })
                .collect();
            let edges = edges.ok_or("option `bands` must be a list of numbers")?;
            if edges.is_empty() || edges.windows(2).any(|w| w[0] >= w[1]) {
                return Err("option `bands` must be a non-empty list of increasing numbers".into());
            }
            Rule::Bands(edges)
        }
        Some("date_part") => Rule::DatePart(opts.str_or("date_part", "year").to_string()),
        Some(_) => Rule::Keep(
            int_in(opts, "keep_chars", 3, 0, 1000)? as usize,
            single_char(opts, "fill", '*')?,
        ),
        None => Rule::Auto,
    };
    Ok(Box::new(Generalize { rule }))
}

fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The lower edge of `x`'s band and its label.
fn band(rule: &Rule, x: f64, integral: bool) -> (f64, String) {
    match rule {
        Rule::Bands(edges) => {
            let i = edges.iter().rposition(|e| x >= *e);
            match i {
                None => (edges[0], format!("<{}", num(edges[0]))),
                Some(i) if i + 1 == edges.len() => (edges[i], format!("{}+", num(edges[i]))),
                Some(i) => {
                    let hi = if integral {
                        num(edges[i + 1] - 1.0)
                    } else {
                        num(edges[i + 1])
                    };
                    (edges[i], format!("{}-{hi}", num(edges[i])))
                }
            }
        }
        Rule::Width(w) => {
            let lo = (x / w).floor() * w;
            let hi = if integral && w.fract() == 0.0 {
                num(lo + w - 1.0)
            } else {
                num(lo + w)
            };
            (lo, format!("{}-{hi}", num(lo)))
        }
        _ => band(&Rule::Width(10.0), x, integral),
    }
}

fn truncate_datetime(t: NaiveDateTime, part: &str) -> NaiveDateTime {
    let d = truncate_date(t.date(), part);
    match part {
        "hour" => d.and_hms_opt(t.hour(), 0, 0),
        _ => d.and_hms_opt(0, 0, 0),
    }
    .unwrap_or(t)
}

fn truncate_date(d: NaiveDate, part: &str) -> NaiveDate {
    let (y, m) = (d.year(), d.month());
    match part {
        "year" => NaiveDate::from_ymd_opt(y, 1, 1),
        "quarter" => NaiveDate::from_ymd_opt(y, (m - 1) / 3 * 3 + 1, 1),
        "month" => NaiveDate::from_ymd_opt(y, m, 1),
        _ => Some(d),
    }
    .unwrap_or(d)
}

/// Truncates an ISO date or datetime written as text, keeping the text's layout.
fn truncate_text_date(s: &str, part: &str) -> Option<String> {
    let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    let t = truncate_date(date, part).format("%Y-%m-%d").to_string();
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(t);
    }
    // A time part: zero what is finer than the part, digit by digit.
    let b = rest.as_bytes();
    if !(b.len() >= 6 && (b[0] == b'T' || b[0] == b' ') && b[3] == b':') {
        return None;
    }
    let keep_hours = part == "hour";
    let time: String = rest
        .char_indices()
        .map(|(i, c)| {
            if c.is_ascii_digit() && (!keep_hours || i > 2) && i < time_end(rest) {
                '0'
            } else {
                c
            }
        })
        .collect();
    Some(format!("{t}{time}"))
}

/// Where the time digits end (before a zone suffix such as `Z` or `+02:00`).
fn time_end(rest: &str) -> usize {
    rest.char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, 'Z' | '+' | '-'))
        .map_or(rest.len(), |(i, _)| i)
}

fn keep_chars(s: &str, n: usize, fill: char) -> String {
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= n {
                c
            } else {
                fill
            }
        })
        .collect()
}

impl Generalize {
    fn number(&self, x: f64, integral: bool) -> Result<f64, String> {
        match &self.rule {
            Rule::Keep(..) | Rule::DatePart(_) => {
                Err("this generalisation does not apply to numbers".into())
            }
            rule => Ok(band(rule, x, integral).0),
        }
    }

    fn text(&self, s: &str) -> Result<String, String> {
        let t = s.trim();
        let is_number = is_decimal(t) && !t.is_empty();
        let looks_like_date = t
            .get(..10)
            .is_some_and(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
        match &self.rule {
            Rule::Keep(n, fill) => Ok(keep_chars(s, *n, *fill)),
            Rule::DatePart(p) => truncate_text_date(t, p)
                .ok_or_else(|| "not a date (expected ISO 8601 YYYY-MM-DD)".to_string()),
            Rule::Auto if looks_like_date => truncate_text_date(t, "year")
                .ok_or_else(|| "not a date (expected ISO 8601 YYYY-MM-DD)".to_string()),
            Rule::Auto if !is_number => Ok(keep_chars(s, 3, '*')),
            rule => {
                if !is_number {
                    return Err("not a number".into());
                }
                let x: f64 = t.parse().map_err(|_| "not a number".to_string())?;
                Ok(band(rule, x, !t.contains('.')).1)
            }
        }
    }
}

impl Strategy for Generalize {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let part = match &self.rule {
            Rule::DatePart(p) => Some(p.as_str()),
            Rule::Auto => Some("year"),
            _ => None,
        };
        let no_dates = || "this generalisation does not apply to dates".to_string();
        Ok(match value {
            Value::Int(i) => match &self.rule {
                Rule::Keep(n, _) => Value::Int(keep_int(*i, *n)),
                _ => Value::Int(self.number(*i as f64, true)? as i64),
            },
            Value::UInt(u) => match &self.rule {
                Rule::Keep(n, _) => Value::UInt(keep_int(*u as i64, *n).unsigned_abs()),
                _ => Value::UInt(self.number(*u as f64, true)?.max(0.0) as u64),
            },
            Value::Float(f) if !f.is_finite() => value.clone(),
            Value::Float(f) => Value::Float(self.number(*f, false)?),
            Value::Decimal(d) => {
                let x: f64 = d
                    .trim()
                    .parse()
                    .map_err(|_| "not a decimal number".to_string())?;
                let scale = d.split_once('.').map_or(0, |(_, f)| f.len());
                Value::Decimal(
                    format_decimal(self.number(x, scale == 0)?, scale)
                        .ok_or("decimal out of range")?
                        .into(),
                )
            }
            Value::Date(d) => Value::Date(truncate_date(*d, part.ok_or_else(no_dates)?)),
            Value::Timestamp(t) => {
                Value::Timestamp(truncate_datetime(*t, part.ok_or_else(no_dates)?))
            }
            Value::TimestampTz(t) => Value::TimestampTz(
                truncate_datetime(t.naive_utc(), part.ok_or_else(no_dates)?).and_utc(),
            ),
            Value::Text(_) => Value::Text(self.text(text_of(value, "generalize")?)?.into()),
            other => {
                return Err(format!(
                    "generalize does not apply to {} values",
                    other.kind()
                ))
            }
        })
    }
}

/// Keeps the first `n` digits of an integer and zeroes the rest (sign kept).
fn keep_int(i: i64, n: usize) -> i64 {
    let digits = i.unsigned_abs().to_string();
    if digits.len() <= n {
        return i;
    }
    let kept: String = digits
        .chars()
        .take(n)
        .chain(std::iter::repeat_n('0', digits.len() - n))
        .collect();
    let m: i64 = kept.parse().unwrap_or(0);
    if i < 0 {
        -m
    } else {
        m
    }
}

pub const REGEX_REPLACE: StrategyInfo = StrategyInfo {
    name: "regex_replace",
    aliases: &[],
    family: "masking",
    description: "Replaces every match of the regular expression `pattern` with \
                  `replacement` (which may use `$1`, `${name}` groups). Not keyed: use it to \
                  strip or rewrite known structures, e.g. ticket numbers in subjects.",
    options: &[
        OptionSpec::required(
            "pattern",
            OptionType::String,
            "A regular expression (Rust regex syntax: no look-around, linear time).",
        ),
        OptionSpec::optional(
            "replacement",
            OptionType::String,
            Some(""),
            "Replacement text; `$1` or `${name}` insert a group, `$$` a dollar sign.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("Ticket 4411 for alice", "Ticket # for alice"),
    build: |opts, _ctx| {
        let Some(OptionValue::String(p)) = opts.get("pattern") else {
            return Err("option `pattern` is required".into());
        };
        Ok(Box::new(RegexReplace {
            re: compile(p, "pattern")?,
            replacement: opts.str_or("replacement", "").to_string(),
        }))
    },
};

/// Compiles a user regular expression with bounded size, naming the option on error.
pub fn compile(pattern: &str, option: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let why = e.to_string();
            let last = why.lines().last().unwrap_or("invalid").trim().to_string();
            format!("option `{option}` is not a valid regular expression: {last}")
        })
}

struct RegexReplace {
    re: regex::Regex,
    replacement: String,
}

impl Strategy for RegexReplace {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "regex_replace")?;
        Ok(Value::Text(
            self.re
                .replace_all(s, self.replacement.as_str())
                .into_owned()
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{opts, run, Opts};
    use datamask_core::strategy::Options;

    #[test]
    fn generalize_table() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let cases: &[(Opts, Value, Value)] = &[
            (&[], Value::Int(34), Value::Int(30)),
            (&[("width", "5")], Value::Int(34), Value::Int(30)),
            (&[("width", "5")], Value::Int(-3), Value::Int(-5)),
            (&[], Value::text("34"), Value::text("30-39")),
            (
                &[("width", "2.5")],
                Value::text("3.7"),
                Value::text("2.5-5"),
            ),
            (&[], Value::Float(17.5), Value::Float(10.0)),
            (
                &[],
                Value::Decimal("1234.50".into()),
                Value::Decimal("1230.00".into()),
            ),
            (
                &[],
                Value::Date(d("2024-08-15")),
                Value::Date(d("2024-01-01")),
            ),
            (
                &[("date_part", "quarter")],
                Value::Date(d("2024-08-15")),
                Value::Date(d("2024-07-01")),
            ),
            (
                &[("date_part", "month")],
                Value::text("2024-08-15"),
                Value::text("2024-08-01"),
            ),
            (
                &[("date_part", "day")],
                Value::text("2024-08-15T10:11:12Z"),
                Value::text("2024-08-15T00:00:00Z"),
            ),
            (
                &[("date_part", "hour")],
                Value::text("2024-08-15 10:11:12.5+02:00"),
                Value::text("2024-08-15 10:00:00.0+02:00"),
            ),
            (&[], Value::text("2024-08-15"), Value::text("2024-01-01")),
            (
                &[("keep_chars", "3")],
                Value::text("02134"),
                Value::text("021**"),
            ),
            (
                &[("keep_chars", "3"), ("fill", "#")],
                Value::text("SW1A 1AA"),
                Value::text("SW1# ###"),
            ),
            (&[("keep_chars", "3")], Value::Int(90210), Value::Int(90200)),
            (&[], Value::text("SW1A 1AA"), Value::text("SW1* ***")),
        ];
        for (o, input, expected) in cases {
            assert_eq!(
                &run("generalize", &opts(o), input).unwrap(),
                expected,
                "{o:?} {input:?}"
            );
        }
        let ts = d("2024-08-15").and_hms_opt(10, 11, 12).unwrap();
        assert_eq!(
            run(
                "generalize",
                &opts(&[("date_part", "hour")]),
                &Value::Timestamp(ts)
            )
            .unwrap(),
            Value::Timestamp(d("2024-08-15").and_hms_opt(10, 0, 0).unwrap())
        );
    }

    #[test]
    fn bands() {
        let mut o = Options::default();
        o.0.insert(
            "bands".into(),
            OptionValue::List([18, 30, 45, 65].into_iter().map(OptionValue::Int).collect()),
        );
        for (input, label, edge) in [
            (5, "<18", 18),
            (18, "18-29", 18),
            (44, "30-44", 30),
            (70, "65+", 65),
        ] {
            assert_eq!(
                run("generalize", &o, &Value::text(input.to_string())).unwrap(),
                Value::text(label)
            );
            assert_eq!(
                run("generalize", &o, &Value::Int(input)).unwrap(),
                Value::Int(edge)
            );
        }
        o.0.insert("width".into(), OptionValue::Int(10));
        let p = crate::validate_options(crate::lookup("generalize").unwrap(), &o);
        assert!(p[0].message.contains("exclude each other"), "{p:?}");
        let p = crate::validate_options(
            crate::lookup("generalize").unwrap(),
            &opts(&[("width", "-1")]),
        );
        assert_eq!(p[0].option, "width");
        let err = run(
            "generalize",
            &opts(&[("width", "5")]),
            &Value::text("secret"),
        )
        .unwrap_err();
        assert!(!err.contains("secret"));
    }

    #[test]
    fn regex_replace_table() {
        let cases: &[(Opts, &str, &str)] = &[
            (
                &[("pattern", "\\d+"), ("replacement", "#")],
                "Ticket 4411 for 12",
                "Ticket # for #",
            ),
            (
                &[("pattern", "(\\w+)@(\\w+)"), ("replacement", "x@$2")],
                "a@b c@d",
                "x@b x@d",
            ),
            (&[("pattern", "secret")], "a secret b", "a  b"),
        ];
        for (o, input, expected) in cases {
            assert_eq!(
                run("regex_replace", &opts(o), &Value::text(*input)).unwrap(),
                Value::text(*expected)
            );
        }
        let p = crate::validate_options(
            crate::lookup("regex_replace").unwrap(),
            &opts(&[("pattern", "(")]),
        );
        assert_eq!(p[0].option, "pattern");
        assert!(
            p[0].message.contains("not a valid regular expression"),
            "{}",
            p[0].message
        );
    }
}
