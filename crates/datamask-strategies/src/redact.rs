//! `redact_text`: finds personal data inside free text (emails, phone numbers, card numbers,
//! IBANs, SSNs, UK NINOs, IP addresses, URLs) and replaces each occurrence in place, keeping
//! the rest of the text.
//!
//! Candidates are found with regular expressions and then *validated* where a checksum exists
//! (Luhn for cards, mod-97 for IBANs) or a parser does (IPv4), so order numbers and amounts are
//! not mangled. By default every occurrence is replaced with a keyed fake of its kind, made by
//! the same strategy (under the column's PRF) that masks such a column, so one address gets
//! one replacement in every note of the column.

use crate::finance::iban_valid;
use crate::gen::{digits_of, luhn_valid, text_of};
use crate::util::single_char;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Column, DataType, Value};
use regex::Regex;
use std::sync::OnceLock;

/// The kinds, in priority order (earlier wins when matches overlap), with the strategy that
/// fakes them and their label.
const KINDS: &[(&str, &str, &str)] = &[
    ("url", "url", "[URL]"),
    ("email", "email", "[EMAIL]"),
    ("iban", "iban", "[IBAN]"),
    ("card", "synthetic_card_luhn", "[CARD]"),
    ("ssn", "ssn", "[SSN]"),
    ("nino", "nino", "[NINO]"),
    ("ip", "ip_address", "[IP]"),
    ("phone", "phone", "[PHONE]"),
];

const DEFAULT_KINDS: &[&str] = &["email", "phone", "card", "iban", "ssn", "nino", "ip"];

fn regex_for(kind: &str) -> &'static Regex {
    static CELLS: OnceLock<Vec<Regex>> = OnceLock::new();
    let all = CELLS.get_or_init(|| {
        [
            r"\bhttps?://[^\s<>'\x22]+",
            r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b",
            r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
            r"\b\d(?:[ -]?\d){12,18}\b",
            r"\b\d{3}-\d{2}-\d{4}\b",
            r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
            r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
            r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}\b",
        ]
        .iter()
        .map(|p| Regex::new(p).expect("built-in pattern"))
        .collect()
    });
    let i = KINDS
        .iter()
        .position(|(k, _, _)| *k == kind)
        .expect("known kind");
    &all[i]
}

/// Whether a candidate of `kind` is the real thing (checksums, parsers, digit counts).
fn plausible(kind: &str, m: &str) -> bool {
    match kind {
        "iban" => iban_valid(m),
        "card" => luhn_valid(&digits_of(m)),
        "ip" => m.parse::<std::net::Ipv4Addr>().is_ok(),
        "phone" => {
            let digits = m.chars().filter(char::is_ascii_digit).count();
            let marked = m.starts_with('+') || m.starts_with('(');
            let iso_date =
                m.len() == 10 && chrono::NaiveDate::parse_from_str(m, "%Y-%m-%d").is_ok();
            (7..=15).contains(&digits) && (marked || digits >= 8) && !iso_date
        }
        _ => true,
    }
}

pub const REDACT_TEXT: StrategyInfo = StrategyInfo {
    name: "redact_text",
    aliases: &[],
    family: "text",
    description: "Finds emails, phone numbers, card numbers (Luhn-checked), IBANs \
                  (mod-97-checked), US SSNs, UK NINOs, IPv4 addresses and optionally URLs \
                  inside free text and replaces each in place with a keyed fake of its kind \
                  (made by the strategy of that kind: `email`, `phone`, ...), a label such as \
                  `[EMAIL]`, or mask characters. The rest of the text is kept.",
    options: &[
        OptionSpec::optional(
            "types",
            OptionType::List,
            Some("[email, phone, card, iban, ssn, nino, ip]"),
            "What to look for: email, phone, card, iban, ssn, nino, ip, url.",
        ),
        OptionSpec::optional(
            "mode",
            OptionType::String,
            Some("fake"),
            "fake = a keyed fake of the same kind; label = `[EMAIL]`, `[PHONE]`, ...; mask = \
             every letter and digit becomes `mask_char`.",
        )
        .one_of(&["fake", "label", "mask"]),
        OptionSpec::optional(
            "mask_char",
            OptionType::String,
            Some("*"),
            "The mask character of mode mask.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: (
        "Call +1 (415) 555-0132 or mail alice@corp.test, card 4111 1111 1111 1111.",
        "Call +1 (410) 662-6358 or mail randy.wood.x5q6ip6zmvi3c@example.com, card 4242 4255 4311 2378.",
    ),
    build,
};

struct Redact {
    /// (kind, label, fake strategy) in priority order.
    kinds: Vec<(&'static str, &'static str, Box<dyn Strategy>)>,
    mode: String,
    mask: char,
    column: Column,
}

fn build(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let wanted: Vec<String> = match opts.get("types") {
        None => DEFAULT_KINDS.iter().map(|s| s.to_string()).collect(),
        Some(OptionValue::List(items)) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                OptionValue::String(s) if KINDS.iter().any(|(k, _, _)| k == s) => Ok(s.clone()),
                _ => Err(format!(
                    "option `types` takes a list of: {}",
                    KINDS
                        .iter()
                        .map(|(k, _, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("option `types` must be a non-empty list".into()),
    };
    let column = Column::new(ctx.column.name.clone(), DataType::text());
    let mut kinds = Vec::new();
    for (kind, strategy, label) in KINDS {
        if !wanted.iter().any(|w| w == kind) {
            continue;
        }
        let info = crate::lookup(strategy).expect("registered strategy");
        let mut o = Options::default();
        if let Some(l) = opts.get("locale") {
            o.0.insert("locale".into(), l.clone());
        }
        let s = crate::build(
            info,
            &o,
            &BuildCtx {
                prf: ctx.prf.clone(),
                column: &column,
            },
        )?;
        kinds.push((*kind, *label, s));
    }
    Ok(Box::new(Redact {
        kinds,
        mode: opts.str_or("mode", "fake").to_string(),
        mask: single_char(opts, "mask_char", '*')?,
        column,
    }))
}

impl Redact {
    /// Non-overlapping findings `(start, end, kind index)`, by position.
    fn find(&self, s: &str) -> Vec<(usize, usize, usize)> {
        let mut all = Vec::new();
        for (i, (kind, _, _)) in self.kinds.iter().enumerate() {
            for m in regex_for(kind).find_iter(s) {
                if plausible(kind, m.as_str()) {
                    all.push((m.start(), m.end(), i));
                }
            }
        }
        // Earlier start first; at equal start, the higher-priority kind, then the longer.
        all.sort_by_key(|&(a, b, i)| (a, i, usize::MAX - b));
        let mut chosen: Vec<(usize, usize, usize)> = Vec::new();
        for f in all {
            let overlaps = chosen.iter().any(|c| f.0 < c.1 && c.0 < f.1);
            if !overlaps {
                chosen.push(f);
            }
        }
        chosen.sort_unstable();
        chosen
    }

    fn replace(&self, found: &str, kind: usize) -> Result<String, String> {
        let (_, label, strategy) = &self.kinds[kind];
        Ok(match self.mode.as_str() {
            "label" => label.to_string(),
            "mask" => found
                .chars()
                .map(|c| if c.is_alphanumeric() { self.mask } else { c })
                .collect(),
            _ => strategy
                .apply(
                    &Value::text(found),
                    &ApplyCtx {
                        column: &self.column,
                        row_key: None,
                    },
                )?
                .to_string(),
        })
    }
}

impl Strategy for Redact {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "redact_text")?;
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for (a, b, kind) in self.find(s) {
            out.push_str(&s[last..a]);
            out.push_str(&self.replace(&s[a..b], kind)?);
            last = b;
        }
        out.push_str(&s[last..]);
        Ok(Value::Text(out.into()))
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use datamask_core::strategy::{OptionValue, Options};
    use datamask_core::Value;

    fn redact(o: &Options, s: &str) -> String {
        match run("redact_text", o, &Value::text(s)).unwrap() {
            Value::Text(t) => t.to_string(),
            _ => panic!(),
        }
    }

    fn labels() -> Options {
        let mut o = opts(&[("mode", "label")]);
        o.0.insert(
            "types".into(),
            OptionValue::List(
                ["email", "phone", "card", "iban", "ssn", "nino", "ip", "url"]
                    .into_iter()
                    .map(|s| OptionValue::String(s.into()))
                    .collect(),
            ),
        );
        o
    }

    #[test]
    fn finds_each_kind_and_keeps_the_rest() {
        let cases = [
            ("Mail alice.w@corp.test today", "Mail [EMAIL] today"),
            ("Call +1 (415) 555-0132 now", "Call [PHONE] now"),
            ("tel 020 7946 0018.", "tel [PHONE]."),
            ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
            (
                "card 4111 1111 1111 1112 is not valid",
                "card 4111 1111 1111 1112 is not valid",
            ),
            ("IBAN GB82 WEST 1234 5698 7654 32.", "IBAN [IBAN]."),
            ("ssn 123-45-6789", "ssn [SSN]"),
            ("NI: AB 12 34 56 C", "NI: [NINO]"),
            (
                "QQ 12 34 56 C is the form example",
                "QQ 12 34 56 C is the form example",
            ),
            ("from 192.168.1.20 and 999.1.1.1", "from [IP] and 999.1.1.1"),
            ("see https://crm.test/u/alice?x=1 now", "see [URL] now"),
            (
                "order 12345 on 2024-03-15 for 99.50",
                "order 12345 on 2024-03-15 for 99.50",
            ),
            ("Zoë 北京 🎉 nothing here", "Zoë 北京 🎉 nothing here"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(&labels(), input), expected, "{input}");
        }
    }

    #[test]
    fn fakes_match_the_column_strategies() {
        let text = "Write to alice@corp.test or call +1 (415) 555-0132, card 4111-1111-1111-1111.";
        let out = redact(&Options::default(), text);
        let email = run(
            "email",
            &Options::default(),
            &Value::text("alice@corp.test"),
        )
        .unwrap();
        assert!(out.contains(&email.to_string()), "{out}");
        assert!(
            !out.contains("alice@corp.test") && !out.contains("555-0132"),
            "{out}"
        );
        let card: String = out
            .split("card ")
            .nth(1)
            .unwrap()
            .trim_end_matches('.')
            .to_string();
        assert!(
            crate::gen::luhn_valid(&crate::gen::digits_of(&card)),
            "{out}"
        );
        assert_eq!(
            card.replace(|c: char| c.is_ascii_digit(), "d"),
            "dddd-dddd-dddd-dddd"
        );
        assert!(
            out.starts_with("Write to ") && out.contains(" or call +1 ("),
            "{out}"
        );
        let masked = redact(
            &opts(&[("mode", "mask"), ("mask_char", "#")]),
            "ssn 123-45-6789!",
        );
        assert_eq!(masked, "ssn ###-##-####!");
        let p = crate::validate_options(crate::lookup("redact_text").unwrap(), &{
            let mut o = Options::default();
            o.0.insert(
                "types".into(),
                OptionValue::List(vec![OptionValue::String("dna".into())]),
            );
            o
        });
        assert_eq!(p[0].option, "types");
    }
}
