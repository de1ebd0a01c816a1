//! Keyed, memory-bounded set membership for the verifier.
//!
//! Values never enter these structures: only 16-byte keyed hashes of their normalised
//! form do ([`Hasher`]), with a key derived from the master key, so the filters are no
//! dictionary of personal data even in a memory dump. A Bloom filter answers "maybe present"
//! or "certainly absent"; the verifier confirms every "maybe" exactly in a second pass, so the
//! false-positive rate costs time, never correctness. A [`Bloom`] grows in layers of doubling
//! capacity while its [`Budget`] allows, and keeps filling its last layer once the budget is
//! spent (more false positives, still no false negatives).

use siphasher::sip128::{Hasher128, SipHasher13};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A 16-byte keyed hash.
pub type Digest = [u8; 16];

/// Keyed hashing of normalised values: SipHash-1-3 with a 128-bit output.
///
/// SipHash is a pseudo-random function designed for short inputs: keyed and one-way (without
/// the key) like the BLAKE3 it replaced here, and several times cheaper for the short values
/// verification hashes by the tens of millions (BLAKE3 costs a full compression per value,
/// however short). SipHash-1-3 (the rounds Rust's own hash maps use) rather than 2-4: the
/// inputs are no adversary's choice, and the hashing was an eighth of a run's CPU. The digests
/// never leave the process, so the choice is free.
#[derive(Clone)]
pub struct Hasher {
    sip: SipHasher13,
}

impl Hasher {
    /// A hasher keyed with `key` (derived from the master key for this purpose only).
    pub fn new(key: [u8; 32]) -> Self {
        let k: [u8; 16] = key[..16].try_into().expect("16 bytes");
        Hasher {
            sip: SipHasher13::new_with_key(&k),
        }
    }

    /// The keyed hash of `bytes`.
    pub fn digest(&self, bytes: &[u8]) -> Digest {
        self.digest_parts(&[bytes])
    }

    /// The keyed hash of the concatenation of `parts`, without building it.
    pub fn digest_parts(&self, parts: &[&[u8]]) -> Digest {
        let mut h = self.sip;
        for p in parts {
            std::hash::Hasher::write(&mut h, p);
        }
        u128::from(h.finish128()).to_le_bytes()
    }

    /// The keyed hash of a row `key` followed by `cells`, each length-prefixed (a NULL with a
    /// length no value has), so no two rows share an encoding.
    pub fn digest_row<S: AsRef<str>>(
        &self,
        key: &[u8],
        cells: impl IntoIterator<Item = Option<S>>,
    ) -> Digest {
        // Gathered on the stack and hashed in few writes: SipHash's `write` costs more per
        // call than per byte, and a row is a run of short fields.
        let mut h = self.sip;
        let mut buf = [0u8; 512];
        let mut used = 0;
        let mut put = |bytes: &[u8]| {
            if used + bytes.len() > buf.len() {
                std::hash::Hasher::write(&mut h, &buf[..used]);
                used = 0;
                if bytes.len() > buf.len() {
                    std::hash::Hasher::write(&mut h, bytes);
                    return;
                }
            }
            buf[used..used + bytes.len()].copy_from_slice(bytes);
            used += bytes.len();
        };
        let mut field = |bytes: Option<&[u8]>| {
            let len = bytes.map_or(u64::MAX, |b| b.len() as u64);
            put(&len.to_le_bytes());
            put(bytes.unwrap_or_default());
        };
        field(Some(key));
        for cell in cells {
            field(cell.as_ref().map(|c| c.as_ref().as_bytes()));
        }
        std::hash::Hasher::write(&mut h, &buf[..used]);
        u128::from(h.finish128()).to_le_bytes()
    }

    /// A 64-bit keyed hash of `bytes` (sample selection).
    pub fn rank(&self, bytes: &[u8]) -> u64 {
        let d = self.digest(bytes);
        u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hasher(<redacted>)")
    }
}

/// Bytes the verifier's filters may still allocate, shared by all of them.
#[derive(Debug, Clone)]
pub struct Budget(Arc<AtomicUsize>);

impl Budget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        Budget(Arc::new(AtomicUsize::new(bytes)))
    }

    /// Takes `bytes` from the budget if that many are left.
    fn take(&self, bytes: usize) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }

    /// Returns `bytes` to the budget.
    fn give(&self, bytes: usize) {
        self.0.fetch_add(bytes, Ordering::SeqCst);
    }
}

/// Bits per element and probes per layer: about 0.07% false positives at capacity (721 in a
/// million, `false_positive_rate_at_capacity`).
const BITS_PER_ITEM: usize = 24;
const PROBES: u64 = 10;
/// The smallest layer (8 KiB), allocated even when the budget is spent.
const MIN_ITEMS: usize = 4096;
/// Words per block: every probe of one digest falls into one 64-byte block (a cache line), so
/// an insert or lookup costs one memory access instead of ten.
const BLOCK_WORDS: usize = 8;

/// One layer: a *blocked* Bloom filter of `capacity` items.
struct Layer {
    bits: Vec<u64>,
    blocks: u64,
    capacity: usize,
    items: usize,
}

/// Words of a layer for `capacity` items: whole blocks, at least one.
fn layer_words(capacity: usize) -> usize {
    (capacity * BITS_PER_ITEM).div_ceil(64 * BLOCK_WORDS).max(1) * BLOCK_WORDS
}

impl Layer {
    fn new(capacity: usize) -> Layer {
        let words = layer_words(capacity);
        Layer {
            bits: vec![0; words],
            blocks: (words / BLOCK_WORDS) as u64,
            capacity,
            items: 0,
        }
    }

    /// The block of a digest, and the (word, bit) of each of its probes inside the block
    /// (double hashing over the block's 512 bits).
    #[inline]
    fn probes(&self, d: &Digest) -> (usize, impl Iterator<Item = (usize, u64)>) {
        let (h1, h2) = halves(d);
        // Multiply-shift maps h1 onto 0..blocks without a division.
        let block = ((u128::from(h1) * u128::from(self.blocks)) >> 64) as usize * BLOCK_WORDS;
        let a = h2 & 511;
        let b = ((h2 >> 9) & 511) | 1;
        let probes = (0..PROBES).map(move |i| {
            let bit = (a + i * b) & 511;
            ((bit >> 6) as usize, 1u64 << (bit & 63))
        });
        (block, probes)
    }

    fn insert(&mut self, d: &Digest) {
        let (block, probes) = self.probes(d);
        for (w, mask) in probes {
            self.bits[block + w] |= mask;
        }
        self.items += 1;
    }

    fn contains(&self, d: &Digest) -> bool {
        let (block, mut probes) = self.probes(d);
        probes.all(|(w, mask)| self.bits[block + w] & mask != 0)
    }
}

/// The two 64-bit halves of a digest (independent: it is a keyed hash).
#[inline]
fn halves(d: &Digest) -> (u64, u64) {
    let h1 = u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    let h2 = u64::from_le_bytes([d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]]);
    (h1, h2)
}

/// A growable Bloom filter of digests.
pub struct Bloom {
    layers: Vec<Layer>,
    budget: Budget,
    /// Bytes taken from the budget (given back on drop).
    taken: usize,
    /// True once a layer was filled past its capacity because the budget was spent.
    pub saturated: bool,
}

impl Bloom {
    /// An empty filter expecting about `expected` items (its first layer's capacity).
    pub fn new(expected: usize, budget: &Budget) -> Bloom {
        let mut bloom = Bloom {
            layers: Vec::new(),
            budget: budget.clone(),
            taken: 0,
            saturated: false,
        };
        bloom.grow(expected.max(MIN_ITEMS));
        bloom
    }

    fn grow(&mut self, capacity: usize) {
        let layer_bytes = layer_words(capacity) * 8;
        if self.budget.take(layer_bytes) {
            self.taken += layer_bytes;
            self.layers.push(Layer::new(capacity));
        } else if self.layers.is_empty() {
            self.layers.push(Layer::new(MIN_ITEMS));
            self.saturated = true;
        } else {
            self.saturated = true;
        }
    }

    /// Adds a digest.
    pub fn insert(&mut self, d: &Digest) {
        let full = self.layers.last().is_some_and(|l| l.items >= l.capacity);
        if full && !self.saturated {
            let next = self.layers.last().map_or(MIN_ITEMS, |l| l.capacity * 2);
            self.grow(next);
        }
        if let Some(layer) = self.layers.last_mut() {
            layer.insert(d);
        }
    }

    /// False when `d` was certainly never inserted.
    pub fn contains(&self, d: &Digest) -> bool {
        self.layers.iter().any(|l| l.contains(d))
    }

    /// Inserts `d` and reports whether it may have been present before.
    pub fn check_and_insert(&mut self, d: &Digest) -> bool {
        let seen = self.contains(d);
        if !seen {
            self.insert(d);
        }
        seen
    }
}

impl Drop for Bloom {
    fn drop(&mut self) {
        self.budget.give(self.taken);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_digests_tell_cells_apart() {
        let h = Hasher::new([7; 32]);
        let d = |key: &[u8], cells: &[Option<&str>]| h.digest_row(key, cells.iter().copied());
        let base = d(b"k1", &[Some("ab"), Some("c")]);
        assert_eq!(base, d(b"k1", &[Some("ab"), Some("c")]));
        for other in [
            d(b"k2", &[Some("ab"), Some("c")]),
            d(b"k1", &[Some("a"), Some("bc")]),
            d(b"k1", &[Some("ab"), Some("")]),
            d(b"k1", &[Some("ab"), None]),
            d(b"k1", &[Some("ab")]),
            d(b"k1ab", &[Some("c")]),
        ] {
            assert_ne!(base, other);
        }
        assert_ne!(d(b"k", &[None]), d(b"k", &[Some("")]));
        // Rows past the stack buffer hash as the same stream would.
        let long = "x".repeat(700);
        let mut stream = Vec::new();
        for part in [&b"k"[..], b"a", long.as_bytes()] {
            stream.extend_from_slice(&(part.len() as u64).to_le_bytes());
            stream.extend_from_slice(part);
        }
        assert_eq!(d(b"k", &[Some("a"), Some(&long)]), h.digest(&stream));
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let h = Hasher::new([3; 32]);
        let budget = Budget::new(64 << 20);
        let mut b = Bloom::new(1000, &budget);
        for i in 0..50_000u32 {
            b.insert(&h.digest(&i.to_be_bytes()));
        }
        assert!((0..50_000u32).all(|i| b.contains(&h.digest(&i.to_be_bytes()))));
        let fp = (50_000..150_000u32)
            .filter(|i| b.contains(&h.digest(&i.to_be_bytes())))
            .count();
        assert!(fp < 1000, "{fp} false positives in 100000");
    }

    #[test]
    fn false_positive_rate_at_capacity() {
        // One layer filled exactly to its capacity: the rate docs/security.md states.
        let h = Hasher::new([5; 32]);
        let budget = Budget::new(64 << 20);
        let mut b = Bloom::new(1 << 16, &budget);
        for i in 0..(1u32 << 16) {
            b.insert(&h.digest(&i.to_be_bytes()));
        }
        assert_eq!(b.layers.len(), 1);
        let fp = (1u32 << 20..(1 << 20) + 1_000_000)
            .filter(|i| b.contains(&h.digest(&i.to_be_bytes())))
            .count();
        assert!(fp < 1_000, "{fp} false positives in a million");
        assert!(!b.saturated);
    }

    #[test]
    fn a_spent_budget_saturates_but_never_forgets() {
        let h = Hasher::new([4; 32]);
        let budget = Budget::new(0);
        let mut b = Bloom::new(10, &budget);
        for i in 0..20_000u32 {
            b.insert(&h.digest(&i.to_be_bytes()));
        }
        assert!(b.saturated);
        assert!((0..20_000u32).all(|i| b.contains(&h.digest(&i.to_be_bytes()))));
    }

    #[test]
    fn memory_goes_back_to_the_budget() {
        let budget = Budget::new(1 << 20);
        let b = Bloom::new(10_000, &budget);
        assert!(budget.0.load(Ordering::SeqCst) < 1 << 20);
        drop(b);
        assert_eq!(budget.0.load(Ordering::SeqCst), 1 << 20);
    }
}
