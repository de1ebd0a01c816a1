//! Internet fakers: `url`, `username`, `password`, `deterministic_email` and `utm`.

use crate::gen::{text_of, Gen, DIGITS, LOWER, UPPER};
use crate::locale;
use crate::util::{ascii_slug, int_in};
use crate::words::LOREM;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

const EXAMPLE_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];

/// Validates a domain-name option (letters, digits, dots, dashes, at least one dot).
pub fn domain_option(opts: &Options, name: &str) -> Result<Option<String>, String> {
    match opts.get(name) {
        Some(OptionValue::String(d)) => {
            let d = d.trim().to_ascii_lowercase();
            let ok = d.contains('.')
                && !d.starts_with(['.', '-'])
                && !d.ends_with(['.', '-'])
                && !d.contains("..")
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if ok {
                Ok(Some(d))
            } else {
                Err(format!(
                    "option `{name}` must be a domain name such as example.com"
                ))
            }
        }
        _ => Ok(None),
    }
}

pub const URL: StrategyInfo = StrategyInfo {
    name: "url",
    aliases: &[],
    family: "internet",
    description: "Replaces a URL with a keyed fake one on a reserved example domain (or \
                  `url_domain`), with a path of placeholder words. The output always parses \
                  as an absolute URL.",
    options: &[
        OptionSpec::optional(
            "scheme",
            OptionType::String,
            Some("https"),
            "Scheme of the fake URL; `keep` keeps the input's scheme when it is http or https.",
        )
        .one_of(&["https", "http", "keep"]),
        OptionSpec::optional(
            "url_domain",
            OptionType::String,
            None,
            "Host of the fake URLs (the common option `domain` is the token domain); by \
             default www. + one of example.com, example.net, example.org, by key.",
        ),
        OptionSpec::optional(
            "path",
            OptionType::String,
            Some("random"),
            "random = one to three keyed words; none = no path; keep = the input's path \
             (only when it holds nothing personal).",
        )
        .one_of(&["random", "none", "keep"]),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: (
        "https://shop.acme.test/users/alice?ref=mail",
        "https://www.example.org/voluptatum",
    ),
    build: build_url,
};

struct Url {
    prf: Prf,
    scheme: String,
    domain: Option<String>,
    path: String,
}

fn build_url(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Url {
        prf: ctx.prf.clone(),
        scheme: opts.str_or("scheme", "https").to_string(),
        domain: domain_option(opts, "url_domain")?,
        path: opts.str_or("path", "random").to_string(),
    }))
}

/// The path (from the first `/` after the host) of an absolute URL, if any.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("", |i| &rest[i..])
}

impl Strategy for Url {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "url")?;
        let mut g = Gen::new(&self.prf, "url", value);
        let scheme = match self.scheme.as_str() {
            "keep" if s.trim_start().starts_with("http://") => "http",
            "http" => "http",
            _ => "https",
        };
        let host = match &self.domain {
            Some(d) => d.clone(),
            None => format!("www.{}", g.pick(EXAMPLE_DOMAINS)),
        };
        let path = match self.path.as_str() {
            "none" => String::new(),
            "keep" => path_of(s.trim())
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .collect(),
            _ => {
                let n = 1 + g.below(3);
                (0..n).map(|_| format!("/{}", g.pick(LOREM))).collect()
            }
        };
        Ok(Value::Text(format!("{scheme}://{host}{path}").into()))
    }
}

pub const USERNAME: StrategyInfo = StrategyInfo {
    name: "username",
    aliases: &[],
    family: "internet",
    description: "Replaces a user name with a keyed fake handle built from a locale's names \
                  (`jsmith`, `anna.kowalska`, ...), lowercase ASCII, between `min_length` and \
                  `max_length` characters before `prefix` and `suffix`.",
    options: &[
        OptionSpec::optional(
            "min_length",
            OptionType::Integer,
            Some("6"),
            "Shortest handle (1 to 64), padded with digits (letters when \
             `include_numbers` is false).",
        ),
        OptionSpec::optional(
            "max_length",
            OptionType::Integer,
            Some("16"),
            "Longest handle (1 to 64), truncated.",
        ),
        OptionSpec::optional("prefix", OptionType::String, Some(""), "Text put before."),
        OptionSpec::optional("suffix", OptionType::String, Some(""), "Text put after."),
        OptionSpec::optional(
            "include_numbers",
            OptionType::Boolean,
            Some("true"),
            "End the handle with two keyed digits; when false the handle holds no digit.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("alice_w", "rrogers65"),
    build: build_username,
};

struct Username {
    prf: Prf,
    locale: &'static locale::Locale,
    min: usize,
    max: usize,
    prefix: String,
    suffix: String,
    numbers: bool,
}

fn build_username(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let min = int_in(opts, "min_length", 6, 1, 64)? as usize;
    let max = int_in(opts, "max_length", 16, 1, 64)? as usize;
    if min > max {
        return Err("option `min_length` must not be greater than option `max_length`".into());
    }
    Ok(Box::new(Username {
        prf: ctx.prf.clone(),
        locale: locale::from_options(opts)?,
        min,
        max,
        prefix: opts.str_or("prefix", "").to_string(),
        suffix: opts.str_or("suffix", "").to_string(),
        numbers: opts.bool_or("include_numbers", true),
    }))
}

impl Strategy for Username {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        text_of(value, "username")?;
        let mut g = Gen::new(&self.prf, "username", value);
        let l = self.locale;
        let first = ascii_slug(if g.chance(0.5) {
            g.pick(&l.male)
        } else {
            g.pick(&l.female)
        });
        let last = ascii_slug(g.pick(&l.last));
        let mut core = match g.below(4) {
            0 => format!("{}{last}", first.chars().next().unwrap_or('x')),
            1 => format!("{first}.{last}"),
            2 => format!("{first}_{last}"),
            _ => format!("{first}{}", last.chars().next().unwrap_or('x')),
        };
        let digits = if self.numbers {
            g.digits(2)
        } else {
            String::new()
        };
        let room = self.max.saturating_sub(digits.len()).max(1);
        if core.chars().count() > room {
            core = core.chars().take(room).collect();
            core = core.trim_end_matches(['.', '_']).to_string();
        }
        core.push_str(&digits);
        // Pad with digits, or with letters when the handle must hold no digits.
        let pad = if self.numbers { DIGITS } else { LOWER };
        while core.chars().count() < self.min {
            core.push(g.char_of(pad));
        }
        let core: String = core.chars().take(self.max).collect();
        Ok(Value::Text(
            format!("{}{core}{}", self.prefix, self.suffix).into(),
        ))
    }
}

pub const PASSWORD: StrategyInfo = StrategyInfo {
    name: "password",
    aliases: &[],
    family: "internet",
    description: "Replaces a password (or its hash) with a keyed random password of `length` \
                  characters holding at least one character of every enabled class.",
    options: &[
        OptionSpec::optional(
            "length",
            OptionType::Integer,
            Some("12"),
            "Number of characters (4 to 256).",
        ),
        OptionSpec::optional(
            "include_special",
            OptionType::Boolean,
            Some("true"),
            "Use punctuation (!#$%&*+-=?@^_).",
        ),
        OptionSpec::optional(
            "include_numbers",
            OptionType::Boolean,
            Some("true"),
            "Use digits.",
        ),
        OptionSpec::optional(
            "include_uppercase",
            OptionType::Boolean,
            Some("true"),
            "Use uppercase letters (lowercase letters are always used).",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("hunter2", "7LLEXi^zTPm#"),
    build: build_password,
};

const SPECIAL: &[u8] = b"!#$%&*+-=?@^_";

struct Password {
    prf: Prf,
    length: usize,
    classes: Vec<&'static [u8]>,
}

fn build_password(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let mut classes: Vec<&'static [u8]> = vec![LOWER];
    if opts.bool_or("include_uppercase", true) {
        classes.push(UPPER);
    }
    if opts.bool_or("include_numbers", true) {
        classes.push(DIGITS);
    }
    if opts.bool_or("include_special", true) {
        classes.push(SPECIAL);
    }
    Ok(Box::new(Password {
        prf: ctx.prf.clone(),
        length: int_in(opts, "length", 12, 4, 256)? as usize,
        classes,
    }))
}

impl Strategy for Password {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        text_of(value, "password")?;
        let mut g = Gen::new(&self.prf, "password", value);
        let all: Vec<u8> = self.classes.concat();
        // One of each class first, the rest from all, then a keyed shuffle.
        let mut chars: Vec<char> = self.classes.iter().map(|c| g.char_of(c)).collect();
        while chars.len() < self.length {
            chars.push(g.char_of(&all));
        }
        for i in (1..chars.len()).rev() {
            chars.swap(i, g.below(i as u64 + 1) as usize);
        }
        Ok(Value::Text(chars.into_iter().collect()))
    }
}

pub const DETERMINISTIC_EMAIL: StrategyInfo = StrategyInfo {
    name: "deterministic_email",
    aliases: &[],
    family: "deterministic",
    description: "Replaces an email address with `user-<16 keyed base-36 characters>@domain`: \
                  no names, injective in practice (82 bits), so one address always becomes the \
                  same pseudonym and unique columns stay unique. Keeps the original domain \
                  with `keep_domain`.",
    options: &[
        OptionSpec::optional(
            "email_domain",
            OptionType::String,
            Some("example.com"),
            "Domain of the pseudonymous addresses (the common option `domain` is the token \
             domain).",
        ),
        OptionSpec::optional(
            "keep_domain",
            OptionType::Boolean,
            Some("false"),
            "Keep the input's domain (after the last `@`), lowercased, so per-company \
             statistics survive; falls back to `email_domain` when there is none.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Always,
    keyed: true,
    format_preserving: false,
    example: ("alice@corp.test", "user-yauy26fe677o9y1y@example.com"),
    build: build_det_email,
};

struct DetEmail {
    prf: Prf,
    domain: String,
    keep: bool,
}

fn build_det_email(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(DetEmail {
        prf: ctx.prf.clone(),
        domain: domain_option(opts, "email_domain")?.unwrap_or_else(|| "example.com".into()),
        keep: opts.bool_or("keep_domain", false),
    }))
}

impl Strategy for DetEmail {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "deterministic_email")?;
        let mut g = Gen::new(&self.prf, "deterministic_email", value);
        let token = g.string_of(b"abcdefghijklmnopqrstuvwxyz0123456789", 16);
        let domain = if self.keep {
            s.rsplit_once('@')
                .map(|(_, d)| d.trim().to_ascii_lowercase())
                .filter(|d| {
                    !d.is_empty()
                        && d.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                })
                .unwrap_or_else(|| self.domain.clone())
        } else {
            self.domain.clone()
        };
        Ok(Value::Text(format!("user-{token}@{domain}").into()))
    }

    fn is_injective(&self) -> bool {
        true
    }

    /// `user-` + 16 + `@` + the domain (with `keep_domain`, at most the input's length).
    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        let own = self.domain.chars().count() as u32;
        let domain = if self.keep { own.max(input_max?) } else { own };
        Some(22 + domain)
    }
}

const UTM_SOURCES: &[&str] = &[
    "google",
    "bing",
    "facebook",
    "instagram",
    "linkedin",
    "twitter",
    "youtube",
    "tiktok",
    "newsletter",
    "partner",
];
const UTM_MEDIUMS: &[&str] = &[
    "cpc",
    "email",
    "social",
    "organic",
    "referral",
    "display",
    "affiliate",
    "banner",
    "video",
];
const UTM_CAMPAIGN_WORDS: &[&str] = &[
    "spring sale",
    "summer launch",
    "autumn promo",
    "winter deals",
    "black friday",
    "new arrivals",
    "brand awareness",
    "product launch",
    "retargeting",
    "loyalty program",
    "free trial",
    "webinar series",
];
const UTM_CONTENT: &[&str] = &[
    "banner a",
    "banner b",
    "text link",
    "hero image",
    "footer link",
    "sidebar ad",
    "cta button",
];

pub const UTM: StrategyInfo = StrategyInfo {
    name: "utm",
    aliases: &[],
    family: "internet",
    description: "Replaces a UTM tracking value (source, medium, campaign, term or content) \
                  with a plausible keyed one, from built-in lists or your own.",
    options: &[
        OptionSpec::optional(
            "type",
            OptionType::String,
            Some("campaign"),
            "Which UTM parameter the column holds.",
        )
        .one_of(&["source", "medium", "campaign", "term", "content"]),
        OptionSpec::optional(
            "format",
            OptionType::String,
            Some("snake_case"),
            "Spelling of multi-word values.",
        )
        .one_of(&["snake_case", "kebab-case", "camelCase", "lowercase"]),
        OptionSpec::optional(
            "sources",
            OptionType::List,
            None,
            "Your own utm_source values (type source).",
        ),
        OptionSpec::optional(
            "mediums",
            OptionType::List,
            None,
            "Your own utm_medium values (type medium).",
        ),
        OptionSpec::optional(
            "campaigns",
            OptionType::List,
            None,
            "Your own utm_campaign values (type campaign).",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("jane-doe-referral-2024", "summer_launch_2024"),
    build: build_utm,
};

struct Utm {
    prf: Prf,
    kind: String,
    format: String,
    custom: Option<Vec<String>>,
}

fn string_list(opts: &Options, name: &str) -> Result<Option<Vec<String>>, String> {
    match opts.get(name) {
        None => Ok(None),
        Some(OptionValue::List(items)) if !items.is_empty() => items
            .iter()
            .map(|i| {
                i.as_text()
                    .ok_or_else(|| format!("option `{name}` must be a list of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!(
            "option `{name}` must be a non-empty list of strings"
        )),
    }
}

fn build_utm(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let kind = opts.str_or("type", "campaign").to_string();
    let lists = [
        ("sources", "source"),
        ("mediums", "medium"),
        ("campaigns", "campaign"),
    ];
    let mut custom = None;
    for (option, for_kind) in lists {
        if let Some(list) = string_list(opts, option)? {
            if kind != for_kind {
                return Err(format!(
                    "option `{option}` only applies with `type: {for_kind}`"
                ));
            }
            custom = Some(list);
        }
    }
    Ok(Box::new(Utm {
        prf: ctx.prf.clone(),
        kind,
        format: opts.str_or("format", "snake_case").to_string(),
        custom,
    }))
}

/// Spells space-separated words in a UTM format.
fn spell(words: &str, format: &str) -> String {
    let parts: Vec<&str> = words.split_whitespace().collect();
    match format {
        "kebab-case" => parts.join("-"),
        "lowercase" => parts.concat(),
        "camelCase" => parts
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    w.to_string()
                } else {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                }
            })
            .collect(),
        _ => parts.join("_"),
    }
}

impl Strategy for Utm {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        text_of(value, "utm")?;
        let mut g = Gen::new(&self.prf, "utm", value);
        if let Some(list) = &self.custom {
            return Ok(Value::Text(g.pick_ref(list).as_str().into()));
        }
        let words = match self.kind.as_str() {
            "source" => g.pick(UTM_SOURCES).to_string(),
            "medium" => g.pick(UTM_MEDIUMS).to_string(),
            "term" => format!("{} {}", g.pick(LOREM), g.pick(LOREM)),
            "content" => g.pick(UTM_CONTENT).to_string(),
            _ => format!("{} {}", g.pick(UTM_CAMPAIGN_WORDS), 2020 + g.below(6)),
        };
        Ok(Value::Text(spell(&words, &self.format).into()))
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run, Check, Opts};
    use datamask_core::strategy::{OptionValue, Options};
    use datamask_core::Value;

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    /// A minimal absolute-URL check: scheme, `://`, a host with a dot, printable ASCII.
    fn parses_as_url(u: &str) -> bool {
        let Some((scheme, rest)) = u.split_once("://") else {
            return false;
        };
        let host = rest.split('/').next().unwrap_or("");
        matches!(scheme, "http" | "https")
            && host.contains('.')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && u.bytes().all(|b| b.is_ascii_graphic())
    }

    #[test]
    fn urls_parse() {
        let cases: &[(Opts, &str, &str)] = &[
            (&[], "https://x.test/a", "https://www.example."),
            (&[("scheme", "http")], "x", "http://www.example."),
            (&[("scheme", "keep")], "http://a.b/c", "http://"),
            (
                &[("url_domain", "Shop.Test"), ("path", "none")],
                "x",
                "https://shop.test",
            ),
            (
                &[("path", "keep")],
                "https://a.test/p/q?x=1",
                "https://www.example.",
            ),
        ];
        for (o, input, start) in cases {
            for i in 0..100 {
                let out = text(run("url", &opts(o), &Value::text(format!("{input}{i}"))).unwrap());
                assert!(out.starts_with(start), "{out}");
                assert!(parses_as_url(&out), "{out}");
            }
        }
        let out = text(
            run(
                "url",
                &opts(&[("path", "keep")]),
                &Value::text("https://a.test/p/q?x=1"),
            )
            .unwrap(),
        );
        assert!(out.ends_with("/p/q?x=1"), "{out}");
        let p = crate::validate_options(
            crate::lookup("url").unwrap(),
            &opts(&[("url_domain", "bad domain")]),
        );
        assert_eq!(p[0].option, "url_domain");
    }

    #[test]
    fn usernames_respect_lengths() {
        for (min, max) in [(1, 4), (6, 16), (10, 10), (20, 30)] {
            let o = opts(&[
                ("min_length", &min.to_string()),
                ("max_length", &max.to_string()),
                ("prefix", "u_"),
            ]);
            for i in 0..300 {
                let out = text(run("username", &o, &Value::text(i.to_string())).unwrap());
                let core = out.strip_prefix("u_").unwrap();
                assert!((min..=max).contains(&core.len()), "{out}");
                assert!(
                    core.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'.'
                        || b == b'_'),
                    "{out}"
                );
            }
        }
        // Without numbers, short names are padded with letters, never digits.
        let o = opts(&[
            ("min_length", "20"),
            ("max_length", "24"),
            ("include_numbers", "false"),
        ]);
        for i in 0..300 {
            let out = text(run("username", &o, &Value::text(i.to_string())).unwrap());
            assert!(
                out.len() >= 20 && !out.bytes().any(|b| b.is_ascii_digit()),
                "{out}"
            );
        }
        let p = crate::validate_options(
            crate::lookup("username").unwrap(),
            &opts(&[("min_length", "9"), ("max_length", "3")]),
        );
        assert_eq!(p[0].option, "min_length");
    }

    #[test]
    fn passwords_hold_every_class() {
        let cases: &[(&[(&str, &str)], usize)] = &[
            (&[], 12),
            (&[("length", "4")], 4),
            (
                &[("include_special", "false"), ("include_numbers", "false")],
                12,
            ),
            (&[("include_uppercase", "false"), ("length", "64")], 64),
        ];
        for (o, len) in cases {
            let o = opts(o);
            for i in 0..200 {
                let p = text(run("password", &o, &Value::text(i.to_string())).unwrap());
                assert_eq!(p.len(), *len);
                assert!(p.bytes().any(|b| b.is_ascii_lowercase()));
                assert_eq!(
                    p.bytes().any(|b| b.is_ascii_uppercase()),
                    o.bool_or("include_uppercase", true),
                    "{p}"
                );
                assert_eq!(
                    p.bytes().any(|b| b.is_ascii_digit()),
                    o.bool_or("include_numbers", true),
                    "{p}"
                );
                assert_eq!(
                    p.bytes().any(|b| super::SPECIAL.contains(&b)),
                    o.bool_or("include_special", true),
                    "{p}"
                );
            }
        }
    }

    #[test]
    fn deterministic_emails() {
        let out = text(
            run(
                "deterministic_email",
                &opts(&[]),
                &Value::text("a@Corp.test"),
            )
            .unwrap(),
        );
        assert!(
            out.starts_with("user-") && out.ends_with("@example.com"),
            "{out}"
        );
        let out = text(
            run(
                "deterministic_email",
                &opts(&[("keep_domain", "true")]),
                &Value::text("a@Corp.test"),
            )
            .unwrap(),
        );
        assert!(out.ends_with("@corp.test"), "{out}");
        let out = text(
            run(
                "deterministic_email",
                &opts(&[("keep_domain", "true"), ("email_domain", "x.test")]),
                &Value::text("no at"),
            )
            .unwrap(),
        );
        assert!(out.ends_with("@x.test"), "{out}");
    }

    #[test]
    fn utm_values() {
        let cases: &[(Opts, Check)] = &[
            (&[("type", "source")], |s| super::UTM_SOURCES.contains(&s)),
            (&[("type", "medium")], |s| super::UTM_MEDIUMS.contains(&s)),
            (&[], |s| {
                s.contains('_')
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            }),
            (&[("format", "kebab-case")], |s| {
                s.contains('-') && !s.contains('_')
            }),
            (&[("format", "camelCase")], |s| !s.contains([' ', '_', '-'])),
        ];
        for (o, check) in cases {
            for i in 0..50 {
                let out = text(run("utm", &opts(o), &Value::text(i.to_string())).unwrap());
                assert!(check(&out), "{out}");
            }
        }
        let mut o = Options::default();
        o.0.insert("type".into(), OptionValue::String("source".into()));
        o.0.insert(
            "sources".into(),
            OptionValue::List(vec![OptionValue::String("crm".into())]),
        );
        assert_eq!(text(run("utm", &o, &Value::text("x")).unwrap()), "crm");
        o.0.insert("type".into(), OptionValue::String("medium".into()));
        let p = crate::validate_options(crate::lookup("utm").unwrap(), &o);
        assert_eq!(p[0].option, "sources");
    }
}
