//! Connection URLs, session setup and error messages for MySQL/MariaDB.
//!
//! Every message goes through [`crate::redact_url`] and [`sanitize_server_message`]: a password
//! never appears, and neither does a row value quoted by the server (`Duplicate entry '...'`).

use datamask_core::{Error, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Row, SslOpts};
use std::time::Duration;

pub(crate) const KIND: &str = "mysql";

/// The longest identifier MySQL accepts (database, table, column, index, constraint names).
pub(crate) const MAX_IDENT: usize = 64;

/// A parsed `mysql://` or `mariadb://` URL.
#[derive(Clone)]
pub(crate) struct Target {
    /// The URL with any password replaced by `***`, for messages.
    pub redacted: String,
    /// Connection options without a default database: every statement names its database.
    opts: Opts,
    /// The database named in the URL's path, if any.
    pub database: Option<String>,
    /// The URL's `ssl-mode`.
    ssl_mode: SslMode,
}

/// MySQL's `--ssl-mode`, given in the URL as `ssl-mode=` (or `ssl_mode=`, `sslmode=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    /// Plain TCP.
    Disabled,
    /// TLS when the server offers it, without checking its certificate (the default, as for
    /// the `mysql` client).
    Preferred,
    /// TLS, without checking the certificate.
    Required,
    /// TLS, with a certificate signed by the CA of `ssl-ca` (or a public root).
    VerifyCa,
    /// As `VerifyCa`, and issued for the host of the URL.
    VerifyIdentity,
}

impl SslMode {
    fn name(self) -> &'static str {
        match self {
            SslMode::Disabled => "DISABLED",
            SslMode::Preferred => "PREFERRED",
            SslMode::Required => "REQUIRED",
            SslMode::VerifyCa => "VERIFY_CA",
            SslMode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    fn parse(value: &str) -> Option<SslMode> {
        Some(
            match value.to_ascii_uppercase().replace('-', "_").as_str() {
                "DISABLED" | "DISABLE" => SslMode::Disabled,
                "PREFERRED" | "PREFER" => SslMode::Preferred,
                "REQUIRED" | "REQUIRE" => SslMode::Required,
                "VERIFY_CA" => SslMode::VerifyCa,
                "VERIFY_IDENTITY" | "VERIFY_FULL" => SslMode::VerifyIdentity,
                _ => return None,
            },
        )
    }
}

/// Takes `ssl-mode` and `ssl-ca` out of the URL's query (the driver does not know them).
fn split_ssl_params(url: &str, redacted: &str) -> Result<(String, SslMode, Option<String>)> {
    let Some((head, query)) = url.split_once('?') else {
        return Ok((url.to_string(), SslMode::Preferred, None));
    };
    let mut mode = SslMode::Preferred;
    let mut ca = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k.to_ascii_lowercase().replace('_', "-").as_str() {
            "ssl-mode" | "sslmode" => {
                mode = SslMode::parse(v).ok_or_else(|| {
                    Error::connector(
                        KIND,
                        format!(
                            "{redacted}: invalid ssl-mode `{v}`; expected DISABLED, PREFERRED, \
                             REQUIRED, VERIFY_CA or VERIFY_IDENTITY"
                        ),
                    )
                })?;
            }
            "ssl-ca" | "sslrootcert" => ca = Some(v.replace("%2F", "/").replace("%2f", "/")),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        head.to_string()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    Ok((rest, mode, ca))
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl Target {
    /// Parses `url`. `mariadb://` is accepted as a synonym of `mysql://`.
    pub(crate) fn parse(url: &str) -> Result<Target> {
        let redacted = crate::redact_url(url);
        let trimmed = url.trim();
        let rest = ["mysql://", "mariadb://"]
            .iter()
            .find(|p| trimmed.len() >= p.len() && trimmed[..p.len()].eq_ignore_ascii_case(p))
            .map(|p| &trimmed[p.len()..])
            .ok_or_else(|| {
                Error::connector(
                    KIND,
                    format!("{redacted}: expected a mysql:// or mariadb:// URL"),
                )
            })?;
        let (rest, ssl_mode, ssl_ca) = split_ssl_params(rest, &redacted)?;
        let driver_url = format!("mysql://{rest}");
        let opts = Opts::from_url(&driver_url).map_err(|e| {
            Error::connector(KIND, format!("{redacted}: invalid connection URL: {e}"))
        })?;
        let database = opts
            .get_db_name()
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        let mut builder = OptsBuilder::from_opts(opts)
            .db_name(None::<String>)
            .tcp_connect_timeout(Some(Duration::from_secs(10)));
        let ssl = match ssl_mode {
            SslMode::Disabled => None,
            SslMode::Preferred | SslMode::Required => Some(
                SslOpts::default()
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true),
            ),
            SslMode::VerifyCa | SslMode::VerifyIdentity => Some(
                SslOpts::default()
                    .with_root_cert_path(ssl_ca.map(std::path::PathBuf::from))
                    .with_danger_skip_domain_validation(ssl_mode == SslMode::VerifyCa),
            ),
        };
        builder = builder.ssl_opts(ssl);
        if !rest.contains("prefer_socket=") {
            // Connect exactly where the URL says (the driver would otherwise switch to a local
            // socket, where a different authentication may apply).
            builder = builder.prefer_socket(false);
        }
        Ok(Target {
            redacted,
            opts: builder.into(),
            database,
            ssl_mode,
        })
    }

    /// The database of the URL, or a clear error.
    pub(crate) fn require_database(&self) -> Result<&str> {
        self.database.as_deref().ok_or_else(|| {
            Error::connector(
                KIND,
                format!(
                    "{}: the URL names no database; add it as the path: \
                     mysql://USER@HOST:PORT/DATABASE",
                    self.redacted
                ),
            )
        })
    }

    /// Opens a connection and prepares the session: utf8mb4 on the wire, UTC for `TIMESTAMP`
    /// columns, generous network timeouts (a reader may wait on a slow consumer).
    pub(crate) fn connect(&self) -> Result<Conn> {
        let mut conn = match Conn::new(self.opts.clone()) {
            // `PREFERRED`: a server without TLS gets a plain connection.
            Err(mysql::Error::DriverError(mysql::DriverError::TlsNotSupported))
                if self.ssl_mode == SslMode::Preferred =>
            {
                let plain = OptsBuilder::from_opts(self.opts.clone()).ssl_opts(None::<SslOpts>);
                Conn::new(plain)
            }
            other => other,
        }
        .map_err(|e| self.connect_error(e))?;
        conn.query_drop(
            "SET NAMES utf8mb4, time_zone = '+00:00', \
             SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600",
        )
        .map_err(|e| self.error("setting up the session", e))?;
        Ok(conn)
    }

    fn connect_error(&self, e: mysql::Error) -> Error {
        let place = format!(
            "{}:{}",
            self.opts.get_ip_or_hostname(),
            self.opts.get_tcp_port()
        );
        let message = match &e {
            mysql::Error::IoError(io) => {
                format!("cannot connect to the server at {place}: {io}")
            }
            mysql::Error::DriverError(mysql::DriverError::ConnectTimeout) => {
                format!("cannot connect to the server at {place}: timed out")
            }
            mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(detail)) => {
                match detail {
                    Some((_, description, _)) => {
                        format!("cannot connect to the server at {place}: {description}")
                    }
                    None => format!("cannot connect to the server at {place}"),
                }
            }
            mysql::Error::DriverError(mysql::DriverError::TlsNotSupported) => format!(
                "the server at {place} does not offer TLS, and the URL requires it (ssl-mode=\
                 {}): enable TLS on the server, or use ssl-mode=PREFERRED or DISABLED on a \
                 trusted network",
                self.ssl_mode.name()
            ),
            mysql::Error::TlsError(t) => format!(
                "TLS with the server at {place} failed: {t} (ssl-mode={}; check ssl-ca, and \
                 that the certificate names the host of the URL)",
                self.ssl_mode.name()
            ),
            mysql::Error::MySqlError(server) if server.code == 1045 => format!(
                "the server at {place} refused the login: {} (check the user name and password)",
                sanitize_server_message(server.code, &server.message)
            ),
            other => format!(
                "cannot connect to the server at {place}: {}",
                describe(other)
            ),
        };
        Error::connector(KIND, format!("{}: {message}", self.redacted))
    }

    /// A driver error while doing `what`.
    pub(crate) fn error(&self, what: &str, e: mysql::Error) -> Error {
        Error::connector(KIND, format!("{}: {what}: {}", self.redacted, describe(&e)))
    }
}

/// A driver error as text, without row values.
pub(crate) fn describe(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(server) => format!(
            "server error {}: {}",
            server.code,
            sanitize_server_message(server.code, &server.message)
        ),
        mysql::Error::IoError(io) => format!("connection lost: {io}"),
        mysql::Error::DriverError(d) => format!("driver error: {d}"),
        mysql::Error::UrlError(u) => format!("invalid URL: {u}"),
        mysql::Error::CodecError(c) => format!("protocol error: {c}"),
        mysql::Error::TlsError(t) => format!("TLS error: {t}"),
        mysql::Error::FromValueError(_) | mysql::Error::FromRowError(_) => {
            "unexpected value type from the server".into()
        }
    }
}

/// The server error code of `e`, if it is one.
pub(crate) fn server_code(e: &mysql::Error) -> Option<u16> {
    match e {
        mysql::Error::MySqlError(server) => Some(server.code),
        _ => None,
    }
}

/// Removes the values servers quote in their messages (`Duplicate entry 'x@y.z' for key
/// 'email'`, `Incorrect integer value: 'abc' for column ...`), keeping names and row numbers.
pub(crate) fn sanitize_server_message(code: u16, message: &str) -> String {
    // Messages that quote a value right after a fixed lead, up to a known follower.
    const LEADS: [(&str, &str); 3] = [
        ("Duplicate entry '", "' for key"),
        ("value: '", "' for column"),
        ("value: '", "' for function"),
    ];
    for (lead, follow) in LEADS {
        if let Some(start) = message.find(lead) {
            let from = start + lead.len();
            if let Some(end) = message[from..].rfind(follow) {
                let end = from + end;
                return format!(
                    "{}(value withheld){}",
                    &message[..from - 1],
                    &message[end + 1..]
                );
            }
        }
    }
    match code {
        // Invalid JSON text: the server quotes part of the document.
        3140 | 4038 => "invalid JSON text".into(),
        // Truncated incorrect value / check constraint: may quote a value.
        1292 | 1366 | 1411 | 1525 => match message.find(" for column") {
            Some(i) => format!("incorrect value{}", &message[i..]),
            None => "incorrect value (value withheld)".into(),
        },
        _ => message.to_string(),
    }
}

/// The text of a driver value (information_schema strings come back as bytes).
pub(crate) fn text(v: &mysql::Value) -> Option<String> {
    match v {
        mysql::Value::NULL => None,
        mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        mysql::Value::Int(i) => Some(i.to_string()),
        mysql::Value::UInt(u) => Some(u.to_string()),
        mysql::Value::Float(f) => Some(f.to_string()),
        mysql::Value::Double(f) => Some(f.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// The number in a driver value.
pub(crate) fn number(v: &mysql::Value) -> Option<u64> {
    match v {
        mysql::Value::Int(i) => u64::try_from(*i).ok(),
        mysql::Value::UInt(u) => Some(*u),
        mysql::Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Runs a query with parameters and returns its rows as vectors of driver values.
pub(crate) fn rows<P: Into<mysql::Params>>(
    conn: &mut Conn,
    sql: &str,
    params: P,
) -> std::result::Result<Vec<Vec<mysql::Value>>, mysql::Error> {
    let rows: Vec<Row> = conn.exec(sql, params)?;
    Ok(rows.into_iter().map(Row::unwrap).collect())
}

/// Quotes an identifier: `` `name` `` with inner backticks doubled.
pub(crate) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `` `db`.`table` ``.
pub(crate) fn qualified(db: &str, table: &str) -> String {
    format!("{}.{}", quote(db), quote(table))
}

/// A comma-separated list of quoted identifiers.
pub(crate) fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `name` if it fits MySQL's 64-character identifier limit, otherwise a prefix plus a short
/// hash of the whole name (stable, so the same input always gives the same identifier).
pub(crate) fn fit_ident(name: &str) -> String {
    if name.chars().count() <= MAX_IDENT {
        return name.to_string();
    }
    let hash = blake3::hash(name.as_bytes()).to_hex();
    let prefix: String = name.chars().take(MAX_IDENT - 13).collect();
    format!("{prefix}_{}", &hash[..12])
}

/// True when the server is MariaDB (it announces itself in `VERSION()`).
pub(crate) fn is_mariadb(conn: &mut Conn) -> std::result::Result<bool, mysql::Error> {
    let version: Option<String> = conn.query_first("SELECT VERSION()")?;
    Ok(version.is_some_and(|v| v.to_ascii_lowercase().contains("mariadb")))
}

/// True when database `db` exists.
pub(crate) fn database_exists(
    conn: &mut Conn,
    db: &str,
) -> std::result::Result<bool, mysql::Error> {
    let found = rows(
        conn,
        "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        (db,),
    )?;
    Ok(!found.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = Target::parse("mariadb://app:s3cret@db.example:3307/shop").unwrap();
        assert_eq!(t.database.as_deref(), Some("shop"));
        assert_eq!(t.redacted, "mariadb://app:***@db.example:3307/shop");
        assert!(!format!("{t:?}").contains("s3cret"));
        let t = Target::parse("mysql://root@127.0.0.1/").unwrap();
        assert!(t.database.is_none());
        let err = t.require_database().unwrap_err().to_string();
        assert!(err.contains("names no database"), "{err}");
        let err = Target::parse("mysql://u:pw@h/d?nonsense=1")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("pw@"), "{err}");
        assert!(err.contains("nonsense"), "{err}");
    }

    #[test]
    fn server_messages_lose_values() {
        let m = sanitize_server_message(1062, "Duplicate entry 'a@b.c' for key 'email'");
        assert_eq!(m, "Duplicate entry (value withheld) for key 'email'");
        let m = sanitize_server_message(
            1366,
            "Incorrect integer value: 'abc' for column `d`.`t`.`n` at row 3",
        );
        assert_eq!(
            m,
            "Incorrect integer value: (value withheld) for column `d`.`t`.`n` at row 3"
        );
        let m = sanitize_server_message(1406, "Data too long for column 'name' at row 2");
        assert_eq!(m, "Data too long for column 'name' at row 2");
        assert_eq!(
            sanitize_server_message(3140, "Invalid JSON text: \"secret\" at position 0"),
            "invalid JSON text"
        );
    }

    #[test]
    fn identifiers() {
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(qualified("d", "t"), "`d`.`t`");
        let long = "x".repeat(80);
        let fitted = fit_ident(&long);
        assert_eq!(fitted.chars().count(), MAX_IDENT);
        assert_eq!(fitted, fit_ident(&long));
        assert_eq!(fit_ident("short"), "short");
    }
}
