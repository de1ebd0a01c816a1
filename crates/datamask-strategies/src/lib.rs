//! The datamask strategy catalogue.
//!
//! Every masking transform datamask knows lives here, and every one is listed in **one explicit,
//! ordered registry** ([`registry`]), in the manner of DataFusion's `all_default_functions`. The
//! registry is the single source for the CLI's `datamask strategies` listing
//! ([`registry_json`]), for the reference docs ([`render_markdown`]) and for config validation
//! ([`validate_options`]), so the three can never disagree.
//!
//! Design rules every strategy follows (checked for all of them by one compliance harness):
//!
//! * **Deterministic and keyed.** Output is a pure function of the domain's keyed PRF, the
//!   options, the input value and (for `date_shift` and `noise` with `key_column`) the row key.
//!   No unseeded randomness, no hash-map iteration order, no global state.
//! * **Type kept.** The output has the same [`Value`] kind as the input (only `null` differs).
//! * **Total.** No input panics: odd values give an output or a short error message, and error
//!   messages never repeat the input value (it may be personal data).
//! * **Validated up front.** [`validate_options`] is pure (no key, no IO) and reports every
//!   problem with the option it concerns, so the config layer can point at file:line:column.
//!
//! The options every strategy takes ([`common_options`]) are handled here, by the wrapper that
//! [`build`] puts around each strategy: `keep_null` and `null_probability`. `domain` selects the
//! PRF (the engine's job), `locale` is read by the strategies that use it, and `key_column` tells
//! the engine which column to pass as the row key.

use datamask_core::key::{MasterKey, Prf};
use datamask_core::schema::{Column, DataType};
use datamask_core::strategy::{
    BuildCtx, OptionSpec, OptionType, OptionValue, Options, RowAccess, RowInput, Strategy,
    StrategyInfo,
};
use datamask_core::{ApplyCtx, Value};

mod arrays;
mod basic;
mod blobs;
mod company;
mod dates;
mod docs;
mod external;
mod ff1;
mod finance;
mod fpe;
mod gen;
mod generalize;
mod geo;
mod hashing;
mod internet;
mod json_path;
pub mod locale;
mod masking;
mod misc;
mod national_id;
mod network;
mod numbers;
mod person;
mod places;
mod redact;
mod rowwise;
mod text;
mod token;
mod util;
mod words;

#[cfg(test)]
mod harness;

pub use docs::{registry_json, render_markdown};
pub use rowwise::row_inputs;

/// Validators of the identifiers the catalogue generates (Luhn, IBAN mod-97, national ids),
/// public so that tests and PII discovery can check values with the same rules.
pub mod checks {
    pub use crate::finance::{brand_of, iban_valid};
    pub use crate::gen::{luhn_valid, verhoeff_valid};
    pub use crate::national_id::is_valid as national_id_valid;
}

/// Every strategy, in documentation order. Add new strategies here, and only here.
static REGISTRY: &[StrategyInfo] = &[
    // Deterministic and format-preserving.
    token::TOKEN,
    fpe::FPE,
    masking::KEEP_LAST,
    masking::PARTIAL,
    misc::MASKING,
    generalize::REGEX_REPLACE,
    internet::DETERMINISTIC_EMAIL,
    misc::HASH,
    hashing::HASH_PRESERVE,
    hashing::UUID,
    basic::PRESERVE,
    // People.
    person::EMAIL,
    person::FIRST_NAME,
    person::LAST_NAME,
    person::PHONE,
    internet::USERNAME,
    internet::PASSWORD,
    // Finance.
    finance::IBAN,
    finance::CREDIT_CARD,
    finance::SYNTHETIC_CARD_LUHN,
    // National identifiers.
    national_id::SSN,
    national_id::NINO,
    national_id::NHS,
    national_id::SIN,
    national_id::STEUER_ID,
    national_id::NIR,
    national_id::CODICE_FISCALE,
    national_id::DNI,
    national_id::NIE,
    national_id::DNI_CIF,
    national_id::BSN,
    national_id::PESEL,
    national_id::AADHAAR,
    national_id::PAN,
    national_id::CPF,
    // Places.
    places::ADDRESS,
    places::CITY_SHUFFLE,
    places::REGION_SHUFFLE,
    places::COUNTRY,
    places::LANGUAGE,
    company::COMPANY,
    geo::COORDINATE,
    geo::GEO_ROUND,
    // Internet and network.
    internet::URL,
    internet::UTM,
    network::IP_ADDRESS,
    network::MAC_ADDRESS,
    network::TRUNCATE_IP,
    // Numbers and dates.
    dates::DATE_SHIFT,
    dates::DATE,
    misc::AGE,
    numbers::NOISE,
    numbers::NUMERIC,
    generalize::GENERALIZE,
    // Text and documents.
    text::TEXT,
    text::HTML,
    text::JSON,
    text::FILE,
    blobs::BYTES_PLACEHOLDER,
    redact::REDACT_TEXT,
    // Structured values and plug-ins.
    json_path::JSON_PATH,
    external::SERVICE,
    // Plumbing.
    basic::CONSTANT,
    basic::NULL,
    basic::ENUM,
    basic::MAP,
    basic::SHUFFLE,
    // Row: values built from other columns of the same row.
    rowwise::COPY,
    rowwise::TEMPLATE,
    rowwise::PATTERN_BASED,
    rowwise::NAME_FALLBACK,
    misc::BOOLEAN,
    misc::COLOR,
];

/// Every strategy, in documentation order.
pub fn registry() -> &'static [StrategyInfo] {
    REGISTRY
}

/// The strategy called `name`, or whose alias is `name`.
pub fn lookup(name_or_alias: &str) -> Option<&'static StrategyInfo> {
    REGISTRY
        .iter()
        .find(|i| i.name == name_or_alias)
        .or_else(|| REGISTRY.iter().find(|i| i.aliases.contains(&name_or_alias)))
}

/// Every name and alias, each with the canonical name it stands for, in registry order.
pub fn names_and_aliases() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for info in REGISTRY {
        out.push((info.name, info.name));
        for alias in info.aliases {
            out.push((*alias, info.name));
        }
    }
    out
}

static COMMON_OPTIONS: [OptionSpec; 5] = [
    OptionSpec::optional(
        "domain",
        OptionType::String,
        None,
        "Token domain: columns with the same domain get the same output for the same input \
         (so joins and foreign keys survive masking). Defaults to one domain per column.",
    ),
    OptionSpec::optional(
        "locale",
        OptionType::String,
        Some("en_US"),
        "Locale of generated data (names, addresses, cities, companies, phone layouts, \
         default IBAN country): en_US, en_GB, de_DE, fr_FR, es_ES, it_IT, nl_NL, pl_PL, \
         pt_BR (`de`, `de-DE` also work). Accepted by every strategy; ignored by those that \
         generate nothing locale-dependent.",
    ),
    OptionSpec::optional(
        "keep_null",
        OptionType::Boolean,
        Some("true"),
        "When true, NULL stays NULL. When false, a NULL in a text column is masked as if it \
         were the empty string; NULLs in other columns still stay NULL.",
    ),
    OptionSpec::optional(
        "null_probability",
        OptionType::Number,
        Some("0"),
        "Share of values (0 to 1) replaced by NULL. Which values is decided by the keyed PRF \
         from the value itself, so the same value is always nulled or always kept.",
    ),
    OptionSpec::optional(
        "key_column",
        OptionType::String,
        None,
        "Column whose value keys the randomness instead of the cell itself, so one person's \
         rows move together. Used by date_shift and noise; harmless elsewhere.",
    ),
];

/// The options every strategy takes, on top of its own.
pub fn common_options() -> &'static [OptionSpec] {
    &COMMON_OPTIONS
}

/// One problem with a strategy's options, for the config layer to place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionProblem {
    /// The option concerned (empty when the problem is about the options as a whole).
    pub option: String,
    /// What is wrong, without the option's value when it could be data.
    pub message: String,
}

impl std::fmt::Display for OptionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.option.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "option `{}`: {}", self.option, self.message)
        }
    }
}

fn type_name(ty: OptionType) -> &'static str {
    match ty {
        OptionType::String => "a string",
        OptionType::Integer => "an integer",
        OptionType::Number => "a number",
        OptionType::Boolean => "a boolean",
        OptionType::List => "a list",
        OptionType::Map => "a map",
        OptionType::Any => "any value",
    }
}

/// Edit distance, for "did you mean" hints.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `candidates` to `name`, when close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Checks `options` against the strategy's option specs and the common options, without a key
/// and without IO. Returns every problem found (empty when the options are valid).
///
/// Generic checks (unknown option, wrong type, missing required, value not among the choices,
/// `null_probability` outside 0..=1) come first; when they pass, the strategy's own builder is
/// run against a throwaway key and a column of its first accepted type, so that semantic
/// problems (`min` greater than `max`, say) are reported at validation time too.
pub fn validate_options(info: &StrategyInfo, options: &Options) -> Vec<OptionProblem> {
    let mut problems = Vec::new();
    let specs = || info.options.iter().chain(COMMON_OPTIONS.iter());
    for (name, value) in &options.0 {
        let Some(spec) = specs().find(|s| s.name == name) else {
            let valid: Vec<&str> = specs().map(|s| s.name).collect();
            let hint = did_you_mean(name, valid.iter().copied())
                .map(|m| format!(" (did you mean `{m}`?)"))
                .unwrap_or_default();
            problems.push(OptionProblem {
                option: name.clone(),
                message: format!(
                    "unknown option for strategy `{}`{hint}; valid options: {}",
                    info.name,
                    valid.join(", ")
                ),
            });
            continue;
        };
        if !value.fits(spec.ty) {
            problems.push(OptionProblem {
                option: name.clone(),
                message: format!("expected {}", type_name(spec.ty)),
            });
            continue;
        }
        if !spec.choices.is_empty() {
            if let OptionValue::String(s) = value {
                if !spec.choices.contains(&s.as_str()) {
                    let hint = did_you_mean(s, spec.choices.iter().copied())
                        .map(|m| format!(" (did you mean `{m}`?)"))
                        .unwrap_or_default();
                    problems.push(OptionProblem {
                        option: name.clone(),
                        message: format!("expected one of {}{hint}", spec.choices.join(", ")),
                    });
                }
            }
        }
    }
    for spec in info.options.iter().filter(|s| s.required) {
        if options.get(spec.name).is_none() {
            problems.push(OptionProblem {
                option: spec.name.to_string(),
                message: format!("required by strategy `{}`", info.name),
            });
        }
    }
    let p = options.float_or("null_probability", 0.0);
    if !(0.0..=1.0).contains(&p) {
        problems.push(OptionProblem {
            option: "null_probability".into(),
            message: "must be between 0 and 1".into(),
        });
    }
    // Checked here, not only by the strategies that read it: a misspelt locale on a strategy
    // that ignores locales is still a mistake in the config.
    if let Some(OptionValue::String(given)) = options.get("locale") {
        if locale::resolve(given).is_none() {
            let hint = did_you_mean(given, locale::CODES.iter().copied())
                .map(|m| format!(" (did you mean `{m}`?)"))
                .unwrap_or_default();
            problems.push(OptionProblem {
                option: "locale".into(),
                message: format!("expected one of {}{hint}", locale::CODES.join(", ")),
            });
        }
    }
    if problems.is_empty() {
        let column = Column::new("validation", sample_type(info.accepts.first().copied()));
        let ctx = BuildCtx {
            prf: MasterKey::from_bytes([0; 32]).prf("validation"),
            column: &column,
        };
        if let Err(message) = (info.build)(options, &ctx) {
            problems.push(OptionProblem {
                option: option_named_in(&message, info),
                message,
            });
        }
    }
    problems
}

/// The first option of `info` that `message` names in backquotes, if any.
fn option_named_in(message: &str, info: &StrategyInfo) -> String {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|w| {
            info.options
                .iter()
                .chain(COMMON_OPTIONS.iter())
                .any(|s| s.name == *w)
        })
        .unwrap_or_default()
        .to_string()
}

/// A representative column type for a type family, for validation and docs.
pub(crate) fn sample_type(family: Option<&str>) -> DataType {
    match family.unwrap_or("text") {
        "bool" => DataType::Bool,
        "int" => DataType::Int {
            bits: 64,
            unsigned: false,
        },
        "float" => DataType::Float { bits: 64 },
        "decimal" => DataType::Decimal {
            precision: None,
            scale: None,
        },
        "bytes" => DataType::Bytes,
        "date" => DataType::Date,
        "time" => DataType::Time,
        "timestamp" => DataType::Timestamp,
        "timestamptz" => DataType::TimestampTz,
        "uuid" => DataType::Uuid,
        "json" => DataType::Json,
        _ => DataType::text(),
    }
}

/// Validates `options` and builds the strategy for a column, wrapped so that the common options
/// `keep_null` and `null_probability` apply. All problems are reported in one message, one per
/// line.
pub fn build(
    info: &StrategyInfo,
    options: &Options,
    ctx: &BuildCtx<'_>,
) -> Result<Box<dyn Strategy>, String> {
    let problems = validate_options(info, options);
    if !problems.is_empty() {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(lines.join("\n"));
    }
    let inner = (info.build)(options, ctx)?;
    Ok(Box::new(Wrapped {
        inner,
        prf: ctx.prf.clone(),
        keep_null: options.bool_or("keep_null", true),
        null_probability: options.float_or("null_probability", 0.0),
        text_column: ctx.column.data_type.family() == "text",
        array_column: arrays::is_array_column(ctx.column),
    }))
}

/// A strategy with the common options applied around it.
///
/// * `keep_null = false`: in a text column, NULL is masked as if it were `""` (so NULLs get a
///   value like any other); in other columns NULL stays NULL, as there is no neutral value.
/// * `null_probability = p`: a non-NULL value becomes NULL when the PRF's unit draw for the
///   value (purpose `null_probability`) is below `p`: the same value is always treated the same.
struct Wrapped {
    inner: Box<dyn Strategy>,
    prf: Prf,
    keep_null: bool,
    null_probability: f64,
    text_column: bool,
    /// A PostgreSQL array column: values are array literals masked element by element.
    array_column: bool,
}

impl Wrapped {
    /// Masks each element of an array literal (NULL elements stay NULL; `null_probability`
    /// applies per element).
    fn apply_elements(&self, literal: &str, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let elems =
            arrays::parse(literal).ok_or_else(|| "not a PostgreSQL array literal".to_string())?;
        let masked = arrays::map(elems, &mut |item| {
            let v = Value::Text(item.into());
            if self.null_probability > 0.0
                && self.prf.unit("null_probability", &v) < self.null_probability
            {
                return Ok(None);
            }
            match self.inner.apply_value(&v, ctx)? {
                Value::Null => Ok(None),
                other => Ok(Some(other.to_string())),
            }
        })?;
        Ok(Value::Text(arrays::render(&masked).into()))
    }
}

impl Strategy for Wrapped {
    fn apply_value(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        if self.array_column {
            if let Value::Text(literal) = value {
                return self.apply_elements(literal, ctx);
            }
        }
        if self.null_probability > 0.0
            && self.prf.unit("null_probability", value) < self.null_probability
        {
            return Ok(Value::Null);
        }
        self.inner.apply_value(value, ctx)
    }

    fn is_injective(&self) -> bool {
        self.inner.is_injective() && self.null_probability <= 0.0
    }

    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        self.inner.max_output_chars(input_max)
    }

    fn apply(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        if value.is_null() {
            if !self.keep_null && self.text_column {
                return self.inner.apply_value(&Value::text(""), ctx);
            }
            return self.inner.apply(value, ctx);
        }
        self.apply_value(value, ctx)
    }

    fn row_inputs(&self) -> Vec<RowInput> {
        self.inner.row_inputs()
    }

    /// Batches go to the inner strategy whole (an external program runs once per batch);
    /// NULLs, `keep_null` and `null_probability` are settled here first, and array columns
    /// go element by element.
    fn apply_column(
        &self,
        values: &[Value],
        ctx: &ApplyCtx<'_>,
    ) -> Result<Vec<Value>, (usize, String)> {
        if self.array_column {
            return values
                .iter()
                .enumerate()
                .map(|(i, v)| self.apply(v, ctx).map_err(|e| (i, e)))
                .collect();
        }
        let plain = self.null_probability <= 0.0 && (self.keep_null || !self.text_column);
        if plain && !values.iter().any(Value::is_null) {
            // Nothing to settle here: the batch goes to the inner strategy as it is.
            return self.inner.apply_column(values, ctx);
        }
        let mut out: Vec<Option<Value>> = vec![None; values.len()];
        let mut todo: Vec<(usize, Value)> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            if v.is_null() {
                if !self.keep_null && self.text_column {
                    todo.push((i, Value::text("")));
                } else {
                    out[i] = Some(self.inner.apply(v, ctx).map_err(|e| (i, e))?);
                }
            } else if self.null_probability > 0.0
                && self.prf.unit("null_probability", v) < self.null_probability
            {
                out[i] = Some(Value::Null);
            } else {
                todo.push((i, v.clone()));
            }
        }
        let (positions, inputs): (Vec<usize>, Vec<Value>) = todo.into_iter().unzip();
        let masked = self
            .inner
            .apply_column(&inputs, ctx)
            .map_err(|(k, e)| (positions.get(k).copied().unwrap_or(k), e))?;
        for (&i, v) in positions.iter().zip(masked) {
            out[i] = Some(v);
        }
        Ok(out.into_iter().map(|v| v.unwrap_or(Value::Null)).collect())
    }

    /// As [`Wrapped::apply`], with the row passed through.
    fn apply_row(
        &self,
        value: &Value,
        ctx: &ApplyCtx<'_>,
        row: &dyn RowAccess,
    ) -> Result<Value, String> {
        if value.is_null() {
            if !self.keep_null && self.text_column {
                return self.inner.apply_row(&Value::text(""), ctx, row);
            }
            return self.inner.apply_row(value, ctx, row);
        }
        if self.null_probability > 0.0
            && self.prf.unit("null_probability", value) < self.null_probability
        {
            return Ok(Value::Null);
        }
        self.inner.apply_row(value, ctx, row)
    }
}

/// The options the docs and the example test use for a strategy's example: the smallest set
/// that the strategy needs (its required options).
pub(crate) fn example_options(name: &str) -> Options {
    let mut o = Options::default();
    let mut set = |k: &str, v: OptionValue| {
        o.0.insert(k.to_string(), v);
    };
    match name {
        "constant" => set("value", OptionValue::String("REDACTED".into())),
        "enum" => set(
            "values",
            OptionValue::List(vec![
                OptionValue::String("bronze".into()),
                OptionValue::String("silver".into()),
                OptionValue::String("gold".into()),
            ]),
        ),
        "regex_replace" => {
            set("pattern", OptionValue::String("\\d+".into()));
            set("replacement", OptionValue::String("#".into()));
        }
        "masking" => {
            set("preserve_start", OptionValue::Int(4));
            set("preserve_end", OptionValue::Int(4));
        }
        "shuffle" => set(
            "values",
            OptionValue::List(
                ["bronze", "silver", "gold"]
                    .into_iter()
                    .map(|s| OptionValue::String(s.into()))
                    .collect(),
            ),
        ),
        "json_path" => {
            let rule = |pairs: &[(&str, OptionValue)]| {
                OptionValue::Map(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                )
            };
            let s = |x: &str| OptionValue::String(x.into());
            set(
                "paths",
                OptionValue::List(vec![
                    rule(&[("path", s("$.email")), ("strategy", s("email"))]),
                    rule(&[("path", s("$.name")), ("strategy", s("first_name"))]),
                    rule(&[("path", s("$.ssn")), ("delete", OptionValue::Bool(true))]),
                ]),
            );
        }
        "service" => set(
            "command",
            OptionValue::List(
                ["sed", "s/@[a-z.]*/@example.com/"]
                    .into_iter()
                    .map(|s| OptionValue::String(s.into()))
                    .collect(),
            ),
        ),
        "copy" => set("source_field", OptionValue::String("email".into())),
        "template" => set(
            "template",
            OptionValue::String("{first_name|lower}.{last_name|slug}@example.com".into()),
        ),
        "pattern_based" => {
            set("source_field", OptionValue::String("email".into()));
            set("pattern", OptionValue::String("^([^@]+)@".into()));
            set("replacement", OptionValue::String("$1".into()));
        }
        "name_fallback" => set("fallback_field", OptionValue::String("last_name".into())),
        "map" => set(
            "map",
            OptionValue::Map(
                [("M", "X"), ("F", "X")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), OptionValue::String(v.to_string())))
                    .collect(),
            ),
        ),
        _ => {}
    }
    o
}
