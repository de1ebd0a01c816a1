//! FF1 (NIST SP 800-38G) on machine integers, for numeral strings whose halves fit in a `u64`.
//!
//! The `fpe` crate implements FF1 for any length with big-number arithmetic and a fresh cipher
//! per call, which made `fpe` the most expensive strategy by far (about 45,000 instructions
//! per 9-digit SSN). Short strings, the common case (SSNs, phone and account numbers), need no
//! big numbers: each half is below `radix^v < 2^64`, the round output `S` is at most 12 bytes
//! (`b <= 8` so `d <= 12`), and the CBC-MAC over the constant prefix `P || T || 0*` is
//! computed once ([`Prepared`]) for every value of the same radix, length and tweak instead of
//! once per round. Values sharing it go through the rounds several at a time
//! ([`Ff1::encrypt_many`]). The result is bit-for-bit the same as the `fpe` crate's (a test
//! compares them), so masked values do not change; longer strings still go through the crate.

use aes::cipher::consts::U16;
use aes::cipher::{
    BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser, KeyInit,
};
use aes::{Aes256, Block};

/// FF1 with AES-256 under one key, ready to encrypt many values.
#[derive(Clone)]
pub(crate) struct Ff1 {
    cipher: Aes256,
}

/// Values interleaved in one pass of the rounds. FF1's ten rounds are a chain (each AES input
/// depends on the last round's output), so one value at a time waits on the AES latency and a
/// 64-bit division per round; eight independent chains keep the AES unit and the divider busy.
const LANES: usize = 8;

/// What every value of the same radix, length and tweak shares: FF1's parameters and the
/// CBC-MAC state after the constant prefix `P || T` (its whole blocks). A column of SSNs of
/// one shape prepares this once instead of MACing three constant blocks per value.
#[derive(Clone)]
pub(crate) struct Prepared {
    radix: u32,
    /// Numerals in the first (`u`) and second (`v`) half.
    u: usize,
    v: usize,
    modulus_u: u64,
    modulus_v: u64,
    /// Bytes of `NUM(B)` in a round's input, and of `S` kept from the MAC.
    b: usize,
    d: usize,
    state: Block,
    /// The tweak's last partial block and the zero padding; `[i] || NUM(B)` follow at
    /// `round_at`, for `tail_len` bytes in all (1 or 2 blocks).
    tail: [u8; 48],
    round_at: usize,
    tail_len: usize,
}

impl Prepared {
    /// Numerals per value.
    pub(crate) fn len(&self) -> usize {
        self.u + self.v
    }
}

impl Ff1 {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Ff1 {
            cipher: Aes256::new(key.into()),
        }
    }

    /// Encrypts `ns` (numerals below `radix`) in place under `tweak`. Returns false, leaving
    /// `ns` as it was, when the string is outside what this implementation covers (shorter than
    /// 2 numerals, or halves of `radix^v >= 2^64`): the caller then uses the `fpe` crate.
    /// The caller guarantees `radix^len >= 1_000_000` (FF1's minimum domain).
    pub(crate) fn encrypt(&self, radix: u32, tweak: &[u8], ns: &mut [u16]) -> bool {
        let mut done = false;
        // One backend for the whole value: the AVX-512 backend broadcasts the round keys
        // each time it is entered, which per block cost more than the AES rounds themselves.
        self.cipher.encrypt_with_backend(Job::One {
            radix,
            tweak,
            ns,
            done: &mut done,
        });
        done
    }

    /// [`Ff1::encrypt`]'s parameters for strings of `len` numerals of `radix` under `tweak`,
    /// to encrypt many with [`Ff1::encrypt_many`]; `None` where `encrypt` returns false.
    pub(crate) fn prepare(&self, radix: u32, len: usize, tweak: &[u8]) -> Option<Prepared> {
        let mut prepared = None;
        self.cipher.encrypt_with_backend(Job::Prepare {
            radix,
            len,
            tweak,
            out: &mut prepared,
        });
        prepared
    }

    /// Encrypts the strings of `ns`, one after another, each [`Prepared::len`] numerals: the
    /// same result as [`Ff1::encrypt`] on each, several at a time.
    pub(crate) fn encrypt_many(&self, prepared: &Prepared, ns: &mut [u16]) {
        debug_assert_eq!(ns.len() % prepared.len(), 0);
        self.cipher.encrypt_with_backend(Job::Many { prepared, ns });
    }
}

/// What runs inside the cipher's backend. Generic code there is compiled with the backend's
/// instruction set (AES-NI, VAES), so the block function inlines into the rounds.
enum Job<'a> {
    One {
        radix: u32,
        tweak: &'a [u8],
        ns: &'a mut [u16],
        done: &'a mut bool,
    },
    Prepare {
        radix: u32,
        len: usize,
        tweak: &'a [u8],
        out: &'a mut Option<Prepared>,
    },
    Many {
        prepared: &'a Prepared,
        ns: &'a mut [u16],
    },
}

impl BlockSizeUser for Job<'_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for Job<'_> {
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        match self {
            Job::One {
                radix,
                tweak,
                ns,
                done,
            } => {
                if let Some(p) = prepare(backend, radix, ns.len(), tweak) {
                    rounds(backend, &p, ns);
                    *done = true;
                }
            }
            Job::Prepare {
                radix,
                len,
                tweak,
                out,
            } => *out = prepare(backend, radix, len, tweak),
            Job::Many { prepared, ns } => rounds(backend, prepared, ns),
        }
    }
}

/// FF1's parameters and the MAC of its constant prefix (see [`Prepared`]).
fn prepare<B: BlockCipherEncBackend<BlockSize = U16>>(
    cipher: &B,
    radix: u32,
    n: usize,
    tweak: &[u8],
) -> Option<Prepared> {
    if n < 2 || !(2..=1 << 16).contains(&radix) {
        return None;
    }
    let u = n / 2;
    let v = n - u;
    let modulus_v = pow(radix, v)?;
    let modulus_u = pow(radix, u).expect("radix^u <= radix^v");
    let t = u32::try_from(tweak.len()).ok()?;
    let b = byte_len(modulus_v);
    let d = 4 * b.div_ceil(4) + 4;
    // P || T || 0^pad: its whole blocks are MACed once; the rest is each round's prefix.
    let pad = (16 - (tweak.len() + b + 1) % 16) % 16;
    let mut p = [1, 2, 1, 0, 0, 0, 10, u as u8, 0, 0, 0, 0, 0, 0, 0, 0];
    p[3..6].copy_from_slice(&radix.to_be_bytes()[1..]);
    p[8..12].copy_from_slice(&(n as u32).to_be_bytes());
    p[12..16].copy_from_slice(&t.to_be_bytes());
    let mut state = Block::default();
    mac(cipher, &mut state, &p);
    let whole = tweak.len() / 16 * 16;
    mac(cipher, &mut state, &tweak[..whole]);
    // The last partial tweak block, zeros, [i] and NUM(B) as b bytes: 1 or 2 blocks.
    let rest = &tweak[whole..];
    let mut tail = [0u8; 48];
    tail[..rest.len()].copy_from_slice(rest);
    Some(Prepared {
        radix,
        u,
        v,
        modulus_u,
        modulus_v,
        b,
        d,
        state,
        tail,
        round_at: rest.len() + pad,
        tail_len: rest.len() + pad + 1 + b,
    })
}

/// The ten Feistel rounds over the strings of `ns`, [`LANES`] at a time.
fn rounds<B: BlockCipherEncBackend<BlockSize = U16>>(cipher: &B, p: &Prepared, ns: &mut [u16]) {
    let n = p.len();
    for group in ns.chunks_mut(n * LANES) {
        let lanes = group.len() / n;
        let mut a = [0u64; LANES];
        let mut x = [0u64; LANES];
        for (l, value) in group.chunks(n).enumerate() {
            a[l] = num(&value[..p.u], p.radix);
            x[l] = num(&value[p.u..], p.radix);
        }
        let mut tails = [p.tail; LANES];
        let mut r = [Block::default(); LANES];
        for i in 0..10u8 {
            for l in 0..lanes {
                let tail = &mut tails[l];
                tail[p.round_at] = i;
                tail[p.round_at + 1..p.tail_len].copy_from_slice(&x[l].to_be_bytes()[8 - p.b..]);
                r[l] = p.state;
            }
            // CBC-MAC of each lane's tail, block by block, all lanes together.
            for at in (0..p.tail_len).step_by(16) {
                for (state, tail) in r[..lanes].iter_mut().zip(&tails) {
                    for (s, t) in state.iter_mut().zip(&tail[at..at + 16]) {
                        *s ^= t;
                    }
                }
                // One block at a time: the chains are independent, so the processor overlaps
                // them. (`encrypt_tail_blocks` would refuse a full batch of the backend's
                // parallel width: 8 blocks with AES-NI.)
                for block in &mut r[..lanes] {
                    cipher.encrypt_block_inplace(block);
                }
            }
            // S = the first d <= 12 bytes of R; y = NUM(S); C = (NUM(A) + y) mod m.
            let m = if i % 2 == 0 { p.modulus_u } else { p.modulus_v };
            for l in 0..lanes {
                let c = add_mod(a[l], reduce(&r[l][..p.d], m), m);
                a[l] = x[l];
                x[l] = c;
            }
        }
        for (l, value) in group.chunks_mut(n).enumerate() {
            str_into(a[l], p.radix, &mut value[..p.u]);
            str_into(x[l], p.radix, &mut value[p.u..]);
        }
    }
}

/// `NUM(bytes) mod m` for `bytes` of at most 12 bytes. With `d <= 8` (halves below 2^32,
/// an SSN or a card number) the number fits a `u64` and needs no 128-bit division, which
/// costs several times a 64-bit one and ran 20 times per value.
fn reduce(bytes: &[u8], m: u64) -> u64 {
    if bytes.len() <= 8 {
        let y = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        return y % m;
    }
    let y = bytes
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    (y % u128::from(m)) as u64
}

/// `(a + r) mod m` for `a, r < m`, without overflow.
fn add_mod(a: u64, r: u64, m: u64) -> u64 {
    debug_assert!(a < m && r < m);
    let (sum, carried) = a.overflowing_add(r);
    if carried || sum >= m {
        sum.wrapping_sub(m)
    } else {
        sum
    }
}

/// CBC-MAC of whole blocks of `data` (a multiple of 16 bytes) into `state`.
fn mac<B: BlockCipherEncBackend<BlockSize = U16>>(cipher: &B, state: &mut Block, data: &[u8]) {
    debug_assert_eq!(data.len() % 16, 0);
    for chunk in data.chunks_exact(16) {
        for (s, d) in state.iter_mut().zip(chunk) {
            *s ^= d;
        }
        cipher.encrypt_block_inplace(state);
    }
}

/// `radix^k`, when it fits in a `u64`.
fn pow(radix: u32, k: usize) -> Option<u64> {
    (0..k).try_fold(1u64, |acc, _| acc.checked_mul(u64::from(radix)))
}

/// `b = ceil(ceil(v * log2(radix)) / 8)` computed exactly from `radix^v`: the fewest bytes
/// that hold every number below `radix^v`.
fn byte_len(modulus: u64) -> usize {
    let bits = 64 - (modulus - 1).leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

/// The number a big-endian numeral string stands for.
fn num(ns: &[u16], radix: u32) -> u64 {
    ns.iter()
        .fold(0u64, |acc, d| acc * u64::from(radix) + u64::from(*d))
}

/// Writes `x` as `out.len()` big-endian numerals.
fn str_into(mut x: u64, radix: u32, out: &mut [u16]) {
    for slot in out.iter_mut().rev() {
        *slot = (x % u64::from(radix)) as u16;
        x /= u64::from(radix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::fpe::ff1::{FlexibleNumeralString, FF1};

    fn reference(key: &[u8; 32], radix: u32, tweak: &[u8], ns: &[u16]) -> Vec<u16> {
        let ff1 = FF1::<Aes256>::new(key, radix).unwrap();
        Vec::from(
            ff1.encrypt(tweak, &FlexibleNumeralString::from(ns.to_vec()))
                .unwrap(),
        )
    }

    /// Bit-for-bit the `fpe` crate's FF1, over radixes, lengths and tweak lengths.
    #[test]
    fn matches_the_fpe_crate() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
        let fast = Ff1::new(&key);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut checked = 0;
        for radix in [
            2u32, 3, 7, 10, 16, 26, 36, 62, 100, 255, 256, 1000, 65535, 65536,
        ] {
            for len in 2..=40usize {
                let domain = (0..len).try_fold(1u128, |acc, _| acc.checked_mul(radix.into()));
                if domain.is_some_and(|d| d < 1_000_000) {
                    continue; // below FF1's minimum domain
                }
                for tlen in [0usize, 1, 15, 16, 17, 33, 40] {
                    let tweak: Vec<u8> = (0..tlen).map(|_| next() as u8).collect();
                    let ns: Vec<u16> = (0..len)
                        .map(|_| (next() % u64::from(radix)) as u16)
                        .collect();
                    let mut out = ns.clone();
                    if fast.encrypt(radix, &tweak, &mut out) {
                        assert_eq!(out, reference(&key, radix, &tweak, &ns), "{radix} {len}");
                        checked += 1;
                    } else {
                        assert_eq!(out, ns);
                    }
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }

    /// Many values at once, in any number of lanes, give each value's own encryption.
    #[test]
    fn many_at_once_match_one_at_a_time() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 11 + 5) as u8);
        let ff1 = Ff1::new(&key);
        for (radix, len, tlen) in [
            (10u32, 9usize, 33usize),
            (26, 7, 0),
            (10, 16, 17),
            (62, 9, 40),
        ] {
            let tweak: Vec<u8> = (0..tlen).map(|i| (i * 3) as u8).collect();
            let prepared = ff1.prepare(radix, len, &tweak).unwrap();
            for count in [1usize, 7, 8, 9, 20] {
                let ns: Vec<u16> = (0..count * len)
                    .map(|i| ((i * 7919) % radix as usize) as u16)
                    .collect();
                let mut many = ns.clone();
                ff1.encrypt_many(&prepared, &mut many);
                for (value, out) in ns.chunks(len).zip(many.chunks(len)) {
                    let mut one = value.to_vec();
                    assert!(ff1.encrypt(radix, &tweak, &mut one));
                    assert_eq!(one, out, "{radix} {len} {count}");
                }
            }
        }
        assert!(ff1.prepare(10, 1, &[]).is_none());
    }

    #[test]
    fn modular_steps_match_128_bit_arithmetic() {
        let big = u64::MAX - 58; // a prime near 2^64: sums of two residues overflow a u64
        for (a, r, m) in [(0, 0, 7), (6, 6, 7), (big - 1, big - 2, big), (5, 0, big)] {
            let wide = ((u128::from(a) + u128::from(r)) % u128::from(m)) as u64;
            assert_eq!(add_mod(a, r, m), wide);
        }
        let bytes = [0xff; 12];
        let wide = bytes
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        assert_eq!(reduce(&bytes, big), (wide % u128::from(big)) as u64);
        assert_eq!(reduce(&bytes[..8], 1000), u64::MAX % 1000);
    }

    /// The NIST SP 800-38G sample 7 (AES-256, radix 10, no tweak).
    #[test]
    fn nist_sample() {
        let text = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";
        let key: [u8; 32] =
            std::array::from_fn(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap());
        let mut ns: Vec<u16> = (0..10).collect();
        assert!(Ff1::new(&key).encrypt(10, &[], &mut ns));
        assert_eq!(ns, [6, 6, 5, 7, 6, 6, 7, 0, 0, 9]);
    }
}
