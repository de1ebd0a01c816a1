//! Keyed digests: `hash_preserve` (an HMAC, optionally reshaped to the input's format) and
//! `uuid` (a deterministic UUID from the keyed hash).
//!
//! `hash_preserve` replaces the salt of a classic hash with the master key: without the key a
//! dictionary attack on the output is hopeless, and with it the mapping is reproducible.

use crate::util::int_in;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::value::{format_uuid, parse_uuid};
use datamask_core::{ApplyCtx, Prf, Value};
use hmac::{Hmac, Mac};

pub const HASH_PRESERVE: StrategyInfo = StrategyInfo {
    name: "hash_preserve",
    aliases: &[],
    family: "deterministic",
    description: "Replaces the value with a keyed HMAC (hex for text, raw digest for bytes). \
                  With `preserve_format` the output instead keeps the input's length and \
                  character classes (digits stay digits, letters keep their case).",
    options: &[
        OptionSpec::optional(
            "algorithm",
            OptionType::String,
            Some("sha256"),
            "Digest of the HMAC.",
        )
        .one_of(&["md5", "sha1", "sha256", "sha512"]),
        OptionSpec::optional(
            "length",
            OptionType::Integer,
            None,
            "Keep only the first `length` hex characters (bytes: `length`/2 bytes, rounded up). \
             Below 16 the output is no longer injective in practice.",
        ),
        OptionSpec::optional(
            "preserve_format",
            OptionType::Boolean,
            Some("false"),
            "Keep the input's length and character classes instead of printing hex; \
             other characters stay put. Not injective.",
        ),
    ],
    accepts: &["text", "bytes"],
    injective: Injectivity::ByDefault,
    keyed: true,
    format_preserving: false,
    example: (
        "alice@example.com",
        "416e85b6619190fd7dc70a52baf1f8e336bc8ab4cddc55e8d962b7d510362fbb",
    ),
    build: build_hash,
};

struct HashPreserve {
    prf: Prf,
    key: [u8; 32],
    algorithm: String,
    length: Option<usize>,
    preserve_format: bool,
}

pub(crate) fn build_hash(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let length = match opts.get("length") {
        Some(_) => Some(int_in(opts, "length", 64, 1, 128)? as usize),
        None => None,
    };
    Ok(Box::new(HashPreserve {
        prf: ctx.prf.clone(),
        key: ctx.prf.cipher_key("hash_preserve"),
        algorithm: opts.str_or("algorithm", "sha256").to_string(),
        length,
        preserve_format: opts.bool_or("preserve_format", false),
    }))
}

fn hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m =
        <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

impl HashPreserve {
    fn digest(&self, data: &[u8]) -> Vec<u8> {
        match self.algorithm.as_str() {
            "md5" => hmac::<Hmac<md5::Md5>>(&self.key, data),
            "sha1" => hmac::<Hmac<sha1::Sha1>>(&self.key, data),
            "sha512" => hmac::<Hmac<sha2::Sha512>>(&self.key, data),
            _ => hmac::<Hmac<sha2::Sha256>>(&self.key, data),
        }
    }

    fn reshape(&self, s: &str, digest: &[u8]) -> String {
        let mut st = self
            .prf
            .stream("hash_preserve format", &Value::Bytes(digest.to_vec()));
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from(b'0' + st.below(10) as u8),
                'a'..='z' => char::from(b'a' + st.below(26) as u8),
                'A'..='Z' => char::from(b'A' + st.below(26) as u8),
                other => other,
            })
            .collect()
    }
}

impl Strategy for HashPreserve {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        match value {
            Value::Text(s) => {
                let d = self.digest(s.as_bytes());
                if self.preserve_format {
                    return Ok(Value::Text(self.reshape(s, &d).into()));
                }
                let mut hex = hex_lower(&d);
                if let Some(n) = self.length {
                    hex.truncate(n);
                }
                Ok(Value::Text(hex.into()))
            }
            Value::Bytes(b) => {
                let d = self.digest(b);
                if self.preserve_format {
                    let mut out = vec![0u8; b.len()];
                    self.prf
                        .fill("hash_preserve format", &Value::Bytes(d), &mut out);
                    return Ok(Value::Bytes(out));
                }
                let mut d = d;
                if let Some(n) = self.length {
                    d.truncate(n.div_ceil(2));
                }
                Ok(Value::Bytes(d))
            }
            other => Err(format!(
                "hash_preserve does not apply to {} values",
                other.kind()
            )),
        }
    }

    fn is_injective(&self) -> bool {
        !self.preserve_format && self.length.is_none_or(|n| n >= 16)
    }

    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        if self.preserve_format {
            return input_max;
        }
        let hex = match self.algorithm.as_str() {
            "md5" => 32,
            "sha1" => 40,
            "sha512" => 128,
            _ => 64,
        };
        Some(self.length.map_or(hex, |n| n.min(hex)) as u32)
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub const UUID: StrategyInfo = StrategyInfo {
    name: "uuid",
    aliases: &[],
    family: "deterministic",
    description: "Replaces a UUID (or any text) with a deterministic, well-formed UUID derived \
                  from the keyed hash: 122 random bits, so distinct inputs get distinct UUIDs in \
                  practice and foreign keys stay consistent across tables of one domain.",
    options: &[
        OptionSpec::optional(
            "version",
            OptionType::Integer,
            Some("4"),
            "Version bits to set: 4 (random) or 5 (name-based look). Both are keyed hashes.",
        ),
        OptionSpec::optional(
            "format",
            OptionType::String,
            Some("hyphenated"),
            "Text layout of the UUID.",
        )
        .one_of(&["hyphenated", "simple", "urn", "braced"]),
    ],
    accepts: &["uuid", "text"],
    injective: Injectivity::ByDefault,
    keyed: true,
    format_preserving: false,
    example: (
        "123e4567-e89b-12d3-a456-426614174000",
        "5e96fa90-30f1-4b45-a42b-ad91a0e47de3",
    ),
    build: build_uuid,
};

struct Uuid {
    prf: Prf,
    version: u8,
    format: String,
}

fn build_uuid(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let version = match opts.get("version") {
        None => 4,
        Some(OptionValue::Int(4)) => 4,
        Some(OptionValue::Int(5)) => 5,
        Some(_) => return Err("option `version` must be 4 or 5".into()),
    };
    Ok(Box::new(Uuid {
        prf: ctx.prf.clone(),
        version,
        format: opts.str_or("format", "hyphenated").to_string(),
    }))
}

impl Uuid {
    fn make(&self, value: &Value) -> [u8; 16] {
        // A text UUID and a uuid value give the same output, so mixed schemas agree.
        let key = match value {
            Value::Text(s) => parse_uuid(s.trim()).map(Value::Uuid),
            _ => None,
        };
        let h = self.prf.hash("uuid", key.as_ref().unwrap_or(value));
        let mut u: [u8; 16] = h[..16].try_into().expect("16 bytes");
        u[6] = (u[6] & 0x0f) | (self.version << 4);
        u[8] = (u[8] & 0x3f) | 0x80;
        u
    }
}

impl Strategy for Uuid {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let u = self.make(value);
        match value {
            Value::Uuid(_) => Ok(Value::Uuid(u)),
            Value::Text(_) => {
                let h = format_uuid(&u);
                Ok(Value::Text(match self.format.as_str() {
                    "simple" => h.replace('-', "").into(),
                    "urn" => format!("urn:uuid:{h}").into(),
                    "braced" => format!("{{{h}}}").into(),
                    _ => h.into(),
                }))
            }
            other => Err(format!("uuid does not apply to {} values", other.kind())),
        }
    }

    fn is_injective(&self) -> bool {
        true
    }

    fn max_output_chars(&self, _input_max: Option<u32>) -> Option<u32> {
        Some(match self.format.as_str() {
            "simple" => 32,
            "urn" => 45,
            "braced" => 38,
            _ => 36,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use datamask_core::Value;

    #[test]
    fn hash_preserve_table() {
        type Opts = &'static [(&'static str, &'static str)];
        let cases: &[(Opts, &str, usize)] = &[
            (&[], "alice", 64),
            (&[("algorithm", "md5")], "alice", 32),
            (&[("algorithm", "sha1")], "alice", 40),
            (&[("algorithm", "sha512")], "alice", 128),
            (&[("length", "12")], "alice", 12),
        ];
        for (o, input, len) in cases {
            let Value::Text(out) = run("hash_preserve", &opts(o), &Value::text(*input)).unwrap()
            else {
                panic!()
            };
            assert_eq!(out.len(), *len);
            assert!(out.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        let Value::Text(out) = run(
            "hash_preserve",
            &opts(&[("preserve_format", "true")]),
            &Value::text("Ab-12 é"),
        )
        .unwrap() else {
            panic!()
        };
        let shape = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        'd'
                    } else if c.is_ascii_lowercase() {
                        'l'
                    } else if c.is_ascii_uppercase() {
                        'U'
                    } else {
                        c
                    }
                })
                .collect()
        };
        assert_eq!(shape(&out), shape("Ab-12 é"));
    }

    #[test]
    fn uuid_formats_and_bits() {
        for (fmt, check) in [
            ("hyphenated", 36usize),
            ("simple", 32),
            ("urn", 45),
            ("braced", 38),
        ] {
            let Value::Text(out) =
                run("uuid", &opts(&[("format", fmt)]), &Value::text("x")).unwrap()
            else {
                panic!()
            };
            assert_eq!(out.len(), check, "{out}");
        }
        let Value::Uuid(u) =
            run("uuid", &opts(&[("version", "5")]), &Value::Uuid([7; 16])).unwrap()
        else {
            panic!()
        };
        assert_eq!(u[6] >> 4, 5);
        assert_eq!(u[8] >> 6, 0b10);
        // Text and uuid forms of the same UUID agree.
        let s = "123e4567-e89b-12d3-a456-426614174000";
        let Value::Text(t) = run("uuid", &opts(&[]), &Value::text(s)).unwrap() else {
            panic!()
        };
        let Value::Uuid(u) = run(
            "uuid",
            &opts(&[]),
            &Value::Uuid(datamask_core::value::parse_uuid(s).unwrap()),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(t, datamask_core::value::format_uuid(&u));
    }
}
