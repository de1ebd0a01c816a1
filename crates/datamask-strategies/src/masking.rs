//! `keep_last` and `partial`: classic display masking that keeps a few characters in clear.
//!
//! Neither is keyed: the kept characters are the input's own, the rest become `mask_char`. They
//! exist for support screens and test data where a recognisable fragment (the last four card
//! digits, an email's domain) is wanted; they are not pseudonyms and never injective.

use crate::util::{int_in, single_char};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Value};

pub const KEEP_LAST: StrategyInfo = StrategyInfo {
    name: "keep_last",
    aliases: &["keep_last4", "mask_keep_last4"],
    family: "masking",
    description: "Masks every character but the last `n` letters or digits, keeping separators, \
                  so a card number still looks like one and its last four digits can be read \
                  back to a customer.",
    options: &[
        OptionSpec::optional(
            "n",
            OptionType::Integer,
            Some("4"),
            "Letters or digits kept at the end.",
        ),
        OptionSpec::optional(
            "mask_char",
            OptionType::String,
            Some("*"),
            "The masking character.",
        ),
        OptionSpec::optional(
            "keep_separators",
            OptionType::Boolean,
            Some("true"),
            "Keep characters that are not letters or digits (`-`, spaces, ...) as they are; \
             when false every character counts and is masked.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: true,
    example: ("4111-1111-1111-1234", "****-****-****-1234"),
    build: build_keep_last,
};

pub const PARTIAL: StrategyInfo = StrategyInfo {
    name: "partial",
    aliases: &[],
    family: "masking",
    description: "Keeps the first and last characters and masks the middle; for an email only \
                  the local part is masked and the domain kept. Never keeps more than half of \
                  the characters, so short values stay mostly hidden.",
    options: &[
        OptionSpec::optional(
            "keep_first",
            OptionType::Integer,
            Some("1"),
            "Characters kept at the start.",
        ),
        OptionSpec::optional(
            "keep_last",
            OptionType::Integer,
            Some("1"),
            "Characters kept at the end.",
        ),
        OptionSpec::optional(
            "mask_char",
            OptionType::String,
            Some("*"),
            "The masking character.",
        ),
        OptionSpec::optional(
            "email_aware",
            OptionType::Boolean,
            Some("true"),
            "When the value holds exactly one `@`, mask only the part before it.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: true,
    example: ("alice@example.com", "a***e@example.com"),
    build: build_partial,
};

struct KeepLast {
    n: usize,
    mask: char,
    keep_separators: bool,
}

fn build_keep_last(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(KeepLast {
        n: int_in(opts, "n", 4, 0, 1_000_000)? as usize,
        mask: single_char(opts, "mask_char", '*')?,
        keep_separators: opts.bool_or("keep_separators", true),
    }))
}

fn text_of<'a>(value: &'a Value, name: &str) -> Result<&'a str, String> {
    match value {
        Value::Text(s) => Ok(s),
        other => Err(format!("{name} does not apply to {} values", other.kind())),
    }
}

impl Strategy for KeepLast {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "keep_last")?;
        let counts = |c: &char| !self.keep_separators || c.is_alphanumeric();
        let mut kept = 0;
        let mut out: Vec<char> = Vec::with_capacity(s.len());
        for c in s.chars().rev() {
            if !counts(&c) {
                out.push(c);
            } else if kept < self.n {
                kept += 1;
                out.push(c);
            } else {
                out.push(self.mask);
            }
        }
        Ok(Value::Text(out.into_iter().rev().collect()))
    }

    /// One output character per input character.
    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        input_max
    }
}

struct Partial {
    first: usize,
    last: usize,
    mask: char,
    email_aware: bool,
}

fn build_partial(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Partial {
        first: int_in(opts, "keep_first", 1, 0, 1_000_000)? as usize,
        last: int_in(opts, "keep_last", 1, 0, 1_000_000)? as usize,
        mask: single_char(opts, "mask_char", '*')?,
        email_aware: opts.bool_or("email_aware", true),
    }))
}

impl Partial {
    fn mask(&self, s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let half = chars.len() / 2;
        let first = self.first.min(half);
        let last = self.last.min(half - first);
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < first || i >= chars.len() - last {
                    *c
                } else {
                    self.mask
                }
            })
            .collect()
    }
}

impl Strategy for Partial {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "partial")?;
        if self.email_aware && s.matches('@').count() == 1 {
            let (local, domain) = s.split_once('@').expect("one @");
            return Ok(Value::Text(format!("{}@{domain}", self.mask(local)).into()));
        }
        Ok(Value::Text(self.mask(s).into()))
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use datamask_core::Value;

    #[test]
    fn table() {
        type Opts = &'static [(&'static str, &'static str)];
        let cases: &[(&str, Opts, &str, &str)] = &[
            (
                "keep_last",
                &[],
                "4111-1111-1111-1234",
                "****-****-****-1234",
            ),
            (
                "keep_last",
                &[("n", "2"), ("mask_char", "#")],
                "AB 12",
                "## 12",
            ),
            (
                "keep_last",
                &[("keep_separators", "false")],
                "12-3456",
                "***3456",
            ),
            ("keep_last", &[], "12", "12"),
            ("keep_last", &[], "", ""),
            ("keep_last", &[], "Zoë 北京 🎉x", "**ë 北京 🎉x"),
            ("partial", &[], "alice@example.com", "a***e@example.com"),
            ("partial", &[], "alice", "a***e"),
            ("partial", &[], "ab", "a*"),
            ("partial", &[], "a", "*"),
            ("partial", &[], "", ""),
            ("partial", &[("email_aware", "false")], "al@x.io", "a*****o"),
            (
                "partial",
                &[("keep_first", "2"), ("keep_last", "0")],
                "123456",
                "12****",
            ),
            ("partial", &[], "a@b@c", "a***c"),
        ];
        for (name, o, input, expected) in cases {
            let out = run(name, &opts(o), &Value::text(*input)).unwrap();
            assert_eq!(out, Value::text(*expected), "{name} {input}");
        }
    }
}
