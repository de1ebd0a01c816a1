//! What a connection URL or path names: a SQLite database, one file, or a directory of files.

use datamask_core::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// A file format for file and directory locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
}

impl Format {
    /// The extension written by sinks (`csv`, `jsonl`, `parquet`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }

    /// The format of a file extension (case-insensitive; `ndjson` is JSON Lines).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The format of a path, from its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::from_extension)
    }

    /// Parses a config value: `csv`, `jsonl` (or `ndjson`), `parquet`.
    pub fn parse(name: &str) -> Result<Format> {
        Format::from_extension(name).ok_or_else(|| {
            Error::Unsupported(format!(
                "unknown format `{name}`: expected one of csv, jsonl, parquet"
            ))
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Where data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// One file holding one table, named after the file stem.
    File { path: PathBuf, format: Format },
    /// A directory of files, one table per file. Sources accept files of any recognised
    /// extension; a sink needs `format`.
    Dir {
        path: PathBuf,
        format: Option<Format>,
    },
    /// A PostgreSQL database (`postgres://` or `postgresql://` URL, password included: never
    /// print it, use [`redact_url`]).
    Postgres(String),
    /// A MySQL or MariaDB database (`mysql://` or `mariadb://` URL).
    Mysql(String),
}

impl Location {
    /// The filesystem path of the location (`None` for database servers).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::File { path, .. } | Location::Dir { path, .. } => Some(path),
            Location::Postgres(_) | Location::Mysql(_) => None,
        }
    }

    /// Makes a relative path relative to `base` (the directory of the config file).
    pub fn resolve(self, base: &Path) -> Location {
        let join = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
        match self {
            Location::Sqlite(p) => Location::Sqlite(join(p)),
            Location::File { path, format } => Location::File {
                path: join(path),
                format,
            },
            Location::Dir { path, format } => Location::Dir {
                path: join(path),
                format,
            },
            server => server,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            Location::File { path, .. } => write!(f, "{}", path.display()),
            Location::Dir { path, format } => match format {
                Some(fmt_) => write!(f, "{} ({fmt_} files)", path.display()),
                None => write!(f, "{}", path.display()),
            },
            Location::Postgres(url) | Location::Mysql(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// Parses a connection URL or path.
///
/// - `sqlite://PATH` or `sqlite:PATH` (also a bare path ending in `.db`, `.sqlite`, `.sqlite3`);
///   relative paths stay relative, see [`Location::resolve`];
/// - a path ending in `.csv`, `.jsonl`, `.ndjson` or `.parquet` is one file of that format;
/// - an existing directory, a path ending in `/`, or any other path when `format` is given, is
///   a directory of files, one table per file;
/// - `postgres://`/`postgresql://` and `mysql://`/`mariadb://` URLs are database servers.
pub fn parse_location(url: &str, format: Option<Format>) -> Result<Location> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::Unsupported("empty location".into()));
    }
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = strip_prefix_ci(url, &lower, "sqlite://")
        .or_else(|| strip_prefix_ci(url, &lower, "sqlite:"))
    {
        if rest.is_empty() {
            return Err(Error::Unsupported(
                "sqlite location needs a path: sqlite://PATH".into(),
            ));
        }
        return Ok(Location::Sqlite(PathBuf::from(rest)));
    }
    if ["postgres://", "postgresql://"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Ok(Location::Postgres(url.to_string()));
    }
    if ["mysql://", "mariadb://"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Ok(Location::Mysql(url.to_string()));
    }
    let path_text = match strip_prefix_ci(url, &lower, "file://") {
        Some(rest) => rest,
        None if url.contains("://") => {
            return Err(Error::Unsupported(format!(
                "{}: unknown scheme; expected sqlite://, postgres://, mysql:// or a file path",
                redact_url(url)
            )))
        }
        None => url,
    };
    let path = PathBuf::from(path_text);
    let trailing_slash = path_text.ends_with('/') || path_text.ends_with('\\');
    if !trailing_slash {
        if let Some(ext_format) = Format::from_path(&path) {
            if let Some(given) = format {
                if given != ext_format {
                    return Err(Error::Unsupported(format!(
                        "{path_text}: the file extension says {ext_format} but the format is \
                         {given}"
                    )));
                }
            }
            if !path.is_dir() {
                return Ok(Location::File {
                    path,
                    format: ext_format,
                });
            }
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if matches!(ext.as_deref(), Some("db" | "sqlite" | "sqlite3")) && format.is_none() {
            return Ok(Location::Sqlite(path));
        }
    }
    if trailing_slash || path.is_dir() || format.is_some() {
        return Ok(Location::Dir { path, format });
    }
    Err(Error::Unsupported(format!(
        "{path_text}: cannot tell what this is; use sqlite://PATH, a file ending in .csv, \
         .jsonl or .parquet, or a directory with a `format`"
    )))
}

fn strip_prefix_ci<'a>(url: &'a str, lower: &str, prefix: &str) -> Option<&'a str> {
    lower.starts_with(prefix).then(|| &url[prefix.len()..])
}

/// Replaces the password of `scheme://user:password@host/...` (and any `password=` query
/// parameter) with `***`, so a URL can appear in messages, logs and reports.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let auth_start = scheme_end + 3;
        let auth_end = out[auth_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| auth_start + i);
        if let Some(at) = out[auth_start..auth_end].rfind('@') {
            let userinfo = &out[auth_start..auth_start + at];
            if let Some(colon) = userinfo.find(':') {
                let pw_start = auth_start + colon + 1;
                let pw_end = auth_start + at;
                out.replace_range(pw_start..pw_end, "***");
            }
        }
    }
    redact_query_password(&out)
}

fn redact_query_password(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let (head, query) = url.split_at(q + 1);
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if matches!(k.to_ascii_lowercase().as_str(), "password" | "pass") => {
                format!("{k}=***")
            }
            _ => kv.to_string(),
        })
        .collect();
    format!("{head}{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            parse_location("sqlite://./dev.db", None).unwrap(),
            Location::Sqlite("./dev.db".into())
        );
        assert_eq!(
            parse_location("sqlite:data/x.db", None).unwrap(),
            Location::Sqlite("data/x.db".into())
        );
        assert_eq!(
            parse_location("sqlite:///abs/x.db", None).unwrap(),
            Location::Sqlite("/abs/x.db".into())
        );
        assert!(parse_location("sqlite://", None).is_err());
    }

    #[test]
    fn files_and_dirs() {
        assert_eq!(
            parse_location("out/customers.CSV", None).unwrap(),
            Location::File {
                path: "out/customers.CSV".into(),
                format: Format::Csv
            }
        );
        assert_eq!(
            parse_location("e.ndjson", None).unwrap(),
            Location::File {
                path: "e.ndjson".into(),
                format: Format::Jsonl
            }
        );
        assert_eq!(
            parse_location("out/", None).unwrap(),
            Location::Dir {
                path: "out/".into(),
                format: None
            }
        );
        assert_eq!(
            parse_location("masked", Some(Format::Parquet)).unwrap(),
            Location::Dir {
                path: "masked".into(),
                format: Some(Format::Parquet)
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().to_str().unwrap();
        assert!(matches!(
            parse_location(p, None).unwrap(),
            Location::Dir { format: None, .. }
        ));
        assert!(parse_location("no_extension_here", None).is_err());
        assert!(parse_location("x.csv", Some(Format::Jsonl)).is_err());
    }

    #[test]
    fn databases_are_servers_and_redacted() {
        let loc = parse_location("postgres://app:s3cret@db/app", None).unwrap();
        assert!(matches!(loc, Location::Postgres(_)));
        assert!(!loc.to_string().contains("s3cret"));
        assert!(loc.path().is_none());
        assert!(matches!(
            parse_location("mariadb://root@db/app", None).unwrap(),
            Location::Mysql(_)
        ));
        assert!(parse_location("ftp://x/y", None).is_err());
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(redact_url("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(
            redact_url("mysql://u:p%40ss@h/d?password=x&ssl=1"),
            "mysql://u:***@h/d?password=***&ssl=1"
        );
        assert_eq!(redact_url("sqlite://./a.db"), "sqlite://./a.db");
    }

    #[test]
    fn resolve_against_base() {
        let loc = parse_location("sqlite://dev.db", None)
            .unwrap()
            .resolve(Path::new("/etc/dm"));
        assert_eq!(loc, Location::Sqlite("/etc/dm/dev.db".into()));
        let loc = parse_location("/abs/a.csv", None)
            .unwrap()
            .resolve(Path::new("/etc/dm"));
        assert_eq!(loc.path(), Some(Path::new("/abs/a.csv")));
    }
}
