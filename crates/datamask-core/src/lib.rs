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
pub use source::{BatchIter, Source};
pub use strategy::{ApplyCtx, Strategy};
pub use value::Value;
