//! Small fakers: `age`, `boolean`, `color`, `masking` and `hash`.

use crate::gen::{text_of, Gen};
use crate::util::{format_decimal, int_in, single_char};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

pub const AGE: StrategyInfo = StrategyInfo {
    name: "age",
    aliases: &[],
    family: "numbers",
    description: "Replaces an age with a keyed one in [`min`, `max`], uniform or normally \
                  distributed around `mean`, so the column keeps a realistic shape.",
    options: &[
        OptionSpec::optional(
            "min",
            OptionType::Integer,
            Some("18"),
            "Youngest age (0 to 150).",
        ),
        OptionSpec::optional(
            "max",
            OptionType::Integer,
            Some("90"),
            "Oldest age (0 to 150).",
        ),
        OptionSpec::optional(
            "distribution",
            OptionType::String,
            Some("uniform"),
            "uniform over [min, max], or normal (clamped to [min, max]).",
        )
        .one_of(&["uniform", "normal"]),
        OptionSpec::optional(
            "mean",
            OptionType::Number,
            Some("(min + max) / 2"),
            "Centre of the normal distribution.",
        ),
        OptionSpec::optional(
            "std_dev",
            OptionType::Number,
            Some("(max - min) / 6"),
            "Spread of the normal distribution (positive).",
        ),
    ],
    accepts: &["int", "float", "decimal", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("42", "27"),
    build: build_age,
};

struct Age {
    prf: Prf,
    min: i64,
    max: i64,
    normal: Option<(f64, f64)>,
}

fn build_age(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let min = int_in(opts, "min", 18, 0, 150)?;
    let max = int_in(opts, "max", 90, 0, 150)?;
    if min > max {
        return Err("option `min` must not be greater than option `max`".into());
    }
    let normal = opts.str_or("distribution", "uniform") == "normal";
    for name in ["mean", "std_dev"] {
        if opts.get(name).is_some() && !normal {
            return Err(format!(
                "option `{name}` only applies with `distribution: normal`"
            ));
        }
    }
    let mean = opts.float_or("mean", (min + max) as f64 / 2.0);
    let sd = opts.float_or("std_dev", ((max - min) as f64 / 6.0).max(0.5));
    if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
        return Err("option `std_dev` must be a positive number and `mean` finite".into());
    }
    // A mean outside the range would pile every age up on one bound.
    if !(min as f64..=max as f64).contains(&mean) {
        return Err("option `mean` must lie between option `min` and option `max`".into());
    }
    Ok(Box::new(Age {
        prf: ctx.prf.clone(),
        min,
        max,
        normal: normal.then_some((mean, sd)),
    }))
}

/// A standard normal draw (Box-Muller) from two keyed uniforms.
pub fn standard_normal(g: &mut Gen) -> f64 {
    let u1 = g.unit().max(f64::MIN_POSITIVE);
    let u2 = g.unit();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl Strategy for Age {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let mut g = Gen::new(&self.prf, "age", value);
        let age = match self.normal {
            Some((mean, sd)) => (mean + sd * standard_normal(&mut g))
                .round()
                .clamp(self.min as f64, self.max as f64) as i64,
            None => self.min + g.below((self.max - self.min + 1) as u64) as i64,
        };
        Ok(match value {
            Value::Int(_) => Value::Int(age),
            Value::UInt(_) => Value::UInt(age as u64),
            Value::Float(_) => Value::Float(age as f64),
            Value::Decimal(_) => Value::Decimal(age.to_string().into()),
            Value::Text(_) => Value::Text(age.to_string().into()),
            other => return Err(format!("age does not apply to {} values", other.kind())),
        })
    }
}

pub const BOOLEAN: StrategyInfo = StrategyInfo {
    name: "boolean",
    aliases: &[],
    family: "basic",
    description: "Replaces a flag with a keyed true/false that is true with probability \
                  `true_probability`. Text flags keep their spelling (`yes`/`no`, `Y`/`N`, \
                  `1`/`0`, `t`/`f`, `true`/`false`).",
    options: &[OptionSpec::optional(
        "true_probability",
        OptionType::Number,
        Some("0.5"),
        "Share of true values, 0 to 1.",
    )],
    accepts: &["bool", "int", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: true,
    example: ("true", "false"),
    build: |opts, ctx| {
        let p = opts.float_or("true_probability", 0.5);
        if !(0.0..=1.0).contains(&p) {
            return Err("option `true_probability` must be between 0 and 1".into());
        }
        Ok(Box::new(Boolean {
            prf: ctx.prf.clone(),
            p,
        }))
    },
};

struct Boolean {
    prf: Prf,
    p: f64,
}

/// The (true, false) spellings matching a text flag.
fn spellings(s: &str) -> (String, String) {
    let pairs = [
        ("true", "false"),
        ("yes", "no"),
        ("y", "n"),
        ("t", "f"),
        ("1", "0"),
        ("on", "off"),
        ("si", "no"),
        ("ja", "nein"),
        ("oui", "non"),
    ];
    let lower = s.trim().to_lowercase();
    let (t, f) = pairs
        .iter()
        .find(|(t, f)| lower == *t || lower == *f)
        .copied()
        .unwrap_or(("true", "false"));
    let style = |w: &str| crate::util::match_case(s.trim(), w);
    let cap = |w: &str| {
        let first = s.trim().chars().next();
        if first.is_some_and(char::is_uppercase) && s.trim().chars().skip(1).any(char::is_lowercase)
        {
            let mut c = w.chars();
            c.next()
                .map(|x| x.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        } else {
            style(w).into()
        }
    };
    (cap(t), cap(f))
}

impl Strategy for Boolean {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let b = self.prf.unit("boolean", value) < self.p;
        Ok(match value {
            Value::Bool(_) => Value::Bool(b),
            Value::Int(_) => Value::Int(i64::from(b)),
            Value::UInt(_) => Value::UInt(u64::from(b)),
            Value::Text(s) => {
                let (t, f) = spellings(s);
                Value::Text(if b { t.into() } else { f.into() })
            }
            other => return Err(format!("boolean does not apply to {} values", other.kind())),
        })
    }
}

pub const COLOR: StrategyInfo = StrategyInfo {
    name: "color",
    aliases: &[],
    family: "basic",
    description: "Replaces a colour with a keyed one as `#rrggbb`, `rgb(r, g, b)` or \
                  `rgba(r, g, b, a)`; by default in the input's notation.",
    options: &[
        OptionSpec::optional(
            "format",
            OptionType::String,
            Some("auto"),
            "hex, rgb, rgba, or auto (the input's notation, hex otherwise).",
        )
        .one_of(&["auto", "hex", "rgb", "rgba"]),
        OptionSpec::optional(
            "alpha",
            OptionType::Boolean,
            Some("false"),
            "Give hex colours an alpha byte (`#rrggbbaa`); rgba always has one.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("#ff8800", "#41aafd"),
    build: |opts, ctx| {
        Ok(Box::new(Color {
            prf: ctx.prf.clone(),
            format: opts.str_or("format", "auto").to_string(),
            alpha: opts.bool_or("alpha", false),
        }))
    },
};

struct Color {
    prf: Prf,
    format: String,
    alpha: bool,
}

impl Strategy for Color {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "color")?;
        let mut g = Gen::new(&self.prf, "color", value);
        let (r, gr, b, a) = (g.below(256), g.below(256), g.below(256), g.below(256));
        let t = s.trim().to_ascii_lowercase();
        let format = match self.format.as_str() {
            "auto" if t.starts_with("rgba") => "rgba",
            "auto" if t.starts_with("rgb") => "rgb",
            "auto" => "hex",
            other => other,
        };
        let upper = s.contains(|c: char| c.is_ascii_uppercase()) && !t.starts_with("rgb");
        let out = match format {
            "rgb" => format!("rgb({r}, {gr}, {b})"),
            "rgba" => format!(
                "rgba({r}, {gr}, {b}, {})",
                format_decimal(a as f64 / 255.0, 2).unwrap_or_default()
            ),
            _ if self.alpha => format!("#{r:02x}{gr:02x}{b:02x}{a:02x}"),
            _ => format!("#{r:02x}{gr:02x}{b:02x}"),
        };
        Ok(Value::Text(if upper {
            out.to_uppercase().into()
        } else {
            out.into()
        }))
    }
}

pub const MASKING: StrategyInfo = StrategyInfo {
    name: "masking",
    aliases: &[],
    family: "masking",
    description: "Masks a text with `mask_char`, keeping `preserve_start` characters at the \
                  start and `preserve_end` at the end; `mask_length` fixes the number of mask \
                  characters (hiding the original length). Not keyed.",
    options: &[
        OptionSpec::optional(
            "preserve_start",
            OptionType::Integer,
            Some("0"),
            "Characters kept at the start.",
        ),
        OptionSpec::optional(
            "preserve_end",
            OptionType::Integer,
            Some("0"),
            "Characters kept at the end.",
        ),
        OptionSpec::optional(
            "mask_char",
            OptionType::String,
            Some("*"),
            "The mask character.",
        ),
        OptionSpec::optional(
            "mask_length",
            OptionType::Integer,
            None,
            "Exact number of mask characters; by default one per hidden character.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: true,
    example: ("4111111111111111", "4111********1111"),
    build: |opts, _ctx| {
        Ok(Box::new(Masking {
            start: int_in(opts, "preserve_start", 0, 0, 1_000_000)? as usize,
            end: int_in(opts, "preserve_end", 0, 0, 1_000_000)? as usize,
            mask: single_char(opts, "mask_char", '*')?,
            length: match opts.get("mask_length") {
                Some(_) => Some(int_in(opts, "mask_length", 0, 0, 10_000)? as usize),
                None => None,
            },
        }))
    },
};

struct Masking {
    start: usize,
    end: usize,
    mask: char,
    length: Option<usize>,
}

impl Strategy for Masking {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let chars: Vec<char> = text_of(value, "masking")?.chars().collect();
        // Never reveal everything: what is kept is at most the whole minus one character.
        let keep_start = self.start.min(chars.len().saturating_sub(1));
        let keep_end = self.end.min(chars.len().saturating_sub(1 + keep_start));
        let hidden = chars.len() - keep_start - keep_end;
        let mut out: String = chars[..keep_start].iter().collect();
        out.extend(std::iter::repeat_n(
            self.mask,
            self.length.unwrap_or(hidden),
        ));
        out.extend(&chars[chars.len() - keep_end..]);
        Ok(Value::Text(out.into()))
    }
}

pub const HASH: StrategyInfo = StrategyInfo {
    name: "hash",
    aliases: &[],
    family: "deterministic",
    description: "Replaces the value with the hex digest of a keyed hash (HMAC) of it. The \
                  master key replaces the salt, so nobody without it can test guesses \
                  against the output. See `hash_preserve` for format-keeping digests.",
    options: &[
        OptionSpec::optional(
            "algorithm",
            OptionType::String,
            Some("sha256"),
            "Digest of the HMAC.",
        )
        .one_of(&["md5", "sha1", "sha256", "sha512"]),
        OptionSpec::optional(
            "length",
            OptionType::Integer,
            None,
            "Keep only the first `length` hex characters (1 to 128); below 16 the output is \
             no longer injective in practice.",
        ),
    ],
    accepts: &["text", "bytes"],
    injective: Injectivity::ByDefault,
    keyed: true,
    format_preserving: false,
    example: (
        "alice@example.com",
        "416e85b6619190fd7dc70a52baf1f8e336bc8ab4cddc55e8d962b7d510362fbb",
    ),
    build: |opts, ctx| {
        if opts.get("preserve_format").is_some() {
            return Err("option `preserve_format` belongs to `hash_preserve`".into());
        }
        crate::hashing::build_hash(opts, ctx)
    },
};

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run, Opts};
    use datamask_core::Value;

    #[test]
    fn ages_follow_the_distribution() {
        let o = opts(&[("min", "20"), ("max", "30")]);
        for i in 0..300 {
            let Value::Int(a) = run("age", &o, &Value::Int(i)).unwrap() else {
                panic!()
            };
            assert!((20..=30).contains(&a));
        }
        let o = opts(&[
            ("distribution", "normal"),
            ("mean", "40"),
            ("std_dev", "5"),
            ("min", "0"),
            ("max", "120"),
        ]);
        let ages: Vec<f64> = (0..2000)
            .map(|i| match run("age", &o, &Value::Int(i)).unwrap() {
                Value::Int(a) => a as f64,
                _ => panic!(),
            })
            .collect();
        let mean = ages.iter().sum::<f64>() / ages.len() as f64;
        let sd = (ages.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / ages.len() as f64).sqrt();
        assert!(
            (mean - 40.0).abs() < 1.0 && (sd - 5.0).abs() < 1.0,
            "{mean} {sd}"
        );
        assert_eq!(
            run("age", &opts(&[]), &Value::text("x")).unwrap().kind(),
            "text"
        );
        let p = crate::validate_options(crate::lookup("age").unwrap(), &opts(&[("mean", "3")]));
        assert_eq!(p[0].option, "mean");
        let p = crate::validate_options(
            crate::lookup("age").unwrap(),
            &opts(&[
                ("distribution", "normal"),
                ("min", "10"),
                ("max", "20"),
                ("mean", "90"),
            ]),
        );
        assert_eq!(p[0].option, "mean", "{p:?}");
        assert!(p[0].message.contains("between option `min`"), "{p:?}");
    }

    #[test]
    fn booleans_keep_their_spelling() {
        let cases: &[(&str, &[&str])] = &[
            ("yes", &["yes", "no"]),
            ("N", &["Y", "N"]),
            ("True", &["True", "False"]),
            ("0", &["1", "0"]),
            ("oui", &["oui", "non"]),
        ];
        for (input, allowed) in cases {
            for suffix in ["", " "] {
                let Value::Text(out) = run(
                    "boolean",
                    &opts(&[]),
                    &Value::text(format!("{input}{suffix}")),
                )
                .unwrap() else {
                    panic!()
                };
                assert!(allowed.contains(&out.as_str()), "{input} -> {out}");
            }
        }
        let trues = (0..1000)
            .filter(|i| {
                run(
                    "boolean",
                    &opts(&[("true_probability", "0.2")]),
                    &Value::Int(*i),
                )
                .unwrap()
                    == Value::Int(1)
            })
            .count();
        assert!((150..250).contains(&trues), "{trues}");
        assert_eq!(
            run(
                "boolean",
                &opts(&[("true_probability", "1")]),
                &Value::Bool(false)
            )
            .unwrap(),
            Value::Bool(true)
        );
    }

    #[test]
    fn colors_and_masking() {
        let color =
            |o: Opts, input: &str| match run("color", &opts(o), &Value::text(input)).unwrap() {
                Value::Text(t) => t,
                _ => panic!(),
            };
        let hex = |s: &str, n: usize| {
            s.len() == n + 1 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
        };
        let parts = |s: &str, prefix: &str| -> Vec<f64> {
            s.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(')'))
                .map(|r| r.split(", ").map(|p| p.parse().unwrap()).collect())
                .unwrap_or_default()
        };
        let up = color(&[], "#FF8800");
        assert!(hex(&up, 6) && up == up.to_uppercase(), "{up}");
        assert!(hex(&color(&[("alpha", "true")], "#abc"), 8));
        let rgb = parts(&color(&[], "rgb(1, 2, 3)"), "rgb(");
        assert!(
            rgb.len() == 3 && rgb.iter().all(|x| (0.0..=255.0).contains(x)),
            "{rgb:?}"
        );
        let rgba = parts(&color(&[("format", "rgba")], "x"), "rgba(");
        assert!(
            rgba.len() == 4 && (0.0..=1.0).contains(&rgba[3]),
            "{rgba:?}"
        );

        let cases: &[(Opts, &str, &str)] = &[
            (&[], "secret", "******"),
            (
                &[
                    ("preserve_start", "2"),
                    ("preserve_end", "2"),
                    ("mask_char", "#"),
                ],
                "abcdefgh",
                "ab####gh",
            ),
            (&[("preserve_start", "9")], "abc", "ab*"),
            (&[("mask_length", "3")], "a very long secret", "***"),
            (&[], "", ""),
        ];
        for (o, input, expected) in cases {
            assert_eq!(
                run("masking", &opts(o), &Value::text(*input)).unwrap(),
                Value::text(*expected)
            );
        }
    }

    /// Every algorithm gives its digest's width in lowercase hex, `length` keeps a prefix of
    /// it, and the four digests of one value differ.
    #[test]
    fn hash_algorithms_and_lengths() {
        let hex = |o: &[(&str, &str)]| match run("hash", &opts(o), &Value::text("a")).unwrap() {
            Value::Text(h) => h,
            other => panic!("{other:?}"),
        };
        let mut seen = std::collections::BTreeSet::new();
        for (algorithm, width) in [("md5", 32), ("sha1", 40), ("sha256", 64), ("sha512", 128)] {
            let full = hex(&[("algorithm", algorithm)]);
            assert_eq!(full.len(), width, "{algorithm}");
            assert!(full
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert!(seen.insert(full.clone()), "{algorithm}");
            let short = hex(&[("algorithm", algorithm), ("length", "12")]);
            assert_eq!(short, full[..12], "{algorithm}");
        }
    }

    #[test]
    fn hash_is_keyed_hex() {
        let Value::Text(h) =
            run("hash", &opts(&[("algorithm", "md5")]), &Value::text("a")).unwrap()
        else {
            panic!()
        };
        assert_eq!(h.len(), 32);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        let p = crate::validate_options(
            crate::lookup("hash").unwrap(),
            &opts(&[("preserve_format", "true")]),
        );
        assert_eq!(p[0].option, "preserve_format");
    }
}
