//! Suggested rules: for each finding, the first strategy of the type's preference list that
//! exists in the registry *now*, accepts the column's type, builds with its options, is
//! injective when the column is unique, and masks every sampled value into something that fits
//! the column (length, NOT NULL). Strategies the catalogue does not have yet are skipped, so
//! suggestions improve by themselves as strategies land.

use crate::classify::Finding;
use crate::types::PiiType;
use datamask_core::strategy::{ApplyCtx, BuildCtx, OptionValue, Options, StrategyInfo};
use datamask_core::{Column, DataType, MasterKey, TableSchema, Value};
use std::collections::BTreeMap;

/// A strategy with options, ready to be written as a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub strategy: &'static str,
    pub options: Options,
    /// Why this and not the preferred one, or what to review.
    pub note: Option<String>,
}

type Candidate = (&'static str, &'static [(&'static str, Opt)]);

/// An option value in a candidate list.
#[derive(Debug, Clone, Copy)]
enum Opt {
    Str(&'static str),
    Int(i64),
}

/// The preferred strategies of a type, best first (names from shared/STRATEGIES.md).
fn candidates(ty: PiiType, scheme: Option<&str>) -> Vec<Candidate> {
    use Opt::*;
    use PiiType::*;
    const DIGITS: &[(&str, Opt)] = &[("alphabet", Str("digits"))];
    const ALNUM: &[(&str, Opt)] = &[("alphabet", Str("alnum"))];
    let v: Vec<Candidate> = match ty {
        PersonName => vec![("full_name", &[]), ("first_name", &[])],
        FirstName => vec![("first_name", &[])],
        LastName => vec![("last_name", &[])],
        Email => vec![("email", &[]), ("deterministic_email", &[])],
        Phone => vec![("phone", &[]), ("fpe", DIGITS)],
        Username => vec![("username", &[]), ("token", &[])],
        Password => vec![("password", &[]), ("hash_preserve", &[])],
        DateOfBirth => vec![("date_shift", &[("max_days", Int(180))]), ("fpe", DIGITS)],
        Age => vec![("generalize", &[]), ("noise", &[("absolute", Int(3))])],
        Gender => vec![("shuffle", &[])],
        StreetAddress => vec![
            ("address", &[]),
            ("token", &[("prefix", Str("street-")), ("length", Int(14))]),
        ],
        PostalCode => vec![("generalize", &[]), ("fpe", ALNUM)],
        City => vec![("city_shuffle", &[]), ("fpe", ALNUM)],
        Region => vec![("region_shuffle", &[]), ("fpe", ALNUM)],
        Country => vec![],
        Coordinates => vec![
            ("geo_round", &[("decimals", Int(2))]),
            ("noise", &[("relative", Str("0.001"))]),
        ],
        IpAddress => vec![("truncate_ip", &[]), ("ip_address", &[]), ("fpe", DIGITS)],
        MacAddress => vec![("mac_address", &[]), ("fpe", ALNUM)],
        DeviceId if scheme == Some("uuid") => vec![("uuid", &[]), ("token", &[])],
        DeviceId => vec![("fpe", DIGITS), ("token", &[])],
        Url => vec![
            ("url", &[]),
            (
                "token",
                &[("prefix", Str("https://example.com/")), ("length", Int(16))],
            ),
        ],
        CreditCard => vec![
            ("credit_card", &[]),
            ("synthetic_card_luhn", &[]),
            ("fpe", DIGITS),
        ],
        CardSecurity => vec![("null", &[]), ("fpe", DIGITS)],
        Iban => vec![("iban", &[]), ("fpe", DIGITS)],
        BankAccount => vec![("fpe", DIGITS), ("token", &[])],
        SwiftBic => vec![],
        CryptoWallet => vec![("token", &[])],
        Ssn => vec![("ssn", &[]), ("fpe", DIGITS)],
        NationalId => {
            let specific: &'static str = match scheme {
                Some("nino") => "nino",
                Some("nhs") => "nhs",
                Some("sin") => "sin",
                Some("steuer-id") => "steuer_id",
                Some("nir") => "nir",
                Some("codice fiscale") => "codice_fiscale",
                Some("dni/nie") => "dni",
                Some("bsn") => "bsn",
                Some("pesel") => "pesel",
                Some("aadhaar") => "aadhaar",
                Some("pan (india)") => "pan",
                Some("cpf") => "cpf",
                _ => "national_id",
            };
            vec![(specific, &[]), ("fpe", ALNUM)]
        }
        IdentityDocument | HealthId | VehicleId => vec![("fpe", ALNUM), ("token", &[])],
        Secret => vec![("null", &[]), ("constant", &[("value", Str("redacted"))])],
        Money => vec![("noise", &[("relative", Str("0.1"))])],
        FreeText => vec![
            ("redact_text", &[]),
            ("null", &[]),
            ("constant", &[("value", Str(""))]),
        ],
        Biometric => vec![("bytes_placeholder", &[]), ("null", &[])],
    };
    v
}

/// Last resorts by column type, so every finding gets a rule that runs.
fn generic(data_type: &DataType) -> Vec<Candidate> {
    use Opt::*;
    match data_type.family() {
        "text" => vec![("token", &[]), ("fpe", &[("alphabet", Str("alnum"))])],
        "int" => vec![
            ("fpe", &[("alphabet", Str("digits"))]),
            ("noise", &[("relative", Str("0.1"))]),
        ],
        "float" | "decimal" => vec![("noise", &[("relative", Str("0.1"))])],
        "date" | "timestamp" | "timestamptz" => vec![("date_shift", &[("max_days", Int(180))])],
        "uuid" => vec![("uuid", &[])],
        _ => vec![("null", &[])],
    }
}

fn options(spec: &[(&str, Opt)]) -> Options {
    let mut m = BTreeMap::new();
    for (k, v) in spec {
        let value = match v {
            Opt::Str(s) => match s.parse::<f64>() {
                Ok(f) if s.contains('.') => OptionValue::Float(f),
                _ => OptionValue::String(s.to_string()),
            },
            Opt::Int(i) => OptionValue::Int(*i),
        };
        m.insert(k.to_string(), value);
    }
    Options(m)
}

/// Why a candidate does not fit, or `None` when it does.
fn rejects(
    info: &StrategyInfo,
    opts: &Options,
    table: &TableSchema,
    column: &Column,
    sample: &[Value],
) -> Option<String> {
    if !info.accepts_family(column.data_type.family()) {
        return Some(format!(
            "`{}` does not accept {}",
            info.name,
            column.data_type.family()
        ));
    }
    if !datamask_strategies::validate_options(info, opts).is_empty() {
        return Some(format!("`{}` rejects the options", info.name));
    }
    let ctx = BuildCtx {
        prf: MasterKey::from_bytes([7; 32]).prf("discovery"),
        column,
    };
    let strategy = datamask_strategies::build(info, opts, &ctx).ok()?;
    let unique = table.is_unique_column(&column.name);
    if unique && !strategy.is_injective() {
        return Some(format!(
            "`{}` is not injective and the column is unique",
            info.name
        ));
    }
    let max_len = match column.data_type {
        DataType::Text { max_len } => max_len,
        _ => None,
    };
    let apply = ApplyCtx {
        column,
        row_key: None,
    };
    for v in sample.iter().filter(|v| !v.is_null()) {
        match strategy.apply(v, &apply) {
            Err(_) => return Some(format!("`{}` cannot mask some sampled values", info.name)),
            Ok(Value::Null) if !column.nullable => {
                return Some(format!(
                    "`{}` writes NULL into a NOT NULL column",
                    info.name
                ))
            }
            Ok(Value::Text(s)) if max_len.is_some_and(|m| s.chars().count() > m as usize) => {
                return Some(format!(
                    "`{}` output is longer than the column allows",
                    info.name
                ))
            }
            Ok(_) => {}
        }
    }
    None
}

/// The rule to suggest for a finding on `column`. `sample` holds the column's sampled values
/// (used only to try the strategy; nothing of them is returned).
pub fn suggest(
    finding: &Finding,
    table: &TableSchema,
    column: &Column,
    sample: &[Value],
) -> Suggestion {
    let mut skipped: Vec<String> = Vec::new();
    let preferred = candidates(finding.pii_type, finding.evidence.scheme.as_deref());
    if preferred.is_empty() {
        // Coarse attributes (countries, bank codes) are kept unless a person decides otherwise.
        return Suggestion {
            strategy: "preserve",
            options: Options::default(),
            note: Some(format!(
                "{} is usually kept as is: review",
                finding.pii_type
            )),
        };
    }
    let first_choice = preferred.first().map(|(n, _)| *n);
    for (name, spec) in preferred.into_iter().chain(generic(&column.data_type)) {
        let Some(info) = datamask_strategies::lookup(name) else {
            continue; // not in the catalogue yet
        };
        let mut opts = options(spec);
        if info.keyed {
            // One domain per type: the same email masks the same way in every table.
            opts.0.insert(
                "domain".into(),
                OptionValue::String(finding.pii_type.name().to_string()),
            );
        }
        match rejects(info, &opts, table, column, sample) {
            None => {
                let note = match first_choice {
                    Some(f) if f != info.name && !skipped.is_empty() => Some(skipped.join("; ")),
                    _ => None,
                };
                return Suggestion {
                    strategy: info.name,
                    options: opts,
                    note,
                };
            }
            Some(why) => skipped.push(why),
        }
    }
    Suggestion {
        strategy: "preserve",
        options: Options::default(),
        note: Some(if skipped.is_empty() {
            format!("no masking strategy for {} yet: review", finding.pii_type)
        } else {
            format!("no strategy fits: {}", skipped.join("; "))
        }),
    }
}
