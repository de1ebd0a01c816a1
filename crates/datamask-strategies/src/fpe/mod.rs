//! `fpe`: format-preserving encryption with FF1 (NIST SP 800-38G), keyed by the domain.
//!
//! Characters of the alphabet are encrypted; every other character stays where it is, so
//! `123-45-6789` keeps its `ddd-dd-dddd` shape. With `alphabet: alnum` the character *classes*
//! are kept too: digits stay digits, lowercase letters stay lowercase and uppercase letters stay
//! uppercase (each class is encrypted as its own FF1 numeral string, radix 10, 26 and 26). Every
//! class is tweaked with a keyed digest of the value's shape (which positions hold which class
//! and the literal characters), so for each shape the map is a bijection: the strategy is
//! injective.
//!
//! FF1 is only defined for domains of at least a million values (`radix^len >= 1_000_000`).
//! Shorter numeral strings go through a documented fallback: an 8-round balanced Feistel
//! network over the smallest even number of bits that covers `radix^len`, with BLAKE3-keyed
//! round functions, and cycle walking back into `[0, radix^len)`. That is still a keyed
//! bijection, though a short value has few possible outputs by nature. Numeral strings longer
//! than 128 are encrypted in chunks of 128 (each chunk tweaked by its index).
//!
//! Integers keep their sign and digit count (cycle walking avoids a leading zero and values
//! outside the type's range), so the map is a bijection on the integers of each length.

mod short;

use crate::ff1::Ff1;
use aes::Aes256;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};
use fpe::ff1::{FlexibleNumeralString, FF1};

pub const FPE: StrategyInfo = StrategyInfo {
    name: "fpe",
    aliases: &[],
    family: "format_preserving",
    description: "Format-preserving encryption (FF1 with AES-256): digits become other digits \
                  (and, with alnum, letters other letters of the same case) while separators \
                  and length stay, so validators and column widths still fit. A bijection for \
                  each shape, hence safe on unique columns. Values too short for FF1 (under a \
                  million possibilities) use a keyed Feistel permutation instead.",
    options: &[
        OptionSpec::optional(
            "alphabet",
            OptionType::String,
            Some("digits"),
            "digits = 0-9; alnum = 0-9, a-z and A-Z, each class kept (digits stay digits, \
             case kept); custom = the characters of `characters`.",
        )
        .one_of(&["digits", "alnum", "custom"]),
        OptionSpec::optional(
            "characters",
            OptionType::String,
            None,
            "The alphabet when `alphabet: custom` (at least 2 distinct characters).",
        ),
        OptionSpec::optional(
            "keep",
            OptionType::String,
            Some(""),
            "Characters of the alphabet that stay put anyway. Characters outside the alphabet \
             always stay put.",
        ),
    ],
    accepts: &["text", "int"],
    injective: Injectivity::Always,
    keyed: true,
    format_preserving: true,
    example: ("123-45-6789", "146-74-0043"),
    build,
};

/// Radix^len at or above which FF1 is used (NIST SP 800-38G's minimum domain).
const FF1_MIN_DOMAIN: u64 = 1_000_000;
/// Longest numeral string given to FF1 in one piece.
const CHUNK: usize = 128;
/// Longest value the short path ([`short`]) takes.
const SHORT: usize = 64;
/// Safety net for cycle walking, which terminates long before in practice.
const MAX_WALK: usize = 100_000;

struct Fpe {
    prf: Prf,
    key: [u8; 32],
    /// FF1 on machine integers for short strings (the `fpe` crate for the rest).
    ff1: Ff1,
    /// The alphabet classes; a character's numeral is its index in its class.
    classes: Vec<Vec<char>>,
    keep: Vec<char>,
    /// `class_of` for every ASCII character, looked up instead of searched (a search through
    /// the classes per character was a tenth of this strategy's time).
    ascii: [Option<(usize, u16)>; 128],
    /// Every class character is ASCII (digits, alnum, most custom alphabets).
    ascii_classes: bool,
    /// The integers the column accepts (type width, unsigned, range checks): cycle walking
    /// stays inside, so a masked `INT` id is still an `INT`.
    int_range: Option<(i128, i128)>,
}

fn build(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Fpe::new(opts, ctx)?))
}

impl Fpe {
    fn new(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Fpe, String> {
        let classes: Vec<Vec<char>> = match opts.str_or("alphabet", "digits") {
            "digits" => vec![('0'..='9').collect()],
            "alnum" => vec![
                ('0'..='9').collect(),
                ('a'..='z').collect(),
                ('A'..='Z').collect(),
            ],
            "custom" => {
                let Some(OptionValue::String(chars)) = opts.get("characters") else {
                    return Err("option `characters` is required when `alphabet` is custom".into());
                };
                let mut class: Vec<char> = Vec::new();
                for c in chars.chars() {
                    if !class.contains(&c) {
                        class.push(c);
                    }
                }
                if class.len() < 2 || class.len() > 65536 {
                    return Err(
                        "option `characters` must hold 2 to 65536 distinct characters".into(),
                    );
                }
                vec![class]
            }
            _ => return Err("option `alphabet` must be one of digits, alnum, custom".into()),
        };
        if opts.get("characters").is_some() && opts.str_or("alphabet", "digits") != "custom" {
            return Err("option `characters` only applies with `alphabet: custom`".into());
        }
        let mut fpe = Fpe {
            prf: ctx.prf.clone(),
            key: ctx.prf.cipher_key("fpe"),
            ff1: Ff1::new(&ctx.prf.cipher_key("fpe")),
            classes,
            keep: opts.str_or("keep", "").chars().collect(),
            ascii: [None; 128],
            ascii_classes: false,
            int_range: ctx.column.int_range(),
        };
        fpe.ascii = std::array::from_fn(|b| fpe.search_class(char::from(b as u8)));
        fpe.ascii_classes = fpe.classes.iter().flatten().all(char::is_ascii);
        Ok(fpe)
    }

    /// The class of `c` and its numeral there; `None` for characters kept as they are.
    fn class_of(&self, c: char) -> Option<(usize, u16)> {
        match self.ascii.get(c as usize) {
            Some(known) => *known,
            None => self.search_class(c),
        }
    }

    fn search_class(&self, c: char) -> Option<(usize, u16)> {
        if self.keep.contains(&c) {
            return None;
        }
        self.classes
            .iter()
            .enumerate()
            .find_map(|(i, cl)| cl.iter().position(|x| *x == c).map(|p| (i, p as u16)))
    }

    /// A keyed permutation of numeral strings of radix `radix`, tweaked by `tweak`.
    fn permute(&self, ns: Vec<u16>, radix: u32, tweak: &[u8]) -> Result<Vec<u16>, String> {
        if ns.is_empty() {
            return Ok(ns);
        }
        if ns.len() > CHUNK {
            let mut out = Vec::with_capacity(ns.len());
            for (j, chunk) in ns.chunks(CHUNK).enumerate() {
                let mut t = tweak.to_vec();
                t.extend_from_slice(&(j as u64).to_be_bytes());
                out.extend(self.permute(chunk.to_vec(), radix, &t)?);
            }
            return Ok(out);
        }
        let domain = (0..ns.len()).try_fold(1u64, |acc, _| acc.checked_mul(u64::from(radix)));
        match domain {
            Some(n) if n < FF1_MIN_DOMAIN => {
                let x = ns
                    .iter()
                    .fold(0u64, |acc, d| acc * u64::from(radix) + u64::from(*d));
                let mut y = self.small_permute(x, n, tweak)?;
                let mut out = vec![0u16; ns.len()];
                for slot in out.iter_mut().rev() {
                    *slot = (y % u64::from(radix)) as u16;
                    y /= u64::from(radix);
                }
                Ok(out)
            }
            _ => {
                let mut ns = ns;
                if self.ff1.encrypt(radix, tweak, &mut ns) {
                    return Ok(ns);
                }
                let ff1 = FF1::<Aes256>::new(&self.key, radix)
                    .map_err(|_| "internal error: bad FF1 radix (this is a bug)".to_string())?;
                let out = ff1
                    .encrypt(tweak, &FlexibleNumeralString::from(ns))
                    .map_err(|_| {
                        "internal error: FF1 refused the input (this is a bug)".to_string()
                    })?;
                Ok(Vec::from(out))
            }
        }
    }

    /// The small-domain fallback: a keyed Feistel permutation of `[0, n)` with cycle walking.
    fn small_permute(&self, x: u64, n: u64, tweak: &[u8]) -> Result<u64, String> {
        if n <= 1 {
            return Ok(x);
        }
        let bits = 64 - (n - 1).leading_zeros();
        let half = bits.div_ceil(2).max(1);
        let mask = (1u64 << half) - 1;
        let mut cur = x;
        for _ in 0..MAX_WALK {
            let (mut l, mut r) = (cur >> half, cur & mask);
            for round in 0u8..8 {
                let mut input = Vec::with_capacity(tweak.len() + 17);
                input.extend_from_slice(tweak);
                input.push(round);
                input.extend_from_slice(&n.to_be_bytes());
                input.extend_from_slice(&r.to_be_bytes());
                let h = self.prf.hash_bytes("fpe small domain", &input);
                let f = u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) & mask;
                (l, r) = (r, l ^ f);
            }
            cur = (l << half) | r;
            if cur < n {
                return Ok(cur);
            }
        }
        Err("internal error: cycle walking did not end (this is a bug)".into())
    }

    fn encrypt_text(&self, s: &str) -> Result<String, String> {
        if let Some(out) = self.encrypt_short_ascii(s) {
            return Ok(out);
        }
        let chars: Vec<char> = s.chars().collect();
        let classes: Vec<Option<(usize, u16)>> = chars.iter().map(|c| self.class_of(*c)).collect();
        // The shape: class markers for encrypted positions, literal characters elsewhere.
        let mut shape = Vec::with_capacity(s.len() + 8);
        for (c, cl) in chars.iter().zip(&classes) {
            match cl {
                Some((i, _)) => shape.extend_from_slice(&[0xff, *i as u8]),
                None => shape.extend_from_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
            }
        }
        let shape_digest = self.prf.hash_bytes("fpe shape", &shape);
        let mut out = chars.clone();
        for (ci, class) in self.classes.iter().enumerate() {
            let positions: Vec<usize> = (0..chars.len())
                .filter(|p| matches!(classes[*p], Some((i, _)) if i == ci))
                .collect();
            if positions.is_empty() {
                continue;
            }
            let ns: Vec<u16> = positions
                .iter()
                .map(|p| classes[*p].expect("class").1)
                .collect();
            let mut tweak = [0u8; 33];
            tweak[..32].copy_from_slice(&shape_digest);
            tweak[32] = ci as u8;
            let enc = self.permute(ns, class.len() as u32, &tweak)?;
            for (p, d) in positions.iter().zip(enc) {
                out[*p] = class[usize::from(d)];
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Encrypts the decimal digits of a magnitude, keeping the digit count, never producing a
    /// leading zero (unless a single digit), zero when `nonzero`, or a value outside
    /// `least..=bound`. Inputs inside those limits map one-to-one onto them.
    fn encrypt_magnitude(
        &self,
        mag: u64,
        least: u64,
        bound: u64,
        nonzero: bool,
    ) -> Result<u64, String> {
        if mag < least || mag > bound {
            // Only values the column accepts can be permuted among themselves.
            return Err("the value is outside the column's range".into());
        }
        let digits: Vec<u16> = mag
            .to_string()
            .bytes()
            .map(|b| u16::from(b - b'0'))
            .collect();
        let len = digits.len();
        let mut tweak = b"int".to_vec();
        tweak.push(len as u8);
        tweak.push(u8::from(nonzero));
        let mut cur = digits;
        for _ in 0..MAX_WALK {
            cur = self.permute(cur, 10, &tweak)?;
            let ok_lead = len == 1 || cur[0] != 0;
            if ok_lead {
                let v = cur.iter().try_fold(0u64, |acc, d| {
                    acc.checked_mul(10)
                        .and_then(|a| a.checked_add(u64::from(*d)))
                });
                if let Some(v) = v {
                    if least <= v && v <= bound && !(nonzero && v == 0) {
                        return Ok(v);
                    }
                }
            }
        }
        Err("internal error: cycle walking did not end (this is a bug)".into())
    }
}

impl Strategy for Fpe {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        match value {
            Value::Text(s) => Ok(Value::Text(self.encrypt_text(s)?.into())),
            Value::Int(i) => {
                let neg = *i < 0;
                let (lo, hi) = self
                    .int_range
                    .unwrap_or((i128::from(i64::MIN), i128::from(i64::MAX)));
                // Limits on the magnitude for this sign.
                let (least, bound) = if neg {
                    ((-hi).max(1), (-lo).min(1i128 << 63))
                } else {
                    (lo.max(0), hi.min(i128::from(i64::MAX)))
                };
                let clip = |v: i128| u64::try_from(v.max(0)).unwrap_or(u64::MAX);
                let m = self.encrypt_magnitude(i.unsigned_abs(), clip(least), clip(bound), neg)?;
                Ok(Value::Int(if neg {
                    0i64.checked_sub_unsigned(m).unwrap_or(i64::MIN)
                } else {
                    m as i64
                }))
            }
            Value::UInt(u) => {
                let (lo, hi) = self.int_range.unwrap_or((0, i128::from(u64::MAX)));
                let clip = |v: i128| u64::try_from(v.max(0)).unwrap_or(u64::MAX);
                Ok(Value::UInt(self.encrypt_magnitude(
                    *u,
                    clip(lo),
                    clip(hi),
                    false,
                )?))
            }
            other => Err(format!("fpe does not apply to {} values", other.kind())),
        }
    }

    fn is_injective(&self) -> bool {
        true
    }

    fn apply_column(
        &self,
        values: &[Value],
        ctx: &ApplyCtx<'_>,
    ) -> Result<Vec<Value>, (usize, String)> {
        self.apply_short_column(values, ctx)
    }

    /// Text keeps its length, character for character.
    fn max_output_chars(&self, input_max: Option<u32>) -> Option<u32> {
        input_max
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use datamask_core::Value;

    fn shape(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => 'd',
                'a'..='z' => 'l',
                'A'..='Z' => 'U',
                o => o,
            })
            .collect()
    }

    #[test]
    fn keeps_shape() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "123-45-6789"),
            (&[], "4111 1111 1111 1111"),
            (&[], "+1 (555) 010-9999"),
            (&[("alphabet", "alnum")], "AB-123-cd"),
            (&[("alphabet", "alnum")], "Zoë 北京 X9"),
            (&[("alphabet", "custom"), ("characters", "abc")], "aabbcc-x"),
            (&[("keep", "'0")], "100-200"),
        ];
        for (o, input) in cases {
            let Value::Text(out) = run("fpe", &opts(o), &Value::text(*input)).unwrap() else {
                panic!()
            };
            assert_eq!(shape(&out), shape(input), "{input} -> {out}");
            assert_ne!(&out, input);
        }
    }

    /// The stack-only path gives what the general path gives, on every alphabet, on values
    /// FF1 takes whole and on those it hands back (short domains, long letter runs, too long).
    #[test]
    fn the_short_ascii_path_matches_the_general_path() {
        use datamask_core::{Column, DataType, MasterKey};
        let column = Column::new("c", DataType::text());
        let ctx = datamask_core::strategy::BuildCtx {
            prf: MasterKey::from_hex(crate::harness::TEST_KEY)
                .unwrap()
                .prf("example"),
            column: &column,
        };
        let alphabets: &[&[(&str, &str)]] = &[
            &[],
            &[("alphabet", "alnum")],
            &[("alphabet", "custom"), ("characters", "abcdef")],
            &[("keep", "'0-")],
        ];
        let inputs = [
            "123-45-6789".to_string(),
            "4111 1111 1111 1111".into(),
            "+1 (415) 555-0132".into(),
            "AB-123-cd".into(),
            "12345".into(),
            "x".into(),
            String::new(),
            "abcdefabcdefabcdefabcdef-0000".into(),
            "Zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz9".into(),
            "9".repeat(64),
            "9".repeat(65),
            "DE72068931710000000001".into(),
        ];
        for o in alphabets {
            let fast = super::Fpe::new(&opts(o), &ctx).unwrap();
            let mut general = super::Fpe::new(&opts(o), &ctx).unwrap();
            general.ascii_classes = false;
            for input in &inputs {
                assert_eq!(
                    fast.encrypt_text(input),
                    general.encrypt_text(input),
                    "{o:?} {input}"
                );
            }
        }
    }

    /// A column masked at once gives each value's own result, across runs of one shape,
    /// changes of shape, shapes FF1 does not take whole, other types and NULLs.
    #[test]
    fn a_column_at_once_matches_value_by_value() {
        use datamask_core::{ApplyCtx, Column, DataType};
        let column = Column::new("c", DataType::text());
        let ctx = ApplyCtx {
            column: &column,
            row_key: None,
        };
        let mut values: Vec<Value> = (0..700)
            .map(|i| Value::text(format!("{:03}-{:02}-{:04}", i % 1000, i % 100, i * 7)))
            .collect();
        values.splice(
            300..300,
            [
                Value::text("12345"),
                Value::text("AB-123-cd"),
                Value::text("ab-456-CD"),
                Value::Null,
                Value::text(""),
                Value::text("Zoë 123456"),
                Value::text("9".repeat(65)),
                Value::Int(123_456_789),
                Value::text("123-45-6789"),
                Value::text("---"),
            ],
        );
        for o in [&[][..], &[("alphabet", "alnum")][..]] {
            let s = crate::harness::build_for("fpe", &opts(o), &column).unwrap();
            let one_by_one: Vec<Value> = values.iter().map(|v| s.apply(v, &ctx).unwrap()).collect();
            assert_eq!(s.apply_column(&values, &ctx).unwrap(), one_by_one, "{o:?}");
            for (v, out) in values.iter().zip(&one_by_one) {
                if let (Value::Text(v), Value::Text(out)) = (v, out) {
                    assert_eq!(v.len(), out.len());
                }
            }
        }
    }

    #[test]
    fn keep_pins_characters() {
        let Value::Text(out) =
            run("fpe", &opts(&[("keep", "'0")]), &Value::text("100-200")).unwrap()
        else {
            panic!()
        };
        assert_eq!(out.chars().filter(|c| *c == '0').count(), 4, "{out}");
    }

    #[test]
    fn small_domains_are_bijective() {
        let o = opts(&[]);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..1000 {
            let input = format!("{i:03}");
            let Value::Text(out) = run("fpe", &o, &Value::text(input)).unwrap() else {
                panic!()
            };
            assert_eq!(out.len(), 3);
            assert!(seen.insert(out));
        }
    }

    #[test]
    fn ints_stay_inside_the_column_range() {
        use datamask_core::{ApplyCtx, Check, CmpOp, Column, DataType, Literal};
        let mut col = Column::new(
            "id",
            DataType::Int {
                bits: 32,
                unsigned: false,
            },
        );
        col.constraints.checks.push(Check::Compare {
            op: CmpOp::Gt,
            value: Literal::Number("0".into()),
        });
        let s = crate::harness::build_for("fpe", &opts(&[]), &col).unwrap();
        let ctx = ApplyCtx {
            column: &col,
            row_key: None,
        };
        let mut seen = std::collections::BTreeSet::new();
        for i in (1..=9).chain(2_147_483_000..=2_147_483_647) {
            let Value::Int(out) = s.apply(&Value::Int(i), &ctx).unwrap() else {
                panic!()
            };
            assert!((1..=i64::from(i32::MAX)).contains(&out), "{i} -> {out}");
            assert!(seen.insert(out), "{i} collides");
        }
        assert!(s.apply(&Value::Int(0), &ctx).is_err());
    }

    #[test]
    fn ints_keep_sign_and_digit_count() {
        let o = opts(&[]);
        for i in [
            0i64,
            7,
            -7,
            10,
            99,
            -100,
            123456,
            1_000_000_007,
            i64::MAX,
            i64::MIN,
            -1,
        ] {
            let Value::Int(out) = run("fpe", &o, &Value::Int(i)).unwrap() else {
                panic!()
            };
            assert_eq!(out < 0, i < 0, "{i} -> {out}");
            assert_eq!(
                out.unsigned_abs().to_string().len(),
                i.unsigned_abs().to_string().len(),
                "{i} -> {out}"
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for i in -99..100i64 {
            let Value::Int(out) = run("fpe", &o, &Value::Int(i)).unwrap() else {
                panic!()
            };
            assert!(seen.insert(out), "collision at {i}");
        }
        for u in [0u64, 5, u64::MAX, 10_000_000_000_000_000_000] {
            let Value::UInt(out) = run("fpe", &o, &Value::UInt(u)).unwrap() else {
                panic!()
            };
            assert_eq!(out.to_string().len(), u.to_string().len());
        }
    }

    #[test]
    fn bad_options() {
        let info = crate::lookup("fpe").unwrap();
        let p = crate::validate_options(info, &opts(&[("alphabet", "custom")]));
        assert_eq!(p[0].option, "characters");
        let p =
            crate::validate_options(info, &opts(&[("alphabet", "custom"), ("characters", "a")]));
        assert_eq!(p[0].option, "characters");
    }
}
