//! The datamask config: model, loading and validation.
//!
//! Loading is pure (no network, no database): `check` and `plan` can report every config
//! problem before touching data. Problems are collected, not raised one by one, and each carries
//! its `file:line:column` (see [`diagnostic`]).

pub mod comments;
pub mod diagnostic;
mod interpolate;
mod validate;
pub mod yaml;

use datamask_core::strategy::{Options, StrategyInfo};
use std::fmt;
use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Topic};
pub use yaml::Pos;

/// Expands `${VAR}` references in a value given on the command line (`scan --source`), with
/// the config's rules. This lets a password stay in the environment instead of the process
/// list: `--source 'postgres://app:${PGPASSWORD}@db/shop'`.
pub fn expand_env(s: &str) -> Result<String, String> {
    interpolate::interpolate(s, &|name| std::env::var(name).ok()).map_err(|missing| {
        let (noun, verb) = match missing.len() {
            1 => ("variable", "is"),
            _ => ("variables", "are"),
        };
        format!("environment {noun} {} {verb} not set", missing.join(", "))
    })
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One or more problems; `rendered` shows each with file, line, column and a caret.
    #[error("{rendered}")]
    Invalid {
        rendered: String,
        diagnostics: Vec<Diagnostic>,
    },
}

/// A loaded, validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file.
    pub path: PathBuf,
    /// Relative paths in the config resolve against this directory.
    pub base_dir: PathBuf,
    /// BLAKE3 of the config file bytes, recorded in the audit.
    pub hash: String,
    /// The config text, for rendering problems found after loading.
    pub text: String,
    pub source: Connection,
    pub target: Option<Connection>,
    pub key: KeySource,
    pub policy: Policy,
    /// Table rules in config order.
    pub tables: Vec<TableRule>,
    pub audit: AuditSettings,
    pub verify: VerifySettings,
    /// Foreign keys the source schema does not declare (`relations:`).
    pub relations: Vec<RelationRule>,
    /// Named groups of columns that share tokens (`domains:`).
    pub domains: Vec<DomainRule>,
    /// Copy into `target` (the default), or mask the source where it stands.
    pub mode: Mode,
}

/// What a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Read the source, write a masked copy to `target`.
    #[default]
    Copy,
    /// `mode: in_place`: rewrite the source's tables with their masked values, atomically
    /// (for a database restored from a backup). Needs `run --in-place`.
    InPlace,
}

/// Where a connection's environment label puts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Production,
    Staging,
    Development,
    Test,
}

impl Environment {
    pub(crate) const NAMES: [&'static str; 4] = ["production", "staging", "development", "test"];

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "production" => Environment::Production,
            "staging" => Environment::Staging,
            "development" => Environment::Development,
            "test" => Environment::Test,
            _ => return None,
        })
    }
}

/// A secret's value. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it is handed to a driver.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A reference to a secret: the config names where it is, never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file whose (trimmed) content is the secret.
    File(PathBuf),
}

/// A connection URL. Its `Debug`/`Display` hide any password, because URLs end up in messages,
/// plans and audit records.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionUrl(Secret);

impl ConnectionUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        ConnectionUrl(Secret::new(url))
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        datamask_connectors::redact_url(self.0.expose())
    }

    /// The full URL, for the driver only.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for ConnectionUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectionUrl({})", self.redacted())
    }
}

impl fmt::Display for ConnectionUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A source or target.
#[derive(Debug, Clone)]
pub struct Connection {
    pub url: ConnectionUrl,
    pub environment: Option<Environment>,
    /// `csv`, `jsonl` or `parquet` for directory targets (and files without an extension).
    pub format: Option<String>,
    /// CSV field delimiter.
    pub delimiter: Option<u8>,
    /// Whether CSV files have a header row (default true).
    pub header: Option<bool>,
    /// A database password kept out of the URL.
    pub password: Option<SecretRef>,
    /// Where the connection is declared, for messages.
    pub pos: Pos,
}

/// Where the master key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env(String),
    File(PathBuf),
}

/// What happens to columns that no rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlistedColumns {
    /// Copied unchanged (and recorded as such in the audit).
    Preserve,
    /// The run stops and lists them.
    Fail,
    /// The default (DESIGN invariant "fail closed"): discovery samples the unlisted columns;
    /// those it classifies `likely` or `certain` stop the run with a suggested rule each, the
    /// others are copied unchanged.
    FailSensitive,
}

impl UnlistedColumns {
    /// The names `policy.unlisted_columns` accepts.
    pub const NAMES: [&'static str; 3] = ["fail_sensitive", "fail", "preserve"];

    /// The config name (`fail_sensitive`, `fail`, `preserve`).
    pub fn name(self) -> &'static str {
        match self {
            UnlistedColumns::Preserve => "preserve",
            UnlistedColumns::Fail => "fail",
            UnlistedColumns::FailSensitive => "fail_sensitive",
        }
    }
}

/// Run-wide policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub unlisted_columns: UnlistedColumns,
    /// Address words that mark an unlabelled target as production (see [`crate::guard`]).
    pub production_deny_list: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            unlisted_columns: UnlistedColumns::FailSensitive,
            production_deny_list: crate::guard::DEFAULT_DENY_LIST
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// How targets are verified (`verify:`; see [`crate::verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySettings {
    /// Verify the target at the end of every run (default true).
    pub after_run: bool,
    /// Rows per table re-masked and compared (default 1000).
    pub sample_rows: usize,
    /// Look for original values of masked columns in every output column (default false).
    pub all_columns: bool,
    /// With `all_columns`, shorter values are not looked up (default 6 characters).
    pub min_length: usize,
    /// Memory for the verifier's filters, in MiB (default 256).
    pub memory_mb: usize,
}

impl Default for VerifySettings {
    fn default() -> Self {
        VerifySettings {
            after_run: true,
            sample_rows: 1000,
            all_columns: false,
            min_length: 6,
            memory_mb: 256,
        }
    }
}

/// Where manifests go and how they are signed.
#[derive(Debug, Clone, Default)]
pub struct AuditSettings {
    /// Manifest directory; default `.datamask/runs` beside the config.
    pub dir: Option<PathBuf>,
    /// A file holding a hex Ed25519 seed; default: derived from the master key.
    pub signing_key_file: Option<PathBuf>,
}

/// The rules for one table.
#[derive(Debug, Clone)]
pub struct TableRule {
    pub name: String,
    pub pos: Pos,
    /// Leave the table out of the target.
    pub skip: bool,
    /// A row filter in the source's SQL dialect (`where:` given as a string).
    pub filter: Option<String>,
    /// A row filter evaluated by datamask (`where:` given as a pattern), see [`crate::rows`].
    pub row_filter: Option<crate::rows::PatternSpec>,
    /// Rows to mask (`include:`); the others are copied unmasked. Default: every row.
    pub include: Option<crate::rows::PatternSpec>,
    /// Rows not to mask (`exclude:`), copied unmasked.
    pub exclude: Option<crate::rows::PatternSpec>,
    /// A SQL query whose result is copied as this table (instead of reading a table).
    pub query: Option<String>,
    /// A key for a table whose schema has none (`primary_key: [cols]`), with its place.
    pub primary_key: Option<(Vec<String>, Pos)>,
    pub columns: Vec<ColumnRule>,
}

/// A column named in the config as `table.column`. The table part may hold dots itself
/// (`public.customers.email` is column `email` of table `public.customers`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ColumnRef {
    pub table: String,
    pub column: String,
}

impl ColumnRef {
    /// Splits `table.column` at its last dot; `None` when either part is empty.
    pub fn parse(text: &str) -> Option<ColumnRef> {
        let (table, column) = text.rsplit_once('.')?;
        (!table.is_empty() && !column.is_empty()).then(|| ColumnRef {
            table: table.to_string(),
            column: column.to_string(),
        })
    }
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.column)
    }
}

/// A virtual foreign key: `from` columns reference `to` columns (same count, composite keys
/// column by column). Masking treats it exactly like a declared foreign key.
#[derive(Debug, Clone)]
pub struct RelationRule {
    pub from_table: String,
    pub from_columns: Vec<String>,
    pub to_table: String,
    pub to_columns: Vec<String>,
    pub pos: Pos,
}

/// A named domain: columns, possibly in different tables, that must get the same tokens.
/// The name is also the PRF domain, so two configs (two databases) that name the same domain
/// produce the same tokens under the same key.
#[derive(Debug, Clone)]
pub struct DomainRule {
    pub name: String,
    pub pos: Pos,
    pub columns: Vec<(ColumnRef, Pos)>,
}

/// The rule for one column.
#[derive(Debug, Clone)]
pub struct ColumnRule {
    pub column: String,
    pub pos: Pos,
    pub strategy: &'static StrategyInfo,
    pub options: Options,
    /// Position of each option, for problems found later (e.g. against the column type).
    pub option_pos: Vec<(String, Pos)>,
    /// Why the rule is what it is (`reason:`), recorded in the audit: mostly for `preserve`
    /// rules that keep a column discovery flags.
    pub reason: Option<String>,
    /// Rows the strategy applies to (`when:`); the others keep their value.
    pub when: Option<crate::rows::PatternSpec>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_text(path, &text, &|name| std::env::var(name).ok())
    }

    /// Validates config text. `env` resolves `${VAR}` references (injected for tests).
    pub fn from_text(
        path: &Path,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        // An empty base joins as the bare relative path (`.datamask/runs`, not `./.datamask/runs`).
        let base_dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        let hash = blake3::hash(text.as_bytes()).to_hex().to_string();
        validate::validate(text, env, path.to_path_buf(), base_dir, hash).map_err(|diagnostics| {
            ConfigError::Invalid {
                rendered: diagnostic::render(&path.display().to_string(), text, &diagnostics),
                diagnostics,
            }
        })
    }

    /// Renders problems found after loading (plan, check) against this config's text.
    pub fn render(&self, diagnostics: &[Diagnostic]) -> String {
        diagnostic::render(&self.path.display().to_string(), &self.text, diagnostics)
    }

    /// The rule for `table`, if the config has one.
    pub fn table(&self, name: &str) -> Option<&TableRule> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The manifest directory.
    pub fn audit_dir(&self) -> PathBuf {
        match &self.audit.dir {
            Some(d) => self.base_dir.join(d),
            None => self.base_dir.join(".datamask").join("runs"),
        }
    }

    /// Resolves a path written in the config relative to the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.base_dir.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, Vec<Diagnostic>> {
        let env = |name: &str| (name == "DB_HOST").then(|| "db.internal".to_string());
        Config::from_text(Path::new("c.yaml"), text, &env).map_err(|e| match e {
            ConfigError::Invalid { diagnostics, .. } => diagnostics,
            other => panic!("{other}"),
        })
    }

    const BASE: &str = "version: 1\nsource: \"sqlite://a.db\"\n";

    #[test]
    fn short_and_long_forms() {
        let c = load(&format!(
            "{BASE}tables:\n  t:\n    columns:\n      a: email\n      b: {{ strategy: fpe, alphabet: alnum }}\n  u: {{ skip: true }}\n"
        ))
        .unwrap();
        assert_eq!(c.tables[0].columns[0].strategy.name, "email");
        assert_eq!(
            c.tables[0].columns[1].options.str_or("alphabet", ""),
            "alnum"
        );
        assert!(c.tables[1].skip);
        assert_eq!(c.key, KeySource::Env("DATAMASK_KEY".into()));
        assert_eq!(c.policy.unlisted_columns, UnlistedColumns::FailSensitive);
    }

    #[test]
    fn aliases_resolve_to_the_strategy() {
        let c = load(&format!(
            "{BASE}tables:\n  t:\n    columns:\n      a: nullify\n"
        ))
        .unwrap();
        assert_eq!(c.tables[0].columns[0].strategy.name, "null");
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let d = load("version: 2\nsource: \"x.csv\"\ntarget: { url: out/, formt: csv }\npolicy: { unlisted_columns: maybe }\ntables:\n  t:\n    columns:\n      a: emial\n      b:\n      c: { strategy: token, lenght: 3 }\n").unwrap_err();
        let lines: Vec<usize> = d.iter().map(|d| d.pos.line).collect();
        assert_eq!(lines, vec![1, 3, 4, 8, 9, 10], "{d:#?}");
        assert_eq!(d[1].hint.as_deref(), Some("did you mean `format`?"));
        assert_eq!(d[3].hint.as_deref(), Some("did you mean `email`?"));
        assert!(d[4].hint.as_deref().unwrap().contains("quoted"));
    }

    /// Strategy options are checked at load time: a wrong type, a value out of range, a value
    /// outside the choices and options that contradict each other are each an error at the
    /// option's own line and column, naming the option. One row per problem, across the
    /// strategy families of STRATEGIES.md.
    #[test]
    fn bad_strategy_options_are_errors_at_their_place() {
        const CASES: &[(&str, &str, &str)] = &[
            // Wrong type.
            (
                "strategy: token, length: long",
                "length",
                "expected an integer",
            ),
            (
                "strategy: email, ensure_unique: 3",
                "ensure_unique",
                "expected a boolean",
            ),
            ("strategy: age, mean: old", "mean", "expected a number"),
            (
                "strategy: hash, length: [1]",
                "length",
                "expected an integer",
            ),
            (
                "strategy: html, include_links: maybe",
                "include_links",
                "expected a boolean",
            ),
            (
                "strategy: shuffle, values: gold",
                "values",
                "expected a list",
            ),
            ("strategy: map, map: [a, b]", "map", "expected a map"),
            (
                "strategy: password, include_special: 1",
                "include_special",
                "expected a boolean",
            ),
            (
                "strategy: token, null_probability: half",
                "null_probability",
                "expected a number",
            ),
            (
                "strategy: email, keep_null: no_thanks",
                "keep_null",
                "expected a boolean",
            ),
            ("strategy: email, locale: 12", "locale", "expected a string"),
            // Out of range.
            ("strategy: token, length: 0", "length", "between 1 and 1024"),
            (
                "strategy: email, local_part_length: 41",
                "local_part_length",
                "between 1 and 40",
            ),
            ("strategy: password, length: 2", "length", "between"),
            ("strategy: hash, length: 0", "length", "between"),
            ("strategy: uuid, version: 7", "version", "4 or 5"),
            ("strategy: ip_address, version: 5", "version", "4 or 6"),
            (
                "strategy: truncate_ip, v4_prefix: 33",
                "v4_prefix",
                "between",
            ),
            (
                "strategy: boolean, true_probability: 1.5",
                "true_probability",
                "between 0 and 1",
            ),
            (
                "strategy: token, null_probability: 2",
                "null_probability",
                "between 0 and 1",
            ),
            ("strategy: keep_last, n: -1", "n", "between"),
            (
                "strategy: coordinate, precision: 40",
                "precision",
                "between",
            ),
            ("strategy: text, min_words: 0", "min_words", "between"),
            (
                "strategy: html, max_paragraphs: 1000",
                "max_paragraphs",
                "between",
            ),
            (
                "strategy: phone, country_code: 12345",
                "country_code",
                "1 to 3 digits",
            ),
            (
                "strategy: mac_address, separator: '--'",
                "separator",
                "expected one of :, -",
            ),
            (
                "strategy: email, locale: tlh_KL",
                "locale",
                "expected one of en_US",
            ),
            ("strategy: iban, country: XX", "country", "IBAN country"),
            (
                "strategy: date, min_date: yesterday",
                "min_date",
                "YYYY-MM-DD",
            ),
            // Not one of the choices.
            (
                "strategy: hash, algorithm: sha3",
                "algorithm",
                "md5, sha1, sha256, sha512",
            ),
            ("strategy: color, format: hsl", "format", "hex, rgb, rgba"),
            ("strategy: country, format: iso4", "format", "iso3"),
            ("strategy: html, type: table", "type", "signature"),
            ("strategy: dni_cif, type: ssn", "type", "auto"),
            (
                "strategy: age, distribution: poisson",
                "distribution",
                "normal",
            ),
            ("strategy: credit_card, type: diners_club_x", "type", "visa"),
            // Options that contradict each other.
            (
                "strategy: age, min: 50, max: 10",
                "min",
                "not be greater than option `max`",
            ),
            (
                "strategy: numeric, min: 10, max: 1",
                "min",
                "greater than option `max`",
            ),
            (
                "strategy: numeric, type: int, precision: 2",
                "precision",
                "type: float",
            ),
            (
                "strategy: numeric, type: int, min: 1.2, max: 1.8",
                "min",
                "no whole number",
            ),
            (
                "strategy: age, distribution: normal, min: 10, max: 20, mean: 90",
                "mean",
                "between option `min`",
            ),
            ("strategy: age, mean: 40", "mean", "distribution: normal"),
            (
                "strategy: username, min_length: 10, max_length: 5",
                "min_length",
                "max_length",
            ),
            (
                "strategy: text, min_words: 9, max_words: 2",
                "min_words",
                "max_words",
            ),
            (
                "strategy: html, min_paragraphs: 5, max_paragraphs: 2",
                "min_paragraphs",
                "max_paragraphs",
            ),
            (
                "strategy: date, min_date: 2020-01-01, max_date: 2010-01-01",
                "min_date",
                "after option `max_date`",
            ),
            (
                "strategy: date, type: past, max_date: 2010-01-01",
                "max_date",
                "does not apply",
            ),
            (
                "strategy: noise, relative: 0.1, absolute: 5",
                "relative",
                "not both",
            ),
            (
                "strategy: date_shift, days: 3, max_days: 10",
                "days",
                "not both",
            ),
            (
                "strategy: geo_round, decimals: 2, jitter_meters: 10",
                "decimals",
                "not both",
            ),
        ];
        let mut wrong = Vec::new();
        for (rule, option, needle) in CASES {
            let line = format!("      a: {{ {rule} }}");
            let text = format!("{BASE}tables:\n  t:\n    columns:\n{line}\n");
            let col = line.find(&format!(" {option}:")).expect("option in rule") + 2;
            let found = match load(&text) {
                Ok(_) => "accepted".to_string(),
                Err(d) => {
                    let hit = d.iter().any(|d| {
                        d.pos.line == 6
                            && d.pos.col == col
                            && d.message.contains(&format!("option `{option}`"))
                            && format!("{} {}", d.message, d.hint.as_deref().unwrap_or(""))
                                .contains(needle)
                    });
                    if hit {
                        continue;
                    }
                    format!("{d:?}")
                }
            };
            wrong.push(format!(
                "{rule}: expected `{option}` at 6:{col} ({needle}); got {found}"
            ));
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn interpolation_and_missing_variables() {
        let c = load("version: 1\nsource: \"sqlite://${DB_HOST}.db\"\n").unwrap();
        assert_eq!(c.source.url.expose(), "sqlite://db.internal.db");
        let d = load("version: 1\nsource: \"${NOPE}\"\n").unwrap_err();
        assert!(d[0].message.contains("`NOPE` is not set"));
    }

    #[test]
    fn secrets_are_references_and_redacted() {
        let d = load(&format!(
            "{BASE}target: {{ url: x.csv, password: hunter2 }}\n"
        ))
        .unwrap_err();
        assert!(d[0].message.contains("must be a reference"));
        let url = ConnectionUrl::new("postgres://app:hunter2@db/app");
        assert!(!format!("{url:?} {url}").contains("hunter2"));
        assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
    }

    #[test]
    fn in_place_mode_has_no_target_and_keeps_every_row() {
        let c = load(&format!("{BASE}mode: in_place\n")).unwrap();
        assert_eq!(c.mode, Mode::InPlace);
        assert_eq!(load(BASE).unwrap().mode, Mode::Copy);
        let d = load(&format!(
            "{BASE}mode: in_place\ntarget: out.db\ntables:\n  t: {{ where: \"id > 1\" }}\n  u: {{ query: \"SELECT 1\" }}\n"
        ))
        .unwrap_err();
        let messages: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("`target` cannot be used with `mode: in_place`"));
        assert!(messages[1].contains("`where` cannot be used"));
        assert!(messages[2].contains("`query` cannot be used"));
        let d = load(&format!("{BASE}mode: inplace\n")).unwrap_err();
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `in_place`?"));
    }

    #[test]
    fn unlisted_policies_and_rule_reasons() {
        for (name, want) in [
            ("fail_sensitive", UnlistedColumns::FailSensitive),
            ("fail", UnlistedColumns::Fail),
            ("preserve", UnlistedColumns::Preserve),
        ] {
            let c = load(&format!("{BASE}policy: {{ unlisted_columns: {name} }}\n")).unwrap();
            assert_eq!(c.policy.unlisted_columns, want);
            assert_eq!(want.name(), name);
        }
        let c = load(&format!(
            "{BASE}tables:\n  t:\n    columns:\n      a: {{ strategy: preserve, reason: \"public data\" }}\n      b: email\n"
        ))
        .unwrap();
        let cols = &c.tables[0].columns;
        assert_eq!(cols[0].reason.as_deref(), Some("public data"));
        assert!(
            cols[0].options.0.is_empty(),
            "reason is not a strategy option"
        );
        assert_eq!(cols[1].reason, None);
        let d = load(&format!(
            "{BASE}tables:\n  t:\n    columns:\n      a: {{ strategy: preserve, reason: \" \" }}\n"
        ))
        .unwrap_err();
        assert!(d[0].message.contains("`reason` is empty"), "{d:?}");
        assert_eq!(d[0].pos.line, 6);
    }

    #[test]
    fn file_key_source() {
        let c = load(&format!("{BASE}key: {{ file: secrets/key.hex }}\n")).unwrap();
        assert_eq!(c.key, KeySource::File("secrets/key.hex".into()));
    }
}
