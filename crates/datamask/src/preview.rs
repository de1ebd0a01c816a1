//! `preview`: a few rows of one table, before and after masking.
//!
//! The preview is for the operator's eyes: it shows original values, so it is returned to the
//! caller and nothing else. No file, no manifest, no audit entry, no target is touched. The
//! rows are the first `n` in the source's key order (the order a run reads them in), so the
//! same config shows the same rows every time, and the masked side is exactly what a run would
//! write for them (same engine, same fit).

use crate::config::diagnostic::did_you_mean;
use crate::config::Config;
use crate::engine::{self, RunError};
use crate::plan::{Origin, TableAction};
use datamask_core::{MasterKey, Value};
use serde::Serialize;

/// One column of a preview.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewColumn {
    pub name: String,
    /// The strategy (`preserve` for unmasked columns).
    pub strategy: String,
    pub masked: bool,
    /// For inherited rules, the column the rule came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
}

/// One row, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewRow {
    #[serde(serialize_with = "values")]
    pub before: Vec<Value>,
    #[serde(serialize_with = "values")]
    pub after: Vec<Value>,
}

/// A preview of one table.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub table: String,
    pub estimated_rows: Option<u64>,
    pub columns: Vec<PreviewColumn>,
    pub rows: Vec<PreviewRow>,
}

/// Values as JSON: NULL as `null`, everything else in its text form.
fn values<S: serde::Serializer>(v: &[Value], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        match x {
            Value::Null => seq.serialize_element(&None::<String>)?,
            other => seq.serialize_element(&Some(other.to_string()))?,
        }
    }
    seq.end()
}

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("table `{table}` not found in the source{}", .hint.as_ref().map(|h| format!("\n  = help: did you mean `{h}`?")).unwrap_or_default())]
    NoSuchTable { table: String, hint: Option<String> },
    #[error("table `{0}` is skipped by the config (`skip: true`): a run does not copy it")]
    Skipped(String),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The first `rows` rows of `table`, before and after masking, under `key`.
pub fn preview(
    config: &Config,
    key: &MasterKey,
    table: &str,
    rows: usize,
) -> Result<Preview, PreviewError> {
    let mut source = engine::open_source(config, rows.max(1))?;
    let (plan, _) = engine::plan(config, source.as_mut())?;
    let Some(tp) = plan.table(table) else {
        let hint =
            did_you_mean(table, plan.tables.iter().map(|t| t.name.as_str())).map(str::to_string);
        return Err(PreviewError::NoSuchTable {
            table: table.to_string(),
            hint,
        });
    };
    if tp.action == TableAction::Skip {
        return Err(PreviewError::Skipped(table.to_string()));
    }
    let mut out = Vec::new();
    engine::mask_table(
        tp,
        key,
        source.as_mut(),
        rows.max(1),
        1,
        |batch, originals| {
            for i in 0..batch.len() {
                if out.len() >= rows {
                    return Ok(false);
                }
                let after: Vec<Value> = batch.row(i).cloned().collect();
                let mut before = after.clone();
                for (index, values) in &originals {
                    before[*index] = values[i].clone();
                }
                out.push(PreviewRow { before, after });
            }
            Ok(out.len() < rows)
        },
    )?;
    Ok(Preview {
        table: tp.name.clone(),
        estimated_rows: tp.estimated_rows,
        columns: tp
            .columns
            .iter()
            .map(|c| PreviewColumn {
                name: c.name.clone(),
                strategy: c.strategy.clone(),
                masked: !c.is_preserved(),
                inherited_from: (c.origin == Origin::Inherited)
                    .then(|| c.inherited_from.clone())
                    .flatten(),
            })
            .collect(),
        rows: out,
    })
}
