//! `token`: a keyed random token that replaces the value, with optional prefix and suffix.
//!
//! The token is drawn from the PRF stream of the input value, so the same input always gives
//! the same token under a key and domain; with enough entropy (>= 64 bits) collisions are
//! negligible, which is why the strategy counts as injective at its default width.

use crate::util::int_in;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

const ALPHABETS: &[&str] = &[
    "alnum",
    "alnum_upper",
    "alnum_mixed",
    "alpha",
    "hex",
    "digits",
];

pub const TOKEN: StrategyInfo = StrategyInfo {
    name: "token",
    aliases: &["tokenise", "deterministic_token"],
    family: "deterministic",
    description: "Replaces the value with a keyed random token (prefix + characters + suffix). \
                  The same input always gets the same token, so joins survive; at the default \
                  width (16 base-36 characters, 82 bits) tokens are unique in practice.",
    options: &[
        OptionSpec::optional(
            "prefix",
            OptionType::String,
            Some(""),
            "Text put before the token.",
        ),
        OptionSpec::optional(
            "suffix",
            OptionType::String,
            Some(""),
            "Text put after the token.",
        ),
        OptionSpec::optional(
            "length",
            OptionType::Integer,
            Some("16"),
            "Number of random characters (1 to 1024). Injective while length x log2(alphabet) \
             >= 64 bits.",
        ),
        OptionSpec::optional(
            "alphabet",
            OptionType::String,
            Some("alnum"),
            "alnum = a-z0-9, alnum_upper = A-Z0-9, alnum_mixed = a-zA-Z0-9, alpha = a-z, \
             hex = 0-9a-f, digits = 0-9.",
        )
        .one_of(ALPHABETS),
    ],
    accepts: &["text"],
    injective: Injectivity::ByDefault,
    keyed: true,
    format_preserving: false,
    example: ("alice@example.com", "1kfgve1fws4jnx4l"),
    build,
};

/// The characters of a named alphabet.
pub fn alphabet(name: &str) -> Option<&'static str> {
    Some(match name {
        "alnum" => "abcdefghijklmnopqrstuvwxyz0123456789",
        "alnum_upper" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "alnum_mixed" => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "alpha" => "abcdefghijklmnopqrstuvwxyz",
        "hex" => "0123456789abcdef",
        "digits" => "0123456789",
        _ => return None,
    })
}

struct Token {
    prf: Prf,
    prefix: String,
    suffix: String,
    length: usize,
    chars: Vec<char>,
}

fn build(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let name = opts.str_or("alphabet", "alnum");
    let chars = alphabet(name)
        .ok_or_else(|| format!("option `alphabet` must be one of {}", ALPHABETS.join(", ")))?
        .chars()
        .collect();
    let prefix = opts.str_or("prefix", "").to_string();
    let suffix = opts.str_or("suffix", "").to_string();
    let mut length = int_in(opts, "length", 16, 1, 1024)? as usize;
    // Without an explicit `length`, a token sizes itself to a narrower column.
    if let (None, Some(max)) = (opts.get("length"), ctx.column.max_chars()) {
        let fixed = prefix.chars().count() + suffix.chars().count();
        let room = (max as usize).saturating_sub(fixed);
        if room >= 1 {
            length = length.min(room);
        }
    }
    Ok(Box::new(Token {
        prf: ctx.prf.clone(),
        prefix,
        suffix,
        length,
        chars,
    }))
}

impl Strategy for Token {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let Value::Text(_) = value else {
            return Err(format!("token does not apply to {} values", value.kind()));
        };
        let mut stream = self.prf.stream("token", value);
        let mut out = String::with_capacity(self.prefix.len() + self.length + self.suffix.len());
        out.push_str(&self.prefix);
        for _ in 0..self.length {
            out.push(self.chars[stream.below(self.chars.len() as u64) as usize]);
        }
        out.push_str(&self.suffix);
        Ok(Value::Text(out.into()))
    }

    fn is_injective(&self) -> bool {
        self.length as f64 * (self.chars.len() as f64).log2() >= 64.0
    }

    fn max_output_chars(&self, _input_max: Option<u32>) -> Option<u32> {
        let n = self.prefix.chars().count() + self.length + self.suffix.chars().count();
        u32::try_from(n).ok()
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use datamask_core::Value;

    #[test]
    fn shapes() {
        type Opts = &'static [(&'static str, &'static str)];
        let cases: &[(Opts, usize, &str)] = &[
            (&[], 16, "abcdefghijklmnopqrstuvwxyz0123456789"),
            (
                &[("alphabet", "hex"), ("length", "8")],
                8,
                "0123456789abcdef",
            ),
            (
                &[("alphabet", "digits"), ("prefix", "C-")],
                18,
                "C-0123456789",
            ),
        ];
        for (o, len, allowed) in cases {
            let out = run("token", &opts(o), &Value::text("alice")).unwrap();
            let Value::Text(s) = out else { panic!() };
            assert_eq!(s.chars().count(), *len, "{s}");
            assert!(s.chars().all(|c| allowed.contains(c)), "{s}");
        }
    }

    #[test]
    fn narrow_tokens_are_not_injective() {
        let s = crate::harness::build_with("token", &opts(&[("length", "4")]));
        assert!(!s.is_injective());
    }
}
