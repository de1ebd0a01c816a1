//! `${VAR}` interpolation in config strings.
//!
//! `${VAR}` takes an environment variable, `${VAR:-default}` falls back when it is unset or
//! empty, and `$$` is a literal `$`. An unset variable without a default is a config error,
//! never an empty string: a silently empty URL or key name causes worse problems later.

/// Expands references in `s`; returns the names of unset variables on failure.
pub fn interpolate(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(s.len());
    let mut missing = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let (Some(body), Some(end)) = (after.strip_prefix('{'), after.find('}')) {
            let inner = &body[..end - 1];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            match (env(name).filter(|v| !v.is_empty()), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => missing.push(name.to_string()),
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOST").then(|| "db.local".to_string())
    }

    #[test]
    fn expands() {
        assert_eq!(
            interpolate("pg://${HOST}/x", &env).unwrap(),
            "pg://db.local/x"
        );
        assert_eq!(interpolate("${NOPE:-d}", &env).unwrap(), "d");
        assert_eq!(interpolate("a$$b $x", &env).unwrap(), "a$b $x");
        assert_eq!(interpolate("${NOPE}", &env).unwrap_err(), vec!["NOPE"]);
    }
}
