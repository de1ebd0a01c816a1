//! Scoring: name hints and value evidence combined into a type, a confidence and a score.
//!
//! The rules (shared/PII_TYPES.md):
//! * a distinctive value shape on >= 80 % of the sample is enough for "likely"; a validator
//!   passing on >= 90 % of matches makes it "certain"; a name hint that agrees adds to the score;
//! * a validator passing on <= 50 % of matches (25 % for dictionaries) rules the type out;
//! * weak value evidence (a bare integer for an age, a date for a birth date) counts only with a
//!   name hint;
//! * a name hint alone is "possible" at most, and only when the value profile agrees;
//! * a negative token in the name (`email_verified`, `phone_type`) caps the column at
//!   "possible".

use crate::text::{self, TextProfile};
use crate::tokens::tokenize;
use crate::types::{Confidence, PiiType};
use crate::values::{self, Validator};
use crate::vocab::{self, NameHint};
use datamask_core::{Column, DataType, TableSchema, Value};
use serde::Serialize;

/// Why a column got its type.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// Tokens of the column name that matched the type's vocabulary.
    pub name_tokens: Vec<String>,
    /// Negative tokens in the name (they cap the confidence at "possible").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub negative_tokens: Vec<String>,
    /// Non-null values sampled.
    pub sampled: usize,
    /// Share of sampled values with the type's shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_share: Option<f64>,
    /// Share of matching values that pass the validator (checksum, dictionary, known TLD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_share: Option<f64>,
    /// The most common sub-scheme among matches (`visa`, `pesel`, `ipv4`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Free text: share of values with an embedded entity, and which kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded_share: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub embedded: Vec<String>,
    /// Other observations (declared type, uniqueness, validators that ruled a type out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Evidence {
    /// One line for tables and YAML comments. Never contains a sampled value.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.name_tokens.is_empty() {
            parts.push(format!("name `{}`", self.name_tokens.join("_")));
        }
        if let Some(m) = self.match_share {
            parts.push(format!("{} of {} values match", pct(m), self.sampled));
        }
        if let Some(c) = self.checksum_share {
            match self.scheme.as_deref() {
                Some(s)
                    if s.ends_with("dictionary")
                        || s.ends_with("dictionaries")
                        || s.ends_with("list") =>
                {
                    parts.push(format!("{} in the {s}", pct(c)))
                }
                Some(s) => parts.push(format!("{} pass the {s} check", pct(c))),
                None => parts.push(format!("{} pass the check", pct(c))),
            }
        } else if let Some(s) = &self.scheme {
            parts.push(s.clone());
        }
        match self.embedded_share {
            Some(e) if !self.embedded.is_empty() => parts.push(format!(
                "{} of {} values embed {}",
                pct(e),
                self.sampled,
                self.embedded.join("/")
            )),
            Some(_) => parts.push(format!("no embedded entities in {} values", self.sampled)),
            None => {}
        }
        if !self.negative_tokens.is_empty() {
            parts.push(format!("negative `{}`", self.negative_tokens.join("`, `")));
        }
        parts.extend(self.notes.iter().cloned());
        if parts.is_empty() {
            "no evidence".into()
        } else {
            parts.join("; ")
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A classified column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    #[serde(rename = "type")]
    pub pii_type: PiiType,
    pub confidence: Confidence,
    pub score: f64,
    pub evidence: Evidence,
}

/// Aggregated value evidence for one type.
#[derive(Debug, Default, Clone)]
struct ValueStats {
    n: usize,
    matched: usize,
    valid: usize,
    checked: usize,
    strong: usize,
    scheme: Option<&'static str>,
}

impl ValueStats {
    fn of(ty: PiiType, values: &[String]) -> ValueStats {
        let mut s = ValueStats {
            n: values.len(),
            ..ValueStats::default()
        };
        let mut schemes: Vec<(&'static str, usize)> = Vec::new();
        for v in values {
            let hit = values::test(ty, v);
            if !hit.matched {
                continue;
            }
            s.matched += 1;
            s.strong += usize::from(hit.strong);
            if let Some(ok) = hit.valid {
                s.checked += 1;
                s.valid += usize::from(ok);
            }
            if let Some(name) = hit.scheme {
                match schemes.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, k)) => *k += 1,
                    None => schemes.push((name, 1)),
                }
            }
        }
        s.scheme = schemes.iter().max_by_key(|(_, k)| *k).map(|(n, _)| *n);
        s
    }

    fn match_share(&self) -> f64 {
        self.matched as f64 / self.n.max(1) as f64
    }

    fn valid_share(&self) -> Option<f64> {
        (self.checked > 0).then(|| self.valid as f64 / self.checked as f64)
    }

    fn strong_share(&self) -> f64 {
        self.strong as f64 / self.matched.max(1) as f64
    }
}

/// Whether a column's declared type can hold `ty` at all (the SQL-type part of the profile).
fn fits(ty: PiiType, data_type: &DataType) -> bool {
    use PiiType::*;
    let family = data_type.family();
    match ty {
        Age => matches!(family, "int" | "decimal" | "text" | "float"),
        Money => matches!(family, "int" | "decimal" | "float" | "text"),
        Coordinates => matches!(family, "float" | "decimal" | "text"),
        DateOfBirth => matches!(family, "date" | "timestamp" | "timestamptz" | "text"),
        Biometric => matches!(family, "bytes" | "text"),
        Gender => matches!(family, "text" | "int"),
        PostalCode | Phone | CreditCard | Ssn | NationalId | BankAccount | CardSecurity
        | HealthId | DeviceId => matches!(family, "text" | "int" | "decimal" | "uuid"),
        FreeText => matches!(family, "text" | "json"),
        _ => matches!(family, "text" | "json"),
    }
}

/// The sample of one column as trimmed text (NULLs and blanks dropped).
pub fn texts(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter(|v| !v.is_null())
        .filter_map(|v| match v {
            Value::Bytes(_) | Value::Bool(_) => None,
            other => {
                let s = other.to_string();
                let t = s.trim();
                (!t.is_empty()).then(|| t.to_string())
            }
        })
        .collect()
}

/// Classifies one column from its name, its declared type, its table's keys and a sample of its
/// values. `None` when nothing points at personal data.
pub fn classify(table: &TableSchema, column: &Column, sample: &[Value]) -> Option<Finding> {
    let tokens = tokenize(&column.name);
    let strings = texts(sample);
    let non_null = sample.iter().filter(|v| !v.is_null()).count();
    let mut best: Option<Finding> = None;
    // Keys are internal ids: datamask keeps joins through domains, discovery leaves them be.
    let is_key_int = matches!(column.data_type, DataType::Int { .. } | DataType::Uuid)
        && (table.primary_key.contains(&column.name)
            || table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.contains(&column.name)));
    if is_key_int {
        return None;
    }
    let mut candidates: Vec<Finding> = Vec::new();
    for ty in PiiType::ALL {
        let candidate = match ty {
            PiiType::FreeText => score_free_text(&tokens, column, &strings),
            PiiType::Biometric => score_binary(&tokens, column, sample),
            PiiType::DateOfBirth
                if matches!(
                    column.data_type,
                    DataType::Date | DataType::Timestamp | DataType::TimestampTz
                ) =>
            {
                score_typed_date(&tokens, column, sample)
            }
            _ => score(ty, &tokens, column, &strings),
        };
        if let Some(f) = candidate {
            if best.as_ref().is_none_or(|b| f.score > b.score) {
                best = Some(f.clone());
            }
            candidates.push(f);
        }
    }
    let best = best.map(|b| prefer(b, &candidates));
    best.map(|mut f| {
        f.evidence.sampled = non_null;
        if table.is_unique_column(&column.name) {
            f.evidence.notes.push("unique column".into());
        }
        f
    })
}

/// Types told apart by dictionaries, which overlap (surnames name streets and towns).
fn dictionary_family(ty: PiiType) -> bool {
    use PiiType::*;
    matches!(
        ty,
        PersonName | FirstName | LastName | City | Region | Country | StreetAddress
    )
}

fn is_named(f: &Finding) -> bool {
    !f.evidence.name_tokens.is_empty() && f.evidence.negative_tokens.is_empty()
}

/// The finding to report, given the highest-scoring one and every candidate:
///
/// * free text is the fallback: a structured type that most values match (`likely` or better)
///   wins over it (street addresses embed names, but they are addresses);
/// * among the dictionary types, a `likely` or better type the column's name agrees with wins
///   over one the values alone suggest (`cidade` holds towns named after people).
fn prefer(best: Finding, candidates: &[Finding]) -> Finding {
    let confident = |f: &&Finding| f.confidence >= Confidence::Likely;
    let pick = |pool: Vec<&Finding>| {
        // The first of equal scores, as for `best`.
        pool.into_iter()
            .reduce(|a, b| if b.score > a.score { b } else { a })
            .cloned()
    };
    if best.pii_type == PiiType::FreeText {
        let structured: Vec<&Finding> = candidates
            .iter()
            .filter(confident)
            .filter(|f| f.pii_type != PiiType::FreeText)
            .filter(|f| f.evidence.match_share.is_some_and(|m| m >= 0.8))
            .collect();
        if let Some(f) = pick(structured) {
            return f;
        }
    }
    if dictionary_family(best.pii_type) && !is_named(&best) {
        let named: Vec<&Finding> = candidates
            .iter()
            .filter(confident)
            .filter(|f| dictionary_family(f.pii_type) && is_named(f))
            .collect();
        if let Some(f) = pick(named) {
            return f;
        }
    }
    best
}

/// The type's name hint (void when a negative token sits outside it) and the negative tokens
/// of the name outside the hint's phrase: `sku` caps a column of Luhn-valid SKUs even though
/// no card vocabulary matched.
fn hint_of(ty: PiiType, tokens: &[String]) -> (Option<NameHint>, Vec<String>) {
    let hint = vocab::name_hint(ty, tokens);
    let covered: &[String] = hint.as_ref().map_or(&[], |h| &h.tokens);
    let negatives: Vec<String> = tokens
        .iter()
        .filter(|t| vocab::caps_values(t) && !covered.contains(t))
        .cloned()
        .collect();
    (hint.filter(|h| h.negative.is_none()), negatives)
}

fn finish(ty: PiiType, score: f64, evidence: Evidence) -> Option<Finding> {
    let capped = if evidence.negative_tokens.is_empty() {
        score
    } else {
        score.min(0.45)
    };
    let max = match ty.max_confidence() {
        Confidence::Possible => 0.59,
        Confidence::Likely => 0.89,
        Confidence::Certain => 1.0,
    };
    let score = (capped.min(max) * 100.0).round() / 100.0;
    let confidence = Confidence::from_score(score)?;
    Some(Finding {
        pii_type: ty,
        confidence,
        score,
        evidence,
    })
}

fn score(ty: PiiType, tokens: &[String], column: &Column, values: &[String]) -> Option<Finding> {
    if !fits(ty, &column.data_type) {
        return None;
    }
    let raw_hint = vocab::name_hint(ty, tokens);
    let (hint, negatives) = hint_of(ty, tokens);
    let stats = ValueStats::of(ty, values);
    let mut ev = Evidence {
        name_tokens: raw_hint
            .as_ref()
            .map(|h| h.tokens.clone())
            .unwrap_or_default(),
        negative_tokens: negatives,
        sampled: values.len(),
        match_share: (!values.is_empty()).then(|| stats.match_share()),
        checksum_share: stats.valid_share(),
        scheme: stats.scheme.map(str::to_string),
        ..Evidence::default()
    };
    let named = hint.is_some() || raw_hint.is_some();
    let coverage = raw_hint.as_ref().map_or(0.0, |h| h.coverage);
    let validator = values::validator(ty);
    let share = stats.match_share();
    let valid = stats.valid_share();
    // Dictionaries are samples: a column the name calls `surname` whose values have the shape
    // but are mostly missing from the dictionary (inflected Polish surnames, Italian hamlets)
    // is still surnames; only a name that says nothing must be backed by the dictionary.
    let (rule_out, strong_valid) = match validator {
        Validator::Checksum => (0.5, 0.9),
        Validator::Dictionary if named && hint.is_some() => (0.1, 0.5),
        Validator::Dictionary => (0.25, 0.5),
        Validator::None => (-1.0, 2.0),
    };
    let ruled_out = valid.is_some_and(|v| v <= rule_out) && share >= 0.5;
    let threshold = if named { 0.6 } else { 0.8 };
    let validated = valid.is_some_and(|v| v >= strong_valid);
    let shape_strong = match validator {
        // A capitalised word is not distinctive by itself: the dictionary must agree.
        Validator::Dictionary => validated,
        _ => stats.strong_share() >= 0.5 || validated,
    };
    let strong = share >= threshold && shape_strong && !ruled_out;
    let s = if values.is_empty() {
        if named {
            0.35 + 0.1 * coverage
        } else {
            0.0
        }
    } else if ruled_out {
        ev.notes
            .push(format!("ruled out: the {} check fails on most values", ty));
        if named {
            0.3
        } else {
            0.0
        }
    } else if strong {
        let mut s = 0.55 + 0.3 * share;
        if validator == Validator::Checksum && validated {
            s += 0.1;
        }
        if validator == Validator::Dictionary && valid.is_some_and(|v| v >= 0.8) {
            s += 0.05;
        }
        if named {
            s += 0.05 + 0.05 * coverage;
        }
        s
    } else if named && share >= threshold && !ruled_out && validator != Validator::Dictionary {
        0.6 + 0.15 * share + 0.1 * coverage
    } else if hint.is_some() && share >= 0.8 && !ruled_out {
        // Named, shaped right, the dictionary knows some but not most values.
        0.6 + 0.1 * coverage
    } else if named && (share >= 0.3 || validator == Validator::None && share > 0.0) {
        0.35 + 0.1 * coverage
    } else {
        0.0
    };
    if s <= 0.0 {
        return None;
    }
    if !named && ev.match_share.is_some() {
        ev.name_tokens.clear();
    }
    finish(ty, s, ev)
}

fn score_typed_date(tokens: &[String], column: &Column, sample: &[Value]) -> Option<Finding> {
    let raw = vocab::name_hint(PiiType::DateOfBirth, tokens)?;
    let (_, negatives) = hint_of(PiiType::DateOfBirth, tokens);
    let strings = texts(sample);
    let plausible = strings
        .iter()
        .filter(|v| values::parse_date(v).is_some_and(|(y, _, _)| (1900..=2030).contains(&y)))
        .count();
    let share = plausible as f64 / strings.len().max(1) as f64;
    let ev = Evidence {
        name_tokens: raw.tokens.clone(),
        negative_tokens: negatives,
        sampled: strings.len(),
        match_share: (!strings.is_empty()).then_some(share),
        notes: vec![format!("declared {}", column.data_type.family())],
        ..Evidence::default()
    };
    let s = if strings.is_empty() {
        0.4
    } else if share >= 0.9 {
        0.8 + 0.1 * raw.coverage
    } else {
        0.4
    };
    finish(PiiType::DateOfBirth, s, ev)
}

fn score_free_text(tokens: &[String], column: &Column, values: &[String]) -> Option<Finding> {
    if !fits(PiiType::FreeText, &column.data_type) {
        return None;
    }
    let raw = vocab::name_hint(PiiType::FreeText, tokens);
    let (_, negatives) = hint_of(PiiType::FreeText, tokens);
    let p: TextProfile = text::profile(values);
    let named = raw.is_some();
    let mut ev = Evidence {
        name_tokens: raw.as_ref().map(|h| h.tokens.clone()).unwrap_or_default(),
        negative_tokens: negatives,
        sampled: values.len(),
        ..Evidence::default()
    };
    if !values.is_empty() {
        ev.embedded_share = Some(p.entity_share);
        ev.embedded = p.entities.iter().map(|s| s.to_string()).collect();
        ev.notes.push(format!(
            "average {:.0} characters, {:.1} words",
            p.avg_len, p.avg_words
        ));
    }
    let s = if values.is_empty() {
        if named {
            0.4
        } else {
            0.0
        }
    } else if p.is_prose() && p.entity_share >= 0.01 {
        0.62 + (p.entity_share * 2.0).min(0.25) + if named { 0.05 } else { 0.0 }
    } else if p.is_prose() && named {
        0.45
    } else {
        0.0
    };
    if s <= 0.0 {
        return None;
    }
    finish(PiiType::FreeText, s, ev)
}

fn score_binary(tokens: &[String], column: &Column, sample: &[Value]) -> Option<Finding> {
    let raw = vocab::name_hint(PiiType::Biometric, tokens);
    let (_, negatives) = hint_of(PiiType::Biometric, tokens);
    let blobs: Vec<&[u8]> = sample
        .iter()
        .filter_map(|v| match v {
            Value::Bytes(b) => Some(b.as_slice()),
            _ => None,
        })
        .collect();
    if blobs.is_empty() && column.data_type != DataType::Bytes {
        return None;
    }
    let images = blobs.iter().filter(|b| image_magic(b).is_some()).count();
    let share = images as f64 / blobs.len().max(1) as f64;
    let ev = Evidence {
        name_tokens: raw.as_ref().map(|h| h.tokens.clone()).unwrap_or_default(),
        negative_tokens: negatives,
        sampled: blobs.len(),
        match_share: (!blobs.is_empty()).then_some(share),
        scheme: blobs
            .iter()
            .find_map(|b| image_magic(b))
            .map(str::to_string),
        ..Evidence::default()
    };
    let s = if share >= 0.8 {
        0.75 + if raw.is_some() { 0.15 } else { 0.0 }
    } else if raw.is_some() {
        0.4
    } else {
        0.0
    };
    if s <= 0.0 {
        return None;
    }
    finish(PiiType::Biometric, s, ev)
}

/// The image format of a blob, from its magic bytes.
fn image_magic(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"\x89PNG") {
        Some("png")
    } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("jpeg")
    } else if b.starts_with(b"GIF8") {
        Some("gif")
    } else if b.len() > 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP" {
        Some("webp")
    } else if b.starts_with(b"BM") || b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Some("bitmap/tiff")
    } else {
        None
    }
}
