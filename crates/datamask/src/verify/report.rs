//! What verification found, per table. Counts, column names and public row keys only: a report
//! never holds a value from the data.

use serde::{Deserialize, Serialize};

/// The kind of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// An original value of a masked column appears in the output.
    Leak,
    /// Masked values that are not what masking produces for their rows.
    Unexpected,
    /// The target's row count differs from the source's.
    RowCount,
    /// The table is missing from the target.
    MissingTable,
    /// NULLs in a NOT NULL column.
    NotNull,
    /// Duplicates under a primary key or unique constraint.
    Unique,
    /// Foreign-key values with no parent row.
    ForeignKey,
    /// Sampled rows re-masked from the source differ from the target, or are missing.
    Determinism,
}

/// One problem.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub check: Check,
    /// The columns concerned (empty for table-level findings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// How many values, rows or keys are affected.
    pub count: u64,
    /// Up to five affected rows, by primary key when it is not masked, else by position (in the
    /// target as read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<String>,
    /// One line saying what is wrong.
    pub message: String,
}

/// The checks of one table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableVerification {
    pub table: String,
    pub ok: bool,
    pub source_rows: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rows: Option<u64>,
    /// Masked columns whose every value was checked for leaks.
    pub leak_checked_columns: usize,
    /// Rows re-masked from the source and compared with the target.
    pub sampled_rows: u64,
    /// Constraints checked: primary/unique keys, NOT NULL columns, foreign keys.
    pub constraints_checked: usize,
    /// Of those, the ones the target database itself enforces on every row (valid unique
    /// indexes, NOT NULL, validated foreign keys in PostgreSQL): read from its catalog instead
    /// of checked row by row.
    #[serde(default)]
    pub constraints_enforced_by_target: usize,
    pub findings: Vec<Finding>,
    /// Limits reached (memory budget, candidate caps): some problems may have gone unseen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The whole verification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ok: bool,
    /// `full` for `datamask verify`, `after_run` for the check at the end of a run.
    pub mode: String,
    pub source: String,
    pub target: String,
    pub sample_rows: usize,
    pub all_columns: bool,
    pub tables: Vec<TableVerification>,
    /// Number of findings over all tables.
    pub problems: usize,
    /// The quick comparison of the masked cells differed, so the source was read and masked
    /// again for the full check (which names the rows): a clean target never needs it.
    #[serde(default)]
    pub full_recheck: bool,
    pub elapsed_ms: u64,
}

impl VerifyReport {
    /// Fills in `ok` and `problems` from the tables.
    pub(crate) fn seal(mut self) -> Self {
        for t in &mut self.tables {
            t.ok = t.findings.is_empty();
        }
        self.problems = self.tables.iter().map(|t| t.findings.len()).sum();
        self.ok = self.problems == 0;
        self
    }

    /// One line per finding: `table.column: message`.
    pub fn problem_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tables {
            for f in &t.findings {
                let place = match f.columns.as_slice() {
                    [] => t.table.clone(),
                    cols => format!("{}.{}", t.table, cols.join(",")),
                };
                let mut line = format!("{place}: {}", f.message);
                if !f.rows.is_empty() {
                    line.push_str(&format!(" (rows: {})", f.rows.join("; ")));
                }
                out.push(line);
            }
        }
        out
    }
}
