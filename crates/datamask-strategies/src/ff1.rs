//! FF1 (NIST SP 800-38G) on machine integers, for numeral strings whose halves fit in a `u64`.
//!
//! The `fpe` crate implements FF1 for any length with big-number arithmetic and a fresh cipher
//! per call, which made `fpe` the most expensive strategy by far (about 45,000 instructions
//! per 9-digit SSN). Short strings, the common case (SSNs, phone and account numbers), need no
//! big numbers: each half is below `radix^v < 2^64`, the round output `S` is at most 12 bytes
//! (`b <= 8` so `d <= 12`), and the CBC-MAC over the constant prefix `P || T || 0*` is
//! computed once per value instead of once per round. The result is bit-for-bit the same as
//! the `fpe` crate's (a test compares them), so masked values do not change; longer strings
//! still go through the crate.

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
        self.cipher.encrypt_with_backend(Rounds {
            radix,
            tweak,
            ns,
            done: &mut done,
        });
        done
    }
}

/// One FF1 encryption, run inside the cipher's backend.
struct Rounds<'a> {
    radix: u32,
    tweak: &'a [u8],
    ns: &'a mut [u16],
    done: &'a mut bool,
}

impl BlockSizeUser for Rounds<'_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for Rounds<'_> {
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        *self.done = ff1(backend, self.radix, self.tweak, self.ns);
    }
}

/// FF1 encryption of `ns` under `tweak` (see [`Ff1::encrypt`]).
fn ff1<B: BlockCipherEncBackend<BlockSize = U16>>(
    cipher: &B,
    radix: u32,
    tweak: &[u8],
    ns: &mut [u16],
) -> bool {
    let n = ns.len();
    if n < 2 || !(2..=1 << 16).contains(&radix) {
        return false;
    }
    let u = n / 2;
    let v = n - u;
    let Some(modulus_v) = pow(radix, v) else {
        return false;
    };
    let modulus_u = pow(radix, u).expect("radix^u <= radix^v");
    let Ok(t) = u32::try_from(tweak.len()) else {
        return false;
    };
    let b = byte_len(modulus_v);
    let d = 4 * b.div_ceil(4) + 4;
    let mut a = num(&ns[..u], radix);
    let mut x = num(&ns[u..], radix);

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
    let tail_len = rest.len() + pad + 1 + b;
    tail[..rest.len()].copy_from_slice(rest);
    let round_at = rest.len() + pad;
    for i in 0..10u8 {
        tail[round_at] = i;
        tail[round_at + 1..tail_len].copy_from_slice(&x.to_be_bytes()[8 - b..]);
        let mut r = state;
        mac(cipher, &mut r, &tail[..tail_len]);
        // S = the first d <= 12 bytes of R; y = NUM(S); C = (NUM(A) + y) mod m.
        let m = if i % 2 == 0 { modulus_u } else { modulus_v };
        let c = add_mod(a, reduce(&r[..d], m), m);
        a = x;
        x = c;
    }
    str_into(a, radix, &mut ns[..u]);
    str_into(x, radix, &mut ns[u..]);
    true
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
        cipher.encrypt_block(state.into());
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
