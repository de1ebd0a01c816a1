//! Progress bars on stderr, only when stderr is a terminal.

use datamask_core::Reporter;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

/// Draws one bar per table.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    /// Bars drawn on stderr when it is a terminal, hidden otherwise.
    pub fn new() -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn with_bar(&self, table: &str, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bars) = self.bars.lock() {
            if let Some(b) = bars.get(table) {
                f(b);
            }
        }
    }
}

impl Reporter for Bars {
    fn table_started(&self, table: &str, estimated_rows: Option<u64>) {
        let bar = match estimated_rows {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template("{prefix:>20} [{bar:30}] {pos}/{len} rows {per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{prefix:>20} {spinner} {pos} rows {per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        let bar = self.multi.add(bar.with_prefix(table.to_string()));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(table.to_string(), bar);
        }
    }

    fn rows_written(&self, table: &str, rows: u64) {
        self.with_bar(table, |b| b.inc(rows));
    }

    fn table_finished(&self, table: &str, _rows: u64) {
        self.with_bar(table, ProgressBar::finish_and_clear);
    }
}
