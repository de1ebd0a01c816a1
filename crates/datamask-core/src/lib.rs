//! The datamask core: the vocabulary every other crate speaks.
//!
//! This crate holds only types and traits (values, schemas, batches, the keyed PRF, and the
//! `Strategy`, `Source`, `Sink` and `Reporter` traits). It has no heavy dependencies on purpose:
//! connectors and strategies depend on it, never the other way round, so the layering of the
//! workspace is enforced by the compiler.

pub mod batch;
pub mod constraints;
pub mod error;
pub mod key;
pub mod reporter;
pub mod schema;
pub mod sink;
pub mod source;
pub mod strategy;
pub mod value;

pub use batch::Batch;
pub use constraints::{Check, CmpOp, Constraints, Literal};
pub use error::{Error, Result};
pub use key::{MasterKey, Prf};
pub use reporter::{NoopReporter, Reporter};
pub use schema::{Column, DataType, ForeignKey, Index, TableSchema};
pub use sink::{Sink, TableWriter};
pub use source::{BatchIter, Enforced, Source};
pub use strategy::{ApplyCtx, Strategy};
pub use value::{Str, Value};

/// **Test-only hook.** When the environment variable `DATAMASK_FAILPOINT` equals `name`, prints
/// `datamask: paused at failpoint NAME` on stderr and blocks the calling thread for ever, so a
/// test can kill the process (SIGKILL) at exactly this point instead of guessing with timers.
/// Without the variable this is one environment lookup. The named points are listed in
/// `docs/databases.md` (section "Testing atomicity"); they are not a user feature.
pub fn failpoint(name: &str) {
    if std::env::var_os("DATAMASK_FAILPOINT").is_some_and(|v| v == name) {
        eprintln!("datamask: paused at failpoint {name}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}
