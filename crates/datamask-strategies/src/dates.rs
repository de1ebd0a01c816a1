//! `date_shift` moves dates by a keyed number of days, keeping the time of day; `date`
//! replaces them with keyed dates in a range.
//!
//! Shifting (rather than replacing) keeps intervals meaningful: with `key_column` set, every
//! date of one person moves by the same amount, so ages at admission, lengths of stay and
//! orderings survive while the real dates do not.

use crate::util::{int_in, key_source};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

pub const DATE_SHIFT: StrategyInfo = StrategyInfo {
    name: "date_shift",
    aliases: &["shift_date_user_relative"],
    family: "dates",
    description: "Shifts dates and timestamps by a keyed number of days in [-max_days, \
                  max_days] (never 0), or by a fixed `days`, keeping the time of day. With the \
                  common option `key_column`, all dates of one row key shift together, so \
                  intervals between them are kept.",
    options: &[
        OptionSpec::optional(
            "days",
            OptionType::Integer,
            None,
            "A fixed shift in days (may be negative).",
        ),
        OptionSpec::optional(
            "max_days",
            OptionType::Integer,
            Some("30"),
            "Largest keyed shift in days (1 to 36500), used when `days` is not given.",
        ),
    ],
    accepts: &["date", "timestamp", "timestamptz", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: true,
    example: ("2024-03-15", "2024-03-12"),
    build,
};

struct DateShift {
    prf: Prf,
    fixed: Option<i64>,
    max_days: i64,
}

fn build(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let fixed = match opts.get("days") {
        Some(_) if opts.get("max_days").is_some() => {
            return Err("give either option `days` or option `max_days`, not both".into())
        }
        Some(_) => Some(int_in(opts, "days", 0, -3_650_000, 3_650_000)?),
        None => None,
    };
    Ok(Box::new(DateShift {
        prf: ctx.prf.clone(),
        fixed,
        max_days: int_in(opts, "max_days", 30, 1, 36_500)?,
    }))
}

impl DateShift {
    /// The shift for a key: uniform in [-max, max] without 0.
    fn shift(&self, key: &Value) -> i64 {
        if let Some(d) = self.fixed {
            return d;
        }
        let k = self
            .prf
            .stream("date_shift", key)
            .below(2 * self.max_days as u64) as i64;
        if k < self.max_days {
            k - self.max_days
        } else {
            k - self.max_days + 1
        }
    }
}

fn add_days<T>(
    t: T,
    days: i64,
    add: impl Fn(T, Days) -> Option<T>,
    sub: impl Fn(T, Days) -> Option<T>,
) -> Result<T, String> {
    let r = if days >= 0 {
        add(t, Days::new(days as u64))
    } else {
        sub(t, Days::new(days.unsigned_abs()))
    };
    r.ok_or_else(|| "date out of range after shifting".to_string())
}

/// Shifts ISO 8601 text: a date `YYYY-MM-DD`, optionally followed by `T` or a space and a time
/// (with any offset). Only the date part changes, so the text keeps its exact format.
fn shift_text(s: &str, days: impl Fn(&Value) -> i64) -> Result<String, String> {
    let not_a_date =
        || "not a date (expected ISO 8601 YYYY-MM-DD, optionally with a time)".to_string();
    let (date_part, rest) = match s.char_indices().nth(10) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map_err(|_| not_a_date())?;
    if !date_part.is_ascii() || date_part.len() != 10 {
        return Err(not_a_date());
    }
    let time_ok = rest.is_empty() || {
        let b = rest.as_bytes();
        b.len() >= 6
            && (b[0] == b'T' || b[0] == b' ')
            && b[1..3].iter().all(u8::is_ascii_digit)
            && b[3] == b':'
            && b[4..6].iter().all(u8::is_ascii_digit)
    };
    if !time_ok {
        return Err(not_a_date());
    }
    let shifted = add_days(
        date,
        days(&Value::Date(date)),
        |d, n| d.checked_add_days(n),
        |d, n| d.checked_sub_days(n),
    )?;
    Ok(format!("{}{rest}", shifted.format("%Y-%m-%d")))
}

impl Strategy for DateShift {
    fn apply_value(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let key = key_source(value, ctx);
        let days = self.shift(key);
        match value {
            Value::Date(d) => Ok(Value::Date(add_days(
                *d,
                days,
                |d, n| d.checked_add_days(n),
                |d, n| d.checked_sub_days(n),
            )?)),
            Value::Timestamp(t) => Ok(Value::Timestamp(add_days(
                *t,
                days,
                |t, n| t.checked_add_days(n),
                |t, n| t.checked_sub_days(n),
            )?)),
            Value::TimestampTz(t) => Ok(Value::TimestampTz(add_days(
                *t,
                days,
                |t, n| t.checked_add_days(n),
                |t, n| t.checked_sub_days(n),
            )?)),
            // Text keys on the parsed date, so a text column and a date column agree.
            Value::Text(s) => Ok(Value::Text(
                shift_text(s, |date| {
                    if ctx.row_key.is_some_and(|k| !k.is_null()) {
                        days
                    } else {
                        self.shift(date)
                    }
                })?
                .into(),
            )),
            other => Err(format!(
                "date_shift does not apply to {} values",
                other.kind()
            )),
        }
    }
}

/// The fixed "today" of `date` with `type: past` or `future`. Output must not depend on the
/// wall clock (invariant 1), so "the past" is relative to this date unless
/// `reference_date` says otherwise.
pub const REFERENCE_DATE: &str = "2025-01-01";

pub const DATE: StrategyInfo = StrategyInfo {
    name: "date",
    aliases: &[],
    family: "dates",
    description: "Replaces a date or timestamp with a keyed one between `min_date` and \
                  `max_date`, or in the 30 years before (`past`) or after (`future`) the \
                  reference date. Text is written with `format` (by default like the input: \
                  ISO date, or ISO date and time).",
    options: &[
        OptionSpec::optional(
            "type",
            OptionType::String,
            Some("between"),
            "between = [min_date, max_date]; past = before reference_date; future = after it.",
        )
        .one_of(&["between", "past", "future"]),
        OptionSpec::optional(
            "min_date",
            OptionType::String,
            Some("1970-01-01"),
            "Earliest date (YYYY-MM-DD); for past, default reference_date minus 30 years.",
        ),
        OptionSpec::optional(
            "max_date",
            OptionType::String,
            Some("reference_date"),
            "Latest date (YYYY-MM-DD); for future, default reference_date plus 30 years.",
        ),
        OptionSpec::optional(
            "reference_date",
            OptionType::String,
            Some(REFERENCE_DATE),
            "The \"today\" of past and future. Fixed rather than the clock, so a run \
             tomorrow gives the same bytes.",
        ),
        OptionSpec::optional(
            "format",
            OptionType::String,
            None,
            "strftime layout for text columns (`%d/%m/%Y`, `%Y-%m-%dT%H:%M:%S`); by default \
             the input's ISO layout.",
        ),
    ],
    accepts: &["date", "timestamp", "timestamptz", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("1984-06-02", "1972-08-20"),
    build: build_date,
};

struct DateFake {
    prf: Prf,
    min: NaiveDate,
    max: NaiveDate,
    format: Option<String>,
}

fn date_option(opts: &Options, name: &str) -> Result<Option<NaiveDate>, String> {
    match opts.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_text()
            .and_then(|t| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| format!("option `{name}` must be a date written YYYY-MM-DD")),
    }
}

fn build_date(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let reference = date_option(opts, "reference_date")?
        .unwrap_or_else(|| NaiveDate::parse_from_str(REFERENCE_DATE, "%Y-%m-%d").expect("valid"));
    let years = |d: NaiveDate, n: i32| d.with_year(d.year() + n).unwrap_or(d);
    let (min, max) = match opts.str_or("type", "between") {
        "past" => {
            if opts.get("max_date").is_some() {
                return Err(
                    "option `max_date` does not apply to `type: past` (it ends at reference_date)"
                        .into(),
                );
            }
            let min = date_option(opts, "min_date")?.unwrap_or(years(reference, -30));
            (min, reference.pred_opt().unwrap_or(reference))
        }
        "future" => {
            if opts.get("min_date").is_some() {
                return Err("option `min_date` does not apply to `type: future` (it starts at reference_date)".into());
            }
            let max = date_option(opts, "max_date")?.unwrap_or(years(reference, 30));
            (reference.succ_opt().unwrap_or(reference), max)
        }
        _ => (
            date_option(opts, "min_date")?
                .unwrap_or(NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")),
            date_option(opts, "max_date")?.unwrap_or(reference),
        ),
    };
    if min > max {
        return Err("option `min_date` must not be after option `max_date`".into());
    }
    let format = match opts.get("format") {
        Some(OptionValue::String(f)) => {
            let bad = chrono::format::StrftimeItems::new(f)
                .any(|i| matches!(i, chrono::format::Item::Error));
            if bad || f.is_empty() {
                return Err("option `format` is not a valid strftime layout".into());
            }
            Some(f.clone())
        }
        _ => None,
    };
    Ok(Box::new(DateFake {
        prf: ctx.prf.clone(),
        min,
        max,
        format,
    }))
}

impl DateFake {
    fn draw(&self, value: &Value) -> NaiveDateTime {
        let mut s = self.prf.stream("date", value);
        let span = (self.max - self.min).num_days() as u64 + 1;
        let day = self.min + chrono::Duration::days(s.below(span) as i64);
        let secs = s.below(86_400) as u32;
        day.and_hms_opt(secs / 3600, secs / 60 % 60, secs % 60)
            .expect("valid time of day")
    }
}

impl Strategy for DateFake {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let t = self.draw(value);
        Ok(match value {
            Value::Date(_) => Value::Date(t.date()),
            Value::Timestamp(_) => Value::Timestamp(t),
            Value::TimestampTz(_) => Value::TimestampTz(t.and_utc()),
            Value::Text(s) => {
                let layout = match &self.format {
                    Some(f) => f.as_str(),
                    None if s.trim().len() > 10 && s.trim().as_bytes().get(10) == Some(&b'T') => {
                        "%Y-%m-%dT%H:%M:%S"
                    }
                    None if s.trim().len() > 10 => "%Y-%m-%d %H:%M:%S",
                    None => "%Y-%m-%d",
                };
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", t.format(layout))
                    .map_err(|_| "option `format` cannot print this date".to_string())?;
                Value::Text(out.into())
            }
            other => return Err(format!("date does not apply to {} values", other.kind())),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{build_with, opts, run};
    use chrono::NaiveDate;
    use datamask_core::{ApplyCtx, Column, DataType, Value};

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn fixed_shift_table() {
        let o = opts(&[("days", "-10")]);
        let cases = [
            ("2024-03-15", "2024-03-05"),
            ("2024-03-15T10:20:30Z", "2024-03-05T10:20:30Z"),
            (
                "2024-03-15 10:20:30.123+02:00",
                "2024-03-05 10:20:30.123+02:00",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                run("date_shift", &o, &Value::text(input)).unwrap(),
                Value::text(expected)
            );
        }
        assert_eq!(
            run("date_shift", &o, &Value::Date(date("2024-03-15"))).unwrap(),
            Value::Date(date("2024-03-05"))
        );
    }

    #[test]
    fn keyed_shift_is_bounded_nonzero_and_keeps_time() {
        let o = opts(&[("max_days", "5")]);
        for day in 1..=28 {
            let d = date(&format!("2024-02-{day:02}"));
            let ts = d.and_hms_opt(13, 14, 15).unwrap();
            let Value::Timestamp(out) = run("date_shift", &o, &Value::Timestamp(ts)).unwrap()
            else {
                panic!()
            };
            let delta = (out - ts).num_days();
            assert!(delta != 0 && delta.abs() <= 5, "{delta}");
            assert_eq!(out.time(), ts.time());
        }
    }

    #[test]
    fn row_key_shifts_a_persons_dates_together() {
        let s = build_with("date_shift", &opts(&[("max_days", "365")]));
        let column = Column::new("d", DataType::Date);
        let person = Value::Int(42);
        let ctx = ApplyCtx {
            column: &column,
            row_key: Some(&person),
        };
        let (a, b) = (date("2020-01-01"), date("2023-07-19"));
        let Value::Date(a2) = s.apply(&Value::Date(a), &ctx).unwrap() else {
            panic!()
        };
        let Value::Date(b2) = s.apply(&Value::Date(b), &ctx).unwrap() else {
            panic!()
        };
        assert_eq!(a2 - a, b2 - b);
        // The same for text dates of the same person.
        let Value::Text(t) = s.apply(&Value::text("2020-01-01"), &ctx).unwrap() else {
            panic!()
        };
        assert_eq!(t, a2.format("%Y-%m-%d").to_string());
    }

    #[test]
    fn errors_do_not_leak_the_value() {
        let err = run("date_shift", &opts(&[]), &Value::text("secret-4411")).unwrap_err();
        assert!(!err.contains("secret"), "{err}");
        assert!(err.starts_with("not a date"));
        let err = run(
            "date_shift",
            &opts(&[("days", "-1")]),
            &Value::Date(NaiveDate::MIN),
        )
        .unwrap_err();
        assert!(err.contains("out of range"));
    }

    #[test]
    fn date_faker_ranges() {
        let d = |s: &str| date(s);
        let o = opts(&[("min_date", "2020-01-01"), ("max_date", "2020-12-31")]);
        for i in 0..500 {
            let Value::Date(out) = run(
                "date",
                &o,
                &Value::Date(d("2000-01-01") + chrono::Duration::days(i)),
            )
            .unwrap() else {
                panic!()
            };
            assert!(out >= d("2020-01-01") && out <= d("2020-12-31"), "{out}");
        }
        let past = opts(&[("type", "past"), ("reference_date", "2010-06-01")]);
        let future = opts(&[("type", "future")]);
        for i in 0..300 {
            let Value::Date(p) = run(
                "date",
                &past,
                &Value::Int(i)
                    .to_string()
                    .parse::<i64>()
                    .map(|_| Value::Date(d("2001-01-01") + chrono::Duration::days(i)))
                    .unwrap(),
            )
            .unwrap() else {
                panic!()
            };
            assert!(p < d("2010-06-01") && p >= d("1980-06-01"), "{p}");
            let Value::Date(f) = run(
                "date",
                &future,
                &Value::Date(d("2001-01-01") + chrono::Duration::days(i)),
            )
            .unwrap() else {
                panic!()
            };
            assert!(f > d("2025-01-01") && f <= d("2055-01-01"), "{f}");
        }
        let text =
            |o: &[(&str, &str)], v: &str| match run("date", &opts(o), &Value::text(v)).unwrap() {
                Value::Text(t) => t,
                _ => panic!(),
            };
        assert_eq!(text(&[], "1984-06-02").len(), 10);
        assert_eq!(text(&[], "1984-06-02T10:00:00").as_bytes()[10], b'T');
        assert_eq!(text(&[], "1984-06-02 10:00:00").as_bytes()[10], b' ');
        let fr = text(&[("format", "%d/%m/%Y")], "x");
        assert!(NaiveDate::parse_from_str(&fr, "%d/%m/%Y").is_ok(), "{fr}");
        let info = crate::lookup("date").unwrap();
        for (bad, option) in [
            (vec![("format", "%Q%")], "format"),
            (vec![("min_date", "2020-13-01")], "min_date"),
            (
                vec![("min_date", "2021-01-01"), ("max_date", "2020-01-01")],
                "min_date",
            ),
            (
                vec![("type", "past"), ("max_date", "2020-01-01")],
                "max_date",
            ),
        ] {
            let p = crate::validate_options(info, &opts(&bad));
            assert_eq!(p[0].option, option, "{bad:?}: {p:?}");
        }
        let ts = run(
            "date",
            &opts(&[]),
            &Value::Timestamp(d("2000-01-01").and_hms_opt(1, 2, 3).unwrap()),
        )
        .unwrap();
        assert_eq!(ts.kind(), "timestamp");
    }
}
