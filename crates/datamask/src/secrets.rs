//! Secret references (`password: { env: NAME }` / `{ file: path }`) and how they reach a
//! driver: resolved at the last moment, put into the connection URL handed to the connector,
//! and never into anything that is shown or stored (every displayed URL is redacted).

use crate::config::{Config, Connection, Secret, SecretRef};

/// Why a secret could not be used. Messages name where datamask looked, never the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("`password` of {what}: environment variable {name} is not set")]
    EnvMissing { what: String, name: String },
    #[error("`password` of {what}: cannot read {path}: {source}")]
    File {
        what: String,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`password` of {what}: {reason}")]
    Unusable { what: String, reason: String },
}

/// Reads a secret from where its reference points.
pub fn resolve(config: &Config, what: &str, r: &SecretRef) -> Result<Secret, SecretError> {
    match r {
        SecretRef::Env(name) => std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| SecretError::EnvMissing {
                what: what.to_string(),
                name: name.clone(),
            }),
        SecretRef::File(p) => {
            let path = config.resolve(p);
            std::fs::read_to_string(&path)
                .map(|s| Secret::new(s.trim_end_matches(['\n', '\r'])))
                .map_err(|source| SecretError::File {
                    what: what.to_string(),
                    path,
                    source,
                })
        }
    }
}

/// The URL of `conn` with its `password:` reference (if any) resolved into the user-info
/// part, percent-encoded. Only database URLs take a password, and only one: a URL that already
/// holds one is refused rather than silently overridden.
pub fn url_with_password(
    config: &Config,
    what: &str,
    conn: &Connection,
) -> Result<Secret, SecretError> {
    let url = conn.url.expose();
    let Some(r) = &conn.password else {
        return Ok(Secret::new(url));
    };
    let unusable = |reason: &str| SecretError::Unusable {
        what: what.to_string(),
        reason: reason.to_string(),
    };
    let lower = url.to_ascii_lowercase();
    let scheme_end = ["postgres://", "postgresql://", "mysql://", "mariadb://"]
        .iter()
        .find(|s| lower.starts_with(*s))
        .map(|s| s.len())
        .ok_or_else(|| unusable("only postgres:// and mysql:// connections take a password"))?;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return Err(unusable(
            "the URL names no user; write it as scheme://USER@HOST/DATABASE",
        ));
    };
    if rest[..at].contains(':') {
        return Err(unusable(
            "the URL already holds a password; keep it only in `password:`",
        ));
    }
    let password = resolve(config, what, r)?;
    Ok(Secret::new(format!(
        "{}{}:{}{}",
        &url[..scheme_end],
        &rest[..at],
        percent_encode(password.expose()),
        &rest[at..]
    )))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(dir: &Path, target: &str) -> Config {
        let text = format!("version: 1\nsource: \"x.csv\"\ntarget: {target}\n");
        Config::from_text(&dir.join("c.yaml"), &text, &|_| None).unwrap()
    }

    #[test]
    fn the_password_lands_in_the_url_encoded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "p@ss:w/rd%\n").unwrap();
        let c = config(
            dir.path(),
            "{ url: \"postgres://app@db:5432/app?sslmode=disable\", password: { file: pw } }",
        );
        let url = url_with_password(&c, "target", c.target.as_ref().unwrap()).unwrap();
        assert_eq!(
            url.expose(),
            "postgres://app:p%40ss%3Aw%2Frd%25@db:5432/app?sslmode=disable"
        );
        assert_eq!(
            datamask_connectors::redact_url(url.expose()),
            "postgres://app:***@db:5432/app?sslmode=disable"
        );
    }

    #[test]
    fn misuse_is_a_clear_error_without_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "hunter2").unwrap();
        for (target, expect) in [
            (
                "{ url: \"out.csv\", password: { file: pw } }",
                "only postgres",
            ),
            (
                "{ url: \"mysql://root:x@h/db\", password: { file: pw } }",
                "already holds",
            ),
            (
                "{ url: \"mysql://h/db\", password: { file: pw } }",
                "names no user",
            ),
            (
                "{ url: \"mysql://root@h/db\", password: { env: DM_UNSET_PW_VAR } }",
                "DM_UNSET_PW_VAR is not set",
            ),
            (
                "{ url: \"mysql://root@h/db\", password: { file: missing } }",
                "cannot read",
            ),
        ] {
            let c = config(dir.path(), target);
            let e = url_with_password(&c, "target", c.target.as_ref().unwrap())
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(expect) && !e.contains("hunter2"),
                "{target}: {e}"
            );
        }
    }
}
