//! Discovery wired to sources given by URL: `datamask scan` and `datamask init` start here.
//!
//! The recognisers live in `datamask-discovery`; this module opens the source, samples it and
//! returns per-column results. Nothing here prints or writes.

use datamask_connectors::{FileOptions, Location};
use datamask_core::Source;
pub use datamask_discovery::{ColumnScan, Confidence, Finding, PiiType, TableScan};

/// Opens a source named by a URL or path (relative paths against the working directory).
pub fn open_url(url: &str) -> datamask_core::Result<(Location, Box<dyn Source + Send>)> {
    let location =
        datamask_connectors::parse_location(url, None)?.resolve(std::path::Path::new(""));
    let source = datamask_connectors::open_source(&location, &FileOptions::default())?;
    Ok((location, source))
}

/// Samples every table of the source at `url` (at most `rows` rows each) and classifies each
/// column.
pub fn scan_url(url: &str, rows: usize) -> datamask_core::Result<Vec<TableScan>> {
    let (_, mut source) = open_url(url)?;
    datamask_discovery::scan(source.as_mut(), rows)
}
