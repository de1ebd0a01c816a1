//! What a column accepts beyond its type: the constraints a masked value must meet to be written.
//!
//! Connectors fill [`Constraints`] when they introspect a source (enum types, simple CHECK
//! constraints, the date range of the engine's types). The target is created from the same
//! schema, so these are the target column's constraints too. Together with what
//! [`DataType`](crate::DataType) already says (varchar length, numeric precision and scale,
//! integer width and signedness) and [`Column::nullable`](crate::Column), they are what
//! "schema-aware output" means:
//!
//! * strategies read them from the column in [`BuildCtx`](crate::strategy::BuildCtx) and
//!   [`ApplyCtx`](crate::ApplyCtx) and produce values that fit (a token shortened to the column
//!   width, an enum value from the allowed list);
//! * the engine checks every masked value against them before anything is committed, and
//!   names table, column and row when one does not fit.
//!
//! Only conditions on a single column are kept, in a small closed vocabulary ([`Check`]) that
//! can be evaluated without a database. Anything richer stays the database's business.

use crate::schema::{Column, DataType};
use crate::value::Value;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// Constraints on a column's values beyond its type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraints {
    /// The values of an enumerated type (MySQL `ENUM`, a PostgreSQL enum), in declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<String>,
    /// Conditions every non-NULL value must meet: simple CHECK constraints on this column and
    /// the value range of the engine's type (MySQL `DATE` starts at 1000-01-01, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

impl Constraints {
    /// True when there is nothing beyond the type.
    pub fn is_empty(&self) -> bool {
        self.enum_values.is_empty() && self.checks.is_empty()
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "<>")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    /// The SQL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator seen from the other side (`5 < x` is `x > 5`).
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }

    /// Whether `ord` (value compared with the literal) satisfies the operator.
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        }
    }
}

/// A constant in a check: a number (kept as exact decimal text) or a quoted string (which may
/// stand for a date or a timestamp, depending on the column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Literal {
    Number(String),
    Text(String),
}

impl Literal {
    /// The literal's text.
    pub fn text(&self) -> &str {
        match self {
            Literal::Number(s) | Literal::Text(s) => s,
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => f.write_str(n),
            Literal::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
        }
    }
}

/// One condition on a column's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// `column <op> literal`.
    Compare { op: CmpOp, value: Literal },
    /// `column [NOT] IN (...)`, also PostgreSQL's `= ANY (ARRAY[...])`.
    In { values: Vec<Literal>, negated: bool },
    /// `column [NOT] LIKE pattern` (`%` any run, `_` one character), `ILIKE` when
    /// `case_insensitive`.
    Like {
        pattern: String,
        negated: bool,
        case_insensitive: bool,
    },
    /// SQLite's `column GLOB pattern` (`*`, `?`, `[...]`).
    Glob { pattern: String, negated: bool },
    /// A regular expression: PostgreSQL `~` / `~*`, MySQL `REGEXP`. Evaluated by the engine
    /// (this crate has no regex engine; [`Check::admits`] says "unknown").
    Regex {
        pattern: String,
        negated: bool,
        case_insensitive: bool,
    },
    /// `length(column) <op> n` (characters).
    Length { op: CmpOp, value: u64 },
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |n: &bool| if *n { "NOT " } else { "" };
        match self {
            Check::Compare { op, value } => write!(f, "{} {value}", op.as_str()),
            Check::In { values, negated } => {
                let list: Vec<String> = values.iter().map(ToString::to_string).collect();
                write!(f, "{}IN ({})", not(negated), list.join(", "))
            }
            Check::Like {
                pattern,
                negated,
                case_insensitive,
            } => write!(
                f,
                "{}{} {}",
                not(negated),
                if *case_insensitive { "ILIKE" } else { "LIKE" },
                Literal::Text(pattern.clone())
            ),
            Check::Glob { pattern, negated } => {
                write!(f, "{}GLOB {}", not(negated), Literal::Text(pattern.clone()))
            }
            Check::Regex {
                pattern,
                negated,
                case_insensitive,
            } => write!(
                f,
                "{}{} {}",
                if *negated { "!" } else { "" },
                if *case_insensitive { "~*" } else { "~" },
                Literal::Text(pattern.clone())
            ),
            Check::Length { op, value } => write!(f, "length {} {value}", op.as_str()),
        }
    }
}

impl Check {
    /// Whether a non-NULL `value` meets the check: `Some(true)` or `Some(false)`, or `None`
    /// when this crate cannot tell (regular expressions, a literal that does not parse as the
    /// value's type). NULL always passes: SQL checks are not violated by NULL.
    pub fn admits(&self, value: &Value) -> Option<bool> {
        if value.is_null() {
            return Some(true);
        }
        match self {
            Check::Compare { op, value: lit } => compare(value, lit).map(|o| op.holds(o)),
            Check::In { values, negated } => {
                let mut found = false;
                for lit in values {
                    match compare(value, lit) {
                        Some(Ordering::Equal) => found = true,
                        Some(_) => {}
                        None => return None,
                    }
                }
                Some(found != *negated)
            }
            Check::Like {
                pattern,
                negated,
                case_insensitive,
            } => {
                let text = value_text(value)?;
                let hit = if *case_insensitive {
                    like(&pattern.to_lowercase(), &text.to_lowercase())
                } else {
                    like(pattern, &text)
                };
                Some(hit != *negated)
            }
            Check::Glob { pattern, negated } => {
                Some(glob(pattern, &value_text(value)?) != *negated)
            }
            Check::Regex { .. } => None,
            Check::Length { op, value: n } => {
                let len = value_text(value)?.chars().count() as u64;
                Some(op.holds(len.cmp(n)))
            }
        }
    }
}

/// The text a pattern or length check sees: the value's text form.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Bytes(_) | Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Compares a value with a literal in the value's own type.
pub fn compare(value: &Value, lit: &Literal) -> Option<Ordering> {
    let t = lit.text().trim();
    match value {
        Value::Int(i) => cmp_decimal(&i.to_string(), t),
        Value::UInt(u) => cmp_decimal(&u.to_string(), t),
        Value::Decimal(d) => cmp_decimal(d, t),
        Value::Float(x) if x.is_finite() => cmp_decimal(&format!("{x}"), t),
        Value::Float(_) => None,
        Value::Bool(b) => {
            let l = match t.to_ascii_lowercase().as_str() {
                "1" | "true" | "t" => true,
                "0" | "false" | "f" => false,
                _ => return None,
            };
            Some(b.cmp(&l))
        }
        Value::Date(d) => Some(d.cmp(&parse_date(t)?)),
        Value::Timestamp(ts) => Some(ts.cmp(&parse_timestamp(t)?)),
        Value::TimestampTz(ts) => Some(ts.naive_utc().cmp(&parse_timestamp(t)?)),
        Value::Text(s) => Some(s.as_str().cmp(lit.text())),
        _ => None,
    }
}

fn parse_date(t: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

fn parse_timestamp(t: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .or_else(|| parse_date(t).and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// Exact comparison of two decimal numbers written as `[-+]digits[.digits]`.
pub fn cmp_decimal(a: &str, b: &str) -> Option<Ordering> {
    let (na, ia, fa) = split_decimal(a)?;
    let (nb, ib, fb) = split_decimal(b)?;
    let zero = |i: &str, f: &str| i.is_empty() && f.is_empty();
    let na = na && !zero(ia, fa);
    let nb = nb && !zero(ib, fb);
    let magnitude = || {
        ia.len()
            .cmp(&ib.len())
            .then_with(|| ia.cmp(ib))
            .then_with(|| {
                let w = fa.len().max(fb.len());
                format!("{fa:0<w$}").cmp(&format!("{fb:0<w$}"))
            })
    };
    Some(match (na, nb) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => magnitude(),
        (true, true) => magnitude().reverse(),
    })
}

/// Sign, integer digits without leading zeros, fraction digits without trailing zeros.
fn split_decimal(s: &str) -> Option<(bool, &str, &str)> {
    let s = s.trim();
    let (neg, s) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((neg, int.trim_start_matches('0'), frac.trim_end_matches('0')))
}

/// SQL `LIKE`: `%` matches any run of characters, `_` exactly one.
pub fn like(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    wildcard(&p, &t, |c| match c {
        '%' => Some(true),
        '_' => Some(false),
        _ => None,
    })
}

/// SQLite `GLOB`: `*` any run, `?` one character, `[...]` a character class (`^` negates).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_at(&p, &t)
}

/// Iterative wildcard matching with backtracking on the last "any run" wildcard.
/// `kind(c)` is `Some(true)` for an any-run wildcard, `Some(false)` for a one-character one.
fn wildcard(p: &[char], t: &[char], kind: impl Fn(char) -> Option<bool>) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi).map(|c| (kind(*c), *c)) {
            Some((Some(true), _)) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some((Some(false), _)) => {
                pi += 1;
                ti += 1;
            }
            Some((None, c)) if c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| kind(*c) == Some(true))
}

fn glob_at(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|i| glob_at(&p[1..], &t[i..])),
        Some('?') => !t.is_empty() && glob_at(&p[1..], &t[1..]),
        Some('[') => {
            let Some(end) = p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2) else {
                return !t.is_empty() && t[0] == '[' && glob_at(&p[1..], &t[1..]);
            };
            let Some(&c) = t.first() else { return false };
            let (neg, class) = match p[1] {
                '^' => (true, &p[2..end]),
                _ => (false, &p[1..end]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != neg && glob_at(&p[end + 1..], &t[1..])
        }
        Some(c) => t.first() == Some(c) && glob_at(&p[1..], &t[1..]),
    }
}

/// Convenience views of a column's limits, combining its type and its checks. Strategies use
/// these to size their output.
impl Column {
    /// The most characters a text value may have: the varchar/char length, tightened by
    /// `length(col) <= n` checks and by the longest enum value.
    pub fn max_chars(&self) -> Option<u32> {
        let mut max = match self.data_type {
            DataType::Text { max_len } => max_len,
            _ => None,
        };
        let mut tighten = |n: u64| {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            max = Some(max.map_or(n, |m| m.min(n)));
        };
        for c in &self.constraints.checks {
            if let Check::Length { op, value } = c {
                match op {
                    CmpOp::Le | CmpOp::Eq => tighten(*value),
                    CmpOp::Lt => tighten(value.saturating_sub(1)),
                    _ => {}
                }
            }
        }
        if let Some(longest) = self
            .constraints
            .enum_values
            .iter()
            .map(|v| v.chars().count() as u64)
            .max()
        {
            tighten(longest);
        }
        max
    }

    /// The fewest characters a text value must have, from `length(col) >= n` checks.
    pub fn min_chars(&self) -> u32 {
        let mut min = 0u64;
        for c in &self.constraints.checks {
            if let Check::Length { op, value } = c {
                match op {
                    CmpOp::Ge | CmpOp::Eq => min = min.max(*value),
                    CmpOp::Gt => min = min.max(value + 1),
                    _ => {}
                }
            }
        }
        u32::try_from(min).unwrap_or(u32::MAX)
    }

    /// The values a column may hold when it has a closed list (an enum type, or a
    /// `CHECK (col IN (...))`), in declaration order.
    pub fn allowed_values(&self) -> Option<Vec<String>> {
        let mut allowed: Option<Vec<String>> = (!self.constraints.enum_values.is_empty())
            .then(|| self.constraints.enum_values.clone());
        for c in &self.constraints.checks {
            if let Check::In {
                values,
                negated: false,
            } = c
            {
                let list: Vec<String> = values.iter().map(|l| l.text().to_string()).collect();
                allowed = Some(match allowed {
                    Some(a) => a.into_iter().filter(|v| list.contains(v)).collect(),
                    None => list,
                });
            }
        }
        allowed
    }

    /// The smallest and largest integer the column accepts: its type's range, tightened by
    /// comparison checks with integer literals. `None` for non-integer columns.
    pub fn int_range(&self) -> Option<(i128, i128)> {
        let DataType::Int { bits, unsigned } = self.data_type else {
            return None;
        };
        let bits = u32::from(bits.clamp(1, 64));
        let (mut lo, mut hi) = if unsigned {
            (0i128, (1i128 << bits) - 1)
        } else {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        };
        for c in &self.constraints.checks {
            let Check::Compare {
                op,
                value: Literal::Number(n),
            } = c
            else {
                continue;
            };
            let Some(bound) = integer_bound(n, *op) else {
                continue;
            };
            match op {
                CmpOp::Gt | CmpOp::Ge => lo = lo.max(bound),
                CmpOp::Lt | CmpOp::Le => hi = hi.min(bound),
                CmpOp::Eq => {
                    lo = lo.max(bound);
                    hi = hi.min(bound);
                }
                CmpOp::Ne => {}
            }
        }
        Some((lo, hi))
    }
}

/// The inclusive integer bound a comparison with the decimal `n` implies (`> 2.5` is `>= 3`).
fn integer_bound(n: &str, op: CmpOp) -> Option<i128> {
    let (neg, int, frac) = split_decimal(n)?;
    let mut v: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    if neg {
        v = -v;
    }
    let exact = frac.is_empty();
    // v is n truncated toward zero.
    Some(match op {
        CmpOp::Gt if exact => v + 1,
        CmpOp::Lt if exact => v - 1,
        CmpOp::Gt | CmpOp::Ge => {
            if exact || neg {
                v
            } else {
                v + 1
            }
        }
        CmpOp::Lt | CmpOp::Le => {
            if exact || !neg {
                v
            } else {
                v - 1
            }
        }
        CmpOp::Eq | CmpOp::Ne => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Literal {
        Literal::Number(s.into())
    }

    #[test]
    fn decimals_compare_exactly() {
        let cases = [
            ("1", "1.0", Ordering::Equal),
            ("-0", "0", Ordering::Equal),
            ("10", "9.99", Ordering::Greater),
            ("-10", "-9.99", Ordering::Less),
            ("0.001", "0.01", Ordering::Less),
            ("123456789012345678901234567890", "9", Ordering::Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp_decimal(a, b), Some(want), "{a} vs {b}");
        }
        assert_eq!(cmp_decimal("1", "1e3"), None);
    }

    #[test]
    fn checks_admit_and_refuse() {
        let pos = Check::Compare {
            op: CmpOp::Gt,
            value: num("0"),
        };
        assert_eq!(pos.admits(&Value::Int(1)), Some(true));
        assert_eq!(pos.admits(&Value::Decimal("0.00".into())), Some(false));
        assert_eq!(pos.admits(&Value::Null), Some(true));
        let inl = Check::In {
            values: vec![Literal::Text("a".into()), Literal::Text("b".into())],
            negated: false,
        };
        assert_eq!(inl.admits(&Value::text("b")), Some(true));
        assert_eq!(inl.admits(&Value::text("c")), Some(false));
        let like = Check::Like {
            pattern: "%@%._%".into(),
            negated: false,
            case_insensitive: false,
        };
        assert_eq!(like.admits(&Value::text("a@b.io")), Some(true));
        assert_eq!(like.admits(&Value::text("a.b.io")), Some(false));
        let g = Check::Glob {
            pattern: "[A-Z][A-Z]-*".into(),
            negated: false,
        };
        assert_eq!(g.admits(&Value::text("AB-12")), Some(true));
        assert_eq!(g.admits(&Value::text("ab-12")), Some(false));
        let date = Check::Compare {
            op: CmpOp::Ge,
            value: Literal::Text("1000-01-01".into()),
        };
        let d = NaiveDate::from_ymd_opt(999, 12, 31).unwrap();
        assert_eq!(date.admits(&Value::Date(d)), Some(false));
        let len = Check::Length {
            op: CmpOp::Eq,
            value: 3,
        };
        assert_eq!(len.admits(&Value::text("abc")), Some(true));
        assert_eq!(
            Check::Regex {
                pattern: "x".into(),
                negated: false,
                case_insensitive: false
            }
            .admits(&Value::text("x")),
            None
        );
    }

    #[test]
    fn like_backtracks() {
        assert!(like("a%b%c", "aXXbYYc"));
        assert!(like("%", ""));
        assert!(!like("a_", "a"));
        assert!(like("%a%a", "banana"));
    }

    #[test]
    fn column_views() {
        let mut c = Column::new(
            "n",
            DataType::Int {
                bits: 16,
                unsigned: true,
            },
        );
        assert_eq!(c.int_range(), Some((0, 65535)));
        c.constraints.checks.push(Check::Compare {
            op: CmpOp::Gt,
            value: num("10"),
        });
        c.constraints.checks.push(Check::Compare {
            op: CmpOp::Le,
            value: num("99.5"),
        });
        assert_eq!(c.int_range(), Some((11, 99)));
        let mut t = Column::new("t", DataType::Text { max_len: Some(10) });
        t.constraints.enum_values = vec!["small".into(), "large".into()];
        t.constraints.checks.push(Check::In {
            values: vec![Literal::Text("large".into())],
            negated: false,
        });
        assert_eq!(t.max_chars(), Some(5));
        assert_eq!(t.allowed_values(), Some(vec!["large".to_string()]));
    }

    #[test]
    fn display_is_sql_like() {
        let c = Check::In {
            values: vec![Literal::Text("o'k".into()), num("2")],
            negated: true,
        };
        assert_eq!(c.to_string(), "NOT IN ('o''k', 2)");
    }
}
