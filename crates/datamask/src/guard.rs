//! The production guard: datamask never writes to production.
//!
//! A target is refused when
//! - it is labelled `environment: production`, whatever its address;
//! - it carries no label and a word of its address (host, database or path; never the user,
//!   password or query string) is on the production deny-list (`policy.production_deny_list`,
//!   default `prod`, `production`, `live`). Words are the address split at every character that
//!   is not a letter or digit, compared without regard to case: `db-prod-1`, `prod.db` and
//!   `/data/live/` match, `products.csv` does not;
//! - it is the source itself.
//!
//! A label other than `production` is an explicit statement by the config's author and wins
//! over the deny-list, so a staging server called `prod-mirror` can be used once labelled.
//! Refusals happen before anything is opened for writing, so a refused target stays untouched.

use crate::config::{Config, Connection, Environment};
use crate::engine::{location, RunError, RunOptions};
use datamask_connectors::Location;

/// The deny-list used when the config has none.
pub const DEFAULT_DENY_LIST: &[&str] = &["prod", "production", "live"];

/// The lowercase words of a connection address: host, database and path, without the scheme,
/// user, password, query string or fragment.
pub fn address_words(url: &str) -> Vec<String> {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (String::new(), url),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let place = if scheme.is_empty() || scheme == "sqlite" || scheme == "file" {
        rest
    } else {
        // `user:password@host:port/db`: keep `host:port/db`.
        let authority_end = rest.find('/').unwrap_or(rest.len());
        match rest[..authority_end].rfind('@') {
            Some(at) => &rest[at + 1..],
            None => rest,
        }
    };
    place
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The first deny-listed word in `url`, if any.
pub fn denied_word(url: &str, deny_list: &[String]) -> Option<String> {
    let words = address_words(url);
    deny_list
        .iter()
        .map(|d| d.to_lowercase())
        .find(|d| words.contains(d))
}

/// Why `conn` must not be written to, if it must not.
pub fn refusal(conn: &Connection, deny_list: &[String]) -> Option<String> {
    match conn.environment {
        Some(Environment::Production) => Some(
            "it is labelled `environment: production`; datamask never writes to production".into(),
        ),
        Some(_) => None,
        None => denied_word(conn.url.expose(), deny_list).map(|word| {
            format!(
                "its address contains the word `{word}`, which is on the production deny-list \
                 (policy.production_deny_list)\n  = help: if it is not production, say so with \
                 `environment: staging`, `development` or `test` on the connection"
            )
        }),
    }
}

/// Refuses targets that must never be written: production ones (by label or by address) and
/// the source itself. Returns the target's location otherwise.
pub fn guard_target(config: &Config) -> Result<Location, RunError> {
    let target = config.target.as_ref().ok_or(RunError::NoTarget)?;
    let refuse = |reason: String| RunError::Refused {
        target: target.url.redacted(),
        reason,
    };
    if let Some(reason) = refusal(target, &config.policy.production_deny_list) {
        return Err(refuse(reason));
    }
    let t = location(config, target)?;
    let s = location(config, &config.source)?;
    if same_place(&t, &s) {
        return Err(refuse("it is the source itself".into()));
    }
    Ok(t)
}

/// Decides whether an in-place run (`mode: in_place`) may rewrite its source database, and
/// returns where it stands. The one place that decides it: the user must confirm (`run
/// --in-place`; a dry run writes nothing and needs no confirmation), the source must not be
/// production (by label, or unlabelled with a deny-listed word in its address, exactly as for
/// targets), and it must be a database.
pub fn guard_in_place(config: &Config, options: &RunOptions) -> Result<Location, RunError> {
    let refuse = |reason: String| RunError::Refused {
        target: config.source.url.redacted(),
        reason,
    };
    if !options.in_place && !options.dry_run {
        return Err(refuse(
            "the config says `mode: in_place`, which replaces the data of the source database \
             with its masked values; pass --in-place to confirm"
                .into(),
        ));
    }
    if let Some(reason) = refusal(&config.source, &config.policy.production_deny_list) {
        return Err(refuse(format!(
            "{reason}\n  = note: in-place mode rewrites its source: restore a backup into \
             another database, label it, and mask that"
        )));
    }
    let loc = location(config, &config.source)?;
    match loc {
        Location::Postgres(_) | Location::Mysql(_) | Location::Sqlite(_) => Ok(loc),
        _ => Err(refuse(
            "in-place mode needs a database (PostgreSQL, MySQL/MariaDB or SQLite); for files, \
             write a masked copy with `target:`"
                .into(),
        )),
    }
}

fn same_place(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::Postgres(x), Location::Postgres(y))
        | (Location::Mysql(x), Location::Mysql(y)) => x == y,
        _ => match (a.path(), b.path()) {
            (Some(x), Some(y)) => std::path::absolute(x).ok() == std::path::absolute(y).ok(),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny() -> Vec<String> {
        DEFAULT_DENY_LIST.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn words_come_from_host_database_and_path_only() {
        assert_eq!(
            address_words("postgres://prod_user:live@db-1.internal:5432/app?options=prod#x"),
            ["db", "1", "internal", "5432", "app"]
        );
        assert_eq!(
            address_words("sqlite://./data/Live.db"),
            ["data", "live", "db"]
        );
        assert_eq!(address_words("out/masked.csv"), ["out", "masked", "csv"]);
    }

    fn config(source: &str) -> Config {
        let text = format!("version: 1\nsource: {source}\n");
        Config::from_text(std::path::Path::new("c.yaml"), &text, &|_| None).unwrap()
    }

    #[test]
    fn in_place_masking_of_production_is_refused() {
        for source in [
            "{ url: \"postgres://app@db/app\", environment: production }",
            "\"postgres://app@db-prod/app\"",
            "\"sqlite://live.db\"",
        ] {
            let e = guard_in_place(&config(source), &confirmed())
                .unwrap_err()
                .to_string();
            assert!(e.contains("in-place mode rewrites its source"), "{e}");
        }
        for source in [
            "{ url: \"postgres://app@db-prod/app\", environment: staging }",
            "\"sqlite://copy.db\"",
        ] {
            assert!(
                guard_in_place(&config(source), &confirmed()).is_ok(),
                "{source}"
            );
        }
        // Without `--in-place`, nothing is rewritten.
        let e = guard_in_place(&config("\"sqlite://copy.db\""), &RunOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("pass --in-place to confirm"), "{e}");
        // Files cannot be masked in place.
        let e = guard_in_place(&config("\"customers.csv\""), &confirmed())
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a database"), "{e}");
    }

    fn confirmed() -> RunOptions {
        RunOptions {
            in_place: true,
            ..RunOptions::default()
        }
    }

    #[test]
    fn deny_list_matches_whole_words() {
        let d = deny();
        for url in [
            "postgres://app@db-prod-1/app",
            "mysql://root@localhost/production",
            "sqlite://live.db",
            "/srv/PROD/out/",
        ] {
            assert!(denied_word(url, &d).is_some(), "{url}");
        }
        for url in [
            "postgres://prod:prod@db-1/app",
            "products.csv",
            "sqlite://delivery.db",
            "mysql://root@localhost/dev?db=prod",
        ] {
            assert_eq!(denied_word(url, &d), None, "{url}");
        }
        assert_eq!(denied_word("sqlite://live.db", &[]), None);
        assert_eq!(
            denied_word("sqlite://primary.db", &["Primary".into()]),
            Some("primary".into())
        );
    }
}
