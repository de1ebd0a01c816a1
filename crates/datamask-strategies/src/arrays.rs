//! PostgreSQL array literals (`{a,"b c",NULL,{1,2}}`), so that array columns are masked
//! element by element: PostgreSQL hands datamask arrays as their text form (docs/databases.md),
//! and a strategy that masks an email masks every email of an `email[]` column.

/// One element of an array literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem {
    Null,
    Item(String),
    Array(Vec<Elem>),
}

/// Parses a PostgreSQL array literal. `None` when the text is not one (it must start with
/// `{`; dimension decorations such as `[1:2]={...}` are not supported).
pub fn parse(s: &str) -> Option<Vec<Elem>> {
    let chars: Vec<char> = s.trim().chars().collect();
    let mut at = 0;
    let out = parse_array(&chars, &mut at)?;
    (at == chars.len()).then_some(out)
}

fn parse_array(c: &[char], at: &mut usize) -> Option<Vec<Elem>> {
    if c.get(*at) != Some(&'{') {
        return None;
    }
    *at += 1;
    let mut out = Vec::new();
    skip_ws(c, at);
    if c.get(*at) == Some(&'}') {
        *at += 1;
        return Some(out);
    }
    loop {
        skip_ws(c, at);
        let elem = match c.get(*at)? {
            '{' => Elem::Array(parse_array(c, at)?),
            '"' => {
                *at += 1;
                let mut s = String::new();
                loop {
                    match c.get(*at)? {
                        '\\' => {
                            s.push(*c.get(*at + 1)?);
                            *at += 2;
                        }
                        '"' => {
                            *at += 1;
                            break;
                        }
                        x => {
                            s.push(*x);
                            *at += 1;
                        }
                    }
                }
                Elem::Item(s)
            }
            _ => {
                let mut s = String::new();
                while let Some(x) = c.get(*at) {
                    if *x == ',' || *x == '}' {
                        break;
                    }
                    if *x == '\\' {
                        s.push(*c.get(*at + 1)?);
                        *at += 2;
                        continue;
                    }
                    s.push(*x);
                    *at += 1;
                }
                let s = s.trim().to_string();
                if s.eq_ignore_ascii_case("null") {
                    Elem::Null
                } else {
                    Elem::Item(s)
                }
            }
        };
        out.push(elem);
        skip_ws(c, at);
        match c.get(*at)? {
            ',' => *at += 1,
            '}' => {
                *at += 1;
                return Some(out);
            }
            _ => return None,
        }
    }
}

fn skip_ws(c: &[char], at: &mut usize) {
    while c.get(*at).is_some_and(|x| x.is_whitespace()) {
        *at += 1;
    }
}

/// Writes elements back as a literal, quoting exactly as PostgreSQL's own output does (only
/// items that are empty, spell NULL, or hold braces, commas, quotes, backslashes or white
/// space), so an unchanged array reads back byte-identical.
pub fn render(elems: &[Elem]) -> String {
    let mut out = String::from("{");
    for (i, e) in elems.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match e {
            Elem::Null => out.push_str("NULL"),
            Elem::Array(a) => out.push_str(&render(a)),
            Elem::Item(s) if !needs_quotes(s) => out.push_str(s),
            Elem::Item(s) => {
                out.push('"');
                for ch in s.chars() {
                    if ch == '"' || ch == '\\' {
                        out.push('\\');
                    }
                    out.push(ch);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    out
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars().any(|c| {
            matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace() || c == '\u{b}'
        })
}

/// Applies `f` to every item, keeping NULLs and the nesting.
pub fn map(
    elems: Vec<Elem>,
    f: &mut dyn FnMut(String) -> Result<Option<String>, String>,
) -> Result<Vec<Elem>, String> {
    elems
        .into_iter()
        .map(|e| {
            Ok(match e {
                Elem::Null => Elem::Null,
                Elem::Array(a) => Elem::Array(map(a, f)?),
                Elem::Item(s) => match f(s)? {
                    Some(t) => Elem::Item(t),
                    None => Elem::Null,
                },
            })
        })
        .collect()
}

/// True for a PostgreSQL array column (its declared type ends with `[]`).
pub fn is_array_column(column: &datamask_core::Column) -> bool {
    column
        .native_type
        .as_deref()
        .is_some_and(|t| t.trim_end().ends_with("[]"))
        && column.data_type.family() == "text"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cases = [
            ("{}", "{}"),
            ("{a,b}", "{a,b}"),
            (
                "{\"a b\",NULL,\"x\\\"y\",\"back\\\\slash\"}",
                "{\"a b\",NULL,\"x\\\"y\",\"back\\\\slash\"}",
            ),
            ("{{1,2},{3,4}}", "{{1,2},{3,4}}"),
            (" { a , null } ", "{a,NULL}"),
            ("{\"\",\"null\",\"a,b\"}", "{\"\",\"null\",\"a,b\"}"),
        ];
        for (input, expected) in cases {
            let parsed = parse(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(render(&parsed), expected);
            assert_eq!(parse(&render(&parsed)).unwrap(), parsed);
        }
        for bad in ["", "a,b", "{a,b", "{\"a}", "{a}x", "[1:2]={a,b}"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
