//! One module per subcommand.

pub mod audit;
pub mod check;
pub mod init;
pub mod plan;
pub mod preview;
pub mod run;
pub mod scan;
pub mod strategies;
pub mod verify;

use crate::Failure;
use datamask::config::ConfigError;
use datamask::Config;
use std::io::Write;
use std::path::Path;

/// Loads the config, turning problems into a user-level failure with the rendered report.
pub fn load_config(path: &Path) -> Result<Config, Failure> {
    Config::load(path).map_err(|e| match e {
        ConfigError::Invalid { rendered, .. } => Failure::user(rendered),
        other => Failure::user(other),
    })
}

/// Writes to stdout, treating a closed pipe as success.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::user(format!("cannot write to stdout: {e}"))),
    }
}

/// Prints JSON to stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure {
        code: 2,
        message: e.to_string(),
    })?;
    print(&(text + "\n"))
}

/// `datamask keygen`: a new master key on stdout, advice on stderr.
pub fn keygen() -> Result<(), Failure> {
    let key = datamask::keys::generate().map_err(|e| Failure {
        code: 2,
        message: format!("the operating system's random source failed: {e}"),
    })?;
    print(&format!("{key}\n"))?;
    eprintln!("Keep this key secret. Use it with: export DATAMASK_KEY=<the key above>");
    Ok(())
}
