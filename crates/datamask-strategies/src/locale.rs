//! Locales: the bundled dictionaries (names, streets, cities, companies, phone formats) and the
//! conventions (address layout, calling code) of each supported locale.
//!
//! The data lives in `src/data/` as small text files compiled into the binary (about 40 KB in
//! all), parsed once on first use. Sources and licences are listed in docs/locales.md. Lists are
//! kept in file order: a faker's choice is an index into a list, so editing a list changes the
//! masked output of that locale (the determinism contract in docs/determinism.md).

use datamask_core::strategy::{OptionValue, Options};
use std::sync::OnceLock;

/// Every supported locale code, in documentation order.
pub const CODES: &[&str] = &[
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_BR",
];

/// A city with its region and postcode pattern (see [`crate::gen::Gen::pattern`]).
#[derive(Debug)]
pub struct City {
    pub name: &'static str,
    pub region: &'static str,
    /// Short region code (US state, Italian province, Brazilian state), when there is one.
    pub region_code: Option<&'static str>,
    pub postcode: &'static str,
}

/// One locale's dictionaries and conventions.
#[derive(Debug)]
pub struct Locale {
    pub code: &'static str,
    /// ISO 3166-1 alpha-2 country code.
    pub country: &'static str,
    /// International calling code, without `+`.
    pub calling_code: &'static str,
    pub male: Vec<&'static str>,
    pub female: Vec<&'static str>,
    /// Family names; for locales with gendered family names, the male forms.
    pub last: Vec<&'static str>,
    /// Female forms of family names, when the locale has them (Polish `-ska`).
    pub last_female: Vec<&'static str>,
    pub streets: Vec<&'static str>,
    pub cities: Vec<City>,
    pub company_adj: Vec<&'static str>,
    pub company_noun: Vec<&'static str>,
    pub company_suffix: Vec<&'static str>,
    /// Company name layout: `{a}` adjective, `{n}` noun.
    pub company_layout: &'static str,
    pub phone_national: Vec<&'static str>,
    pub phone_international: Vec<&'static str>,
    /// Full address layout; `[...]` holds the optional postcode part.
    pub address: &'static str,
    /// Street line layout.
    pub street_line: &'static str,
    /// Largest house number.
    pub max_number: u64,
}

struct Meta {
    code: &'static str,
    country: &'static str,
    calling_code: &'static str,
    names: Option<[&'static str; 3]>,
    data: &'static str,
    company_layout: &'static str,
    address: &'static str,
    street_line: &'static str,
    max_number: u64,
}

const META: &[Meta] = &[
    Meta {
        code: "en_US",
        country: "US",
        calling_code: "1",
        names: Some([
            include_str!("data/en_US_male.txt"),
            include_str!("data/en_US_female.txt"),
            include_str!("data/en_US_last.txt"),
        ]),
        data: include_str!("data/locales/en_US.txt"),
        company_layout: "{a} {n}",
        address: "{number} {street}, {city}, {region_code}[ {postcode}]",
        street_line: "{number} {street}",
        max_number: 9999,
    },
    Meta {
        code: "en_GB",
        country: "GB",
        calling_code: "44",
        names: None,
        data: include_str!("data/locales/en_GB.txt"),
        company_layout: "{a} {n}",
        address: "{number} {street}, {city}[ {postcode}]",
        street_line: "{number} {street}",
        max_number: 250,
    },
    Meta {
        code: "de_DE",
        country: "DE",
        calling_code: "49",
        names: Some([
            include_str!("data/de_DE_male.txt"),
            include_str!("data/de_DE_female.txt"),
            include_str!("data/de_DE_last.txt"),
        ]),
        data: include_str!("data/locales/de_DE.txt"),
        company_layout: "{a} {n}",
        address: "{street} {number}, [{postcode} ]{city}",
        street_line: "{street} {number}",
        max_number: 150,
    },
    Meta {
        code: "fr_FR",
        country: "FR",
        calling_code: "33",
        names: Some([
            include_str!("data/fr_FR_male.txt"),
            include_str!("data/fr_FR_female.txt"),
            include_str!("data/fr_FR_last.txt"),
        ]),
        data: include_str!("data/locales/fr_FR.txt"),
        company_layout: "{n} {a}",
        address: "{number} {street}, [{postcode} ]{city}",
        street_line: "{number} {street}",
        max_number: 150,
    },
    Meta {
        code: "es_ES",
        country: "ES",
        calling_code: "34",
        names: Some([
            include_str!("data/es_ES_male.txt"),
            include_str!("data/es_ES_female.txt"),
            include_str!("data/es_ES_last.txt"),
        ]),
        data: include_str!("data/locales/es_ES.txt"),
        company_layout: "{n} {a}",
        address: "{street}, {number}, [{postcode} ]{city}",
        street_line: "{street}, {number}",
        max_number: 150,
    },
    Meta {
        code: "it_IT",
        country: "IT",
        calling_code: "39",
        names: None,
        data: include_str!("data/locales/it_IT.txt"),
        company_layout: "{n} {a}",
        address: "{street} {number}, [{postcode} ]{city} ({region_code})",
        street_line: "{street} {number}",
        max_number: 200,
    },
    Meta {
        code: "nl_NL",
        country: "NL",
        calling_code: "31",
        names: None,
        data: include_str!("data/locales/nl_NL.txt"),
        company_layout: "{a} {n}",
        address: "{street} {number}, [{postcode} ]{city}",
        street_line: "{street} {number}",
        max_number: 250,
    },
    Meta {
        code: "pl_PL",
        country: "PL",
        calling_code: "48",
        names: None,
        data: include_str!("data/locales/pl_PL.txt"),
        company_layout: "{n} {a}",
        address: "ul. {street} {number}, [{postcode} ]{city}",
        street_line: "ul. {street} {number}",
        max_number: 120,
    },
    Meta {
        code: "pt_BR",
        country: "BR",
        calling_code: "55",
        names: None,
        data: include_str!("data/locales/pt_BR.txt"),
        company_layout: "{n} {a}",
        address: "{street}, {number} - {city} - {region_code}[, {postcode}]",
        street_line: "{street}, {number}",
        max_number: 3000,
    },
];

/// The entries of section `[name]` of a locale file (one per line, `#` comments skipped).
fn section(data: &'static str, name: &str) -> Vec<&'static str> {
    let header = format!("[{name}]");
    let mut lines = data.lines().map(str::trim);
    if !lines.any(|l| l == header) {
        return Vec::new();
    }
    lines
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn parse(meta: &Meta) -> Locale {
    let names = |i: usize, section_name: &str| match meta.names {
        Some(lists) => lists[i].split_whitespace().collect(),
        None => section(meta.data, section_name),
    };
    let mut last = names(2, "last");
    let last_female = section(meta.data, "last_female");
    if last.is_empty() {
        last = section(meta.data, "last_male");
    }
    let cities = section(meta.data, "city")
        .into_iter()
        .map(|line| {
            let mut f = line.split('|');
            let mut next = || f.next().unwrap_or("");
            let (name, region, postcode) = (next(), next(), next());
            let code = next();
            City {
                name,
                region,
                region_code: (!code.is_empty()).then_some(code),
                postcode,
            }
        })
        .collect();
    Locale {
        code: meta.code,
        country: meta.country,
        calling_code: meta.calling_code,
        male: names(0, "male"),
        female: names(1, "female"),
        last,
        last_female,
        streets: section(meta.data, "street"),
        cities,
        company_adj: section(meta.data, "company_adj"),
        company_noun: section(meta.data, "company_noun"),
        company_suffix: section(meta.data, "company_suffix"),
        company_layout: meta.company_layout,
        phone_national: section(meta.data, "phone_national"),
        phone_international: section(meta.data, "phone_international"),
        address: meta.address,
        street_line: meta.street_line,
        max_number: meta.max_number,
    }
}

/// Every locale, parsed once.
pub fn all() -> &'static [Locale] {
    static ALL: OnceLock<Vec<Locale>> = OnceLock::new();
    ALL.get_or_init(|| META.iter().map(parse).collect())
}

/// The locale with code `code` (exact), if supported.
pub fn get(code: &str) -> Option<&'static Locale> {
    all().iter().find(|l| l.code == code)
}

/// The default locale (en_US).
pub fn default_locale() -> &'static Locale {
    &all()[0]
}

/// Resolves a user's spelling of a locale: `de`, `de-DE`, `de_de` and `de_DE` all mean de_DE;
/// a bare language picks its first locale (`en` = en_US).
pub fn resolve(given: &str) -> Option<&'static Locale> {
    let norm = given.trim().replace('-', "_").to_ascii_lowercase();
    all()
        .iter()
        .find(|l| l.code.to_ascii_lowercase() == norm)
        .or_else(|| all().iter().find(|l| l.code[..2] == norm))
}

/// The locale named by the common `locale` option (en_US when absent).
pub fn from_options(opts: &Options) -> Result<&'static Locale, String> {
    match opts.get("locale") {
        Some(OptionValue::String(given)) => resolve(given)
            .ok_or_else(|| format!("option `locale` must be one of {}", CODES.join(", "))),
        _ => Ok(default_locale()),
    }
}

/// The locale whose country is `country` (ISO alpha-2, any case), if any.
pub fn by_country(country: &str) -> Option<&'static Locale> {
    all()
        .iter()
        .find(|l| l.country.eq_ignore_ascii_case(country.trim()))
}

/// The locale whose calling code is `code`, if any.
pub fn by_calling_code(code: &str) -> Option<&'static Locale> {
    all().iter().find(|l| l.calling_code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_dictionary() {
        assert_eq!(all().len(), CODES.len());
        for (l, code) in all().iter().zip(CODES) {
            assert_eq!(l.code, *code);
            for (what, list) in [
                ("male", &l.male),
                ("female", &l.female),
                ("last", &l.last),
                ("streets", &l.streets),
                ("company_adj", &l.company_adj),
                ("company_noun", &l.company_noun),
                ("company_suffix", &l.company_suffix),
            ] {
                assert!(list.len() >= 3, "{code}: {what} has {}", list.len());
                assert!(list.iter().all(|s| !s.trim().is_empty() && *s == s.trim()));
            }
            for (what, list) in [
                ("phone_national", &l.phone_national),
                ("phone_international", &l.phone_international),
            ] {
                assert!(!list.is_empty(), "{code}: {what}");
                assert!(list.iter().all(|s| !s.trim().is_empty() && *s == s.trim()));
            }
            assert!(
                l.male.len() >= 50 && l.female.len() >= 50 && l.last.len() >= 50,
                "{code}"
            );
            assert!(l.cities.len() >= 20, "{code}");
            for c in &l.cities {
                assert!(!c.name.is_empty() && !c.region.is_empty() && !c.postcode.is_empty());
                if l.address.contains("{region_code}") {
                    assert!(c.region_code.is_some(), "{code}: {}", c.name);
                }
            }
            if !l.last_female.is_empty() {
                assert_eq!(l.last_female.len(), l.last.len());
            }
        }
    }

    #[test]
    fn resolve_spellings() {
        for (given, code) in [
            ("de", "de_DE"),
            ("de-DE", "de_DE"),
            ("PT_br", "pt_BR"),
            ("en", "en_US"),
            ("en-GB", "en_GB"),
        ] {
            assert_eq!(resolve(given).unwrap().code, code);
        }
        assert!(resolve("xx_XX").is_none());
    }
}
