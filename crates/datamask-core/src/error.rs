//! Typed errors shared by every layer. The binary maps them to exit codes.

use std::path::PathBuf;

/// Result alias used across the datamask crates.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors raised while reading, transforming or writing data.
///
/// Every variant names *where* the problem is (file and line, or table, column and row) because
/// a user with a million-row table cannot act on "invalid value". Messages never contain secrets
/// or original row values.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Input data is malformed (ragged CSV row, invalid UTF-8, bad JSON...).
    #[error("{location}: {message}")]
    Malformed { location: String, message: String },
    /// A value could not be transformed or does not fit its column.
    #[error("table `{table}`, column `{column}`, row {row}: {message}")]
    Value {
        table: String,
        column: String,
        row: String,
        message: String,
    },
    /// A table named in the config or plan does not exist in the source.
    #[error("table `{0}` not found in the source")]
    MissingTable(String),
    /// A connector refused or failed an operation.
    #[error("{connector}: {message}")]
    Connector {
        connector: &'static str,
        message: String,
    },
    /// The requested feature or type is not supported; the message says what to do instead.
    #[error("{0}")]
    Unsupported(String),
    /// A broken invariant inside datamask: this is a bug.
    #[error("internal error: {0} (this is a bug in datamask; please report it)")]
    Internal(String),
}

impl Error {
    /// Builds an [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::Connector`].
    pub fn connector(connector: &'static str, message: impl Into<String>) -> Self {
        Error::Connector {
            connector,
            message: message.into(),
        }
    }

    /// Builds an [`Error::Malformed`].
    pub fn malformed(location: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Malformed {
            location: location.into(),
            message: message.into(),
        }
    }
}
