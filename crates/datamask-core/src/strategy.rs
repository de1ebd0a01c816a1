//! The `Strategy` trait and the self-description every strategy carries.
//!
//! A strategy is a pure function of (key, domain, options, value). Implementations provide one
//! method, [`Strategy::apply_value`]; NULL handling, `null_probability` and column-at-a-time
//! application are provided on top, so every strategy behaves the same way around them.

use crate::key::Prf;
use crate::schema::Column;
use crate::value::Value;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a strategy sees besides the value itself.
#[derive(Debug, Clone, Copy)]
pub struct ApplyCtx<'a> {
    /// The column being masked: its type and the target's constraints on it (length,
    /// precision, range, enum values, checks: see [`crate::constraints`]). For columns that
    /// share a domain it is the tightest of them, so every member gets the same output.
    pub column: &'a Column,
    /// The value of the row's key column, for strategies that correlate rows (date_shift with
    /// `key_column`); `None` otherwise.
    pub row_key: Option<&'a Value>,
}

/// Read access to the other cells of the row being masked, for strategies that build a value
/// from several columns (`template`, `copy`, `pattern_based`, `name_fallback`).
pub trait RowAccess {
    /// The value of `column` in this row: as read from the source (`masked == false`) or as
    /// it will be written (`masked == true`; the source value for columns that are not
    /// masked). `None` when the row has no such column.
    fn get(&self, column: &str, masked: bool) -> Option<&Value>;
}

/// A column of the same row that a strategy reads (see [`Strategy::row_inputs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowInput {
    pub column: String,
    /// True when the strategy reads the column's masked value, so that column must be masked
    /// first; false for the original value.
    pub masked: bool,
}

/// A configured, ready-to-run transform.
pub trait Strategy: Send + Sync {
    /// Transforms one non-NULL value. The output must have the same [`Value::kind`] as the
    /// input. Errors are short messages; the engine adds table, column and row.
    fn apply_value(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String>;

    /// True when distinct inputs always give distinct outputs (safe on unique columns).
    fn is_injective(&self) -> bool {
        false
    }

    /// An upper bound on the characters of any text this strategy outputs, given inputs of at
    /// most `input_max` characters (`None`: inputs of any length). `None` means unknown or
    /// unbounded. The fit proof uses it: on a `varchar(n)` column a strategy whose bound is at
    /// most `n` provably fits; otherwise the engine may have to shorten values, which a key
    /// column cannot allow. Strategies that size themselves to the column
    /// ([`BuildCtx::column`], [`Column::max_chars`](crate::Column::max_chars)) report the size
    /// they chose.
    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        let _ = input_max;
        None
    }

    /// Transforms a value, NULL included. NULL stays NULL unless a strategy overrides this.
    fn apply(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        if value.is_null() {
            Ok(Value::Null)
        } else {
            self.apply_value(value, ctx)
        }
    }

    /// Transforms a whole column of values (NULLs included) with one context. The default
    /// applies [`Strategy::apply`] to each value; strategies with a per-call cost (an external
    /// program) override it to work a batch at a time. The error carries the position of the
    /// value it concerns.
    fn apply_column(
        &self,
        values: &[Value],
        ctx: &ApplyCtx<'_>,
    ) -> Result<Vec<Value>, (usize, String)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| self.apply(v, ctx).map_err(|e| (i, e)))
            .collect()
    }

    /// The other columns of the row this strategy reads. Empty for almost all strategies;
    /// the engine gives [`Strategy::apply_row`] the row for those that read some, and masks
    /// the columns read as `masked` first.
    fn row_inputs(&self) -> Vec<RowInput> {
        Vec::new()
    }

    /// Transforms a value (NULL included) with access to the rest of its row. The default
    /// ignores the row; strategies with [`Strategy::row_inputs`] override it, and should make
    /// [`Strategy::apply`] (no row available) an error.
    fn apply_row(
        &self,
        value: &Value,
        ctx: &ApplyCtx<'_>,
        row: &dyn RowAccess,
    ) -> Result<Value, String> {
        let _ = row;
        self.apply(value, ctx)
    }
}

/// The type of a strategy option, as shown by `datamask strategies` and checked by the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionType {
    String,
    Integer,
    Number,
    Boolean,
    List,
    Map,
    /// Any value (for options such as `constant.value` that take the column's type).
    Any,
}

/// One option of a strategy.
#[derive(Debug, Clone, Serialize)]
pub struct OptionSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: OptionType,
    pub required: bool,
    /// The default, as text, for documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<&'static str>,
    /// Allowed values, for string options that take one of a fixed set.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub choices: &'static [&'static str],
    pub description: &'static str,
}

impl OptionSpec {
    /// An optional option with a default.
    pub const fn optional(
        name: &'static str,
        ty: OptionType,
        default: Option<&'static str>,
        description: &'static str,
    ) -> Self {
        OptionSpec {
            name,
            ty,
            required: false,
            default,
            choices: &[],
            description,
        }
    }

    /// A required option.
    pub const fn required(name: &'static str, ty: OptionType, description: &'static str) -> Self {
        OptionSpec {
            name,
            ty,
            required: true,
            default: None,
            choices: &[],
            description,
        }
    }

    /// Restricts a string option to `choices`.
    pub const fn one_of(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
}

/// An option value from the config, already type-checked against its [`OptionSpec`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OptionValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<OptionValue>),
    Map(BTreeMap<String, OptionValue>),
}

impl OptionValue {
    /// The option type this value has.
    pub fn option_type(&self) -> Option<OptionType> {
        Some(match self {
            OptionValue::Null => return None,
            OptionValue::Bool(_) => OptionType::Boolean,
            OptionValue::Int(_) => OptionType::Integer,
            OptionValue::Float(_) => OptionType::Number,
            OptionValue::String(_) => OptionType::String,
            OptionValue::List(_) => OptionType::List,
            OptionValue::Map(_) => OptionType::Map,
        })
    }

    /// Whether this value is acceptable for an option of type `ty`.
    pub fn fits(&self, ty: OptionType) -> bool {
        match (self, ty) {
            (_, OptionType::Any) => true,
            (OptionValue::Int(_), OptionType::Number) => true,
            (v, t) => v.option_type() == Some(t),
        }
    }

    /// The value as text, for scalars.
    pub fn as_text(&self) -> Option<String> {
        match self {
            OptionValue::String(s) => Some(s.clone()),
            OptionValue::Int(i) => Some(i.to_string()),
            OptionValue::Float(f) => Some(f.to_string()),
            OptionValue::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// The options given to one strategy, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Options(pub BTreeMap<String, OptionValue>);

impl Options {
    /// Option `name`, if given.
    pub fn get(&self, name: &str) -> Option<&OptionValue> {
        self.0.get(name)
    }

    /// A string option, or `default`.
    pub fn str_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        match self.0.get(name) {
            Some(OptionValue::String(s)) => s,
            _ => default,
        }
    }

    /// An integer option, or `default`.
    pub fn int_or(&self, name: &str, default: i64) -> i64 {
        match self.0.get(name) {
            Some(OptionValue::Int(i)) => *i,
            _ => default,
        }
    }

    /// A number option (integers accepted), or `default`.
    pub fn float_or(&self, name: &str, default: f64) -> f64 {
        match self.0.get(name) {
            Some(OptionValue::Int(i)) => *i as f64,
            Some(OptionValue::Float(f)) => *f,
            _ => default,
        }
    }

    /// A boolean option, or `default`.
    pub fn bool_or(&self, name: &str, default: bool) -> bool {
        match self.0.get(name) {
            Some(OptionValue::Bool(b)) => *b,
            _ => default,
        }
    }
}

/// How a strategy treats uniqueness, for the registry listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Injectivity {
    /// Distinct inputs always map to distinct outputs.
    Always,
    /// Injective with the default options; some options (shown in the docs) give that up.
    ByDefault,
    /// Never guaranteed.
    Never,
}

/// What a strategy builder receives.
pub struct BuildCtx<'a> {
    /// The PRF of the column's domain.
    pub prf: Prf,
    /// The column the strategy will mask, with the target's constraints (see
    /// [`ApplyCtx::column`]). Strategies that can size their output (token length, email
    /// local part) should do it here, once.
    pub column: &'a Column,
}

/// Builds a strategy for a column from its options; errors are messages about the options.
pub type BuildFn = fn(&Options, &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String>;

/// The self-description of a strategy: the single source for `datamask strategies`, the docs
/// and config validation.
pub struct StrategyInfo {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub family: &'static str,
    pub description: &'static str,
    pub options: &'static [OptionSpec],
    /// Type families the strategy accepts (`text`, `int`, ...; `any` for all).
    pub accepts: &'static [&'static str],
    pub injective: Injectivity,
    /// True when the output depends on the master key (false for `preserve`, `null`, ...).
    pub keyed: bool,
    /// True when output keeps the input's format (length, character classes, separators).
    pub format_preserving: bool,
    /// An example input and the output the docs show for it.
    pub example: (&'static str, &'static str),
    /// Builds the strategy for a column. Errors are messages about the options.
    pub build: BuildFn,
}

impl std::fmt::Debug for StrategyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StrategyInfo({})", self.name)
    }
}

impl StrategyInfo {
    /// True when the strategy accepts columns of the given type family.
    pub fn accepts_family(&self, family: &str) -> bool {
        self.accepts.iter().any(|a| *a == "any" || *a == family)
    }
}
