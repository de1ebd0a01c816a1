//! `fpe` on short ASCII values, the common case (SSNs, account, phone and card numbers), many
//! values of one shape at a time.
//!
//! Everything FF1 needs besides the numerals depends on the value's *shape* only: the tweak is
//! a keyed digest of the shape, and the CBC-MAC of FF1's constant prefix depends on the tweak,
//! the radix and the length. A column usually holds one shape (`ddd-dd-dddd`), so the digest
//! and the prefix are worked out once per run of values of the same shape instead of once per
//! value (a BLAKE3 compression and three AES blocks), and the run's values go through FF1's
//! rounds together, interleaved (see [`crate::ff1::Ff1::encrypt_many`]). The bytes out are
//! those of encrypting each value on its own: the general path's, which a test pins.

use super::{Fpe, FF1_MIN_DOMAIN, SHORT};
use crate::ff1::Prepared;
use datamask_core::{ApplyCtx, Strategy, Value};

/// Values encrypted together at most (a few KB of numerals and output).
const RUN: usize = 256;

/// A shape's bytes: a class marker (`0xff`, class) for an encrypted position, the character
/// itself elsewhere. `0xff` is not ASCII, so two shapes are equal exactly when the values have
/// the same length, the same class at every encrypted position and the same other characters.
#[derive(Clone, Copy, PartialEq, Eq)]
struct ShapeKey {
    bytes: [u8; 2 * SHORT],
    len: usize,
}

/// What every value of one shape shares.
struct Shape {
    key: ShapeKey,
    /// Per class the shape holds: the class, its positions in the value, and FF1 prepared
    /// under the tweak `digest || class`. `None`: FF1 does not take some class whole (a domain
    /// under a million, halves too long), and values of this shape take the general path.
    classes: Option<Vec<(usize, Vec<usize>, Prepared)>>,
    /// Characters in a value of this shape.
    text_len: usize,
}

impl Fpe {
    /// The shape of `text` when the short path takes it: at most [`SHORT`] ASCII characters,
    /// and every class of the alphabet ASCII.
    fn short_shape(&self, text: &str) -> Option<ShapeKey> {
        let bytes = text.as_bytes();
        if bytes.len() > SHORT || !text.is_ascii() || !self.ascii_classes {
            return None;
        }
        let mut key = ShapeKey {
            bytes: [0; 2 * SHORT],
            len: 0,
        };
        for &b in bytes {
            match self.ascii[usize::from(b)] {
                Some((i, _)) => {
                    key.bytes[key.len..key.len + 2].copy_from_slice(&[0xff, i as u8]);
                    key.len += 2;
                }
                None => {
                    key.bytes[key.len] = b;
                    key.len += 1;
                }
            }
        }
        Some(key)
    }

    /// Digest and FF1 parameters of the shape `key` of `text`.
    fn shape(&self, key: ShapeKey, text: &[u8]) -> Shape {
        let mut classes: Vec<(usize, Vec<usize>, u32)> = Vec::new();
        for (ci, class) in self.classes.iter().enumerate() {
            let positions: Vec<usize> = (0..text.len())
                .filter(|&p| matches!(self.ascii[usize::from(text[p])], Some((i, _)) if i == ci))
                .collect();
            if !positions.is_empty() {
                classes.push((ci, positions, class.len() as u32));
            }
        }
        let big_enough = classes.iter().all(|(_, positions, radix)| {
            (0..positions.len())
                .try_fold(1u64, |acc, _| acc.checked_mul(u64::from(*radix)))
                .is_none_or(|domain| domain >= FF1_MIN_DOMAIN)
        });
        let prepared = big_enough.then(|| {
            let digest = self.prf.hash_bytes("fpe shape", &key.bytes[..key.len]);
            let mut tweak = [0u8; 33];
            tweak[..32].copy_from_slice(&digest);
            classes
                .into_iter()
                .map(|(ci, positions, radix)| {
                    tweak[32] = ci as u8;
                    let prepared = self.ff1.prepare(radix, positions.len(), &tweak)?;
                    Some((ci, positions, prepared))
                })
                .collect::<Option<Vec<_>>>()
        });
        Shape {
            key,
            classes: prepared.flatten(),
            text_len: text.len(),
        }
    }

    /// [`Fpe::encrypt_text`] for the common case, with the same result; `None`: take the
    /// general path.
    pub(super) fn encrypt_short_ascii(&self, text: &str) -> Option<String> {
        let key = self.short_shape(text)?;
        let mut out = Vec::with_capacity(1);
        let mut run = Run::default();
        if !run.push(self, key, text, &mut out) {
            return None;
        }
        run.flush(self, &mut out);
        match out.pop() {
            Some(Value::Text(s)) => Some(s.to_string()),
            _ => None,
        }
    }

    /// [`Strategy::apply_column`] for `fpe`: runs of short ASCII values of one shape are
    /// encrypted together, everything else one value at a time.
    pub(super) fn apply_short_column(
        &self,
        values: &[Value],
        ctx: &ApplyCtx<'_>,
    ) -> Result<Vec<Value>, (usize, String)> {
        let mut out = Vec::with_capacity(values.len());
        let mut run = Run::default();
        for (i, value) in values.iter().enumerate() {
            if let Value::Text(text) = value {
                if let Some(key) = self.short_shape(text) {
                    if run.push(self, key, text, &mut out) {
                        continue;
                    }
                }
            }
            run.flush(self, &mut out);
            out.push(self.apply(value, ctx).map_err(|e| (i, e))?);
        }
        run.flush(self, &mut out);
        Ok(out)
    }
}

/// Consecutive values of one shape, waiting to be encrypted together.
#[derive(Default)]
struct Run<'v> {
    /// The shape of the members (of the last value taken, when there are none).
    shape: Option<Shape>,
    members: Vec<&'v str>,
    /// Reused between flushes: the numerals of one class of every member, and the output.
    numerals: Vec<u16>,
    bytes: Vec<u8>,
}

impl<'v> Run<'v> {
    /// Takes `text`, of shape `key`, into the run, first encrypting the members into `out`
    /// when the shape changes or the run is full. False, taking nothing, when values of this
    /// shape take the general path.
    fn push(&mut self, fpe: &Fpe, key: ShapeKey, text: &'v str, out: &mut Vec<Value>) -> bool {
        if self.shape.as_ref().is_none_or(|s| s.key != key) {
            self.flush(fpe, out);
            self.shape = Some(fpe.shape(key, text.as_bytes()));
        }
        if self.shape.as_ref().is_none_or(|s| s.classes.is_none()) {
            return false;
        }
        if self.members.len() == RUN {
            self.flush(fpe, out);
        }
        self.members.push(text);
        true
    }

    /// Encrypts the members and appends them to `out`, in order.
    fn flush(&mut self, fpe: &Fpe, out: &mut Vec<Value>) {
        let Some(Shape {
            classes: Some(classes),
            text_len,
            ..
        }) = &self.shape
        else {
            return; // a shape for the general path: never any members
        };
        let len = *text_len;
        if self.members.is_empty() {
            return;
        }
        self.bytes.clear();
        for m in &self.members {
            self.bytes.extend_from_slice(m.as_bytes());
        }
        for (ci, positions, prepared) in classes {
            self.numerals.clear();
            for m in self.bytes.chunks_exact(len) {
                for &p in positions {
                    let (_, d) = fpe.ascii[usize::from(m[p])].expect("a class position");
                    self.numerals.push(d);
                }
            }
            fpe.ff1.encrypt_many(prepared, &mut self.numerals);
            let class = &fpe.classes[*ci];
            for (m, ns) in self
                .bytes
                .chunks_exact_mut(len)
                .zip(self.numerals.chunks_exact(positions.len()))
            {
                for (&p, &d) in positions.iter().zip(ns) {
                    m[p] = class[usize::from(d)] as u8;
                }
            }
        }
        if len == 0 {
            out.extend(self.members.iter().map(|_| Value::text("")));
        } else {
            out.extend(
                self.bytes
                    .chunks_exact(len)
                    .map(|m| Value::text(std::str::from_utf8(m).expect("ASCII in, ASCII out"))),
            );
        }
        self.members.clear();
    }
}
