//! The compliance harness: one set of checks run over every registry entry, plus the helpers
//! the per-family table tests use.
//!
//! For every strategy and every type family it accepts, on normal and hostile samples (empty,
//! 100k characters, non-ASCII, control characters, extremes): deterministic under a fixed key
//! (twice, and from a freshly built instance); keyed strategies change output with the key;
//! NULL stays NULL; the output kind equals the input kind (except `null`); no panics; errors
//! never echo the input; injective strategies are injective (property test).

use crate::{build, example_options, lookup, registry, sample_type};
use chrono::{DateTime, NaiveDate, NaiveTime};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Column, DataType, MasterKey, Value};
use proptest::prelude::*;

pub const TEST_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER_KEY: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// Option pairs in table-driven tests.
pub type Opts = &'static [(&'static str, &'static str)];

/// A check on a strategy's text output, in table-driven tests.
pub type Check = fn(&str) -> bool;

/// Options from `(name, text)` pairs: integers, numbers and booleans are recognised; a leading
/// `'` forces a string (`'0`).
pub fn opts(pairs: &[(&str, &str)]) -> Options {
    let mut o = Options::default();
    for (k, v) in pairs {
        let value = if let Some(text) = v.strip_prefix('\'') {
            OptionValue::String(text.to_string())
        } else if let Ok(i) = v.parse::<i64>() {
            OptionValue::Int(i)
        } else if let Ok(f) = v.parse::<f64>() {
            OptionValue::Float(f)
        } else if let Ok(b) = v.parse::<bool>() {
            OptionValue::Bool(b)
        } else {
            OptionValue::String(v.to_string())
        };
        o.0.insert(k.to_string(), value);
    }
    o
}

fn build_keyed(
    name: &str,
    o: &Options,
    column: &Column,
    key: &str,
) -> Result<Box<dyn Strategy>, String> {
    let info = lookup(name).unwrap_or_else(|| panic!("no strategy {name}"));
    let ctx = BuildCtx {
        prf: MasterKey::from_hex(key).unwrap().prf("example"),
        column,
    };
    build(info, o, &ctx)
}

/// Builds `name` for `column` under the test key and domain `example`.
pub fn build_for(name: &str, o: &Options, column: &Column) -> Result<Box<dyn Strategy>, String> {
    build_keyed(name, o, column, TEST_KEY)
}

/// Builds `name` for a text column; panics on bad options.
pub fn build_with(name: &str, o: &Options) -> Box<dyn Strategy> {
    build_for(name, o, &Column::new("c", DataType::text())).unwrap()
}

/// The column type a value would come from.
pub fn type_of(v: &Value) -> DataType {
    match v {
        Value::UInt(_) => DataType::Int {
            bits: 64,
            unsigned: true,
        },
        other => sample_type(Some(other.kind())),
    }
}

/// Applies `name` with options `o` to `v` (in a column of `v`'s type), under the test key.
pub fn run(name: &str, o: &Options, v: &Value) -> Result<Value, String> {
    let column = Column::new("c", type_of(v));
    let s = build_for(name, o, &column)?;
    s.apply(
        v,
        &ApplyCtx {
            column: &column,
            row_key: None,
        },
    )
}

/// Hostile and ordinary samples of each type family. Text samples include the marker
/// `secret` so that error messages can be checked for leaks.
fn samples(family: &str) -> Vec<Value> {
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    match family {
        "text" => vec![
            Value::text("hello"),
            Value::text(""),
            Value::text("secret-value-4411"),
            Value::text("Zoë Ñúñez 北京 🎉"),
            Value::text("\u{0}\u{1}\t\n\r\u{7f}\u{202e}"),
            Value::text("123-45-6789"),
            Value::text("alice@example.com"),
            Value::text("+1 (415) 555-0132"),
            Value::text("2024-03-15"),
            Value::text("2024-03-15T10:11:12Z"),
            Value::text("123e4567-e89b-12d3-a456-426614174000"),
            Value::text("9".repeat(40)),
            Value::text("Ab1-".repeat(25_000)),
        ],
        "int" => vec![
            Value::Int(0),
            Value::Int(1),
            Value::Int(-1),
            Value::Int(42),
            Value::Int(1_234_567),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::UInt(0),
            Value::UInt(7),
            Value::UInt(u64::MAX),
        ],
        "float" => [
            0.0,
            -0.0,
            1.5,
            -2.25e10,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ]
        .into_iter()
        .map(Value::Float)
        .collect(),
        "decimal" => [
            "0",
            "-12.50",
            "123456789012345678901234567890.123",
            "",
            "secret",
        ]
        .into_iter()
        .map(|s| Value::Decimal(s.into()))
        .collect(),
        "bytes" => vec![
            Value::Bytes(vec![]),
            Value::Bytes(vec![0, 1, 2, 255]),
            Value::Bytes(vec![7; 100_000]),
        ],
        "bool" => vec![Value::Bool(true), Value::Bool(false)],
        "date" => vec![
            Value::Date(d(2024, 2, 29)),
            Value::Date(d(1970, 1, 1)),
            Value::Date(NaiveDate::MIN),
            Value::Date(NaiveDate::MAX),
        ],
        "time" => vec![
            Value::Time(NaiveTime::MIN),
            Value::Time(NaiveTime::from_hms_opt(23, 59, 59).unwrap()),
        ],
        "timestamp" => vec![
            Value::Timestamp(d(2024, 3, 15).and_hms_opt(10, 11, 12).unwrap()),
            Value::Timestamp(NaiveDate::MIN.and_hms_opt(0, 0, 0).unwrap()),
            Value::Timestamp(NaiveDate::MAX.and_hms_opt(23, 59, 59).unwrap()),
        ],
        "timestamptz" => vec![
            Value::TimestampTz(d(2024, 3, 15).and_hms_opt(10, 11, 12).unwrap().and_utc()),
            Value::TimestampTz(DateTime::<chrono::Utc>::MIN_UTC),
            Value::TimestampTz(DateTime::<chrono::Utc>::MAX_UTC),
        ],
        "uuid" => vec![Value::Uuid([0; 16]), Value::Uuid([0xab; 16])],
        "json" => vec![
            Value::Json("{}".into()),
            Value::Json("{\"a\":[1,2,\"secret\"]}".into()),
        ],
        other => panic!("unknown family {other}"),
    }
}

const FAMILIES: &[&str] = &[
    "bool",
    "int",
    "float",
    "decimal",
    "text",
    "bytes",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "uuid",
    "json",
];

/// The minimal options for `info` on a column of `family` (the one table of required options).
fn minimal_options(info: &StrategyInfo, family: &str) -> Options {
    let mut o = example_options(info.name);
    if info.name == "noise" && matches!(family, "date" | "timestamp" | "timestamptz") {
        o.0.insert("absolute".into(), OptionValue::Int(10));
    }
    if info.name == "json_path" {
        // A path the JSON samples have, masked with a keyed strategy.
        let rule = [
            ("path".to_string(), OptionValue::String("$.a[*]".into())),
            ("strategy".to_string(), OptionValue::String("token".into())),
        ];
        o.0.insert(
            "paths".into(),
            OptionValue::List(vec![OptionValue::Map(rule.into_iter().collect())]),
        );
    }
    if family != "text" {
        // A value every kind can take is impossible; use one per family.
        let v = OptionValue::String(
            match family {
                "bool" => "true",
                "int" | "float" | "decimal" => "7",
                "date" => "2000-01-01",
                "time" => "12:00:00",
                "timestamp" | "timestamptz" => "2000-01-01T00:00:00",
                "uuid" => "00000000-0000-4000-8000-000000000000",
                _ => "x",
            }
            .into(),
        );
        match info.name {
            "constant" => {
                o.0.insert("value".into(), v);
            }
            "map" => {
                o.0.insert(
                    "map".into(),
                    OptionValue::Map([("M".to_string(), v)].into_iter().collect()),
                );
            }
            _ => {}
        }
    }
    if matches!(info.name, "enum" | "shuffle") && family != "text" {
        let vals = match family {
            "bool" => vec!["true", "false"],
            "date" => vec!["2000-01-01", "2001-02-03"],
            _ => vec!["1", "2", "3"],
        };
        o.0.insert(
            "values".into(),
            OptionValue::List(
                vals.into_iter()
                    .map(|s| OptionValue::String(s.into()))
                    .collect(),
            ),
        );
    }
    o
}

/// Equality of results that treats NaN as equal to itself (canonical encoding).
fn same(a: &Result<Value, String>, b: &Result<Value, String>) -> bool {
    let enc = |v: &Value| {
        let mut out = Vec::new();
        v.encode_canonical(&mut out);
        out
    };
    match (a, b) {
        (Ok(x), Ok(y)) => enc(x) == enc(y),
        (Err(x), Err(y)) => x == y,
        _ => false,
    }
}

fn families_of(info: &StrategyInfo) -> Vec<&'static str> {
    FAMILIES
        .iter()
        .copied()
        .filter(|f| info.accepts_family(f))
        .collect()
}

#[test]
fn registry_is_consistent() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, canonical) in crate::names_and_aliases() {
        assert!(seen.insert(name), "duplicate name or alias {name}");
        assert_eq!(lookup(name).unwrap().name, canonical);
    }
    for info in registry() {
        assert!(
            !info.description.is_empty() && !info.accepts.is_empty(),
            "{}",
            info.name
        );
        for a in info.accepts {
            assert!(
                *a == "any" || FAMILIES.contains(a),
                "{}: bad family {a}",
                info.name
            );
        }
        for o in info.options {
            assert!(
                !crate::common_options().iter().any(|c| c.name == o.name),
                "{} shadows a common option",
                o.name
            );
        }
        assert!(
            crate::validate_options(info, &example_options(info.name)).is_empty(),
            "{}",
            info.name
        );
    }
    assert!(lookup("nope").is_none());
}

#[test]
fn every_strategy_passes_compliance() {
    let key_column = Value::Int(99);
    for info in registry() {
        let (mut changed, mut compared) = (0usize, 0usize);
        for family in families_of(info) {
            let o = minimal_options(info, family);
            for v in samples(family) {
                let column = Column::new("c", type_of(&v));
                let a = build_for(info.name, &o, &column)
                    .unwrap_or_else(|e| panic!("{} on {family}: {e}", info.name));
                let b = build_for(info.name, &o, &column).unwrap();
                let other = build_keyed(info.name, &o, &column, OTHER_KEY).unwrap();
                let ctx = ApplyCtx {
                    column: &column,
                    row_key: None,
                };
                let row = crate::docs::ExampleRow::new();
                let with_row = !a.row_inputs().is_empty();
                let run = |s: &dyn Strategy| {
                    if with_row {
                        s.apply_row(&v, &ctx, &row)
                    } else {
                        s.apply(&v, &ctx)
                    }
                };
                let r1 = run(a.as_ref());
                let r2 = run(a.as_ref());
                let r3 = run(b.as_ref());
                let what = format!("{} on {} {:.40}", info.name, v.kind(), v.to_string());
                assert!(same(&r1, &r2), "not deterministic: {what}");
                assert!(same(&r1, &r3), "fresh instance differs: {what}");
                if let Err(e) = a.apply(&v, &ctx) {
                    assert!(!e.contains("secret"), "error leaks the value: {what}: {e}");
                }
                match &r1 {
                    Ok(out) if info.name == "null" => assert!(out.is_null()),
                    Ok(out) => assert_eq!(out.kind(), v.kind(), "kind changed: {what}"),
                    Err(e) => {
                        assert!(!e.contains("secret"), "error leaks the value: {what}: {e}");
                        assert!(e.len() < 200, "error too long: {what}");
                    }
                }
                if info.keyed {
                    // Only values the strategy transforms under some key say anything about
                    // keying (redact_text leaves text without personal data as it is).
                    if let (Ok(x), Ok(y)) = (&r1, run(other.as_ref())) {
                        let unchanged = |o: &Value| same(&Ok(o.clone()), &Ok(v.clone()));
                        if !(unchanged(x) && unchanged(&y)) {
                            compared += 1;
                            changed += usize::from(!same(&Ok(x.clone()), &Ok(y)));
                        }
                    }
                }
                // NULL stays NULL, with or without a row key (name_fallback may fill a
                // missing name from its row, which is its purpose).
                assert_eq!(a.apply(&Value::Null, &ctx), Ok(Value::Null), "{what}");
                if info.name != "name_fallback" {
                    assert_eq!(
                        a.apply_row(&Value::Null, &ctx, &row),
                        Ok(Value::Null),
                        "{what}"
                    );
                }
                let ctx2 = ApplyCtx {
                    column: &column,
                    row_key: Some(&key_column),
                };
                let _ = a.apply(&v, &ctx2);
            }
        }
        if info.keyed {
            assert!(
                changed * 4 >= compared && changed > 0,
                "{}: key change altered {changed}/{compared}",
                info.name
            );
        }
    }
}

/// `max_output_chars` is a promise the fit proof relies on (a key column is only accepted when
/// the bound fits it): it must hold for every sample, on wide and on narrow columns (where
/// strategies that size themselves shrink their output).
#[test]
fn output_length_bounds_hold() {
    for info in registry().iter().filter(|i| i.accepts_family("text")) {
        let o = minimal_options(info, "text");
        for v in samples("text") {
            let Value::Text(s) = &v else { continue };
            let len = s.chars().count() as u32;
            for max_len in [None, Some(len.max(1)), Some(12), Some(30), Some(60)] {
                let column = Column::new("c", DataType::Text { max_len });
                let Ok(st) = build_for(info.name, &o, &column) else {
                    continue;
                };
                let Some(bound) = st.max_output_chars(Some(len)) else {
                    continue;
                };
                let ctx = ApplyCtx {
                    column: &column,
                    row_key: None,
                };
                if let Ok(Value::Text(out)) = st.apply(&v, &ctx) {
                    assert!(
                        out.chars().count() as u32 <= bound,
                        "{}: {} characters out, bound {bound} (column {max_len:?})",
                        info.name,
                        out.chars().count()
                    );
                }
            }
        }
    }
}

#[test]
fn injective_claims_hold_at_default_options() {
    for info in registry() {
        let s = build_for(
            info.name,
            &minimal_options(info, "text"),
            &Column::new("c", sample_type(info.accepts.first().copied())),
        );
        let s = s.unwrap();
        assert_eq!(
            s.is_injective(),
            info.injective != Injectivity::Never,
            "{}",
            info.name
        );
    }
}

fn assert_injective(info: &StrategyInfo, inputs: &[Value]) -> Result<(), TestCaseError> {
    let mut seen = std::collections::BTreeMap::new();
    for v in inputs {
        let column = Column::new("c", type_of(v));
        let s = build_for(info.name, &minimal_options(info, "text"), &column).unwrap();
        if let Ok(out) = s.apply(
            v,
            &ApplyCtx {
                column: &column,
                row_key: None,
            },
        ) {
            if let Some(prev) = seen.insert(format!("{}:{out}", out.kind()), v.clone()) {
                prop_assert!(prev == *v, "{}: two inputs share an output", info.name);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn injective_strategies_are_injective(
        strings in proptest::collection::btree_set("[a-zA-Z0-9 .@-]{0,12}|\\PC{0,6}", 1..40),
        ints in proptest::collection::btree_set(any::<i64>(), 1..40),
        small in proptest::collection::btree_set(-500i64..500, 1..40),
    ) {
        for info in registry().iter().filter(|i| i.injective != Injectivity::Never) {
            if info.accepts_family("text") {
                let v: Vec<Value> = strings.iter().map(|s| Value::text(s.clone())).collect();
                assert_injective(info, &v)?;
            }
            if info.accepts_family("int") {
                let v: Vec<Value> = ints.iter().chain(&small).map(|i| Value::Int(*i)).collect();
                assert_injective(info, &v)?;
            }
        }
    }
}

/// The docs' examples are real outputs under the test key: docs never lie.
#[test]
fn examples_match() {
    let mut wrong = Vec::new();
    for info in registry() {
        let family = info
            .accepts
            .first()
            .copied()
            .filter(|f| *f != "any")
            .unwrap_or("text");
        let column = Column::new("c", sample_type(Some(family)));
        let input = crate::util::convert(
            &OptionValue::String(info.example.0.into()),
            crate::util::column_kind(&column),
        )
        .unwrap();
        let s = build_for(info.name, &example_options(info.name), &column).unwrap();
        let out = s
            .apply_row(
                &input,
                &ApplyCtx {
                    column: &column,
                    row_key: None,
                },
                &crate::docs::ExampleRow::new(),
            )
            .unwrap();
        let shown = if out.is_null() {
            "NULL".to_string()
        } else {
            out.to_string()
        };
        if shown != info.example.1 {
            wrong.push(format!(
                "{}: {:?} -> {:?}",
                info.name, info.example.0, shown
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "examples out of date:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn validation_reports_every_problem_with_its_option() {
    let info = lookup("token").unwrap();
    let o = opts(&[
        ("lenght", "8"),
        ("alphabet", "hexx"),
        ("prefix", "7"),
        ("null_probability", "2"),
    ]);
    let problems = crate::validate_options(info, &o);
    let by = |name: &str| {
        problems
            .iter()
            .find(|p| p.option == name)
            .unwrap_or_else(|| panic!("{name}: {problems:?}"))
    };
    assert!(by("lenght").message.contains("did you mean `length`"));
    assert!(by("lenght").message.contains("valid options: prefix"));
    assert!(by("alphabet").message.contains("did you mean `hex`"));
    assert!(by("prefix").message.contains("expected a string"));
    assert!(by("null_probability").message.contains("between 0 and 1"));
    let p = crate::validate_options(lookup("constant").unwrap(), &Options::default());
    assert_eq!(p[0].option, "value");
    assert!(p[0].message.contains("required"));
    let p = crate::validate_options(info, &opts(&[("length", "0")]));
    assert_eq!(p[0].option, "length");
    let column = Column::new("c", DataType::text());
    let err = build_for("token", &o, &column).err().unwrap();
    assert_eq!(err.lines().count(), 4, "{err}");
}

#[test]
fn keep_null_and_null_probability() {
    let text_col = Column::new("c", DataType::text());
    let int_col = Column::new(
        "c",
        DataType::Int {
            bits: 64,
            unsigned: false,
        },
    );
    let ctx = ApplyCtx {
        column: &text_col,
        row_key: None,
    };
    let s = build_for("token", &opts(&[("keep_null", "false")]), &text_col).unwrap();
    let from_null = s.apply(&Value::Null, &ctx).unwrap();
    assert_eq!(from_null, s.apply(&Value::text(""), &ctx).unwrap());
    assert!(!from_null.is_null());
    let s = build_for("fpe", &opts(&[("keep_null", "false")]), &int_col).unwrap();
    assert_eq!(
        s.apply(
            &Value::Null,
            &ApplyCtx {
                column: &int_col,
                row_key: None
            }
        )
        .unwrap(),
        Value::Null
    );

    let s = build_for("token", &opts(&[("null_probability", "0.5")]), &text_col).unwrap();
    assert!(!s.is_injective());
    let nulls = (0..1000)
        .filter(|i| {
            s.apply(&Value::text(i.to_string()), &ctx)
                .unwrap()
                .is_null()
        })
        .count();
    assert!((400..600).contains(&nulls), "{nulls}");
    let all = build_for("token", &opts(&[("null_probability", "1")]), &text_col).unwrap();
    assert!(all.apply(&Value::text("x"), &ctx).unwrap().is_null());
}

/// With `opts` added to `info`'s minimal options for `family`, the strategy built on a column
/// of `v`'s type, and a runner that gives it its row when it reads one.
fn with_extra(
    info: &StrategyInfo,
    family: &str,
    extra: &[(&str, &str)],
    column: &Column,
) -> Result<Box<dyn Strategy>, String> {
    let mut o = minimal_options(info, family);
    o.0.extend(opts(extra).0);
    build_for(info.name, &o, column)
}

fn apply_any(s: &dyn Strategy, v: &Value, column: &Column) -> Result<Value, String> {
    let ctx = ApplyCtx {
        column,
        row_key: None,
    };
    if s.row_inputs().is_empty() {
        s.apply(v, &ctx)
    } else {
        s.apply_row(v, &ctx, &crate::docs::ExampleRow::new())
    }
}

/// The four common options of STRATEGIES.md (`domain`, `locale`, `keep_null`,
/// `null_probability`) are accepted by every registry entry, on every type family it takes,
/// and do what they promise there:
/// * `domain` and every `locale` (all nine, in every accepted spelling) validate and build;
///   `domain` does not change the strategy itself (the engine picks the domain's PRF; that
///   columns of one domain get the same output is tested by the planner's
///   `linked_columns_inherit_the_rule_and_the_domain` and end to end in the CLI's database
///   tests, where orders still join customers on the masked email); a misspelt locale is an
///   error for every strategy;
/// * `null_probability: 1` turns every non-NULL sample into NULL, `0.5` nulls about half of
///   200 distinct values, the same ones on every run;
/// * `keep_null: false` masks a NULL in a text column exactly as the empty string.
#[test]
fn common_options_work_on_every_strategy() {
    for info in registry() {
        for family in families_of(info) {
            for v in samples(family) {
                let column = Column::new("c", type_of(&v));
                let plain = with_extra(info, family, &[], &column).unwrap();
                for extra in [
                    &[("domain", "'shared")][..],
                    &[("locale", "de_DE"), ("domain", "'shared")],
                    &[("locale", "pt-BR")],
                    &[("locale", "pl")],
                ] {
                    let s = with_extra(info, family, extra, &column)
                        .unwrap_or_else(|e| panic!("{} {extra:?}: {e}", info.name));
                    if extra[0].0 == "domain" && extra.len() == 1 {
                        let (a, b) = (
                            apply_any(s.as_ref(), &v, &column),
                            apply_any(plain.as_ref(), &v, &column),
                        );
                        assert!(same(&a, &b), "{}: `domain` changed the strategy", info.name);
                    }
                }
                let all = with_extra(info, family, &[("null_probability", "1")], &column).unwrap();
                assert_eq!(
                    apply_any(all.as_ref(), &v, &column),
                    Ok(Value::Null),
                    "{} on {family}: null_probability 1",
                    info.name
                );
            }
            let column = Column::new("c", sample_type(Some(family)));
            let p = crate::validate_options(info, &{
                let mut o = minimal_options(info, family);
                o.0.extend(opts(&[("locale", "xx_XX")]).0);
                o
            });
            assert_eq!(p.len(), 1, "{}: {p:?}", info.name);
            assert_eq!(p[0].option, "locale", "{}", info.name);
            if family == "text" {
                let half =
                    with_extra(info, family, &[("null_probability", "0.5")], &column).unwrap();
                let base = with_extra(info, family, &[], &column).unwrap();
                let nulls = |s: &dyn Strategy| {
                    (0..200)
                        .filter(|i| {
                            apply_any(s, &Value::text(format!("v{i}")), &column) == Ok(Value::Null)
                        })
                        .count()
                };
                let (n0, n5) = (nulls(base.as_ref()), nulls(half.as_ref()));
                if info.name != "null" {
                    assert!(
                        n5 >= n0 + 60 && n5 <= n0 + 140,
                        "{}: null_probability 0.5 nulled {n5} of 200 ({n0} without)",
                        info.name
                    );
                }
                assert_eq!(n5, nulls(half.as_ref()), "{}", info.name);
                let s = with_extra(info, family, &[("keep_null", "false")], &column).unwrap();
                let from_null = apply_any(s.as_ref(), &Value::Null, &column);
                let from_empty = apply_any(s.as_ref(), &Value::text(""), &column);
                assert!(
                    same(&from_null, &from_empty),
                    "{}: keep_null false gave {from_null:?}, empty string {from_empty:?}",
                    info.name
                );
            }
        }
    }
}

#[test]
fn docs_cover_every_strategy() {
    let md = crate::render_markdown();
    let json = crate::registry_json();
    for info in registry() {
        assert!(md.contains(&format!("## `{}`", info.name)));
        assert!(md.contains(info.example.1));
    }
    assert!(md.contains("## Common options") && md.contains("null_probability"));
    assert_eq!(
        json["strategies"].as_array().unwrap().len(),
        registry().len()
    );
    assert_eq!(json["strategies"][0]["name"], "token");
    assert_eq!(json["strategies"][0]["options"][2]["default"], "16");
    assert_eq!(json["common_options"][2]["name"], "keep_null");
}

#[test]
#[ignore = "prints the reference; run with --ignored --nocapture"]
fn print_markdown() {
    println!("{}", crate::render_markdown());
}

/// Every strategy of ../shared/STRATEGIES.md sections A-C (and every alias it names) is in
/// the registry, under that name.
#[test]
fn catalogue_covers_the_target_list() {
    const NAMES: &[&str] = &[
        // A. Fakers.
        "email",
        "first_name",
        "name",
        "last_name",
        "surname",
        "name_fallback",
        "age",
        "phone",
        "iban",
        "credit_card",
        "address",
        "date",
        "username",
        "url",
        "company",
        "masking",
        "password",
        "ip_address",
        "mac_address",
        "uuid",
        "hash",
        "hash_preserve",
        "coordinate",
        "color",
        "boolean",
        "numeric",
        "file",
        "json",
        "text",
        "html",
        "enum",
        "country",
        "language",
        "shuffle",
        "constant",
        "static_value",
        "null",
        "nullify",
        "copy",
        "map",
        "pattern_based",
        "dni_cif",
        "utm",
        "service",
        "external",
        // B. Deterministic and format-preserving.
        "token",
        "tokenise",
        "deterministic_token",
        "fpe",
        "keep_last",
        "keep_last4",
        "mask_keep_last4",
        "partial",
        "deterministic_email",
        "synthetic_card_luhn",
        "ssn",
        "nino",
        "nhs",
        "sin",
        "steuer_id",
        "nir",
        "codice_fiscale",
        "dni",
        "nie",
        "bsn",
        "pesel",
        "aadhaar",
        "pan",
        "cpf",
        "preserve",
        // C. Numbers, dates, places, text.
        "noise",
        "date_shift",
        "shift_date_user_relative",
        "generalize",
        "truncate_ip",
        "geo_round",
        "city_shuffle",
        "region_shuffle",
        "regex_replace",
        "template",
        "json_path",
        "redact_text",
        "bytes_placeholder",
    ];
    let missing: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| lookup(n).is_none())
        .collect();
    assert!(missing.is_empty(), "not in the registry: {missing:?}");
    // Every entry documents itself: a description and every option described.
    for info in registry() {
        assert!(info.description.len() > 40, "{}", info.name);
        assert!(
            info.options.iter().all(|o| !o.description.is_empty()),
            "{}",
            info.name
        );
    }
}

/// Every option STRATEGIES.md lists for a strategy exists under that name, or is a common
/// option, or is one of the two documented renames: `domain` is the common token-domain
/// option, so the fake addresses' and URLs' domain is `email_domain` / `url_domain`.
#[test]
fn options_cover_the_target_list() {
    const TARGET: &[(&str, &str)] = &[
        // A. Fakers.
        (
            "email",
            "email_domain format local_part_length ensure_unique",
        ),
        ("first_name", "gender locale_specific"),
        ("last_name", "gender locale_specific"),
        ("name_fallback", "fallback_field gender"),
        ("age", "min max distribution mean std_dev"),
        ("phone", "country_code format include_extension"),
        ("iban", "country valid formatted"),
        ("credit_card", "type valid formatted"),
        ("address", "country format include_postal_code"),
        ("date", "min_date max_date format type"),
        (
            "username",
            "min_length max_length prefix suffix include_numbers",
        ),
        ("url", "scheme url_domain path"),
        ("company", "type suffix"),
        (
            "masking",
            "preserve_start preserve_end mask_char mask_length",
        ),
        (
            "password",
            "length include_special include_numbers include_uppercase",
        ),
        ("ip_address", "version type"),
        ("mac_address", "separator uppercase"),
        ("uuid", "version format"),
        ("hash", "algorithm length"),
        ("hash_preserve", "algorithm preserve_format length"),
        ("coordinate", "format precision bounds"),
        ("color", "format alpha"),
        ("boolean", "true_probability"),
        ("numeric", "type min max precision"),
        ("file", "extension directory absolute"),
        ("json", "schema depth max_items"),
        ("text", "type min_words max_words"),
        ("html", "type include_links min_paragraphs max_paragraphs"),
        ("enum", "values weighted"),
        ("country", "format locale"),
        ("language", "format locale"),
        ("shuffle", "values exclude"),
        ("constant", "value"),
        ("copy", "source_field fallback"),
        ("map", "map default"),
        ("pattern_based", "source_field pattern replacement fallback"),
        ("dni_cif", "type formatted"),
        ("utm", "type format sources mediums campaigns"),
        ("service", "command"),
        // B and C.
        ("token", "prefix length suffix alphabet"),
        ("fpe", "alphabet keep"),
        ("keep_last", "n mask_char"),
        ("partial", "keep_first keep_last mask_char"),
        ("deterministic_email", "email_domain keep_domain"),
        ("noise", "relative absolute min max"),
        ("truncate_ip", "v4_prefix v6_prefix"),
        ("regex_replace", "pattern replacement"),
        ("template", "template"),
    ];
    // Choices STRATEGIES.md names for an option.
    const CHOICES: &[(&str, &str, &str)] = &[
        ("email", "format", "name.surname random"),
        ("age", "distribution", "uniform normal"),
        ("phone", "format", "international national"),
        ("address", "format", "full short"),
        ("date", "type", "past future between"),
        ("hash", "algorithm", "md5 sha1 sha256 sha512"),
        ("hash_preserve", "algorithm", "md5 sha1 sha256 sha512"),
        ("ip_address", "type", "public private localhost"),
        ("color", "format", "hex rgb rgba"),
        ("numeric", "type", "int float"),
        ("text", "type", "sentence paragraph"),
        ("html", "type", "signature paragraph list mixed"),
        ("country", "format", "code name iso2 iso3"),
        ("language", "format", "code name"),
        ("dni_cif", "type", "dni cif nif auto"),
        ("fpe", "alphabet", "digits alnum custom"),
        ("credit_card", "type", "visa mastercard amex"),
    ];
    let mut missing = Vec::new();
    for (name, options) in TARGET {
        let info = lookup(name).unwrap_or_else(|| panic!("{name}"));
        for option in options.split(' ') {
            let known = info.options.iter().any(|o| o.name == option)
                || crate::common_options().iter().any(|o| o.name == option);
            if !known {
                missing.push(format!("{name}.{option}"));
            }
        }
    }
    for (name, option, choices) in CHOICES {
        let spec = lookup(name)
            .unwrap()
            .options
            .iter()
            .find(|o| o.name == *option)
            .unwrap_or_else(|| panic!("{name}.{option}"));
        for choice in choices.split(' ') {
            if !spec.choices.contains(&choice) {
                missing.push(format!("{name}.{option} = {choice}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in the registry: {missing:?}");
}

/// On 100,000 values, every email, URL, IP address and MAC address generated parses, and
/// every generated date stays in its range (between, past and future).
#[test]
fn hundred_thousand_values_parse() {
    let column = Column::new("c", DataType::text());
    let ctx = ApplyCtx {
        column: &column,
        row_key: None,
    };
    let build = |name: &str, o: &[(&str, &str)]| build_for(name, &opts(o), &column).unwrap();
    let email = build("email", &[]);
    let url = build("url", &[]);
    let ip4 = build("ip_address", &[("version", "4")]);
    let ip6 = build("ip_address", &[("version", "6")]);
    let mac = build("mac_address", &[("separator", ":")]);
    let date = build(
        "date",
        &[("min_date", "2001-02-03"), ("max_date", "2002-03-04")],
    );
    // `type: past` ends the day before `reference_date`, `type: future` starts the day after.
    let past = build(
        "date",
        &[
            ("type", "past"),
            ("reference_date", "2020-06-01"),
            ("min_date", "2019-01-01"),
        ],
    );
    let future = build(
        "date",
        &[
            ("type", "future"),
            ("reference_date", "2020-06-01"),
            ("max_date", "2021-12-31"),
        ],
    );
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let text = |s: &dyn Strategy, v: &Value| match s.apply(v, &ctx).unwrap() {
        Value::Text(t) => t,
        other => panic!("{other:?}"),
    };
    let lo = NaiveDate::from_ymd_opt(2001, 2, 3).unwrap();
    let hi = NaiveDate::from_ymd_opt(2002, 3, 4).unwrap();
    for i in 0..100_000 {
        let v = Value::text(format!("person{i}@corp.test"));
        let e = text(email.as_ref(), &v);
        let (local, domain) = e.split_once('@').unwrap();
        assert!(
            !local.is_empty()
                && !local.starts_with('.')
                && !local.ends_with('.')
                && !local.contains("..")
                && domain.contains('.')
                && e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".@-_".contains(&b)),
            "{e}"
        );
        let u = text(url.as_ref(), &v);
        let rest = u.strip_prefix("https://").unwrap();
        assert!(
            rest.split('/').next().unwrap().contains('.')
                && u.bytes().all(|b| b.is_ascii_graphic()),
            "{u}"
        );
        text(ip4.as_ref(), &v)
            .parse::<std::net::Ipv4Addr>()
            .unwrap();
        text(ip6.as_ref(), &v)
            .parse::<std::net::Ipv6Addr>()
            .unwrap();
        let m = text(mac.as_ref(), &v);
        let parts: Vec<&str> = m.split(':').collect();
        assert!(
            parts.len() == 6
                && parts
                    .iter()
                    .all(|p| u8::from_str_radix(p, 16).is_ok() && p.len() == 2),
            "{m}"
        );
        let d = NaiveDate::parse_from_str(
            &text(date.as_ref(), &Value::text(format!("{i}"))),
            "%Y-%m-%d",
        )
        .unwrap();
        assert!(d >= lo && d <= hi, "{d}");
        for (s, lo, hi) in [
            (&past, ymd(2019, 1, 1), ymd(2020, 5, 31)),
            (&future, ymd(2020, 6, 2), ymd(2021, 12, 31)),
        ] {
            let d = NaiveDate::parse_from_str(
                &text(s.as_ref(), &Value::text(format!("{i}"))),
                "%Y-%m-%d",
            )
            .unwrap();
            assert!(d >= lo && d <= hi, "{d}");
        }
    }
}
