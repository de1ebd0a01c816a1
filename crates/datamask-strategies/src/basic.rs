//! Plumbing strategies: `constant`, `null`, `preserve`, `enum`, `map` and `shuffle`.

use crate::util::{column_kind, convert};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};
use std::collections::BTreeMap;

pub const CONSTANT: StrategyInfo = StrategyInfo {
    name: "constant",
    aliases: &["static_value"],
    family: "basic",
    description: "Replaces every value with the same `value`, converted to the column's type. \
                  For columns whose content does not matter downstream.",
    options: &[OptionSpec::required(
        "value",
        OptionType::Any,
        "The replacement; must convert to the column's type (text, number, date, ...).",
    )],
    accepts: &["any"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("alice@example.com", "REDACTED"),
    build: build_constant,
};

/// An option value with its conversion to the column's kind done once, at build time.
struct Converted {
    opt: OptionValue,
    kind: &'static str,
    value: Value,
}

impl Converted {
    fn new(opt: &OptionValue, ctx: &BuildCtx<'_>, name: &str) -> Result<Self, String> {
        let kind = column_kind(ctx.column);
        let value =
            convert(opt, kind).map_err(|e| format!("option `{name}`: {e} (column type)"))?;
        Ok(Converted {
            opt: opt.clone(),
            kind,
            value,
        })
    }

    /// The option's text form (what values are matched against).
    fn text(&self) -> String {
        self.opt.as_text().unwrap_or_default()
    }

    /// The value in the kind of `like` (usually the column's kind, already converted).
    fn like(&self, like: &Value) -> Result<Value, String> {
        if like.kind() == self.kind {
            Ok(self.value.clone())
        } else {
            convert(&self.opt, like.kind())
        }
    }
}

fn build_constant(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let opt = opts.get("value").ok_or("option `value` is required")?;
    Ok(Box::new(Constant(Converted::new(opt, ctx, "value")?)))
}

struct Constant(Converted);

impl Strategy for Constant {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        self.0.like(value)
    }
}

pub const NULL: StrategyInfo = StrategyInfo {
    name: "null",
    aliases: &["nullify"],
    family: "basic",
    description: "Replaces every value with NULL (the column must be nullable). The simplest \
                  way to drop a column's content while keeping the column.",
    options: &[],
    accepts: &["any"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("alice@example.com", "NULL"),
    build: |_, _| Ok(Box::new(Nullify)),
};

struct Nullify;

impl Strategy for Nullify {
    fn apply_value(&self, _value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        Ok(Value::Null)
    }
}

pub const PRESERVE: StrategyInfo = StrategyInfo {
    name: "preserve",
    aliases: &[],
    family: "basic",
    description: "Keeps the value as it is. Saying so explicitly records in the audit that the \
                  column was reviewed and deliberately left unmasked.",
    options: &[],
    accepts: &["any"],
    injective: Injectivity::Always,
    keyed: false,
    format_preserving: true,
    example: ("alice@example.com", "alice@example.com"),
    build: |_, _| Ok(Box::new(Preserve)),
};

struct Preserve;

impl Strategy for Preserve {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        Ok(value.clone())
    }

    fn is_injective(&self) -> bool {
        true
    }

    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        input_max
    }
}

pub const ENUM: StrategyInfo = StrategyInfo {
    name: "enum",
    aliases: &[],
    family: "basic",
    description: "Replaces the value with one of `values`, chosen by the key (optionally \
                  weighted). The same input always gets the same choice.",
    options: &[
        OptionSpec::optional(
            "values",
            OptionType::List,
            None,
            "The values to choose from (non-empty). Required unless `weighted` is given.",
        ),
        OptionSpec::optional(
            "weights",
            OptionType::List,
            None,
            "Relative weights, one non-negative number per value; equal weights by default.",
        ),
        OptionSpec::optional(
            "weighted",
            OptionType::Map,
            None,
            "Value -> relative weight, instead of `values` and `weights` \
             ({gold: 1, silver: 3, bronze: 6}).",
        ),
    ],
    accepts: &["text", "int", "float", "decimal", "bool", "date"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("premium", "bronze"),
    build: build_enum,
};

struct Enum {
    prf: Prf,
    values: Vec<Converted>,
    /// Cumulative weights, ending at the total.
    cumulative: Vec<f64>,
}

fn build_enum(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    if let Some(w) = opts.get("weighted") {
        if opts.get("values").is_some() || opts.get("weights").is_some() {
            return Err("option `weighted` replaces `values` and `weights`: give one form".into());
        }
        let OptionValue::Map(m) = w else {
            return Err("option `weighted` must be a map of value -> weight".into());
        };
        let mut o = Options::default();
        o.0.insert(
            "values".into(),
            OptionValue::List(m.keys().map(|k| OptionValue::String(k.clone())).collect()),
        );
        o.0.insert(
            "weights".into(),
            OptionValue::List(m.values().cloned().collect()),
        );
        return build_enum(&o, ctx).map_err(|e| e.replace("`weights`", "`weighted`"));
    }
    let Some(OptionValue::List(items)) = opts.get("values") else {
        return Err("option `values` is required (a list), or give `weighted`".into());
    };
    if items.is_empty() {
        return Err("option `values` must not be empty".into());
    }
    let values = items
        .iter()
        .map(|v| Converted::new(v, ctx, "values"))
        .collect::<Result<Vec<_>, _>>()?;
    let weights: Vec<f64> = match opts.get("weights") {
        None => vec![1.0; items.len()],
        Some(OptionValue::List(w)) => w
            .iter()
            .map(|x| match x {
                OptionValue::Int(i) => Some(*i as f64),
                OptionValue::Float(f) => Some(*f),
                _ => None,
            })
            .collect::<Option<Vec<f64>>>()
            .ok_or("option `weights` must be a list of numbers")?,
        Some(_) => return Err("option `weights` must be a list of numbers".into()),
    };
    if weights.len() != items.len() {
        return Err("option `weights` must have one weight per value".into());
    }
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
        return Err("option `weights` must be non-negative numbers with a positive sum".into());
    }
    let cumulative = weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect();
    Ok(Box::new(Enum {
        prf: ctx.prf.clone(),
        values,
        cumulative,
    }))
}

impl Strategy for Enum {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let total = *self.cumulative.last().expect("non-empty");
        let x = self.prf.unit("enum", value) * total;
        let i = self
            .cumulative
            .iter()
            .position(|c| x < *c)
            .unwrap_or(self.values.len() - 1);
        self.values[i].like(value)
    }
}

pub const MAP: StrategyInfo = StrategyInfo {
    name: "map",
    aliases: &[],
    family: "basic",
    description: "Replaces values found in `map` (matched on their text form) with the mapped \
                  value; others get `default`, or are kept when no default is given. For \
                  recoding categories.",
    options: &[
        OptionSpec::required("map", OptionType::Map, "Original (as text) -> replacement."),
        OptionSpec::optional(
            "default",
            OptionType::Any,
            None,
            "Replacement for unmapped values; when absent they are kept.",
        ),
    ],
    accepts: &["any"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("M", "X"),
    build: build_map,
};

struct MapStrategy {
    map: BTreeMap<String, Converted>,
    default: Option<Converted>,
}

fn build_map(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let Some(OptionValue::Map(m)) = opts.get("map") else {
        return Err("option `map` must be a map".into());
    };
    let map = m
        .iter()
        .map(|(k, v)| Ok((k.clone(), Converted::new(v, ctx, "map")?)))
        .collect::<Result<BTreeMap<_, _>, String>>()?;
    let default = opts
        .get("default")
        .map(|d| Converted::new(d, ctx, "default"))
        .transpose()?;
    Ok(Box::new(MapStrategy { map, default }))
}

impl Strategy for MapStrategy {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        match self.map.get(&value.to_string()).or(self.default.as_ref()) {
            Some(c) => c.like(value),
            None => Ok(value.clone()),
        }
    }
}

pub const SHUFFLE: StrategyInfo = StrategyInfo {
    name: "shuffle",
    aliases: &[],
    family: "basic",
    description: "Maps each of `values` to another of them through a keyed permutation \
                  (a bijection on the set, so counts per value are kept up to relabelling); \
                  a value outside the set gets a keyed one from it. `exclude` lists values \
                  that stay as they are and are never produced.",
    options: &[
        OptionSpec::required(
            "values",
            OptionType::List,
            "The set permuted (at least two distinct values, matched on their text form).",
        ),
        OptionSpec::optional(
            "exclude",
            OptionType::List,
            None,
            "Values left unchanged and never produced (e.g. `unknown`).",
        ),
    ],
    accepts: &["text", "int", "float", "decimal", "bool", "date"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("silver", "bronze"),
    build: build_shuffle,
};

struct Shuffle {
    prf: Prf,
    /// The permuted set, in the order given.
    values: Vec<Converted>,
    /// `values[i]` becomes `values[perm[i]]`.
    perm: Vec<usize>,
    exclude: Vec<String>,
}

fn text_list(opts: &Options, name: &str) -> Result<Vec<OptionValue>, String> {
    match opts.get(name) {
        None => Ok(Vec::new()),
        Some(OptionValue::List(items)) => Ok(items.clone()),
        Some(_) => Err(format!("option `{name}` must be a list")),
    }
}

fn build_shuffle(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let exclude: Vec<String> = text_list(opts, "exclude")?
        .iter()
        .map(|v| {
            v.as_text()
                .ok_or("option `exclude` must be a list of scalars")
        })
        .collect::<Result<_, _>>()?;
    let mut seen = std::collections::BTreeSet::new();
    let mut values = Vec::new();
    for item in text_list(opts, "values")? {
        let key = item
            .as_text()
            .ok_or("option `values` must be a list of scalars")?;
        if exclude.contains(&key) || !seen.insert(key) {
            continue;
        }
        values.push(Converted::new(&item, ctx, "values")?);
    }
    if values.len() < 2 {
        return Err(
            "option `values` must hold at least two distinct values not in `exclude`".into(),
        );
    }
    // A keyed Fisher-Yates shuffle, drawn once from the domain's PRF: the same permutation
    // for every value of the column and on every worker.
    let mut perm: Vec<usize> = (0..values.len()).collect();
    let mut s = ctx
        .prf
        .stream("shuffle permutation", &Value::Int(values.len() as i64));
    for i in (1..perm.len()).rev() {
        perm.swap(i, s.below(i as u64 + 1) as usize);
    }
    Ok(Box::new(Shuffle {
        prf: ctx.prf.clone(),
        values,
        perm,
        exclude,
    }))
}

impl Strategy for Shuffle {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let text = value.to_string();
        if self.exclude.contains(&text) {
            return Ok(value.clone());
        }
        let i = match self.values.iter().position(|c| c.text() == text) {
            Some(i) => self.perm[i],
            None => self
                .prf
                .stream("shuffle", value)
                .below(self.values.len() as u64) as usize,
        };
        self.values[i].like(value)
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{build_with, opts};
    use datamask_core::strategy::{OptionValue, Options};
    use datamask_core::{ApplyCtx, Column, DataType, Value};

    fn apply(name: &str, o: &Options, col: DataType, v: Value) -> Result<Value, String> {
        let column = Column::new("c", col.clone());
        let s = crate::harness::build_for(name, o, &column)?;
        s.apply(
            &v,
            &ApplyCtx {
                column: &column,
                row_key: None,
            },
        )
    }

    #[test]
    fn constant_converts_to_the_column_type() {
        let cases: &[(&str, DataType, Value, Value)] = &[
            ("x", DataType::text(), Value::text("a"), Value::text("x")),
            (
                "7",
                DataType::Int {
                    bits: 32,
                    unsigned: false,
                },
                Value::Int(1),
                Value::Int(7),
            ),
            (
                "2.5",
                DataType::Float { bits: 64 },
                Value::Float(1.0),
                Value::Float(2.5),
            ),
            (
                "true",
                DataType::Bool,
                Value::Bool(false),
                Value::Bool(true),
            ),
            (
                "'1.50",
                DataType::Decimal {
                    precision: None,
                    scale: None,
                },
                Value::Decimal("3".into()),
                Value::Decimal("1.50".into()),
            ),
        ];
        for (c, ty, input, expected) in cases {
            let o = opts(&[("value", c)]);
            assert_eq!(
                &apply("constant", &o, ty.clone(), input.clone()).unwrap(),
                expected
            );
        }
        let o = opts(&[("value", "abc")]);
        let err = apply(
            "constant",
            &o,
            DataType::Int {
                bits: 64,
                unsigned: false,
            },
            Value::Int(1),
        )
        .unwrap_err();
        assert!(err.contains("`value`"), "{err}");
        assert!(!err.contains("abc"));
    }

    #[test]
    fn null_preserve_enum_map() {
        let t = |s: &str| Value::text(s);
        assert_eq!(
            build_with("null", &opts(&[]))
                .apply(&t("a"), &ctx())
                .unwrap(),
            Value::Null
        );
        assert_eq!(
            build_with("preserve", &opts(&[]))
                .apply(&t("a"), &ctx())
                .unwrap(),
            t("a")
        );
        let mut o = Options::default();
        o.0.insert(
            "values".into(),
            OptionValue::List(vec![
                OptionValue::String("x".into()),
                OptionValue::String("y".into()),
            ]),
        );
        o.0.insert(
            "weights".into(),
            OptionValue::List(vec![OptionValue::Int(0), OptionValue::Int(1)]),
        );
        let e = build_with("enum", &o);
        for i in 0..20 {
            assert_eq!(e.apply(&t(&i.to_string()), &ctx()).unwrap(), t("y"));
        }
        let mut o = crate::example_options("map");
        let m = build_with("map", &o);
        assert_eq!(m.apply(&t("M"), &ctx()).unwrap(), t("X"));
        assert_eq!(m.apply(&t("other"), &ctx()).unwrap(), t("other"));
        o.0.insert("default".into(), OptionValue::String("U".into()));
        assert_eq!(
            build_with("map", &o).apply(&t("other"), &ctx()).unwrap(),
            t("U")
        );
    }

    #[test]
    fn enum_weighted_and_shuffle() {
        let t = |s: &str| Value::text(s);
        let mut o = Options::default();
        o.0.insert(
            "weighted".into(),
            OptionValue::Map(
                [("a", 0), ("b", 1)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), OptionValue::Int(v)))
                    .collect(),
            ),
        );
        let e = build_with("enum", &o);
        for i in 0..20 {
            assert_eq!(e.apply(&t(&i.to_string()), &ctx()).unwrap(), t("b"));
        }
        o.0.insert("values".into(), OptionValue::List(vec![]));
        let p = crate::validate_options(crate::lookup("enum").unwrap(), &o);
        assert_eq!(p[0].option, "weighted");

        let mut o = Options::default();
        let set = ["bronze", "silver", "gold", "platinum"];
        o.0.insert(
            "values".into(),
            OptionValue::List(
                set.iter()
                    .map(|s| OptionValue::String(s.to_string()))
                    .collect(),
            ),
        );
        o.0.insert(
            "exclude".into(),
            OptionValue::List(vec![OptionValue::String("unknown".into())]),
        );
        let s = build_with("shuffle", &o);
        let mut images: Vec<String> = set
            .iter()
            .map(|v| s.apply(&t(v), &ctx()).unwrap().to_string())
            .collect();
        images.sort();
        let mut sorted: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        sorted.sort();
        assert_eq!(images, sorted, "a permutation of the set");
        assert_eq!(s.apply(&t("unknown"), &ctx()).unwrap(), t("unknown"));
        let other = s.apply(&t("copper"), &ctx()).unwrap().to_string();
        assert!(set.contains(&other.as_str()));
        o.0.insert(
            "values".into(),
            OptionValue::List(vec![OptionValue::String("x".into())]),
        );
        let p = crate::validate_options(crate::lookup("shuffle").unwrap(), &o);
        assert_eq!(p[0].option, "values");
    }

    fn ctx() -> ApplyCtx<'static> {
        static COL: std::sync::OnceLock<Column> = std::sync::OnceLock::new();
        ApplyCtx {
            column: COL.get_or_init(|| Column::new("c", DataType::text())),
            row_key: None,
        }
    }
}
