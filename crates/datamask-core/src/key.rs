//! The master key and the keyed pseudo-random function (PRF) every strategy draws from.
//!
//! See docs/determinism.md for the full contract. In short: a 32-byte master key; one subkey
//! per domain, derived with BLAKE3's key-derivation mode; outputs are BLAKE3 keyed hashes of a
//! purpose label and the canonical encoding of the input value. Same key, domain and value give
//! the same bytes on every machine and in every release of the `v1` scheme.

use crate::value::Value;
use std::fmt;

/// Context strings for BLAKE3 key derivation. Frozen: changing them changes all output.
const DOMAIN_CONTEXT: &str = "datamask v1 2026-11-21 domain subkey";
const FINGERPRINT_CONTEXT: &str = "datamask v1 2026-11-21 key fingerprint";
const PURPOSE_CONTEXT: &str = "datamask v1 2026-11-21 purpose key";

/// Why a master key could not be parsed. Never contains key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the master key must be 64 hexadecimal characters (32 bytes); got {0} characters")]
    Length(usize),
    #[error("the master key must be hexadecimal (0-9, a-f)")]
    NotHex,
}

/// The 32-byte master key. Its `Debug` and `Display` print only a fingerprint, so it cannot
/// leak through logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    /// Parses 64 hex characters (surrounding whitespace is ignored).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(KeyError::Length(text.chars().count()));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| KeyError::NotHex)?;
        Ok(MasterKey(bytes))
    }

    /// A short public identifier of the key (`dmk1:` + 16 hex digits), safe to print and store.
    pub fn fingerprint(&self) -> String {
        let d = blake3::derive_key(FINGERPRINT_CONTEXT, &self.0);
        format!("dmk1:{}", hex::encode(&d[..8]))
    }

    /// Derives a 32-byte key for an independent purpose (for example audit signing).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut material = Vec::with_capacity(40 + purpose.len());
        material.extend_from_slice(&self.0);
        material.extend_from_slice(purpose.as_bytes());
        blake3::derive_key(PURPOSE_CONTEXT, &material)
    }

    /// The PRF of `domain`. Columns that share a domain share every transform.
    pub fn prf(&self, domain: &str) -> Prf {
        let mut material = Vec::with_capacity(40 + domain.len());
        material.extend_from_slice(&self.0);
        material.extend_from_slice(&(domain.len() as u64).to_be_bytes());
        material.extend_from_slice(domain.as_bytes());
        Prf {
            key: blake3::derive_key(DOMAIN_CONTEXT, &material),
        }
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint())
    }
}

impl fmt::Display for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

/// A keyed PRF bound to one domain.
///
/// Every output is `BLAKE3-keyed(subkey, len(purpose) || purpose || canonical(value))`, extended
/// with BLAKE3's XOF when more than 32 bytes are needed. The purpose label separates the uses a
/// strategy makes of the PRF (the local part of an email vs. its domain, say) so that outputs
/// are independent of one another.
#[derive(Clone)]
pub struct Prf {
    key: [u8; 32],
}

impl fmt::Debug for Prf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Prf(<redacted>)")
    }
}

impl Prf {
    fn hasher(&self, purpose: &str) -> blake3::Hasher {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(&(purpose.len() as u64).to_be_bytes());
        h.update(purpose.as_bytes());
        h
    }

    /// The output of `purpose` with `value`'s canonical encoding fed in. BLAKE3's output
    /// depends only on the bytes, not on how they were split between updates.
    ///
    /// The input is gathered on the stack and handed over in one update when it fits: an
    /// update per piece (a few bytes each) cost more in copying than the hashing. The hasher
    /// (about 2 KB) is built and finished in one expression: bound to a variable, it was
    /// copied whole once per value, which cost more than hashing a short value.
    #[inline(always)]
    fn output_for(&self, purpose: &str, value: &Value) -> blake3::OutputReader {
        let mut buf = [0u8; 256];
        let mut used = 0;
        let mut fits = true;
        let mut feed = |bytes: &[u8]| {
            if fits && used + bytes.len() <= buf.len() {
                buf[used..used + bytes.len()].copy_from_slice(bytes);
                used += bytes.len();
            } else {
                fits = false;
            }
        };
        feed(&(purpose.len() as u64).to_be_bytes());
        feed(purpose.as_bytes());
        value.feed_canonical(&mut feed);
        if fits {
            return blake3::Hasher::new_keyed(&self.key)
                .update(&buf[..used])
                .finalize_xof();
        }
        let mut h = self.hasher(purpose);
        value.feed_canonical(&mut |bytes| {
            h.update(bytes);
        });
        h.finalize_xof()
    }

    /// 32 pseudo-random bytes for `value`.
    pub fn hash(&self, purpose: &str, value: &Value) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.output_for(purpose, value).fill(&mut out);
        out
    }

    /// 32 pseudo-random bytes for raw bytes (already canonical, e.g. an FPE tweak).
    pub fn hash_bytes(&self, purpose: &str, bytes: &[u8]) -> [u8; 32] {
        let mut buf = [0u8; 256];
        let len = (purpose.len() as u64).to_be_bytes();
        let n = len.len() + purpose.len() + bytes.len();
        if n <= buf.len() {
            // One expression, as in `output_for`: no copy of the hasher.
            buf[..8].copy_from_slice(&len);
            buf[8..8 + purpose.len()].copy_from_slice(purpose.as_bytes());
            buf[8 + purpose.len()..n].copy_from_slice(bytes);
            return *blake3::Hasher::new_keyed(&self.key)
                .update(&buf[..n])
                .finalize()
                .as_bytes();
        }
        let mut h = self.hasher(purpose);
        h.update(bytes);
        *h.finalize().as_bytes()
    }

    /// Fills `out` with pseudo-random bytes for `value` (any length).
    pub fn fill(&self, purpose: &str, value: &Value, out: &mut [u8]) {
        self.output_for(purpose, value).fill(out);
    }

    /// A pseudo-random `u64` for `value`.
    pub fn u64(&self, purpose: &str, value: &Value) -> u64 {
        let h = self.hash(purpose, value);
        u64::from_le_bytes(h[..8].try_into().expect("8 bytes"))
    }

    /// A uniform float in `[0, 1)` for `value`.
    pub fn unit(&self, purpose: &str, value: &Value) -> f64 {
        (self.u64(purpose, value) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A stream of pseudo-random numbers for `value`, for strategies that make several choices.
    pub fn stream(&self, purpose: &str, value: &Value) -> PrfStream {
        PrfStream::new(self.output_for(purpose, value))
    }

    /// A sub-key for a cipher (FPE), specific to `purpose` in this domain.
    pub fn cipher_key(&self, purpose: &str) -> [u8; 32] {
        self.hash_bytes(purpose, b"cipher key")
    }
}

/// The most bytes drawn from the XOF at a time: four BLAKE3 output blocks.
const STREAM_BUFFER: usize = 256;

/// Bytes of XOF output to draw at a time, first and then: one block (64 bytes) where BLAKE3
/// computes blocks one after another; where it computes several at once (AVX-512), two blocks
/// cost hardly more than one (measured: 86 ns against 81, four 104 ns against 244 one by
/// one), so the stream draws two, then four. The bytes are the XOF's either way.
fn stream_chunks() -> (usize, usize) {
    static CHUNKS: std::sync::OnceLock<(usize, usize)> = std::sync::OnceLock::new();
    *CHUNKS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            return (128, 256);
        }
        (64, 64)
    })
}

/// An endless stream of keyed pseudo-random numbers.
///
/// The XOF is read whole output blocks at a time into a buffer and numbers are taken from
/// the buffer (see [`stream_chunks`]): reading 8 bytes at a time cost one compression per
/// number. The bytes, and so every number drawn, are the same however they are read.
pub struct PrfStream {
    reader: blake3::OutputReader,
    block: [u8; STREAM_BUFFER],
    /// Bytes of `block` filled, and used of those (`used == filled`: drawn out).
    filled: usize,
    used: usize,
    /// Bytes to draw at the first fill and at every later one ([`stream_chunks`]).
    chunks: (usize, usize),
}

impl PrfStream {
    fn new(reader: blake3::OutputReader) -> Self {
        Self::with_chunks(reader, stream_chunks())
    }

    fn with_chunks(reader: blake3::OutputReader, chunks: (usize, usize)) -> Self {
        PrfStream {
            reader,
            block: [0; STREAM_BUFFER],
            filled: 0,
            used: 0,
            chunks,
        }
    }

    /// The next pseudo-random `u64`.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        if self.used + 8 > self.filled {
            let (first, then) = self.chunks;
            let n = if self.filled == 0 { first } else { then };
            self.reader.fill(&mut self.block[..n]);
            self.filled = n;
            self.used = 0;
        }
        let b: [u8; 8] = self.block[self.used..self.used + 8]
            .try_into()
            .expect("8 bytes");
        self.used += 8;
        u64::from_le_bytes(b)
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn parse_and_redact() {
        let k = MasterKey::from_hex(K1).unwrap();
        assert!(!format!("{k:?}").contains("0001020304"));
        assert!(k.fingerprint().starts_with("dmk1:"));
        assert_eq!(MasterKey::from_hex("abc"), Err(KeyError::Length(3)));
        assert_eq!(MasterKey::from_hex(&"zz".repeat(32)), Err(KeyError::NotHex));
    }

    #[test]
    fn domains_and_purposes_are_independent() {
        let k = MasterKey::from_hex(K1).unwrap();
        let v = Value::text("alice@example.com");
        assert_eq!(k.prf("a").hash("p", &v), k.prf("a").hash("p", &v));
        assert_ne!(k.prf("a").hash("p", &v), k.prf("b").hash("p", &v));
        assert_ne!(k.prf("a").hash("p", &v), k.prf("a").hash("q", &v));
    }

    /// Pins the v1 scheme: if this changes, every user's masked output changes.
    #[test]
    fn v1_vectors_are_stable() {
        let k = MasterKey::from_hex(K1).unwrap();
        let h = k
            .prf("customers.email")
            .hash("token", &Value::text("alice"));
        assert_eq!(
            hex::encode(&h[..8]),
            include_str!("../testdata/v1_vector.txt").trim()
        );
    }

    /// The buffered stream yields exactly the XOF's bytes, 8 at a time.
    #[test]
    fn stream_matches_the_xof() {
        let k = MasterKey::from_hex(K1).unwrap();
        let prf = k.prf("d");
        let v = Value::text("+1 (415) 555-0132");
        let mut expected = [0u8; 8 * 40];
        prf.fill("p", &v, &mut expected);
        for chunks in [(64, 64), (128, 256), (256, 256)] {
            let mut s = PrfStream::with_chunks(prf.output_for("p", &v), chunks);
            for chunk in expected.chunks(8) {
                assert_eq!(s.next_u64(), u64::from_le_bytes(chunk.try_into().unwrap()));
            }
        }
        let mut buf = Vec::new();
        v.encode_canonical(&mut buf);
        assert_eq!(prf.hash("p", &v), prf.hash_bytes("p", &buf));
    }

    #[test]
    fn below_is_in_range() {
        let k = MasterKey::from_hex(K1).unwrap();
        let mut s = k.prf("d").stream("p", &Value::Int(1));
        for _ in 0..1000 {
            assert!(s.below(7) < 7);
        }
    }
}
