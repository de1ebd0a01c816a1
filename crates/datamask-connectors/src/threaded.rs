//! Batches produced by a reader thread.
//!
//! Database readers run on their own thread with their own connection and hand batches over a
//! bounded channel: decoding overlaps with masking and writing, and the channel's bound keeps
//! memory flat (back-pressure). Stopping early — dropping the iterator — closes the channel so
//! the reader's next send fails and it ends; the thread is then joined.

use datamask_core::{Batch, Result};
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;

/// The consuming end of a reader thread.
pub(crate) struct ThreadedBatches {
    rx: Option<Receiver<Result<Batch>>>,
    handle: Option<JoinHandle<()>>,
}

impl ThreadedBatches {
    /// Wraps the receiver of a reader thread and the thread itself.
    pub(crate) fn new(rx: Receiver<Result<Batch>>, handle: JoinHandle<()>) -> Self {
        ThreadedBatches {
            rx: Some(rx),
            handle: Some(handle),
        }
    }

    fn stop(&mut self) {
        self.rx = None; // makes the reader's next send fail, so it stops
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Iterator for ThreadedBatches {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.rx.as_ref()?.recv().ok();
        if item.is_none() {
            self.stop();
        }
        item
    }
}

impl Drop for ThreadedBatches {
    fn drop(&mut self) {
        self.stop();
    }
}
