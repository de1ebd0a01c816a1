//! Check-digit validators. A checksum that passes on >= 90 % of a column's matching values
//! makes a type certain; one that passes on <= 50 % rules it out (order numbers shaped like
//! SSNs, SKUs with 16 digits).

/// The digits of `s`, or `None` if it has anything but digits and the separators in `seps`.
pub fn digits_only(s: &str, seps: &[char]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            out.push(d as u8);
        } else if !seps.contains(&c) {
            return None;
        }
    }
    Some(out)
}

/// The Luhn (mod 10) check used by cards, IMEIs, SINs, NPIs and Swedish personnummer.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Card issuer ranges (IIN prefixes) of the major networks, with their lengths.
pub fn card_issuer(digits: &[u8]) -> Option<&'static str> {
    let n = digits.len();
    let prefix = |k: usize| -> u32 {
        digits[..k.min(n)]
            .iter()
            .fold(0, |a, &d| a * 10 + u32::from(d))
    };
    let p2 = prefix(2);
    let p4 = prefix(4);
    let p6 = prefix(6);
    if digits[0] == 4 && matches!(n, 13 | 16 | 19) {
        Some("visa")
    } else if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16 {
        Some("mastercard")
    } else if matches!(p2, 34 | 37) && n == 15 {
        Some("amex")
    } else if (p4 == 6011
        || p2 == 65
        || (644..=649).contains(&prefix(3))
        || (622126..=622925).contains(&p6))
        && (16..=19).contains(&n)
    {
        Some("discover")
    } else if (3528..=3589).contains(&p4) && (16..=19).contains(&n) {
        Some("jcb")
    } else if (matches!(p2, 36 | 38 | 39) || (300..=305).contains(&prefix(3)))
        && (14..=19).contains(&n)
    {
        Some("diners")
    } else if p2 == 62 && (16..=19).contains(&n) {
        Some("unionpay")
    } else if (matches!(p2, 50 | 56 | 57 | 58) || p2 == 63 || p2 == 67) && (12..=19).contains(&n) {
        Some("maestro")
    } else {
        None
    }
}

/// Lengths of IBANs per country (ISO 13616 registry, the countries most often met).
fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FO" | "GL" | "NL" => 18,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "XK" => 20,
        "CH" | "CR" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" => 22,
        "AE" | "GI" | "IL" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "PT" | "ST" => 25,
        "IS" | "TR" => 26,
        "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "CY" | "DO" | "GT" | "HU" | "LB" | "PL" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" => 30,
        "MT" | "SC" => 31,
        "LC" => 32,
        _ => return None,
    })
}

/// ISO 13616: the country's length and mod-97 == 1.
pub fn iban_valid(compact: &str) -> bool {
    let b = compact.as_bytes();
    if b.len() < 15 || !b[..2].iter().all(u8::is_ascii_uppercase) {
        return false;
    }
    if iban_length(&compact[..2]) != Some(b.len()) {
        return false;
    }
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut rem: u32 = 0;
    for c in rearranged {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// ABA routing number: 3-7-1 weights, mod 10.
pub fn aba(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let w = [3, 7, 1, 3, 7, 1, 3, 7, 1];
    d.iter().zip(w).map(|(&x, w)| u32::from(x) * w).sum::<u32>() % 10 == 0
}

/// US SSN rules: area not 000, 666 or 9xx; group not 00; serial not 0000.
pub fn ssn(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let n = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    let (area, group, serial) = (n(0..3), n(3..5), n(5..9));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Weighted sum of digits.
fn weighted(d: &[u8], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(&x, w)| u32::from(x) * w).sum()
}

/// UK NHS number: 10 digits, mod 11 with weights 10..2.
pub fn nhs(d: &[u8]) -> bool {
    if d.len() != 10 {
        return false;
    }
    let check = 11 - weighted(d, &[10, 9, 8, 7, 6, 5, 4, 3, 2]) % 11;
    let check = if check == 11 { 0 } else { check };
    check != 10 && check == u32::from(d[9])
}

/// Dutch BSN: the "11-proof" (weights 9..2 and -1).
pub fn bsn(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let s = weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) as i64 - i64::from(d[8]);
    s % 11 == 0 && s > 0
}

/// Polish PESEL: weights 1-3-7-9, check digit mod 10.
pub fn pesel(d: &[u8]) -> bool {
    if d.len() != 11 {
        return false;
    }
    let s = weighted(&d[..10], &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
    (10 - s % 10) % 10 == u32::from(d[10])
}

/// Portuguese NIF: 9 digits, mod 11.
pub fn nif_pt(d: &[u8]) -> bool {
    if d.len() != 9 || !matches!(d[0], 1 | 2 | 3 | 5 | 6 | 8 | 9) {
        return false;
    }
    let r = weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) % 11;
    let check = if r < 2 { 0 } else { 11 - r };
    check == u32::from(d[8])
}

/// Brazilian CPF: two mod-11 check digits.
pub fn cpf(d: &[u8]) -> bool {
    if d.len() != 11 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let digit = |n: usize| {
        let s: u32 = (0..n)
            .map(|i| u32::from(d[i]) * (n as u32 + 1 - i as u32))
            .sum();
        let r = (s * 10) % 11;
        if r == 10 {
            0
        } else {
            r
        }
    };
    digit(9) == u32::from(d[9]) && digit(10) == u32::from(d[10])
}

/// German tax id (Steuer-IdNr): 11 digits, ISO 7064 MOD 11,10.
pub fn steuer_id(d: &[u8]) -> bool {
    if d.len() != 11 || d[0] == 0 {
        return false;
    }
    let mut product = 10u32;
    for &x in &d[..10] {
        let mut sum = (u32::from(x) + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    check == u32::from(d[10])
}

/// French NIR (numéro de sécurité sociale): 13 digits + a 2-digit key, key = 97 - n mod 97.
/// Corsican departments 2A/2B count as 19/18.
pub fn nir(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() != 15 || !matches!(compact.as_bytes()[0], b'1' | b'2' | b'7' | b'8') {
        return false;
    }
    let body = compact[..13].replace("2A", "19").replace("2B", "18");
    let (Ok(n), Ok(key)) = (body.parse::<u64>(), compact[13..].parse::<u64>()) else {
        return false;
    };
    97 - n % 97 == key
}

/// Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter), mod 23.
pub fn dni_nie(s: &str) -> bool {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let s: String = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    let b = s.as_bytes();
    if b.len() != 9 || !b[8].is_ascii_uppercase() {
        return false;
    }
    let lead = match b[0] {
        b'X' => b'0',
        b'Y' => b'1',
        b'Z' => b'2',
        c => c,
    };
    let mut n: u32 = 0;
    for &c in std::iter::once(&lead).chain(&b[1..8]) {
        if !c.is_ascii_digit() {
            return false;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    LETTERS[(n % 23) as usize] == b[8]
}

/// Italian codice fiscale: 16 characters with a check letter.
pub fn codice_fiscale(s: &str) -> bool {
    const ODD: [u32; 36] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23, // A-Z
    ];
    let b = s.as_bytes();
    if b.len() != 16
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let shape = b[..6].iter().all(u8::is_ascii_uppercase) && b[15].is_ascii_uppercase();
    if !shape {
        return false;
    }
    let idx = |c: u8| -> usize {
        if c.is_ascii_digit() {
            (c - b'0') as usize
        } else {
            (c - b'A') as usize + 10
        }
    };
    let mut sum = 0;
    for (i, &c) in b[..15].iter().enumerate() {
        sum += if i % 2 == 0 {
            ODD[idx(c)]
        } else if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A')
        };
    }
    b[15] == b'A' + (sum % 26) as u8
}

/// The Verhoeff check (Aadhaar).
pub fn verhoeff(d: &[u8]) -> bool {
    const D: [[u8; 10]; 10] = [
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
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, &x) in d.iter().rev().enumerate() {
        c = D[c as usize][P[i % 8][x as usize] as usize];
    }
    c == 0
}

/// VIN check digit (position 9; mandatory in North America, common elsewhere).
pub fn vin(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 17 {
        return false;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'H' => u32::from(c - b'A') + 1,
            b'J'..=b'N' => u32::from(c - b'J') + 1,
            b'P' => 7,
            b'R' => 9,
            b'S'..=b'Z' => u32::from(c - b'S') + 2,
            _ => return None,
        })
    };
    const W: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let mut sum = 0;
    for (i, &c) in b.iter().enumerate() {
        let Some(v) = value(c) else { return false };
        sum += v * W[i];
    }
    let check = sum % 11;
    b[8] == if check == 10 {
        b'X'
    } else {
        b'0' + check as u8
    }
}

/// Base58Check (Bitcoin legacy addresses): the last 4 bytes are the double SHA-256 of the rest.
pub fn base58check(s: &str) -> bool {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes: Vec<u8> = vec![0; 40];
    for c in s.bytes() {
        let Some(mut carry) = ALPHABET.iter().position(|&a| a == c).map(|p| p as u32) else {
            return false;
        };
        for b in bytes.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return false;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let mut decoded = vec![0u8; zeros];
    decoded.extend_from_slice(&bytes[first..]);
    if decoded.len() != 25 {
        return false;
    }
    let hash = Sha256::digest(Sha256::digest(&decoded[..21]));
    hash[..4] == decoded[21..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        digits_only(s, &[' ', '-', '.']).unwrap()
    }

    #[test]
    fn known_valid_and_invalid_numbers() {
        assert!(luhn(&d("4111 1111 1111 1111")));
        assert!(!luhn(&d("4111 1111 1111 1112")));
        assert_eq!(card_issuer(&d("4111111111111111")), Some("visa"));
        assert_eq!(card_issuer(&d("9111111111111111")), None);
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(iban_valid("DE89370400440532013000"));
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(aba(&d("011000015")));
        assert!(ssn(&d("123-45-6789")));
        assert!(!ssn(&d("666-45-6789")) && !ssn(&d("123-00-6789")));
        assert!(nhs(&d("943 476 5919")));
        assert!(bsn(&d("111222333")));
        assert!(pesel(&d("44051401359")));
        assert!(nif_pt(&d("123456789")));
        assert!(cpf(&d("529.982.247-25")));
        assert!(steuer_id(&d("86095742719")));
        assert!(nir("2 55 08 14 168 025 38".replace(' ', "").as_str()));
        assert!(dni_nie("12345678Z") && dni_nie("X1234567L"));
        assert!(!dni_nie("12345678A"));
        assert!(codice_fiscale("RSSMRA85T10A562S"));
        assert!(verhoeff(&d("234123412346")));
        assert!(vin("1HGCM82633A004352"));
        assert!(base58check("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        assert!(!base58check("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
    }
}
