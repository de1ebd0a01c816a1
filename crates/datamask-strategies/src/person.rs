//! Person fakers: `first_name`, `last_name`, `email` and `phone`.
//!
//! Names come from bundled lists (src/data/, about 100 common names per list and locale) and
//! are chosen by the keyed PRF of the input, so the same person gets the same fake name in
//! every table of a domain. Names are not injective (there are only so many); `email` appends a
//! keyed suffix by default so that it is.

use crate::gen::Gen;
use crate::locale::{self, Locale};
use crate::util::{ascii_slug, int_in, match_case};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Str, Value};

/// The names of a locale (or of every locale when `locale_specific` is false) for a gender.
pub(crate) fn first_names(opts: &Options, gender: &str) -> Result<Vec<&'static str>, String> {
    let locales: Vec<&Locale> = if opts.bool_or("locale_specific", true) {
        vec![locale::from_options(opts)?]
    } else {
        locale::all().iter().collect()
    };
    Ok(locales
        .iter()
        .flat_map(|l| match gender {
            "male" => l.male.clone(),
            "female" => l.female.clone(),
            _ => l.male.iter().chain(&l.female).copied().collect(),
        })
        .collect())
}

/// Family names of a locale (or all), gendered forms where the locale has them.
fn last_names(opts: &Options, gender: &str) -> Result<Vec<&'static str>, String> {
    let locales: Vec<&Locale> = if opts.bool_or("locale_specific", true) {
        vec![locale::from_options(opts)?]
    } else {
        locale::all().iter().collect()
    };
    Ok(locales
        .iter()
        .flat_map(|l| match (gender, l.last_female.is_empty()) {
            ("female", false) => l.last_female.clone(),
            ("any", false) => l.last.iter().chain(&l.last_female).copied().collect(),
            _ => l.last.clone(),
        })
        .collect())
}

const LOCALE_SPECIFIC: OptionSpec = OptionSpec::optional(
    "locale_specific",
    OptionType::Boolean,
    Some("true"),
    "Draw from the `locale`'s list only; false draws from every bundled locale's names.",
);

/// A name list the PRF picks from.
struct Names {
    prf: Prf,
    purpose: &'static str,
    names: Vec<&'static str>,
}

impl Names {
    /// Picks a name for `value`, never the original itself: a masked name that equals the
    /// real one would leak it (and make "every row changed" checks fail by chance). When the
    /// draw hits the original, the next name in the list is taken, which is still a pure
    /// function of the key and the value.
    fn pick(&self, value: &Value) -> &'static str {
        let n = self.names.len();
        let i = self.prf.stream(self.purpose, value).below(n as u64) as usize;
        let same =
            |name: &str| matches!(value, Value::Text(s) if s.trim().eq_ignore_ascii_case(name));
        (0..n)
            .map(|k| self.names[(i + k) % n])
            .find(|name| !same(name))
            .unwrap_or(self.names[i])
    }
}

pub const FIRST_NAME: StrategyInfo = StrategyInfo {
    name: "first_name",
    aliases: &["name"],
    family: "faker",
    description: "Replaces a first name with a realistic one from a bundled list for the \
                  locale, chosen by the key, keeping ALL CAPS or all-lowercase style.",
    options: &[
        OptionSpec::optional(
            "gender",
            OptionType::String,
            Some("any"),
            "Draw from male, female or both lists.",
        )
        .one_of(&["any", "male", "female"]),
        LOCALE_SPECIFIC,
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("Alice", "Nicholas"),
    build: build_first_name,
};

pub const LAST_NAME: StrategyInfo = StrategyInfo {
    name: "last_name",
    aliases: &["surname"],
    family: "faker",
    description: "Replaces a family name with a realistic one from a bundled list for the \
                  locale, chosen by the key, keeping ALL CAPS or all-lowercase style.",
    options: &[
        OptionSpec::optional(
            "gender",
            OptionType::String,
            Some("any"),
            "For locales with gendered family names (pl_PL: Kowalski / Kowalska), the              form to use; elsewhere family names do not depend on it.",
        )
        .one_of(&["any", "male", "female"]),
        LOCALE_SPECIFIC,
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("Smith", "Thomas"),
    build: build_last_name,
};

fn build_first_name(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(NameStrategy(Names {
        prf: ctx.prf.clone(),
        purpose: "first_name",
        names: first_names(opts, opts.str_or("gender", "any"))?,
    })))
}

fn build_last_name(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(NameStrategy(Names {
        prf: ctx.prf.clone(),
        purpose: "last_name",
        names: last_names(opts, opts.str_or("gender", "any"))?,
    })))
}

struct NameStrategy(Names);

impl Strategy for NameStrategy {
    /// The longest name of the list, in capitals too (`ß` becomes `SS`).
    fn max_output_chars(&self, _input_max: Option<u32>) -> Option<u32> {
        self.0
            .names
            .iter()
            .map(|n| n.chars().count().max(n.to_uppercase().chars().count()) as u32)
            .max()
    }

    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let Value::Text(s) = value else {
            return Err(format!("names do not apply to {} values", value.kind()));
        };
        Ok(Value::Text(match_case(s, self.0.pick(value))))
    }
}

pub const EMAIL: StrategyInfo = StrategyInfo {
    name: "email",
    aliases: &[],
    family: "faker",
    description: "Replaces an email address with a fake, lowercase, valid one \
                  (first.last.suffix@domain by default). The keyed suffix (13 base-36 \
                  characters, 67 bits) keeps distinct inputs distinct, so unique constraints hold.",
    options: &[
        OptionSpec::optional(
            "email_domain",
            OptionType::String,
            None,
            "Domain of the fake addresses (the common option `domain` is the token \
             domain); by default one of example.com, example.net, example.org, chosen by \
             the key.",
        ),
        OptionSpec::optional(
            "format",
            OptionType::String,
            Some("name.surname"),
            "name.surname = a fake first and last name; random = random letters and digits.",
        )
        .one_of(&["name.surname", "random"]),
        OptionSpec::optional(
            "local_part_length",
            OptionType::Integer,
            Some("10"),
            "Length of the random local part (format random), 1 to 40.",
        ),
        OptionSpec::optional(
            "ensure_unique",
            OptionType::Boolean,
            Some("true"),
            "Append a keyed 13-character suffix to the local part so that addresses stay \
             distinct (injective in practice). Turn off for shorter, prettier addresses.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::ByDefault,
    keyed: true,
    format_preserving: false,
    example: ("alice@corp.test", "randy.wood.x5q6ip6zmvi3c@example.com"),
    build: build_email,
};

const BASE36: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

struct Email {
    prf: Prf,
    domain: Option<String>,
    random: bool,
    local_len: usize,
    unique: bool,
    /// The locales' first and last names as ASCII slugs, made once here rather than per
    /// value (making them was a seventh of this strategy's time).
    first: Vec<String>,
    last: Vec<String>,
    /// Most characters of the name part of the local part, when the column is too narrow
    /// for full names (the unique suffix and the domain are never shortened).
    name_budget: Option<usize>,
}

impl Email {
    /// Characters of the longest domain this instance uses.
    fn domain_len(&self) -> usize {
        self.domain.as_ref().map_or(11, |d| d.chars().count())
    }

    /// Characters of the longest name part before any budget.
    fn full_name_len(&self) -> usize {
        if self.random {
            return self.local_len;
        }
        let longest = |l: &[String]| l.iter().map(String::len).max().unwrap_or(0);
        longest(&self.first) + 1 + longest(&self.last)
    }

    /// The suffix, `@` and domain: the part that never shrinks.
    fn fixed_len(&self, name: usize) -> usize {
        let suffix = match (self.unique, name) {
            (false, _) => 0,
            (true, 0) => 13,
            (true, _) => 14,
        };
        suffix + 1 + self.domain_len()
    }

    /// Shortens the name part so whole addresses fit `max` characters, when they would not.
    fn size_to(&mut self, max: Option<u32>) {
        let Some(max) = max.map(|m| m as usize) else {
            return;
        };
        let full = self.full_name_len();
        if full + self.fixed_len(full) > max {
            let budget = max.saturating_sub(self.fixed_len(1));
            // Without the unique suffix the name part is the whole local part: keep one.
            self.name_budget = Some(if self.unique { budget } else { budget.max(1) });
        }
    }

    fn name_len(&self) -> usize {
        let full = self.full_name_len();
        self.name_budget.map_or(full, |b| b.min(full))
    }
}

fn build_email(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let loc = locale::from_options(opts)?;
    let domain = match opts.get("email_domain") {
        Some(OptionValue::String(d)) => {
            let d = d.trim().to_ascii_lowercase();
            let ok = !d.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !ok {
                return Err(
                    "option `email_domain` must be a domain name such as example.com".into(),
                );
            }
            Some(d)
        }
        _ => None,
    };
    let mut email = Email {
        prf: ctx.prf.clone(),
        domain,
        random: opts.str_or("format", "name.surname") == "random",
        local_len: int_in(opts, "local_part_length", 10, 1, 40)? as usize,
        unique: opts.bool_or("ensure_unique", true),
        first: loc
            .male
            .iter()
            .chain(&loc.female)
            .map(|n| ascii_slug(n))
            .collect(),
        last: loc.last.iter().map(|n| ascii_slug(n)).collect(),
        name_budget: None,
    };
    email.size_to(ctx.column.max_chars());
    Ok(Box::new(email))
}

impl Strategy for Email {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let Value::Text(_) = value else {
            return Err(format!("email does not apply to {} values", value.kind()));
        };
        let mut s = self.prf.stream("email", value);
        // The whole address is built in one buffer: the local part, the unique suffix, `@`
        // and the domain (ASCII throughout, so truncating by bytes is by characters).
        let mut out = Str::default();
        if self.random {
            out.extend((0..self.local_len).map(|_| char::from(BASE36[s.below(36) as usize])));
        } else {
            out.push_str(&self.first[s.below(self.first.len() as u64) as usize]);
            out.push('.');
            out.push_str(&self.last[s.below(self.last.len() as u64) as usize]);
        }
        if let Some(b) = self.name_budget {
            out.truncate(b.min(out.len()));
            out.truncate(out.trim_end_matches('.').len());
        }
        if self.unique {
            let mut u = self.prf.stream("email unique", value);
            if !out.is_empty() {
                out.push('.');
            }
            let suffix: [u8; 13] = std::array::from_fn(|_| BASE36[u.below(36) as usize]);
            out.push_str(std::str::from_utf8(&suffix).expect("ASCII"));
        }
        out.push('@');
        out.push_str(match &self.domain {
            Some(d) => d.as_str(),
            None => ["example.com", "example.net", "example.org"][s.below(3) as usize],
        });
        Ok(Value::Text(out))
    }

    fn is_injective(&self) -> bool {
        self.unique
    }

    fn max_output_chars(&self, _input_max: Option<u32>) -> Option<u32> {
        let name = self.name_len();
        u32::try_from(name + self.fixed_len(name)).ok()
    }
}

pub const PHONE: StrategyInfo = StrategyInfo {
    name: "phone",
    aliases: &[],
    family: "faker",
    description: "Replaces a phone number. By default every digit becomes a keyed digit while \
                  a leading `+`, the country code, separators and length stay, so the number \
                  still fits the column and its validators.",
    options: &[
        OptionSpec::optional(
            "format",
            OptionType::String,
            Some("preserve"),
            "preserve = keep the input's layout; international / national = a number in \
             the country's own layout (`+44 7700 900123`, `06 39 98 12 34`, ...) for the \
             locales' countries, `+CC NNN NNN NNNN` / `0NNN NNNNNNN` for others. Where a \
             country reserves numbers for fiction (US 555-01xx, UK 07700 900xxx, France \
             06 39 98 xx xx), fake numbers come from there.",
        )
        .one_of(&["preserve", "international", "national"]),
        OptionSpec::optional(
            "country_code",
            OptionType::Any,
            None,
            "Country calling code, 1 to 3 digits (string or integer): kept when the input \
             starts with `+` and it, and selects the country's layout. Default: the \
             locale's (1 for en_US, 44 for en_GB, ...).",
        ),
        OptionSpec::optional(
            "include_extension",
            OptionType::Boolean,
            Some("false"),
            "Append ` x` and a 4-digit extension (international and national formats).",
        ),
    ],
    accepts: &["text", "int"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: true,
    example: ("+1 (415) 555-0132", "+1 (410) 662-6358"),
    build: build_phone,
};

struct Phone {
    prf: Prf,
    format: String,
    cc: String,
    ext: bool,
}

fn build_phone(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let cc = match opts.get("country_code") {
        Some(OptionValue::Int(i)) => i.to_string(),
        Some(OptionValue::String(s)) => s.trim_start_matches('+').to_string(),
        None => locale::from_options(opts)?.calling_code.to_string(),
        Some(_) => return Err("option `country_code` must be 1 to 3 digits".into()),
    };
    if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
        return Err("option `country_code` must be 1 to 3 digits".into());
    }
    Ok(Box::new(Phone {
        prf: ctx.prf.clone(),
        format: opts.str_or("format", "preserve").to_string(),
        cc,
        ext: opts.bool_or("include_extension", false),
    }))
}

impl Phone {
    fn preserve(&self, s: &str, value: &Value) -> Str {
        let mut keep = 0;
        if let Some(rest) = s.strip_prefix('+') {
            // `+34 987 ...`: a separated group of 1-3 digits after `+` is the country code.
            let group = rest.chars().take_while(char::is_ascii_digit).count();
            if (1..=3).contains(&group) && group < rest.len() {
                keep = group;
            }
            let leading = rest.bytes().filter(u8::is_ascii_digit).take(self.cc.len());
            if keep == 0 && leading.eq(self.cc.bytes()) {
                keep = self.cc.len();
            }
        }
        let mut stream = self.prf.stream("phone", value);
        let mut seen = 0;
        let mut digit = |d: u8| {
            seen += 1;
            if seen <= keep {
                d
            } else {
                b'0' + stream.below(10) as u8
            }
        };
        // Only ASCII digits change, so ASCII stays ASCII: built in place on the stack (a
        // character at a time into the string cost more than the digits' draws).
        if s.is_ascii() && s.len() <= 64 {
            let mut out = [0u8; 64];
            for (o, b) in out.iter_mut().zip(s.bytes()) {
                *o = if b.is_ascii_digit() { digit(b) } else { b };
            }
            return Str::from(std::str::from_utf8(&out[..s.len()]).expect("ASCII in, ASCII out"));
        }
        s.chars()
            .map(|c| match u8::try_from(c) {
                Ok(b) if b.is_ascii_digit() => char::from(digit(b)),
                _ => c,
            })
            .collect()
    }

    fn generate(&self, value: &Value) -> String {
        let mut g = Gen::new(&self.prf, "phone", value);
        let international = self.format == "international";
        let pattern = match locale::by_calling_code(&self.cc) {
            Some(l) if international => g.pick(&l.phone_international).to_string(),
            Some(l) => g.pick(&l.phone_national).to_string(),
            None if international => format!("+{} %## %## ####", self.cc),
            None => "0%## %######".to_string(),
        };
        let mut out = g.pattern(&pattern);
        if self.ext {
            out.push_str(" x");
            out.push_str(&g.digits(4));
        }
        out
    }

    /// Keyed digits of the same count, no leading zero, within `bound`.
    fn int_digits(&self, mag: u64, bound: u64, value: &Value) -> u64 {
        let len = mag.to_string().len() as u32;
        if len == 1 {
            return self.prf.stream("phone", value).below(10).min(bound);
        }
        let lo = 10u64.pow(len - 1);
        let hi = if len >= 20 {
            u64::MAX
        } else {
            10u64.pow(len) - 1
        }
        .min(bound);
        lo + self.prf.stream("phone", value).below(hi - lo + 1)
    }
}

impl Strategy for Phone {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        match value {
            Value::Text(s) if self.format == "preserve" => Ok(Value::Text(self.preserve(s, value))),
            Value::Text(_) => Ok(Value::Text(self.generate(value).into())),
            Value::Int(i) => {
                let m = self.int_digits(i.unsigned_abs(), i64::MAX as u64, value) as i64;
                Ok(Value::Int(if *i < 0 { -m } else { m }))
            }
            Value::UInt(u) => Ok(Value::UInt(self.int_digits(*u, u64::MAX, value))),
            other => Err(format!("phone does not apply to {} values", other.kind())),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use datamask_core::Value;

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_follow_locale_and_case() {
        let de = text(
            run(
                "last_name",
                &opts(&[("locale", "de-DE")]),
                &Value::text("Smith"),
            )
            .unwrap(),
        );
        assert!(include_str!("data/de_DE_last.txt")
            .split_whitespace()
            .any(|n| n == de));
        let caps = text(run("first_name", &opts(&[]), &Value::text("ALICE")).unwrap());
        assert_eq!(caps, caps.to_uppercase());
        let f = text(
            run(
                "first_name",
                &opts(&[("gender", "female")]),
                &Value::text("Xy"),
            )
            .unwrap(),
        );
        assert!(include_str!("data/en_US_female.txt")
            .split_whitespace()
            .any(|n| n == f));
        let info = crate::lookup("name").unwrap();
        assert_eq!(
            crate::validate_options(info, &opts(&[("locale", "xx_XX")]))[0].option,
            "locale"
        );
    }

    #[test]
    fn emails_are_valid_and_lowercase() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[("format", "random"), ("local_part_length", "6")],
            &[("email_domain", "Corp.Example"), ("ensure_unique", "false")],
            &[("locale", "de_DE")],
        ];
        for o in cases {
            for input in ["alice@corp.test", "", "Zoë Ñúñez 北京 🎉"] {
                let e = text(run("email", &opts(o), &Value::text(input)).unwrap());
                assert_eq!(e, e.to_lowercase());
                let (local, domain) = e.split_once('@').unwrap();
                assert!(!local.is_empty() && domain.contains('.'), "{e}");
                assert!(
                    e.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".@-".contains(&b)),
                    "{e}"
                );
            }
        }
        let e = text(run("email", &opts(cases[2]), &Value::text("a")).unwrap());
        assert!(e.ends_with("@corp.example"));
    }

    #[test]
    fn phone_formats() {
        let p = text(run("phone", &opts(&[]), &Value::text("+1 (415) 555-0132")).unwrap());
        assert!(p.starts_with("+1 ("), "{p}");
        assert_eq!(p.len(), "+1 (415) 555-0132".len());
        assert_eq!(
            p.replace(|c: char| c.is_ascii_digit(), "d"),
            "+d (ddd) ddd-dddd"
        );
        let p = text(
            run(
                "phone",
                &opts(&[("format", "international"), ("country_code", "44")]),
                &Value::text("x"),
            )
            .unwrap(),
        );
        assert!(p.starts_with("+44 "), "{p}");
        let p = text(
            run(
                "phone",
                &opts(&[("format", "national"), ("include_extension", "true")]),
                &Value::text("x"),
            )
            .unwrap(),
        );
        assert_eq!(
            p.replace(|c: char| c.is_ascii_digit(), "d"),
            "(ddd) ddd-dddd xdddd"
        );
        assert!(p.contains(") 555-01"), "{p}");
        let Value::Int(i) = run("phone", &opts(&[]), &Value::Int(4155550132)).unwrap() else {
            panic!()
        };
        assert_eq!(i.to_string().len(), 10);
    }

    /// On 100,000 numbers per locale (half national, half international, half of those
    /// selected by `country_code` alone), every number fits its country's numbering plan,
    /// written here from the plans themselves (NANP, Ofcom, BNetzA, ARCEP, CNMC, AGCOM, ACM,
    /// UKE, Anatel) rather than from the dictionaries: right prefix, digit count and grouping.
    #[test]
    fn hundred_thousand_phone_numbers_fit_their_country() {
        use crate::harness::build_with;
        use datamask_core::{ApplyCtx, Column, DataType};
        // (locale, calling code, national, international)
        const PLANS: &[(&str, &str, &str, &str)] = &[
            (
                // NANP area codes are NXX (N = 2-9, middle digit 0-8), never N11.
                "en_US",
                "1",
                r"^\([2-9]([02-8]\d|1[02-9])\) 555-01\d\d$",
                r"^\+1 [2-9]([02-8]\d|1[02-9])-555-01\d\d$",
            ),
            ("en_GB", "44", r"^07700 900\d{3}$", r"^\+44 7700 900\d{3}$"),
            (
                "de_DE",
                "49",
                r"^01(5\d \d{8}|[67]\d \d{7})$",
                r"^\+49 1(5\d \d{8}|[67]\d \d{7})$",
            ),
            (
                "fr_FR",
                "33",
                r"^0[1-9]( \d\d){4}$",
                r"^\+33 [1-9]( \d\d){4}$",
            ),
            (
                "es_ES",
                "34",
                r"^[67]\d\d \d{3} \d{3}$",
                r"^\+34 [67]\d\d \d{3} \d{3}$",
            ),
            (
                "it_IT",
                "39",
                r"^3\d\d \d{3} \d{3,4}$",
                r"^\+39 3\d\d \d{3} \d{3,4}$",
            ),
            ("nl_NL", "31", r"^06 \d{8}$", r"^\+31 6 \d{8}$"),
            (
                "pl_PL",
                "48",
                r"^[5-8]\d\d \d{3} \d{3}$",
                r"^\+48 [5-8]\d\d \d{3} \d{3}$",
            ),
            (
                // Anatel's DDD area codes.
                "pt_BR",
                "55",
                r"^\((11|12|13|14|15|16|17|18|19|21|22|24|27|28|31|32|33|34|35|37|38|41|42|43|44|45|46|47|48|49|51|53|54|55|61|62|63|64|65|66|67|68|69|71|73|74|75|77|79|81|82|83|84|85|86|87|88|89|91|92|93|94|95|96|97|98|99)\) 9\d{4}-\d{4}$",
                r"^\+55 (11|12|13|14|15|16|17|18|19|21|22|24|27|28|31|32|33|34|35|37|38|41|42|43|44|45|46|47|48|49|51|53|54|55|61|62|63|64|65|66|67|68|69|71|73|74|75|77|79|81|82|83|84|85|86|87|88|89|91|92|93|94|95|96|97|98|99) 9\d{4}-\d{4}$",
            ),
        ];
        let column = Column::new("c", DataType::text());
        let ctx = ApplyCtx {
            column: &column,
            row_key: None,
        };
        for (locale, cc, national, international) in PLANS {
            for (format, plan) in [("national", national), ("international", international)] {
                let plan = regex::Regex::new(plan).unwrap();
                let by_locale =
                    build_with("phone", &opts(&[("format", format), ("locale", locale)]));
                let by_code = build_with(
                    "phone",
                    &opts(&[("format", format), ("country_code", &format!("'{cc}"))]),
                );
                for i in 0..25_000 {
                    for s in [&by_locale, &by_code] {
                        let p = text(s.apply(&Value::text(format!("{i}")), &ctx).unwrap());
                        assert!(plan.is_match(&p), "{locale} {format}: {p}");
                    }
                }
            }
        }
    }

    /// National and international numbers fit each locale country's layout.
    #[test]
    fn phone_country_formats() {
        let shape = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "d");
        for l in crate::locale::all() {
            for (format, patterns) in [
                ("national", &l.phone_national),
                ("international", &l.phone_international),
            ] {
                let shapes: Vec<String> = patterns
                    .iter()
                    .map(|p| shape(&p.replace(['#', '%'], "0")))
                    .collect();
                for i in 0..100 {
                    let p = text(
                        run(
                            "phone",
                            &opts(&[("format", format), ("locale", l.code)]),
                            &Value::text(i.to_string()),
                        )
                        .unwrap(),
                    );
                    assert!(shapes.contains(&shape(&p)), "{} {format}: {p}", l.code);
                    if format == "international" {
                        assert!(p.starts_with(&format!("+{} ", l.calling_code)), "{p}");
                    }
                }
            }
        }
        let p = text(
            run(
                "phone",
                &opts(&[("format", "international"), ("country_code", "81")]),
                &Value::text("x"),
            )
            .unwrap(),
        );
        assert_eq!(shape(&p), "+dd ddd ddd dddd", "{p}");
    }
}
