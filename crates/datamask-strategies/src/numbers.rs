//! Number strategies: `noise` (perturb, keeping the distribution roughly) and `numeric`
//! (replace with a keyed number in a range).

use crate::util::{column_kind, decimal_scale, format_decimal, int_in, is_decimal, key_source};
use chrono::{Days, Duration};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

pub const NOISE: StrategyInfo = StrategyInfo {
    name: "noise",
    aliases: &[],
    family: "numbers",
    description: "Adds keyed noise to numbers and dates: ±`relative` of the value or ±`absolute` \
                  units (days for dates and timestamps), clamped to `min`/`max`. Aggregates stay \
                  roughly right while single values no longer identify anyone.",
    options: &[
        OptionSpec::optional(
            "relative",
            OptionType::Number,
            Some("0.1"),
            "Noise as a fraction of the value (0.1 = ±10%). Not for dates.",
        ),
        OptionSpec::optional(
            "absolute",
            OptionType::Number,
            None,
            "Noise in units of the value (days for dates and timestamps); replaces `relative`.",
        ),
        OptionSpec::optional(
            "min",
            OptionType::Number,
            None,
            "Lower clamp of the result (numbers only).",
        ),
        OptionSpec::optional(
            "max",
            OptionType::Number,
            None,
            "Upper clamp of the result (numbers only).",
        ),
    ],
    accepts: &[
        "int",
        "float",
        "decimal",
        "date",
        "timestamp",
        "timestamptz",
    ],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: true,
    example: ("1000", "1048"),
    build: build_noise,
};

struct Noise {
    prf: Prf,
    relative: Option<f64>,
    absolute: Option<f64>,
    min: f64,
    max: f64,
}

fn number(opts: &Options, name: &str) -> Option<f64> {
    opts.get(name).map(|_| opts.float_or(name, 0.0))
}

fn build_noise(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let absolute = number(opts, "absolute");
    let relative = match (number(opts, "relative"), absolute) {
        (Some(_), Some(_)) => {
            return Err("give either option `relative` or option `absolute`, not both".into())
        }
        (None, Some(_)) => None,
        (r, None) => Some(r.unwrap_or(0.1)),
    };
    for (name, v) in [("relative", relative), ("absolute", absolute)] {
        if v.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
            return Err(format!("option `{name}` must be a non-negative number"));
        }
    }
    let dated = matches!(
        ctx.column.data_type.family(),
        "date" | "timestamp" | "timestamptz"
    );
    if dated && absolute.is_none() {
        return Err(
            "option `absolute` (in days) is required for date and timestamp columns".into(),
        );
    }
    let min = number(opts, "min").unwrap_or(f64::NEG_INFINITY);
    let max = number(opts, "max").unwrap_or(f64::INFINITY);
    if min > max {
        return Err("option `min` must not be greater than option `max`".into());
    }
    Ok(Box::new(Noise {
        prf: ctx.prf.clone(),
        relative,
        absolute,
        min,
        max,
    }))
}

impl Noise {
    /// The perturbed value of `x`, before clamping; `u` is the keyed draw in [0, 1).
    fn perturb(&self, x: f64, u: f64) -> f64 {
        let spread = match (self.absolute, self.relative) {
            (Some(a), _) => a,
            (None, Some(r)) => r * x.abs(),
            (None, None) => 0.0,
        };
        (x + (2.0 * u - 1.0) * spread).clamp(self.min, self.max)
    }

    fn days(&self, u: f64) -> Result<f64, String> {
        self.absolute
            .map(|a| (2.0 * u - 1.0) * a)
            .ok_or_else(|| "noise on dates needs option `absolute` (days)".to_string())
    }
}

impl Strategy for Noise {
    fn apply_value(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let u = self.prf.unit("noise", key_source(value, ctx));
        let range = || "date out of range after adding noise".to_string();
        Ok(match value {
            // `as` saturates at the type's bounds, which is the clamping we want.
            Value::Int(i) => Value::Int(self.perturb(*i as f64, u).round() as i64),
            Value::UInt(i) => Value::UInt(self.perturb(*i as f64, u).round() as u64),
            Value::Float(f) if !f.is_finite() => Value::Float(*f),
            Value::Float(f) => Value::Float(self.perturb(*f, u)),
            Value::Decimal(s) => {
                if !is_decimal(s) {
                    return Err("not a decimal number".into());
                }
                let x: f64 = s.parse().map_err(|_| "not a decimal number".to_string())?;
                let y = self.perturb(x, u);
                Value::Decimal(
                    format_decimal(y, decimal_scale(s))
                        .ok_or("decimal out of range")?
                        .into(),
                )
            }
            Value::Date(d) => {
                let n = self.days(u)?.round() as i64;
                let r = if n >= 0 {
                    d.checked_add_days(Days::new(n as u64))
                } else {
                    d.checked_sub_days(Days::new(n.unsigned_abs()))
                };
                Value::Date(r.ok_or_else(range)?)
            }
            Value::Timestamp(t) => {
                let secs = (self.days(u)? * 86_400.0).round() as i64;
                Value::Timestamp(
                    t.checked_add_signed(Duration::seconds(secs))
                        .ok_or_else(range)?,
                )
            }
            Value::TimestampTz(t) => {
                let secs = (self.days(u)? * 86_400.0).round() as i64;
                Value::TimestampTz(
                    t.checked_add_signed(Duration::seconds(secs))
                        .ok_or_else(range)?,
                )
            }
            other => return Err(format!("noise does not apply to {} values", other.kind())),
        })
    }
}

pub const NUMERIC: StrategyInfo = StrategyInfo {
    name: "numeric",
    aliases: &[],
    family: "numbers",
    description: "Replaces a number with a keyed one, uniform in [`min`, `max`], as an integer \
                  or with `precision` decimals. Use it when the real magnitude itself is \
                  sensitive.",
    options: &[
        OptionSpec::optional(
            "type",
            OptionType::String,
            None,
            "int or float; by default follows the column (float for float and decimal columns).",
        )
        .one_of(&["int", "float"]),
        OptionSpec::optional("min", OptionType::Number, Some("0"), "Smallest value."),
        OptionSpec::optional("max", OptionType::Number, Some("1000000"), "Largest value."),
        OptionSpec::optional(
            "precision",
            OptionType::Integer,
            Some("2"),
            "Decimal places for float (0 to 15).",
        ),
    ],
    accepts: &["int", "float", "decimal", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("52000", "293895"),
    build: build_numeric,
};

struct Numeric {
    prf: Prf,
    float: bool,
    min: f64,
    max: f64,
    precision: usize,
}

fn build_numeric(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let float = match opts.get("type") {
        Some(OptionValue::String(t)) => t == "float",
        _ => matches!(column_kind(ctx.column), "float" | "decimal"),
    };
    let min = opts.float_or("min", 0.0);
    let max = opts.float_or("max", 1_000_000.0);
    if !(min.is_finite() && max.is_finite()) || min > max {
        return Err("option `min` must be finite and not greater than option `max`".into());
    }
    if opts.str_or("type", "") == "int" {
        if opts.get("precision").is_some() {
            return Err("option `precision` only applies with `type: float`".into());
        }
        if min.ceil() > max.floor() {
            return Err(NO_WHOLE_NUMBER.into());
        }
    }
    Ok(Box::new(Numeric {
        prf: ctx.prf.clone(),
        float,
        min,
        max,
        precision: int_in(opts, "precision", 2, 0, 15)? as usize,
    }))
}

impl Numeric {
    fn draw(&self, value: &Value) -> f64 {
        let mut s = self.prf.stream("numeric", value);
        if self.float {
            let x = self.min + s.unit() * (self.max - self.min);
            let p = 10f64.powi(self.precision as i32);
            ((x * p).round() / p).clamp(self.min, self.max)
        } else {
            let lo = self.min.ceil();
            let hi = self.max.floor();
            if hi < lo {
                return lo;
            }
            // Span fits in u64 for any f64 range we can represent exactly enough.
            let span = (hi - lo).min(u64::MAX as f64 - 1.0) as u64;
            lo + s.below(span.saturating_add(1)) as f64
        }
    }

    fn text(&self, x: f64) -> String {
        let decimals = if self.float { self.precision } else { 0 };
        format_decimal(x, decimals).unwrap_or_else(|| "0".into())
    }
}

/// Whole numbers drawn from a range that holds none would all fall outside it.
const NO_WHOLE_NUMBER: &str =
    "option `min` and option `max` have no whole number between them; set `type: float`";

impl Strategy for Numeric {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        // Only reachable when the column, not `type: int`, chose whole numbers (the builder
        // refuses the explicit case), so validation cannot know it in advance.
        if !self.float && self.min.ceil() > self.max.floor() {
            return Err(NO_WHOLE_NUMBER.into());
        }
        let x = self.draw(value);
        Ok(match value {
            Value::Int(_) => Value::Int(x as i64),
            Value::UInt(_) => Value::UInt(x.max(0.0) as u64),
            Value::Float(_) => Value::Float(x),
            Value::Decimal(_) => Value::Decimal(self.text(x).into()),
            Value::Text(_) => Value::Text(self.text(x).into()),
            other => return Err(format!("numeric does not apply to {} values", other.kind())),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use chrono::NaiveDate;
    use datamask_core::Value;

    #[test]
    fn noise_stays_within_bounds() {
        let o = opts(&[("relative", "0.1")]);
        for i in [100i64, 1000, -5000, 0] {
            let Value::Int(out) = run("noise", &o, &Value::Int(i)).unwrap() else {
                panic!()
            };
            assert!(
                (out - i).abs() as f64 <= (i.abs() as f64) * 0.1 + 0.5,
                "{i} -> {out}"
            );
        }
        let o = opts(&[("absolute", "5"), ("min", "0"), ("max", "10")]);
        for f in [0.0, 3.3, 10.0] {
            let Value::Float(out) = run("noise", &o, &Value::Float(f)).unwrap() else {
                panic!()
            };
            assert!((0.0..=10.0).contains(&out));
        }
        let Value::Decimal(d) = run("noise", &opts(&[]), &Value::Decimal("12.50".into())).unwrap()
        else {
            panic!()
        };
        assert_eq!(d.split_once('.').unwrap().1.len(), 2, "{d}");
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let Value::Date(out) =
            run("noise", &opts(&[("absolute", "3")]), &Value::Date(day)).unwrap()
        else {
            panic!()
        };
        assert!((out - day).num_days().abs() <= 3);
    }

    #[test]
    fn numeric_ranges_and_kinds() {
        let o = opts(&[("min", "10"), ("max", "20")]);
        for i in 0..50 {
            let Value::Int(out) = run("numeric", &o, &Value::Int(i)).unwrap() else {
                panic!()
            };
            assert!((10..=20).contains(&out));
        }
        let o = opts(&[
            ("type", "float"),
            ("precision", "1"),
            ("min", "1"),
            ("max", "2"),
        ]);
        let Value::Text(t) = run("numeric", &o, &Value::text("x")).unwrap() else {
            panic!()
        };
        assert_eq!(t.len(), 3, "{t}");
        let Value::Decimal(t) = run("numeric", &o, &Value::Decimal("5.5".into())).unwrap() else {
            panic!()
        };
        assert!(t.starts_with('1') || t.starts_with('2'));
        let info = crate::lookup("numeric").unwrap();
        let p = crate::validate_options(info, &opts(&[("min", "5"), ("max", "1")]));
        assert_eq!(p[0].option, "min");
        // Options that contradict each other, and a range with no whole number in it: an
        // error up front with `type: int`, at the value when the column chose whole numbers.
        for bad in [
            &[("type", "int"), ("precision", "2")][..],
            &[("type", "int"), ("min", "1.2"), ("max", "1.8")],
        ] {
            let p = crate::validate_options(info, &opts(bad));
            assert_eq!(p.len(), 1, "{bad:?}: {p:?}");
        }
        let o = opts(&[("min", "1.2"), ("max", "1.8")]);
        let err = run("numeric", &o, &Value::Int(3)).unwrap_err();
        assert!(err.contains("no whole number"), "{err}");
        let Value::Float(f) = run("numeric", &o, &Value::Float(3.0)).unwrap() else {
            panic!()
        };
        assert!((1.2..=1.8).contains(&f), "{f}");
    }
}
