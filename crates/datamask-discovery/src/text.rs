//! Free text: long, varied values scanned for embedded entities (emails, phone numbers, card
//! numbers, IBANs, SSNs and ids, and person names found through the dictionaries).

use crate::checksum::{self, digits_only};
use crate::dict;
use crate::types::PiiType;
use crate::values;

/// The free-text profile of a column's sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextProfile {
    /// Average characters per value.
    pub avg_len: f64,
    /// Average words per value.
    pub avg_words: f64,
    /// Share of values that are distinct.
    pub distinct: f64,
    /// Share of values holding at least one embedded entity.
    pub entity_share: f64,
    /// The kinds of entity seen, in a fixed order.
    pub entities: Vec<&'static str>,
}

impl TextProfile {
    /// Long, varied values: prose rather than codes or names.
    pub fn is_prose(&self) -> bool {
        self.avg_len >= 20.0 && self.avg_words >= 3.0 && self.distinct >= 0.3
    }
}

/// Profiles `values` (trimmed, non-empty).
pub fn profile(values: &[String]) -> TextProfile {
    if values.is_empty() {
        return TextProfile::default();
    }
    let n = values.len() as f64;
    let mut distinct: Vec<&str> = values.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut with_entity = 0usize;
    let mut kinds: Vec<&'static str> = Vec::new();
    for v in values {
        let found = entities(v);
        if !found.is_empty() {
            with_entity += 1;
        }
        for k in found {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
    }
    kinds.sort_unstable();
    TextProfile {
        avg_len: values.iter().map(|v| v.chars().count()).sum::<usize>() as f64 / n,
        avg_words: values
            .iter()
            .map(|v| v.split_whitespace().count())
            .sum::<usize>() as f64
            / n,
        distinct: distinct.len() as f64 / n,
        entity_share: with_entity as f64 / n,
        entities: kinds,
    }
}

/// The kinds of entity embedded in one text.
pub fn entities(text: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    let trim = |w: &str| -> String {
        w.trim_matches(|c: char| "()[]{}<>\"'`,;:!?".contains(c))
            .trim_end_matches('.')
            .to_string()
    };
    for w in &words {
        let w = trim(w);
        if w.contains('@') && values::test(PiiType::Email, &w).valid == Some(true) {
            push(&mut out, "email");
        }
        if values::test(PiiType::Iban, &w).valid == Some(true) {
            push(&mut out, "iban");
        }
        if values::test(PiiType::Ssn, &w).strong
            && values::test(PiiType::Ssn, &w).valid == Some(true)
        {
            push(&mut out, "ssn");
        }
        if values::test(PiiType::IpAddress, &w).matched {
            push(&mut out, "ip_address");
        }
    }
    for run in digit_runs(text) {
        let Some(d) = digits_only(&run, &[' ', '-', '.', '(', ')', '/', '+']) else {
            continue;
        };
        if (13..=19).contains(&d.len()) && checksum::luhn(&d) && checksum::card_issuer(&d).is_some()
        {
            push(&mut out, "credit_card");
        } else if values::test(PiiType::Phone, run.trim()).strong {
            push(&mut out, "phone");
        }
    }
    if embedded_name(&words) {
        push(&mut out, "person_name");
    }
    out
}

fn push(out: &mut Vec<&'static str>, kind: &'static str) {
    if !out.contains(&kind) {
        out.push(kind);
    }
}

/// Maximal stretches of digits and phone punctuation holding at least 9 digits.
fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, runs: &mut Vec<String>| {
        let t = current.trim_matches(|c: char| !c.is_ascii_digit() && c != '+' && c != '(');
        if t.chars().filter(char::is_ascii_digit).count() >= 9 {
            runs.push(t.to_string());
        }
        current.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || " -.()/+".contains(c) {
            current.push(c);
        } else {
            flush(&mut current, &mut runs);
        }
    }
    flush(&mut current, &mut runs);
    runs
}

/// A known first name followed by a known surname, both capitalised (`... call Maria Schmidt`).
fn embedded_name(words: &[&str]) -> bool {
    let d = dict::get();
    let clean = |w: &str| w.trim_matches(|c: char| !c.is_alphabetic()).to_string();
    words.windows(2).any(|pair| {
        let (a, b) = (clean(pair[0]), clean(pair[1]));
        let cap =
            |w: &str| w.chars().next().is_some_and(char::is_uppercase) && w.chars().count() > 1;
        cap(&a) && cap(&b) && d.first_names.contains(&a) && d.surnames.contains(&b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_embedded_entities() {
        assert_eq!(entities("Call me at +1 (555) 010-9999 tomorrow"), ["phone"]);
        assert_eq!(entities("Write to anna.schmidt@example.org."), ["email"]);
        assert_eq!(
            entities("Paid with 4111 1111 1111 1111 today"),
            ["credit_card"]
        );
        assert!(entities("Spoke with Maria Schmidt about the refund").contains(&"person_name"));
        assert!(entities("Product significant world talk.").is_empty());
        assert!(entities("Order 2024-01-05 shipped, 3 items").is_empty());
    }
}
