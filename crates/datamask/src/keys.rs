//! Loading the master key from where the config says it is.

use crate::config::{Config, KeySource};
use datamask_core::key::KeyError;
use datamask_core::MasterKey;
use std::path::PathBuf;

/// Why the master key is unavailable. Messages say where datamask looked, never the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyLoadError {
    #[error("no master key: environment variable {0} is not set\n  = help: create one with `datamask keygen` and export {0}=<the 64 hex digits>")]
    EnvMissing(String),
    #[error("no master key: cannot read key file {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid master key from {origin}: {error}")]
    Invalid { origin: String, error: KeyError },
}

/// Reads the master key named by the config (`key: { env: ... }` or `key: { file: ... }`).
/// There is no default key: a missing key is always an error.
pub fn load(config: &Config) -> Result<MasterKey, KeyLoadError> {
    load_from(&config.key, config, &|name| std::env::var(name).ok())
}

/// [`load`] with an injectable environment (tests).
pub fn load_from(
    source: &KeySource,
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<MasterKey, KeyLoadError> {
    let (text, origin) = match source {
        KeySource::Env(name) => {
            let v = env(name).filter(|v| !v.trim().is_empty());
            (
                v.ok_or_else(|| KeyLoadError::EnvMissing(name.clone()))?,
                format!("environment variable {name}"),
            )
        }
        KeySource::File(p) => {
            let path = config.resolve(p);
            let text = std::fs::read_to_string(&path).map_err(|source| KeyLoadError::File {
                path: path.clone(),
                source,
            })?;
            (text, format!("key file {}", path.display()))
        }
    };
    MasterKey::from_hex(&text).map_err(|error| KeyLoadError::Invalid { origin, error })
}

/// A fresh random master key, hex encoded (for `datamask keygen`).
/// Key generation is the one place datamask uses the OS random source: keys must be
/// unpredictable, while everything that reaches output is derived from them deterministically.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}
