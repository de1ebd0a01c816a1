//! The datamask library: config, planning, the masking engine and the audit trail.
//!
//! The CLI is a thin layer over this crate. Nothing here prints: progress goes through a
//! [`datamask_core::Reporter`], results come back as values, and errors are typed so the
//! binary can choose exit codes (1 for problems a user can fix, 2 for bugs).

pub mod audit;
pub mod config;
pub mod discover;
pub mod engine;
pub mod fit;
pub mod guard;
pub mod init;
pub mod keys;
pub mod lock;
pub mod plan;
pub mod preview;
pub mod reports;
pub mod rows;
pub mod secrets;
pub mod verify;

pub use config::Config;
pub use engine::{RunOptions, RunReport};
pub use plan::Plan;

/// The tool version recorded in manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
