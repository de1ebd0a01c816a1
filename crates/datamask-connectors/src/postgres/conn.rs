//! Connections, names and error messages shared by the PostgreSQL source and sink.

use datamask_core::Error;
use postgres::error::SqlState;
use postgres::{Client, NoTls};
use std::time::Duration;
use tokio_postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

pub(crate) const KIND: &str = "postgres";

/// A parsed connection URL plus its password-free form for messages.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) config: Config,
    /// The URL with any password replaced by `***`.
    pub(crate) display: String,
    /// The URL as given (it may hold a password: never put it in a message).
    pub(crate) url: String,
    /// The URL's `sslmode`.
    pub(crate) ssl_mode: super::tls::SslMode,
    /// The TLS connector (`None` for `sslmode=disable`).
    tls: Option<MakeRustlsConnect>,
}

impl Target {
    /// Parses a `postgres://` / `postgresql://` URL (or a `key=value` string).
    pub(crate) fn parse(url: &str) -> datamask_core::Result<Target> {
        let display = crate::redact_url(url);
        let (driver_url, tls) = super::tls::split_tls_params(url, &display)?;
        let mut config: Config = driver_url.parse().map_err(|e| {
            Error::connector(
                KIND,
                format!("{display}: invalid connection URL: {}", chain(&e)),
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("datamask");
        }
        config.ssl_mode(tls.mode.driver_mode());
        Ok(Target {
            config,
            url: url.to_string(),
            ssl_mode: tls.mode,
            tls: super::tls::connector(&tls, &display)?,
            display,
        })
    }

    /// The database name (defaults to the user name, as in libpq).
    pub(crate) fn dbname(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres")
            .to_string()
    }

    /// The same server with another database.
    pub(crate) fn with_dbname(&self, dbname: &str) -> Target {
        let mut other = self.clone();
        other.config.dbname(dbname);
        other
    }

    /// Connects, naming the server (without password) in any error.
    pub(crate) fn connect(&self) -> datamask_core::Result<Client> {
        self.try_connect().map_err(|e| self.error(e))
    }

    /// Connects, with TLS as the URL's `sslmode` says; the driver's error as it is.
    pub(crate) fn try_connect(&self) -> std::result::Result<Client, postgres::Error> {
        let mut config = postgres::Config::from(self.config.clone());
        // NOTICEs (e.g. "table does not exist, skipping") are expected; keep them out of logs.
        config.notice_callback(|_| {});
        match &self.tls {
            Some(tls) => config.connect(tls.clone()),
            None => config.connect(NoTls),
        }
    }

    /// Connects on the current (tokio) runtime, for the reader threads, which drive a COPY
    /// without a blocking call per row. The connection runs as a task of that runtime.
    pub(crate) async fn connect_async(
        &self,
    ) -> std::result::Result<tokio_postgres::Client, postgres::Error> {
        match &self.tls {
            Some(tls) => spawn_connected(&self.config, tls.clone()).await,
            None => spawn_connected(&self.config, NoTls).await,
        }
    }

    /// Asks the server to cancel the query running on the connection of `token`.
    pub(crate) async fn cancel(&self, token: &tokio_postgres::CancelToken) {
        let _ = match &self.tls {
            Some(tls) => token.cancel_query(tls.clone()).await,
            None => token.cancel_query(NoTls).await,
        };
    }

    /// An error from this server, as a connector error naming the (redacted) URL.
    pub(crate) fn error(&self, e: postgres::Error) -> Error {
        let mut message = describe(&e);
        if e.as_db_error().is_none() {
            if let Some(hint) = super::tls::hint(&message, self.ssl_mode) {
                message.push_str("; ");
                message.push_str(hint);
            }
        }
        Error::connector(KIND, format!("{}: {message}", self.display))
    }

    /// Like [`Target::error`], with a description of what was being done.
    pub(crate) fn error_in(&self, what: &str, e: postgres::Error) -> Error {
        Error::connector(KIND, format!("{}: {what}: {}", self.display, describe(&e)))
    }

    /// True when both name the same database on the same server.
    pub(crate) fn same_database(&self, other: &Target) -> bool {
        self.config.get_hosts() == other.config.get_hosts()
            && ports(&self.config) == ports(&other.config)
            && self.dbname() == other.dbname()
    }
}

/// Connects with `tls` and runs the connection as a task of the current runtime.
async fn spawn_connected<T>(
    config: &Config,
    tls: T,
) -> std::result::Result<tokio_postgres::Client, postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn ports(config: &Config) -> Vec<u16> {
    if config.get_ports().is_empty() {
        vec![5432]
    } else {
        config.get_ports().to_vec()
    }
}

/// The SQLSTATE of a server error, if it is one.
pub(crate) fn sqlstate(e: &postgres::Error) -> Option<&SqlState> {
    e.code()
}

/// Describes an error without DETAIL lines (which may quote row values) and with every
/// double-quoted fragment that is not a known identifier withheld.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut allowed: Vec<&str> = Vec::new();
            allowed.extend(db.schema());
            allowed.extend(db.table());
            allowed.extend(db.column());
            allowed.extend(db.constraint());
            allowed.extend(db.datatype());
            // Syntax, naming and connection errors quote the SQL or the URL, never row
            // values: shown as they are. Every other class may quote a value.
            let code = db.code().code();
            let message = if ["42", "3D", "3F", "28", "08"]
                .iter()
                .any(|c| code.starts_with(c))
            {
                db.message().to_string()
            } else {
                withhold_quoted(db.message(), &allowed)
            };
            let mut out = format!("{}: {message} (SQLSTATE {code})", db.severity());
            if db.code() == &SqlState::INVALID_PASSWORD
                || db.code() == &SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            {
                out.push_str("; check the user name and password in the URL");
            }
            out
        }
        None => chain(e),
    }
}

/// An error and its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Replaces `"..."` fragments of a server message by `"***"` unless they are one of `allowed`
/// (identifiers the server reported separately). PostgreSQL quotes offending input values this
/// way (`invalid input syntax for type integer: "abc"`), and values must never reach messages.
pub(crate) fn withhold_quoted(message: &str, allowed: &[&str]) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        let Some(len) = after.find('"') else {
            out.push_str(after);
            return out;
        };
        let inner = &after[..len];
        if allowed.contains(&inner) || looks_like_identifier(inner) && !is_value_context(&out) {
            out.push_str(inner);
        } else {
            out.push_str("***");
        }
        out.push('"');
        rest = &after[len + 1..];
    }
    out.push_str(rest);
    out
}

fn looks_like_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '$')
}

/// True when the quote just opened follows a colon (`...: "value"`) or starts the message
/// (`"1e999" is out of range`): PostgreSQL's places for input values.
fn is_value_context(before_quote: &str) -> bool {
    let before = before_quote.trim_end_matches('"').trim_end();
    before.is_empty() || before.ends_with(':') || before.ends_with("value")
}

/// Quotes an identifier: `"name"` with inner quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a list of identifiers, comma-separated.
pub(crate) fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits `schema.table` at the first dot; a name without one is in `public`.
pub(crate) fn split_name(name: &str) -> (&str, &str) {
    match name.split_once('.') {
        Some((schema, table)) if !schema.is_empty() && !table.is_empty() => (schema, table),
        _ => ("public", name),
    }
}

/// `"schema"."table"` for a table name as datamask writes it.
pub(crate) fn qualified(name: &str) -> String {
    let (schema, table) = split_name(name);
    format!("{}.{}", quote_ident(schema), quote_ident(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_messages_are_withheld() {
        assert_eq!(
            withhold_quoted("invalid input syntax for type integer: \"abc\"", &[]),
            "invalid input syntax for type integer: \"***\""
        );
        assert_eq!(
            withhold_quoted("\"1e999\" is out of range for type real", &[]),
            "\"***\" is out of range for type real"
        );
        assert_eq!(
            withhold_quoted(
                "new row for relation \"customers\" violates check constraint \"c_check\"",
                &[]
            ),
            "new row for relation \"customers\" violates check constraint \"c_check\""
        );
        assert_eq!(
            withhold_quoted("invalid input value for enum mood: \"x y\"", &["mood"]),
            "invalid input value for enum mood: \"***\""
        );
        assert_eq!(
            withhold_quoted("value \"secret\" is out of range", &[]),
            "value \"***\" is out of range"
        );
    }

    #[test]
    fn names() {
        assert_eq!(split_name("public.customers"), ("public", "customers"));
        assert_eq!(split_name("customers"), ("public", "customers"));
        assert_eq!(split_name("s.a.b"), ("s", "a.b"));
        assert_eq!(qualified("we\"ird.t"), "\"we\"\"ird\".\"t\"");
    }

    #[test]
    fn urls_parse_and_redact() {
        let t = Target::parse("postgres://u:secret@db.example:6543/app?sslmode=disable").unwrap();
        assert_eq!(t.dbname(), "app");
        assert!(!t.display.contains("secret"));
        let err = Target::parse("postgres://u:secret@h/db?port=notaport")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}
