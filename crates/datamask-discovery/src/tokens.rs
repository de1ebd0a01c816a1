//! Column names as tokens.
//!
//! Names are split at `_`, `-`, `.`, spaces, camelCase humps and letter/digit boundaries, then
//! lowercased with accents folded, so `customerEMail2`, `customer_e-mail_2` and `Prénom` become
//! `customer e mail 2` / `prenom`. Matching whole tokens is the point: "state" must not be found
//! in "statement_id", nor "pass" in "pass_rate".

/// Splits a column (or table) name into lowercase, accent-folded tokens.
pub fn tokenize(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            flush(&mut current, &mut tokens);
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let hump =
                c.is_uppercase() && (prev.is_lowercase() || (prev.is_uppercase() && next_lower));
            let digit_edge = c.is_ascii_digit() != prev.is_ascii_digit() && prev.is_alphanumeric();
            if hump || digit_edge {
                flush(&mut current, &mut tokens);
            }
        }
        current.extend(c.to_lowercase());
    }
    flush(&mut current, &mut tokens);
    tokens
}

fn flush(current: &mut String, tokens: &mut Vec<String>) {
    if !current.is_empty() {
        tokens.push(fold(current));
        current.clear();
    }
}

/// Lowercases and removes the accents of Latin letters (`é` -> `e`, `ß` -> `ss`, `ł` -> `l`),
/// so vocabularies and dictionaries match however a name was spelt.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'ā' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' | 'ć' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' | 'ē' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ß' => out.push_str("ss"),
            'ś' | 'š' => out.push('s'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ř' => out.push('r'),
            'ť' => out.push('t'),
            'ď' => out.push('d'),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_every_convention() {
        assert_eq!(tokenize("first_name"), ["first", "name"]);
        assert_eq!(tokenize("firstName"), ["first", "name"]);
        assert_eq!(tokenize("HTTPServerIP"), ["http", "server", "ip"]);
        assert_eq!(tokenize("address_line1"), ["address", "line", "1"]);
        assert_eq!(tokenize("e-mail.addr"), ["e", "mail", "addr"]);
        assert_eq!(tokenize("Prénom"), ["prenom"]);
        assert_eq!(tokenize("Straße"), ["strasse"]);
        assert_eq!(tokenize("statement_id"), ["statement", "id"]);
        assert!(tokenize("__").is_empty());
    }
}
