//! Value recognisers: for one type and one trimmed cell, does the cell have the type's shape,
//! does it pass the type's validator, and is the shape distinctive on its own ("strong") or
//! only supporting evidence for a name hint ("weak", such as a bare integer for an age).

use crate::checksum::{self, digits_only};
use crate::dict;
use crate::tokens::fold;
use crate::types::PiiType;

/// The verdict on one value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hit {
    /// The value has the type's shape.
    pub matched: bool,
    /// The validator's verdict (checksum, dictionary, known TLD...), when the type has one.
    pub valid: Option<bool>,
    /// The shape alone is distinctive enough to count without a name hint.
    pub strong: bool,
    /// The sub-scheme that matched (`visa`, `pesel`...), for evidence.
    pub scheme: Option<&'static str>,
}

impl Hit {
    const NO: Hit = Hit {
        matched: false,
        valid: None,
        strong: false,
        scheme: None,
    };

    fn shape(strong: bool) -> Hit {
        Hit {
            matched: true,
            strong,
            ..Hit::NO
        }
    }

    fn checked(strong: bool, valid: bool) -> Hit {
        Hit {
            matched: true,
            valid: Some(valid),
            strong,
            scheme: None,
        }
    }

    fn scheme(mut self, s: &'static str) -> Hit {
        self.scheme = Some(s);
        self
    }
}

/// How a type's validator is read when aggregated over a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// No validator.
    None,
    /// A checksum or structural rule: >= 90 % certain, <= 50 % rules the type out.
    Checksum,
    /// A dictionary: a sample of names and places cannot be complete, so >= 50 % counts as
    /// strong and <= 25 % rules the type out.
    Dictionary,
}

/// The validator kind of `ty`.
pub fn validator(ty: PiiType) -> Validator {
    use PiiType::*;
    match ty {
        Email | CreditCard | Iban | Ssn | NationalId | SwiftBic | CryptoWallet | DeviceId
        | VehicleId | HealthId => Validator::Checksum,
        PersonName | FirstName | LastName | City | Region | Country => Validator::Dictionary,
        _ => Validator::None,
    }
}

/// Tests one trimmed, non-empty value against `ty`.
pub fn test(ty: PiiType, v: &str) -> Hit {
    use PiiType::*;
    match ty {
        Email => email(v),
        Phone => phone(v),
        Username => username(v),
        Password => password(v),
        DateOfBirth => date(v),
        Age => age(v),
        Gender => gender(v),
        StreetAddress => street(v),
        PostalCode => postal(v),
        City => city(v),
        Region => region(v),
        Country => country(v),
        Coordinates => coordinate(v),
        IpAddress => ip(v),
        MacAddress => mac(v),
        DeviceId => device(v),
        Url => url(v),
        CreditCard => card(v),
        CardSecurity => card_security(v),
        Iban => iban(v),
        BankAccount => bank_account(v),
        SwiftBic => bic(v),
        CryptoWallet => wallet(v),
        Ssn => ssn(v),
        NationalId => national_id(v),
        IdentityDocument => identity_document(v),
        HealthId => health(v),
        VehicleId => vehicle(v),
        Secret => secret(v),
        Money => money(v),
        PersonName => person_name(v),
        FirstName => first_name(v),
        LastName => last_name(v),
        FreeText | Biometric => Hit::NO,
    }
}

const TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "io",
    "co",
    "me",
    "app",
    "dev",
    "ai",
    "name",
    "pro",
    "mobi",
    "online",
    "site",
    "shop",
    "store",
    "tech",
    "xyz",
    "cloud",
    "email",
    "mail",
    "live",
    "world",
    "today",
    "company",
    "agency",
    "eu",
    "asia",
    "local",
    "test",
    "example",
    "invalid",
    "localhost",
];

fn email(v: &str) -> Hit {
    let Some((local, domain)) = v.rsplit_once('@') else {
        return Hit::NO;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-'!#$&*=?^`{|}~".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !l.starts_with('-')
        });
    if !local_ok || !domain_ok {
        return Hit::NO;
    }
    let tld = labels[labels.len() - 1].to_ascii_lowercase();
    let known = TLDS.contains(&tld.as_str())
        || (tld.len() == 2 && dict::get().countries.contains(&tld))
        || tld.starts_with("xn--");
    Hit::checked(true, known).scheme("known TLD")
}

fn is_date_like(v: &str) -> bool {
    parse_date(v).is_some()
}

fn phone(v: &str) -> Hit {
    let lower = v.to_ascii_lowercase();
    let main = ["x", "ext.", "ext", "#"]
        .iter()
        .find_map(|sep| lower.split_once(sep))
        .filter(|(_, e)| !e.trim().is_empty() && e.trim().chars().all(|c| c.is_ascii_digit()))
        .map_or(lower.as_str(), |(m, _)| m)
        .trim();
    let (plus, body) = match main.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (main.starts_with("00"), main),
    };
    let Some(digits) = digits_only(body, &[' ', '-', '.', '(', ')', '/']) else {
        return Hit::NO;
    };
    if !(7..=15).contains(&digits.len()) || digits.iter().all(|&d| d == digits[0]) {
        return Hit::NO;
    }
    if is_date_like(v)
        || (body.contains('.') && body.matches('.').count() == 1 && !body.contains(' '))
        || ip(v).matched
    {
        return Hit::NO;
    }
    let separators = body.chars().filter(|c| " -.()/".contains(*c)).count();
    let strong = plus || body.contains('(') || separators >= 2;
    Hit::shape(strong)
}

fn username(v: &str) -> Hit {
    let n = v.chars().count();
    let ok = (3..=32).contains(&n)
        && !v.contains(char::is_whitespace)
        && !v.contains('@')
        && v.chars().any(char::is_alphabetic)
        && v.chars().all(|c| c.is_alphanumeric() || "._-".contains(c));
    if ok {
        Hit::shape(false)
    } else {
        Hit::NO
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn password(v: &str) -> Hit {
    let crypt = [
        "$2a$", "$2b$", "$2y$", "$argon2", "$scrypt$", "$6$", "$5$", "$1$", "pbkdf2_", "{SSHA}",
        "{SHA}", "sha1$", "bcrypt$",
    ]
    .iter()
    .any(|p| v.starts_with(p));
    if crypt && v.len() >= 20 {
        return Hit::shape(true).scheme("crypt");
    }
    if matches!(v.len(), 32 | 40 | 64 | 128) && is_hex(v) {
        return Hit::shape(false).scheme("hex digest");
    }
    Hit::NO
}

/// A calendar date at the start of `v` (ISO, European or US order, optional time after it).
pub fn parse_date(v: &str) -> Option<(i32, u32, u32)> {
    let head = v.split(['T', ' ']).next()?;
    let parts: Vec<&str> = head.split(['-', '/', '.']).collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let (y, m, d) = if parts[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        if n[0] > 12 {
            (n[2], n[1], n[0])
        } else if n[1] > 12 {
            (n[2], n[0], n[1])
        } else {
            (n[2], n[1], n[0])
        }
    } else {
        return None;
    };
    ((1..=12).contains(&m) && (1..=31).contains(&d) && (1000..=9999).contains(&y))
        .then_some((y as i32, m, d))
}

fn date(v: &str) -> Hit {
    match parse_date(v) {
        // Plausible birth years: people aged 0-120 at any time this century.
        Some((y, _, _)) if (1900..=2030).contains(&y) => Hit::shape(false),
        _ => Hit::NO,
    }
}

fn age(v: &str) -> Hit {
    match v.parse::<i64>() {
        Ok(n) if (0..=120).contains(&n) => Hit::shape(false),
        _ => Hit::NO,
    }
}

const GENDER_WORDS: &[&str] = &[
    "male",
    "female",
    "man",
    "woman",
    "men",
    "women",
    "non-binary",
    "nonbinary",
    "non binary",
    "diverse",
    "divers",
    "other",
    "unknown",
    "prefer not to say",
    "mannlich",
    "weiblich",
    "homme",
    "femme",
    "masculin",
    "feminin",
    "hombre",
    "mujer",
    "masculino",
    "femenino",
    "maschio",
    "femmina",
    "uomo",
    "donna",
    "man",
    "vrouw",
    "mannelijk",
    "vrouwelijk",
    "mezczyzna",
    "kobieta",
    "feminino",
    "mulher",
    "homem",
];

fn gender(v: &str) -> Hit {
    let f = fold(v);
    if GENDER_WORDS.contains(&f.as_str()) {
        Hit::shape(true)
    } else if matches!(
        f.as_str(),
        "m" | "f" | "w" | "x" | "d" | "u" | "h" | "k" | "o" | "n"
    ) {
        Hit::shape(false)
    } else {
        Hit::NO
    }
}

fn street(v: &str) -> Hit {
    let words: Vec<&str> = v
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < 2 || v.chars().count() > 200 {
        return Hit::NO;
    }
    let street_word = words.iter().any(|w| dict::is_street_word(w));
    let number = words
        .iter()
        .any(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
    let letters = v.chars().filter(|c| c.is_alphabetic()).count();
    if street_word && letters >= 3 {
        Hit::shape(number)
    } else {
        Hit::NO
    }
}

fn postal(v: &str) -> Hit {
    let b = v.as_bytes();
    let all =
        |r: std::ops::Range<usize>, f: fn(&u8) -> bool| b.get(r).is_some_and(|s| s.iter().all(f));
    let digit = |c: &u8| c.is_ascii_digit();
    let upper = |c: &u8| c.is_ascii_uppercase();
    let n = b.len();
    // Distinctive formats: NL 1234 AB, PL 12-345, PT 1234-567, US ZIP+4, UK, CA.
    let nl =
        (n == 6 || n == 7) && all(0..4, digit) && all(n - 2..n, upper) && (n == 6 || b[4] == b' ');
    let pl = n == 6 && all(0..2, digit) && b[2] == b'-' && all(3..6, digit);
    let pt = n == 8 && all(0..4, digit) && b[4] == b'-' && all(5..8, digit);
    let br = n == 9 && all(0..5, digit) && b[5] == b'-' && all(6..9, digit);
    let zip4 = n == 10 && all(0..5, digit) && b[5] == b'-' && all(6..10, digit);
    let ca = n == 7
        && upper(&b[0])
        && digit(&b[1])
        && upper(&b[2])
        && b[3] == b' '
        && digit(&b[4])
        && upper(&b[5])
        && digit(&b[6]);
    let uk = uk_postcode(v);
    if nl || pl || pt || br || zip4 || ca || uk {
        return Hit::shape(true);
    }
    // Bare digits (US/DE/FR/ES/IT five, AT/CH/DK four, BR eight) only count with a name hint.
    if (3..=8).contains(&n) && all(0..n, digit) {
        return Hit::shape(false);
    }
    Hit::NO
}

fn uk_postcode(v: &str) -> bool {
    let Some((out, inw)) = v.split_once(' ') else {
        return false;
    };
    let o = out.as_bytes();
    let i = inw.as_bytes();
    i.len() == 3
        && i[0].is_ascii_digit()
        && i[1].is_ascii_uppercase()
        && i[2].is_ascii_uppercase()
        && (2..=4).contains(&o.len())
        && o[0].is_ascii_uppercase()
        && o.iter().any(u8::is_ascii_digit)
        && o.iter().all(u8::is_ascii_alphanumeric)
}

fn capitalised_words(v: &str, max: usize) -> Option<Vec<&str>> {
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.is_empty() || words.len() > max {
        return None;
    }
    let ok = words.iter().all(|w| {
        w.chars().next().is_some_and(char::is_uppercase)
            && w.chars().all(|c| c.is_alphabetic() || "'-.".contains(c))
    });
    ok.then_some(words)
}

fn city(v: &str) -> Hit {
    let d = dict::get();
    let known = d.cities.contains(v);
    if !known && capitalised_words(v, 5).is_none() {
        return Hit::NO;
    }
    Hit::checked(true, known || dict::looks_like_place(v)).scheme("city dictionary")
}

fn region(v: &str) -> Hit {
    let d = dict::get();
    if d.regions.contains(v) {
        return Hit::checked(true, true).scheme("region dictionary");
    }
    if v.len() == 2 && v.chars().all(|c| c.is_ascii_uppercase()) {
        return Hit::checked(false, US_STATES.contains(&v)).scheme("region dictionary");
    }
    match capitalised_words(v, 5) {
        Some(_) => Hit::checked(true, false).scheme("region dictionary"),
        None => Hit::NO,
    }
}

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC",
];

fn country(v: &str) -> Hit {
    let known = dict::get().countries.contains(v);
    let code = v.len() <= 3 && v.chars().all(|c| c.is_ascii_uppercase());
    if known {
        Hit::checked(!code, true).scheme("country list")
    } else if capitalised_words(v, 5).is_some() || code {
        Hit::checked(false, false).scheme("country list")
    } else {
        Hit::NO
    }
}

fn coordinate(v: &str) -> Hit {
    let Ok(x) = v.parse::<f64>() else {
        return Hit::NO;
    };
    let decimals = v.split_once('.').map_or(0, |(_, f)| f.len());
    if (-180.0..=180.0).contains(&x) && decimals >= 3 {
        Hit::shape(false)
    } else {
        Hit::NO
    }
}

fn ip(v: &str) -> Hit {
    // PostgreSQL `inet`/`cidr` print a network prefix (`10.1.0.0/16`).
    let v = match v.rsplit_once('/') {
        Some((addr, bits)) if bits.parse::<u8>().is_ok_and(|b| b <= 128) => addr,
        _ => v,
    };
    if v.contains(':') && v.parse::<std::net::Ipv6Addr>().is_ok() {
        return Hit::shape(true).scheme("ipv6");
    }
    let parts: Vec<&str> = v.split('.').collect();
    let ok = parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        });
    if ok {
        Hit::shape(true).scheme("ipv4")
    } else {
        Hit::NO
    }
}

fn mac(v: &str) -> Hit {
    let six = |sep: char| {
        let parts: Vec<&str> = v.split(sep).collect();
        parts.len() == 6 && parts.iter().all(|p| p.len() == 2 && is_hex(p))
    };
    let cisco = {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| p.len() == 4 && is_hex(p))
    };
    if six(':') || six('-') || cisco {
        Hit::shape(true)
    } else {
        Hit::NO
    }
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| [8, 13, 18, 23].contains(&i) || c.is_ascii_hexdigit())
}

fn device(v: &str) -> Hit {
    if is_uuid(v) {
        return Hit::shape(false).scheme("uuid");
    }
    if let Some(d) = digits_only(v, &[' ', '-']) {
        if d.len() == 15 {
            return Hit::checked(true, checksum::luhn(&d)).scheme("imei");
        }
        if (19..=20).contains(&d.len()) && d.starts_with(&[8, 9]) {
            return Hit::checked(true, checksum::luhn(&d)).scheme("iccid");
        }
    }
    Hit::NO
}

fn url(v: &str) -> Hit {
    let lower = v.to_ascii_lowercase();
    let rest = ["http://", "https://", "ftp://", "www."]
        .iter()
        .find_map(|p| lower.strip_prefix(p));
    match rest {
        Some(r) if r.contains('.') && !r.contains(char::is_whitespace) => Hit::shape(false),
        _ => Hit::NO,
    }
}

fn card(v: &str) -> Hit {
    let Some(d) = digits_only(v, &[' ', '-']) else {
        return Hit::NO;
    };
    if !(12..=19).contains(&d.len()) || v.contains("  ") || v.contains("--") {
        return Hit::NO;
    }
    let issuer = checksum::card_issuer(&d);
    let hit = Hit::checked(true, checksum::luhn(&d) && issuer.is_some());
    match issuer {
        Some(i) => hit.scheme(i),
        None => hit,
    }
}

fn card_security(v: &str) -> Hit {
    let b = v.as_bytes();
    let expiry = (b.len() == 5 || b.len() == 7)
        && (b[2] == b'/' || b[2] == b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
        && v[..2].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    if expiry {
        return Hit::shape(true).scheme("expiry");
    }
    if (3..=4).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        return Hit::shape(false).scheme("cvv");
    }
    Hit::NO
}

fn iban(v: &str) -> Hit {
    let compact: String = v
        .chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_uppercase();
    let b = compact.as_bytes();
    let shape = (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_alphabetic)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphanumeric);
    if shape {
        Hit::checked(true, checksum::iban_valid(&compact))
    } else {
        Hit::NO
    }
}

fn bank_account(v: &str) -> Hit {
    let b = v.as_bytes();
    let sort_code = b.len() == 8
        && b[2] == b'-'
        && b[5] == b'-'
        && v.chars().filter(char::is_ascii_digit).count() == 6;
    if sort_code {
        return Hit::shape(true).scheme("sort code");
    }
    match digits_only(v, &[' ', '-']) {
        Some(d) if d.len() == 9 && checksum::aba(&d) => Hit::shape(false).scheme("aba"),
        Some(d) if (6..=18).contains(&d.len()) => Hit::shape(false),
        _ => {
            let alnum = v.chars().all(|c| c.is_ascii_alphanumeric())
                && v.chars().filter(char::is_ascii_digit).count() >= 6;
            if alnum && (8..=34).contains(&v.len()) {
                Hit::shape(false)
            } else {
                Hit::NO
            }
        }
    }
}

fn bic(v: &str) -> Hit {
    let b = v.as_bytes();
    let shape = (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if shape {
        Hit::checked(true, dict::get().countries.contains(&v[4..6]))
    } else {
        Hit::NO
    }
}

fn wallet(v: &str) -> Hit {
    if v.len() == 42 && v.starts_with("0x") && is_hex(&v[2..]) {
        return Hit::checked(true, true).scheme("ethereum");
    }
    let lower = v.to_ascii_lowercase();
    if (lower.starts_with("bc1") || lower.starts_with("tb1"))
        && (14..=74).contains(&v.len())
        && lower[3..]
            .chars()
            .all(|c| "qpzry9x8gf2tvdw0s3jn54khce6mua7l".contains(c))
    {
        return Hit::checked(true, true).scheme("bech32");
    }
    if (26..=35).contains(&v.len())
        && (v.starts_with('1') || v.starts_with('3'))
        && v.chars().all(char::is_alphanumeric)
    {
        return Hit::checked(true, checksum::base58check(v)).scheme("base58check");
    }
    Hit::NO
}

fn ssn(v: &str) -> Hit {
    let b = v.as_bytes();
    let dashed = b.len() == 11 && (b[3] == b'-' && b[6] == b'-' || b[3] == b' ' && b[6] == b' ');
    match digits_only(v, &['-', ' ']) {
        Some(d) if d.len() == 9 && dashed => {
            Hit::checked(true, checksum::ssn(&d)).scheme("SSN area/group/serial")
        }
        // Nine bare digits pass the area/group/serial rules nine times in ten by chance: that
        // is no checksum, so it neither confirms an SSN nor beats a real one (a Dutch BSN).
        Some(d) if d.len() == 9 && b.len() == 9 => Hit::shape(false).scheme("SSN shape"),
        _ => Hit::NO,
    }
}

/// National ids: every scheme is tried; the first whose shape fits and whose check passes
/// wins, else the first whose shape fits.
fn national_id(v: &str) -> Hit {
    let mut fallback = Hit::NO;
    for (scheme, f) in NATIONAL_SCHEMES {
        if let Some(valid) = f(v) {
            let hit = Hit::checked(true, valid).scheme(scheme);
            if valid {
                return hit;
            }
            if !fallback.matched {
                fallback = hit;
            }
        }
    }
    fallback
}

type Scheme = (&'static str, fn(&str) -> Option<bool>);

/// Per-country schemes: `Some(checksum ok)` when the shape fits, `None` otherwise.
const NATIONAL_SCHEMES: &[Scheme] = &[
    ("nino", |v| {
        let c: String = v.chars().filter(|c| *c != ' ').collect();
        let b = c.as_bytes();
        let shape = b.len() == 9
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..8].iter().all(u8::is_ascii_digit)
            && (b'A'..=b'D').contains(&b[8]);
        shape.then(|| {
            !["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(&&c[..2])
                && !b"DFIQUV".contains(&b[0])
        })
    }),
    ("dni/nie", |v| {
        let b = v.as_bytes();
        let shape = (9..=10).contains(&b.len())
            && b[b.len() - 1].is_ascii_uppercase()
            && (b[0].is_ascii_digit() || b"XYZ".contains(&b[0]));
        shape.then(|| checksum::dni_nie(v))
    }),
    ("codice fiscale", |v| {
        (v.len() == 16 && v.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| checksum::codice_fiscale(v))
    }),
    ("pan (india)", |v| {
        let b = v.as_bytes();
        (b.len() == 10
            && b[..5].iter().all(u8::is_ascii_uppercase)
            && b[5..9].iter().all(u8::is_ascii_digit)
            && b[9].is_ascii_uppercase())
        .then(|| b"ABCFGHLJPT".contains(&b[3]))
    }),
    ("cpf", |v| {
        let shaped = v.len() == 14 && v.as_bytes()[3] == b'.' && v.as_bytes()[11] == b'-';
        digits_only(v, &['.', '-'])
            .filter(|d| d.len() == 11 && (shaped || v.len() == 11))
            .map(|d| checksum::cpf(&d))
    }),
    ("personnummer", |v| {
        let b = v.as_bytes();
        let shaped = (b.len() == 11 && b[6] == b'-') || (b.len() == 13 && b[8] == b'-');
        digits_only(v, &['-', '+'])
            .filter(|d| shaped && (d.len() == 10 || d.len() == 12))
            .map(|d| checksum::luhn(&d[d.len() - 10..]))
    }),
    ("nir", |v| {
        digits_only(&v.replace("2A", "19").replace("2B", "18"), &[' '])
            .filter(|d| d.len() == 15)
            .map(|_| checksum::nir(v))
    }),
    ("pesel", |v| {
        digits_only(v, &[])
            .filter(|d| d.len() == 11)
            .map(|d| checksum::pesel(&d))
    }),
    ("steuer-id", |v| {
        digits_only(v, &[' '])
            .filter(|d| d.len() == 11)
            .map(|d| checksum::steuer_id(&d))
    }),
    ("cpf", |v| {
        digits_only(v, &[])
            .filter(|d| d.len() == 11)
            .map(|d| checksum::cpf(&d))
    }),
    ("aadhaar", |v| {
        digits_only(v, &[' ', '-'])
            .filter(|d| d.len() == 12 && d[0] >= 2)
            .map(|d| checksum::verhoeff(&d))
    }),
    ("nhs", |v| {
        digits_only(v, &[' ', '-'])
            .filter(|d| d.len() == 10)
            .map(|d| checksum::nhs(&d))
    }),
    ("bsn", |v| {
        digits_only(v, &['.', ' '])
            .filter(|d| d.len() == 9)
            .map(|d| checksum::bsn(&d))
    }),
    ("nif (pt)", |v| {
        digits_only(v, &[' '])
            .filter(|d| d.len() == 9)
            .map(|d| checksum::nif_pt(&d))
    }),
    ("sin", |v| {
        digits_only(v, &[' ', '-'])
            .filter(|d| d.len() == 9)
            .map(|d| checksum::luhn(&d))
    }),
];

fn identity_document(v: &str) -> Hit {
    if v.len() == 44 && v.contains("<<") {
        return Hit::shape(true).scheme("mrz");
    }
    let n = v.chars().count();
    let alnum = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ');
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if (5..=16).contains(&n) && alnum && digits >= 4 && !v.chars().any(|c| c.is_ascii_lowercase()) {
        Hit::shape(false)
    } else {
        Hit::NO
    }
}

fn health(v: &str) -> Hit {
    if let Some(d) = digits_only(v, &[]) {
        if d.len() == 10 && (d[0] == 1 || d[0] == 2) {
            let mut full = vec![8, 0, 8, 4, 0];
            full.extend_from_slice(&d);
            return Hit::checked(true, checksum::luhn(&full)).scheme("npi");
        }
    }
    let b = v.as_bytes();
    let mbi = b.len() == 11
        && (b'1'..=b'9').contains(&b[0])
        && b[1].is_ascii_uppercase()
        && b[2].is_ascii_alphanumeric()
        && b[3].is_ascii_digit()
        && b[4].is_ascii_uppercase()
        && b[5].is_ascii_alphanumeric()
        && b[6].is_ascii_digit()
        && b[7].is_ascii_uppercase()
        && b[8].is_ascii_uppercase()
        && b[9].is_ascii_digit()
        && b[10].is_ascii_digit();
    if mbi {
        return Hit::checked(true, !b.iter().any(|c| b"SLOIBZ".contains(c))).scheme("mbi");
    }
    let icd = (3..=8).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_alphanumeric()
        && (b.len() == 3 || (b[3] == b'.' && b[4..].iter().all(u8::is_ascii_alphanumeric)));
    if icd {
        return Hit::shape(false).scheme("icd-10");
    }
    Hit::NO
}

fn vehicle(v: &str) -> Hit {
    let b = v.as_bytes();
    let vin_shape = b.len() == 17
        && b.iter()
            .all(|c| (c.is_ascii_uppercase() && !b"IOQ".contains(c)) || c.is_ascii_digit())
        && b.iter().filter(|c| c.is_ascii_digit()).count() >= 4
        && b.iter().any(u8::is_ascii_uppercase);
    if vin_shape {
        // The check digit is mandatory in North America only: a miss is not a rule-out.
        return Hit::checked(true, true).scheme(if checksum::vin(v) {
            "vin (check digit ok)"
        } else {
            "vin"
        });
    }
    let plate = (4..=10).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'-' || *c == b' ')
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_uppercase);
    if plate {
        return Hit::shape(false).scheme("plate");
    }
    Hit::NO
}

fn secret(v: &str) -> Hit {
    const PREFIXES: &[&str] = &[
        "AKIA",
        "ASIA",
        "ghp_",
        "gho_",
        "ghs_",
        "ghu_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "pk_live_",
        "AIza",
        "sk-",
        "-----BEGIN",
        "SG.",
        "npm_",
        "pypi-",
    ];
    if PREFIXES.iter().any(|p| v.starts_with(p)) && v.len() >= 16 {
        return Hit::shape(true).scheme("known key format");
    }
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() == 3 && v.starts_with("eyJ") && parts.iter().all(|p| !p.is_empty()) {
        return Hit::shape(true).scheme("jwt");
    }
    if v.len() >= 20 && !v.contains(char::is_whitespace) && entropy(v) >= 3.5 {
        return Hit::shape(false).scheme("high entropy");
    }
    Hit::NO
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn money(v: &str) -> Hit {
    let cleaned: String = v.chars().filter(|c| !"$€£¥ ,'".contains(*c)).collect();
    let cleaned = cleaned.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if !cleaned.is_empty() && cleaned.parse::<f64>().is_ok() {
        Hit::shape(false)
    } else {
        Hit::NO
    }
}

const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "herr", "frau", "m", "mme", "mlle", "sr",
    "sra", "srta", "sig", "sig.ra", "dhr", "mevr", "pan", "pani", "eng", "ing", "dott", "jr", "sr",
    "ii", "iii", "iv", "md", "phd", "dds", "dvm",
];
const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "da", "das", "do", "dos", "del", "della", "di", "du", "la",
    "le", "y", "e", "bin", "al", "ten", "ter", "zu", "des",
];

fn name_words(v: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    let mut out = Vec::new();
    for w in words {
        let bare = w.trim_end_matches([',', '.']);
        let f = fold(bare);
        if TITLES.contains(&f.as_str()) || PARTICLES.contains(&f.as_str()) {
            continue;
        }
        let ok = bare.chars().next().is_some_and(char::is_uppercase)
            && bare
                .chars()
                .all(|c| c.is_alphabetic() || c == '\'' || c == '-');
        if !ok {
            return None;
        }
        out.push(bare.to_string());
    }
    Some(out)
}

fn in_dict(d: &dict::Dict, word: &str) -> bool {
    d.contains(word) || word.split('-').any(|p| p.len() > 1 && d.contains(p))
}

fn person_name(v: &str) -> Hit {
    let Some(words) = name_words(v) else {
        return Hit::NO;
    };
    if !(2..=5).contains(&words.len()) {
        return Hit::NO;
    }
    let d = dict::get();
    let first = in_dict(&d.first_names, &words[0]);
    let last = words[1..].iter().any(|w| in_dict(&d.surnames, w));
    Hit::checked(true, first || last).scheme("name dictionaries")
}

fn first_name(v: &str) -> Hit {
    match name_words(v) {
        Some(w) if w.len() == 1 || (w.len() == 2 && v.contains('-')) => {
            Hit::checked(true, in_dict(&dict::get().first_names, &w[0]))
                .scheme("first-name dictionary")
        }
        Some(w) if w.len() == 2 => Hit::checked(false, in_dict(&dict::get().first_names, &w[0]))
            .scheme("first-name dictionary"),
        _ => Hit::NO,
    }
}

fn last_name(v: &str) -> Hit {
    match name_words(v) {
        Some(w) if (1..=3).contains(&w.len()) => {
            Hit::checked(true, w.iter().any(|x| in_dict(&dict::get().surnames, x)))
                .scheme("surname dictionary")
        }
        _ => Hit::NO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PiiType::*;

    type Verdict = (bool, Option<bool>, bool);

    fn m(ty: PiiType, v: &str) -> Verdict {
        let h = test(ty, v);
        (h.matched, h.valid, h.strong)
    }

    #[test]
    fn table_of_values() {
        let cases: &[(PiiType, &str, Verdict)] = &[
            (
                Email,
                "danielle.johnson@example.com",
                (true, Some(true), true),
            ),
            (Email, "not an email", (false, None, false)),
            (Phone, "533-521-8196x001", (true, None, true)),
            (Phone, "+34 987 327 648", (true, None, true)),
            (Phone, "2024-01-05", (false, None, false)),
            (Ssn, "756-14-8936", (true, Some(true), true)),
            (Ssn, "966-14-8936", (true, Some(false), true)),
            (CreditCard, "4960-0133-8908-3869", (true, Some(true), true)),
            (CreditCard, "7960-0133-8908-3869", (true, Some(false), true)),
            (CreditCard, "4111 1111 1111 1111", (true, Some(true), true)),
            (
                Iban,
                "DE89 3704 0044 0532 0130 00",
                (true, Some(true), true),
            ),
            (IpAddress, "192.168.0.1", (true, None, true)),
            (IpAddress, "1.2.3", (false, None, false)),
            (IpAddress, "2001:db8::1", (true, None, true)),
            (IpAddress, "10.1.0.0/16", (true, None, true)),
            (Phone, "192.168.100.114", (false, None, false)),
            (Phone, "10.1.0.0/16", (false, None, false)),
            (MacAddress, "00:1a:2b:3c:4d:5e", (true, None, true)),
            (StreetAddress, "654 Jason Track", (true, None, true)),
            (
                StreetAddress,
                "Calle de Jenaro Antón 56",
                (true, None, true),
            ),
            (PostalCode, "1500 PI", (true, None, true)),
            (PostalCode, "76-968", (true, None, true)),
            (PostalCode, "TR3W 5AA", (true, None, true)),
            (PersonName, "Danielle Johnson", (true, Some(true), true)),
            (
                PersonName,
                "Classic Cotton Backpack",
                (true, Some(false), true),
            ),
            (
                Password,
                "$2b$12$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
                (true, None, true),
            ),
            (Secret, "AKIAIOSFODNN7EXAMPLE", (true, None, true)),
        ];
        for (ty, v, want) in cases {
            assert_eq!(m(*ty, v), *want, "{ty} {v}");
        }
        assert_eq!(national_id("44051401359").scheme, Some("pesel"));
        assert_eq!(national_id("12345678Z").scheme, Some("dni/nie"));
        assert_eq!(
            national_id("RSSMRA85T10A562S").scheme,
            Some("codice fiscale")
        );
    }
}
