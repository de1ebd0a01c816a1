//! Payment identifiers: `iban`, `credit_card` and `synthetic_card_luhn`.
//!
//! Outputs are *valid-looking*: IBANs have the right length and BBAN layout for their country
//! and pass the ISO 13616 mod-97 check; card numbers pass Luhn and start with a published test
//! BIN of their brand (the numbers payment providers document for testing), so a masked card
//! can never be a real customer's card and still passes form validators.

use crate::gen::{digit_string, digits_of, group, luhn_digit, mod97, Gen};
use crate::locale;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

/// IBAN layout per country: (ISO code, BBAN pattern). `#` digit, `?` letter, `*` letter or
/// digit (see [`Gen::pattern`]); literal digits are fixed. Length = 4 + pattern length.
/// Source: SWIFT IBAN Registry (release 2024).
pub const IBAN_COUNTRIES: &[(&str, &str)] = &[
    ("AD", "########************"),
    ("AE", "###################"),
    ("AT", "################"),
    ("BE", "############"),
    ("BG", "????######********"),
    ("BR", "#######################?*"),
    ("CH", "#####************"),
    ("CY", "########****************"),
    ("CZ", "####################"),
    ("DE", "##################"),
    ("DK", "##############"),
    ("EE", "################"),
    ("ES", "####################"),
    ("FI", "##############"),
    ("FR", "##########***********##"),
    ("GB", "????##############"),
    ("GR", "#######****************"),
    ("HR", "#################"),
    ("HU", "########################"),
    ("IE", "????##############"),
    ("IS", "######################"),
    ("IT", "?##########************"),
    ("LI", "#####************"),
    ("LT", "################"),
    ("LU", "###*************"),
    ("LV", "????*************"),
    ("MC", "##########***********##"),
    ("MT", "????#####******************"),
    ("NL", "????##########"),
    ("NO", "###########"),
    ("PL", "########################"),
    ("PT", "#####################"),
    ("RO", "????****************"),
    ("SA", "##******************"),
    ("SE", "####################"),
    ("SI", "###############"),
    ("SK", "####################"),
    ("TR", "#####0****************"),
];

fn iban_country(code: &str) -> Option<&'static (&'static str, &'static str)> {
    IBAN_COUNTRIES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
}

/// True when `iban` (spaces allowed) has its country's length and passes mod-97.
pub fn iban_valid(iban: &str) -> bool {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    let Some((_, bban)) = iban_country(compact.get(..2).unwrap_or("")) else {
        return false;
    };
    if compact.len() != 4 + bban.len() || !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    mod97(&[&compact[4..], &compact[..4]]) == 1
}

/// The two check digits for `country` + `bban`.
fn iban_check(country: &str, bban: &str) -> u32 {
    98 - mod97(&[bban, country, "00"])
}

/// The tri-state `formatted` option: `Some(b)` when given, `None` = follow the input.
fn formatted_opt(opts: &Options) -> Option<bool> {
    match opts.get("formatted") {
        Some(OptionValue::Bool(b)) => Some(*b),
        _ => None,
    }
}

const FORMATTED: OptionSpec = OptionSpec::optional(
    "formatted",
    OptionType::Boolean,
    None,
    "Print with the usual spaces or separators (true) or compact (false); by default as \
     the input is (separated input gives separated output).",
);

pub const IBAN: StrategyInfo = StrategyInfo {
    name: "iban",
    aliases: &[],
    family: "finance",
    description: "Replaces an IBAN with a keyed fake one of the right length and BBAN layout \
                  for its country that passes the mod-97 check. The country is the input's \
                  when it has one, else `country`, else the locale's.",
    options: &[
        OptionSpec::optional(
            "country",
            OptionType::String,
            None,
            "ISO 3166 code of the IBAN country (DE, FR, GB, ... 38 countries). Default: the \
             input's country, else the locale's (DE when the locale has no IBAN).",
        ),
        OptionSpec::optional(
            "valid",
            OptionType::Boolean,
            Some("true"),
            "Produce correct check digits; false gives deliberately wrong ones (for testing \
             validation paths).",
        ),
        FORMATTED,
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("DE89 3704 0044 0532 0130 00", "DE50 6073 0437 4505 4909 60"),
    build: build_iban,
};

struct Iban {
    prf: Prf,
    country: Option<&'static str>,
    fallback: &'static str,
    valid: bool,
    formatted: Option<bool>,
}

fn build_iban(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let country = match opts.get("country") {
        Some(OptionValue::String(c)) => Some(
            iban_country(c.trim())
                .map(|(c, _)| *c)
                .ok_or("option `country` must be an IBAN country code such as DE, FR or GB")?,
        ),
        _ => None,
    };
    let loc = locale::from_options(opts)?;
    let fallback = iban_country(loc.country).map_or("DE", |(c, _)| *c);
    Ok(Box::new(Iban {
        prf: ctx.prf.clone(),
        country,
        fallback,
        valid: opts.bool_or("valid", true),
        formatted: formatted_opt(opts),
    }))
}

impl Strategy for Iban {
    /// The longest IBAN of the countries in play, with its spaces.
    fn max_output_chars(&self, _input_max: Option<u32>) -> Option<u32> {
        let len = |c: &str| iban_country(c).map_or(0, |(_, b)| 4 + b.len());
        let compact = match self.country {
            Some(c) => len(c),
            None => IBAN_COUNTRIES
                .iter()
                .map(|(c, _)| len(c))
                .max()
                .unwrap_or(0),
        };
        Some((compact + compact.div_ceil(4) - 1) as u32)
    }

    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = crate::gen::text_of(value, "iban")?;
        let (country, bban_pattern) = self
            .country
            .or_else(|| iban_country(s.trim().get(..2).unwrap_or("")).map(|(c, _)| *c))
            .and_then(iban_country)
            .or_else(|| iban_country(self.fallback))
            .expect("fallback is a known country");
        let mut g = Gen::new(&self.prf, "iban", value);
        let bban = g.pattern(bban_pattern);
        let mut check = iban_check(country, &bban);
        if !self.valid {
            check = (check + 1 + g.below(90) as u32) % 97;
            if check < 2 {
                check += 2;
            }
        }
        let mut compact = String::with_capacity(4 + bban.len());
        compact.push_str(country);
        compact.push(char::from(b'0' + (check / 10) as u8));
        compact.push(char::from(b'0' + (check % 10) as u8));
        compact.push_str(&bban);
        let spaced = self.formatted.unwrap_or_else(|| s.trim().contains(' '));
        Ok(Value::Text(if spaced {
            group(&compact, &[4; 9], " ").into()
        } else {
            compact.into()
        }))
    }
}

/// A card brand: name, test BINs (documented test numbers' prefixes), length, print grouping.
pub struct Brand {
    pub name: &'static str,
    pub bins: &'static [&'static str],
    pub length: usize,
    pub groups: &'static [usize],
}

/// Brands and published test prefixes (Stripe, Adyen and PayPal test-card lists).
pub const BRANDS: &[Brand] = &[
    Brand {
        name: "visa",
        bins: &["411111", "424242", "400000", "401288"],
        length: 16,
        groups: &[4, 4, 4, 4],
    },
    Brand {
        name: "mastercard",
        bins: &["555555", "510510", "222300", "520082"],
        length: 16,
        groups: &[4, 4, 4, 4],
    },
    Brand {
        name: "amex",
        bins: &["378282", "371449", "378734"],
        length: 15,
        groups: &[4, 6, 5],
    },
    Brand {
        name: "discover",
        bins: &["601111", "601100"],
        length: 16,
        groups: &[4, 4, 4, 4],
    },
    Brand {
        name: "diners",
        bins: &["305693", "362272"],
        length: 14,
        groups: &[4, 6, 4],
    },
    Brand {
        name: "jcb",
        bins: &["356600", "353011"],
        length: 16,
        groups: &[4, 4, 4, 4],
    },
    Brand {
        name: "unionpay",
        bins: &["620000"],
        length: 16,
        groups: &[4, 4, 4, 4],
    },
];

/// The brand of a card number by its prefix (IIN ranges), if recognisable.
pub fn brand_of(digits: &str) -> Option<&'static Brand> {
    let p = |n: usize| digits.get(..n).and_then(|s| s.parse::<u32>().ok());
    let name = match (p(1), p(2), p(3), p(4)) {
        (Some(4), ..) => "visa",
        (_, Some(34 | 37), ..) => "amex",
        (_, Some(36 | 38), ..) | (_, _, Some(300..=305), _) => "diners",
        (_, Some(51..=55), ..) | (.., Some(2221..=2720)) => "mastercard",
        (.., Some(6011)) | (_, Some(65), ..) | (_, _, Some(644..=649), _) => "discover",
        (.., Some(3528..=3589)) => "jcb",
        (_, Some(62), ..) => "unionpay",
        _ => return None,
    };
    BRANDS.iter().find(|b| b.name == name)
}

const CARD_TYPES: &[&str] = &[
    "auto",
    "any",
    "visa",
    "mastercard",
    "amex",
    "discover",
    "diners",
    "jcb",
    "unionpay",
];

pub const CREDIT_CARD: StrategyInfo = StrategyInfo {
    name: "credit_card",
    aliases: &[],
    family: "finance",
    description: "Replaces a card number with a keyed fake one of the chosen brand: a published \
                  test BIN, the brand's length and a valid Luhn check digit, so it passes form \
                  validation and can never be a real card.",
    options: &[
        OptionSpec::optional(
            "type",
            OptionType::String,
            Some("auto"),
            "Brand: auto = the input's brand (visa when unknown), any = a keyed choice.",
        )
        .one_of(CARD_TYPES),
        OptionSpec::optional(
            "valid",
            OptionType::Boolean,
            Some("true"),
            "Produce a correct Luhn digit; false gives a deliberately wrong one.",
        ),
        FORMATTED,
    ],
    accepts: &["text", "int"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("4556 7375 8689 9855", "4012 8821 7249 0640"),
    build: build_card,
};

struct Card {
    prf: Prf,
    brand: &'static str,
    valid: bool,
    formatted: Option<bool>,
}

fn build_card(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Card {
        prf: ctx.prf.clone(),
        brand: CARD_TYPES
            .iter()
            .find(|t| **t == opts.str_or("type", "auto"))
            .copied()
            .unwrap_or("auto"),
        valid: opts.bool_or("valid", true),
        formatted: formatted_opt(opts),
    }))
}

/// A card number of `length` digits starting with one of `bins` (keyed), Luhn-valid unless
/// `valid` is false.
fn card_digits(g: &mut Gen, bins: &[&str], length: usize, valid: bool) -> String {
    let bin = digits_of(g.pick(bins));
    let mut d: Vec<u32> = bin.into_iter().take(length.saturating_sub(1)).collect();
    while d.len() + 1 < length {
        d.push(g.below(10) as u32);
    }
    let check = luhn_digit(&d);
    d.push(if valid {
        check
    } else {
        (check + 1 + g.below(9) as u32) % 10
    });
    digit_string(&d)
}

impl Strategy for Card {
    /// 16 digits at most (19 with separators); integers are not text.
    fn max_output_chars(&self, _input_max: Option<u32>) -> Option<u32> {
        Some(19)
    }

    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let mut g = Gen::new(&self.prf, "credit_card", value);
        let input_digits = match value {
            Value::Text(s) => s.chars().filter(char::is_ascii_digit).collect::<String>(),
            Value::Int(i) => i.unsigned_abs().to_string(),
            other => {
                return Err(format!(
                    "credit_card does not apply to {} values",
                    other.kind()
                ))
            }
        };
        let brand = match self.brand {
            "auto" => brand_of(&input_digits).unwrap_or(&BRANDS[0]),
            "any" => g.pick_ref(BRANDS),
            name => BRANDS.iter().find(|b| b.name == name).unwrap_or(&BRANDS[0]),
        };
        let number = card_digits(&mut g, brand.bins, brand.length, self.valid);
        match value {
            Value::Int(_) => {
                Ok(Value::Int(number.parse().map_err(|_| {
                    "card number does not fit a 64-bit integer".to_string()
                })?))
            }
            Value::Text(s) => {
                let spaced = self
                    .formatted
                    .unwrap_or_else(|| s.trim().contains([' ', '-']));
                let sep = if s.contains('-') { "-" } else { " " };
                Ok(Value::Text(if spaced {
                    group(&number, brand.groups, sep).into()
                } else {
                    number.into()
                }))
            }
            _ => unreachable!("checked above"),
        }
    }
}

pub const SYNTHETIC_CARD_LUHN: StrategyInfo = StrategyInfo {
    name: "synthetic_card_luhn",
    aliases: &[],
    family: "finance",
    description: "Replaces the digits of a card number keeping its exact length and grouping \
                  (spaces, dashes): the first digits become a test BIN of the input's brand, \
                  the rest keyed digits, and the last a valid Luhn check digit.",
    options: &[OptionSpec::optional(
        "bins",
        OptionType::List,
        None,
        "Test BINs (digit strings) to start numbers with; by default the published test \
         BINs of the input's brand (visa when unknown).",
    )],
    accepts: &["text", "int"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: true,
    example: ("4556-7375-8689-9855", "4242-4291-4759-0062"),
    build: build_synthetic,
};

struct Synthetic {
    prf: Prf,
    bins: Option<Vec<&'static str>>,
}

fn build_synthetic(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let bins = match opts.get("bins") {
        None => None,
        Some(OptionValue::List(items)) => {
            let mut out = Vec::new();
            for item in items {
                let text = item.as_text().unwrap_or_default();
                if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("option `bins` must be a list of 1 to 12 digit strings".into());
                }
                // Leaked once per strategy build: bins are few and live for the whole run.
                out.push(&*Box::leak(text.into_boxed_str()));
            }
            if out.is_empty() {
                return Err("option `bins` must not be empty".into());
            }
            Some(out)
        }
        Some(_) => return Err("option `bins` must be a list of digit strings".into()),
    };
    Ok(Box::new(Synthetic {
        prf: ctx.prf.clone(),
        bins,
    }))
}

impl Strategy for Synthetic {
    /// Same length as the input.
    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        input_max
    }

    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let mut g = Gen::new(&self.prf, "synthetic_card_luhn", value);
        let (text, negative) = match value {
            Value::Text(s) => (s.to_string(), false),
            Value::Int(i) => (i.unsigned_abs().to_string(), *i < 0),
            other => {
                return Err(format!(
                    "synthetic_card_luhn does not apply to {} values",
                    other.kind()
                ))
            }
        };
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 2 {
            return Ok(value.clone());
        }
        let bins: Vec<&str> = match &self.bins {
            Some(b) => b.clone(),
            None => brand_of(&digits).unwrap_or(&BRANDS[0]).bins.to_vec(),
        };
        let number = card_digits(&mut g, &bins, digits.len(), true);
        let mut fresh = number.chars();
        let out: String = text
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    fresh.next().unwrap_or(c)
                } else {
                    c
                }
            })
            .collect();
        match value {
            Value::Int(_) => {
                let n: i64 = out
                    .parse()
                    .map_err(|_| "card number does not fit a 64-bit integer".to_string())?;
                Ok(Value::Int(if negative { -n } else { n }))
            }
            _ => Ok(Value::Text(out.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::luhn_valid;
    use crate::harness::{build_with, opts, run};
    use datamask_core::{Column, DataType};

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn iban_reference_vectors() {
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(iban_valid("DE89370400440532013000"));
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(!iban_valid("DE8937040044053201300"));
    }

    /// IBAN lengths from the SWIFT IBAN Registry, written out independently of the layout
    /// table the generator uses.
    #[test]
    fn iban_lengths_match_the_registry() {
        const LENGTHS: &[(&str, usize)] = &[
            ("AD", 24),
            ("AE", 23),
            ("AT", 20),
            ("BE", 16),
            ("BR", 29),
            ("CH", 21),
            ("DE", 22),
            ("DK", 18),
            ("ES", 24),
            ("FR", 27),
            ("GB", 22),
            ("IE", 22),
            ("IT", 27),
            ("NL", 18),
            ("PL", 28),
            ("PT", 25),
            ("SE", 24),
        ];
        for (country, len) in LENGTHS {
            let bban = IBAN_COUNTRIES
                .iter()
                .find(|(c, _)| c == country)
                .unwrap_or_else(|| panic!("{country} missing"))
                .1;
            assert_eq!(4 + bban.len(), *len, "{country}");
        }
    }

    #[test]
    fn ibans_are_valid_for_every_country() {
        let column = Column::new("c", DataType::text());
        let ctx = ApplyCtx {
            column: &column,
            row_key: None,
        };
        for (country, bban) in IBAN_COUNTRIES {
            let s = build_with(
                "iban",
                &opts(&[("country", country), ("formatted", "false")]),
            );
            for i in 0..200 {
                let out = text(s.apply(&Value::text(format!("x{i}")), &ctx).unwrap());
                assert_eq!(out.len(), 4 + bban.len(), "{out}");
                assert!(out.starts_with(country));
                assert!(iban_valid(&out), "{out}");
            }
        }
        // Country follows the input; formatting follows the input.
        let out = text(
            run(
                "iban",
                &opts(&[]),
                &Value::text("FR14 2004 1010 0505 0001 3M02 606"),
            )
            .unwrap(),
        );
        assert!(
            out.starts_with("FR") && out.contains(' ') && iban_valid(&out),
            "{out}"
        );
        let out = text(
            run(
                "iban",
                &opts(&[("locale", "nl_NL")]),
                &Value::text("unknown"),
            )
            .unwrap(),
        );
        assert!(out.starts_with("NL") && !out.contains(' '), "{out}");
        let out = text(run("iban", &opts(&[("valid", "false")]), &Value::text("DE1")).unwrap());
        assert!(!iban_valid(&out), "{out}");
        let p =
            crate::validate_options(crate::lookup("iban").unwrap(), &opts(&[("country", "XX")]));
        assert_eq!(p[0].option, "country");
    }

    #[test]
    fn cards_pass_luhn_and_use_test_bins() {
        for brand in BRANDS {
            let s = build_with(
                "credit_card",
                &opts(&[("type", brand.name), ("formatted", "false")]),
            );
            let column = Column::new("c", DataType::text());
            let ctx = ApplyCtx {
                column: &column,
                row_key: None,
            };
            for i in 0..500 {
                let out = text(s.apply(&Value::text(i.to_string()), &ctx).unwrap());
                assert_eq!(out.len(), brand.length, "{out}");
                assert!(luhn_valid(&digits_of(&out)), "{out}");
                assert!(brand.bins.iter().any(|b| out.starts_with(b)), "{out}");
                assert_eq!(brand_of(&out).unwrap().name, brand.name, "{out}");
            }
        }
        let amex = text(run("credit_card", &opts(&[]), &Value::text("3782 822463 10005")).unwrap());
        assert_eq!(
            amex.replace(|c: char| c.is_ascii_digit(), "d"),
            "dddd dddddd ddddd"
        );
        let bad = text(
            run(
                "credit_card",
                &opts(&[("valid", "false")]),
                &Value::text("1"),
            )
            .unwrap(),
        );
        assert!(!luhn_valid(&digits_of(&bad)));
        let Value::Int(i) = run("credit_card", &opts(&[]), &Value::Int(4111111111111111)).unwrap()
        else {
            panic!()
        };
        assert!(luhn_valid(&digits_of(&i.to_string())));
    }

    #[test]
    fn synthetic_cards_keep_length_and_grouping() {
        let cases = [
            "4556-7375-8689-9855",
            "5500 0000 0000 0004",
            "378282246310005",
            "30569309025904",
            "12",
            "4111 1111 1111 1111 123",
        ];
        for input in cases {
            let out = text(run("synthetic_card_luhn", &opts(&[]), &Value::text(input)).unwrap());
            assert_eq!(
                out.replace(|c: char| c.is_ascii_digit(), "d"),
                input.replace(|c: char| c.is_ascii_digit(), "d")
            );
            assert!(luhn_valid(&digits_of(&out)), "{input} -> {out}");
            if let Some(b) = brand_of(
                &digits_of(input)
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<String>(),
            ) {
                if input.len() > 12 {
                    assert_eq!(
                        brand_of(
                            &digits_of(&out)
                                .iter()
                                .map(|d| d.to_string())
                                .collect::<String>()
                        )
                        .unwrap()
                        .name,
                        b.name
                    );
                }
            }
        }
        let mut o = Options::default();
        o.0.insert(
            "bins".into(),
            OptionValue::List(vec![OptionValue::String("999999".into())]),
        );
        let out = text(run("synthetic_card_luhn", &o, &Value::text("4111111111111111")).unwrap());
        assert!(out.starts_with("999999") && luhn_valid(&digits_of(&out)));
    }

    /// 100,000 values of every card brand and IBAN country are valid: cards pass Luhn and
    /// start with a published test BIN of their brand at their brand's length; IBANs pass
    /// mod-97 at their country's registry length.
    #[test]
    fn hundred_thousand_valid() {
        let column = Column::new("c", DataType::text());
        let ctx = ApplyCtx {
            column: &column,
            row_key: None,
        };
        let card = build_with("credit_card", &opts(&[("type", "any")]));
        let synth = build_with("synthetic_card_luhn", &opts(&[]));
        let iban = build_with("iban", &opts(&[]));
        for i in 0..100_000 {
            let v = Value::text(format!("{i}"));
            let number = text(card.apply(&v, &ctx).unwrap()).replace([' ', '-'], "");
            assert!(luhn_valid(&digits_of(&number)), "{number}");
            let brand = brand_of(&number).unwrap_or_else(|| panic!("no brand: {number}"));
            assert!(
                brand.bins.iter().any(|b| number.starts_with(b)) && number.len() == brand.length,
                "{number} is not a {} test number",
                brand.name
            );
            let s = Value::text(format!("4111 1111 {:04} {:04}", i / 10000, i % 10000));
            assert!(luhn_valid(&digits_of(&text(
                synth.apply(&s, &ctx).unwrap()
            ))));
            let c = IBAN_COUNTRIES[i % IBAN_COUNTRIES.len()].0;
            let v = Value::text(format!("{c}00{i}"));
            let out = text(iban.apply(&v, &ctx).unwrap());
            let bban = IBAN_COUNTRIES
                .iter()
                .find(|(k, _)| out.starts_with(k))
                .unwrap()
                .1;
            assert!(iban_valid(&out) && out.len() == 4 + bban.len(), "{out}");
        }
    }
}
