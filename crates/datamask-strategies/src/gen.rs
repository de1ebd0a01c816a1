//! Keyed generation helpers shared by the fakers: a PRF stream with convenience draws, pattern
//! filling and the check-digit algorithms that valid-looking identifiers need.
//!
//! Everything here is a pure function of the PRF stream, so a faker that draws its choices in a
//! fixed order is deterministic by construction.

use datamask_core::key::PrfStream;
use datamask_core::{Prf, Value};

/// A keyed stream of choices for one input value.
pub struct Gen(PrfStream);

pub const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
pub const DIGITS: &[u8] = b"0123456789";

impl Gen {
    /// The stream of `purpose` for `value` under `prf`.
    pub fn new(prf: &Prf, purpose: &str, value: &Value) -> Self {
        Gen(prf.stream(purpose, value))
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.below(n.max(1))
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.0.unit()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniform element of a non-empty slice of small `Copy` items (names, digits, ...).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A reference to a uniform element of a non-empty slice.
    pub fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A character of `alphabet` (ASCII).
    pub fn char_of(&mut self, alphabet: &[u8]) -> char {
        char::from(self.pick(alphabet))
    }

    /// `n` characters of `alphabet`.
    pub fn string_of(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| self.char_of(alphabet)).collect()
    }

    /// `n` decimal digits (leading zeros allowed).
    pub fn digits(&mut self, n: usize) -> String {
        self.string_of(DIGITS, n)
    }

    /// `n` decimal digits as numbers.
    pub fn digit_vec(&mut self, n: usize) -> Vec<u32> {
        (0..n).map(|_| self.below(10) as u32).collect()
    }

    /// Fills a pattern: `#` a digit, `%` a digit 1-9, `?` an uppercase letter, `*` an
    /// uppercase letter or digit, `\` escapes the next character; others are literal.
    pub fn pattern(&mut self, pattern: &str) -> String {
        let mut out = String::with_capacity(pattern.len());
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '#' => out.push(self.char_of(DIGITS)),
                '%' => out.push(self.char_of(b"123456789")),
                '?' => out.push(self.char_of(UPPER)),
                '*' => out.push(self.char_of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
                '\\' => out.extend(chars.next()),
                other => out.push(other),
            }
        }
        out
    }
}

/// Digits of a string of ASCII digits (others skipped).
pub fn digits_of(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn check digit for `payload` (the digits before the check digit).
pub fn luhn_digit(payload: &[u32]) -> u32 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// True when the digits (check digit last) pass the Luhn test.
pub fn luhn_valid(digits: &[u32]) -> bool {
    match digits.split_last() {
        Some((check, payload)) if !payload.is_empty() => luhn_digit(payload) == *check,
        _ => false,
    }
}

/// `n mod 97` of the number the concatenated `parts` spell out, IBAN style: digits stay,
/// letters stand for 10..35 (two digits each), anything else is skipped. Computed piece by
/// piece with no overflow and no expanded string (built per value, it cost more than the rest).
pub fn mod97(parts: &[&str]) -> u32 {
    parts
        .iter()
        .flat_map(|p| p.bytes())
        .fold(0u32, |acc, b| match b {
            b'0'..=b'9' => (acc * 10 + u32::from(b - b'0')) % 97,
            _ if b.is_ascii_alphabetic() => {
                (acc * 100 + u32::from(b.to_ascii_uppercase() - b'A') + 10) % 97
            }
            _ => acc,
        })
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 8, 7, 6, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// The Verhoeff check digit for `payload`.
pub fn verhoeff_digit(payload: &[u32]) -> u32 {
    let mut c = 0usize;
    for (i, d) in payload.iter().rev().enumerate() {
        c = VERHOEFF_D[c][VERHOEFF_P[(i + 1) % 8][*d as usize] as usize] as usize;
    }
    u32::from(VERHOEFF_INV[c])
}

/// True when the digits (check digit last) pass the Verhoeff test.
pub fn verhoeff_valid(digits: &[u32]) -> bool {
    let mut c = 0usize;
    for (i, d) in digits.iter().rev().enumerate() {
        c = VERHOEFF_D[c][VERHOEFF_P[i % 8][*d as usize] as usize] as usize;
    }
    c == 0
}

/// Digits as a string.
pub fn digit_string(d: &[u32]) -> String {
    d.iter()
        .map(|x| char::from(b'0' + (*x % 10) as u8))
        .collect()
}

/// Groups `s` into chunks of the given sizes joined by `sep` (the rest goes in a last group).
pub fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for size in sizes {
        if at >= chars.len() {
            break;
        }
        let end = (at + size).min(chars.len());
        out.push(chars[at..end].iter().collect::<String>());
        at = end;
    }
    if at < chars.len() {
        out.push(chars[at..].iter().collect());
    }
    out.join(sep)
}

/// The text of a text value, or a short error naming the strategy.
pub fn text_of<'a>(value: &'a Value, strategy: &str) -> Result<&'a str, String> {
    match value {
        Value::Text(s) => Ok(s),
        other => Err(format!(
            "{strategy} does not apply to {} values",
            other.kind()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_vectors() {
        // Published examples.
        assert!(luhn_valid(&digits_of("4111111111111111")));
        assert!(luhn_valid(&digits_of("79927398713")));
        assert!(!luhn_valid(&digits_of("79927398710")));
        assert_eq!(verhoeff_digit(&digits_of("236")), 3);
        assert!(verhoeff_valid(&digits_of("2363")));
        assert_eq!(mod97(&["WEST12345698765432GB82"]), 1);
        assert_eq!(mod97(&["WEST12345698765432", "GB82"]), 1);
        assert_eq!(mod97(&["3214282912345698765432161182"]), 1);
        assert_eq!(
            group("4111111111111111", &[4, 4, 4, 4], " "),
            "4111 1111 1111 1111"
        );
        assert_eq!(group("12345", &[2], "-"), "12-345");
    }

    #[test]
    fn patterns() {
        let prf = datamask_core::MasterKey::from_bytes([1; 32]).prf("d");
        let mut g = Gen::new(&prf, "p", &Value::Int(1));
        let s = g.pattern("##-??-%\\#");
        let shape: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    'd'
                } else if c.is_ascii_uppercase() {
                    'L'
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(shape, "dd-LL-d#");
        assert!(!s[6..7].starts_with('0'));
    }
}
