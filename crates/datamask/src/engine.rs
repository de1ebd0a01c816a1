//! The masking engine: source -> strategies -> sink, then the audit manifest.
//!
//! Tables stream batch by batch, so memory does not grow with table size. Strategies are built
//! once per column and applied column-at-a-time. Every output value is a pure function of
//! (key, domain, options, input), so batch size, run and machine do not change the bytes.

use crate::audit::{self, AuditError, Signer25519};
use crate::config::{Config, Connection, Diagnostic, Mode};
use crate::plan::TableAction;
use crate::plan::{Plan, TablePlan};
use crate::verify::{Collector, TableExpect, Verifier, VerifyOptions, VerifyReport};
use datamask_connectors::lock::{Holder, LockError, RunLock};
use datamask_connectors::{FileOptions, Format, Location};
use datamask_core::source::ReadOptions;
use datamask_core::strategy::{ApplyCtx, Strategy};
use datamask_core::{Batch, MasterKey, Reporter, Sink, Source, TableSchema, Value};
use serde::Serialize;
use serde_json::{json, Map};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::time::Instant;

/// Rows per batch unless `--batch-size` says otherwise.
///
/// Small enough that a batch's cells stay in the processor's caches while it passes from the
/// reader through the masking threads to the writer: on the 1 GB CSV benchmark 2048 rows took
/// 7% less CPU than 8192 and half the memory (PostgreSQL copies: the same time, half the
/// memory); 1024 was no faster again. Output never depends on it.
pub const DEFAULT_BATCH_SIZE: usize = 2048;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Read and mask everything, write nothing (no target, no manifest).
    pub dry_run: bool,
    /// Replace tables that already exist in the target.
    pub replace_existing: bool,
    /// Rows per batch.
    pub batch_size: usize,
    /// The command line (secrets removed) for the manifest.
    pub command: Vec<String>,
    /// Tables read and masked in parallel.
    pub jobs: usize,
    /// Who runs datamask, for the manifest and the run lock; default: the OS user.
    pub actor: Option<String>,
    /// Run even when the source schema differs from the recorded schema lock.
    pub accept_schema_change: bool,
    /// Verify the target after writing it (`verify.after_run` in the config).
    pub verify: bool,
    /// The user confirmed (`run --in-place`) that a `mode: in_place` config may rewrite its
    /// source database.
    pub in_place: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            dry_run: false,
            replace_existing: false,
            batch_size: DEFAULT_BATCH_SIZE,
            command: Vec::new(),
            jobs: cores(),
            actor: None,
            accept_schema_change: false,
            verify: true,
            in_place: false,
        }
    }
}

/// What happened to one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    pub action: crate::plan::TableAction,
    pub rows_read: u64,
    pub rows_written: u64,
    pub masked_columns: usize,
    /// BLAKE3 over the canonical encoding of every output value, row by row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_checksum: Option<String>,
    pub elapsed_ms: u64,
    /// Each column's strategy and domain (for reports).
    #[serde(skip)]
    pub columns: Vec<crate::plan::ColumnPlan>,
    /// `(milliseconds since the table started, rows written so far)`, at most
    /// [`PROGRESS_POINTS`] points: the table's throughput over time, for reports.
    #[serde(skip)]
    pub progress: Vec<(u64, u64)>,
}

/// Points kept per table for the throughput chart.
pub const PROGRESS_POINTS: usize = 120;

/// Thins `points` to at most [`PROGRESS_POINTS`], keeping the first and the last.
fn thin(points: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    if points.len() <= PROGRESS_POINTS {
        return points;
    }
    let step = points.len().div_ceil(PROGRESS_POINTS - 1);
    let last = points[points.len() - 1];
    let mut out: Vec<(u64, u64)> = points.into_iter().step_by(step).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

impl TableReport {
    fn empty(table: &TablePlan) -> Self {
        TableReport {
            table: table.name.clone(),
            action: table.action,
            rows_read: 0,
            rows_written: 0,
            masked_columns: table.masked_columns(),
            output_checksum: None,
            elapsed_ms: 0,
            columns: table.columns.clone(),
            progress: Vec::new(),
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub dry_run: bool,
    /// `copy`, or `in_place` (the source itself was masked).
    pub mode: Mode,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub actor: String,
    pub host: String,
    pub tool_version: String,
    pub key_fingerprint: String,
    pub config_hash: String,
    pub source: String,
    pub target: String,
    pub tables: Vec<TableReport>,
    pub elapsed_ms: u64,
    /// The check of the target at the end of the run (none for dry runs or when disabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerifyReport>,
    /// The manifest written for this run (none for dry runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<PathBuf>,
}

/// Why a run (or check/plan) stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Key(#[from] crate::keys::KeyLoadError),
    #[error("{rendered}")]
    Plan {
        rendered: String,
        diagnostics: Vec<Diagnostic>,
    },
    #[error("the config has no `target`; add `target: {{ url: ... }}`")]
    NoTarget,
    #[error("refusing to write to {target}: {reason}")]
    Refused { target: String, reason: String },
    /// Another run holds the target's run lock.
    #[error(transparent)]
    Busy(LockError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error("the target already holds {}: {}\n  = help: pass --yes to replace them", if .0.len() == 1 { "table" } else { "tables" }, .0.join(", "))]
    TargetNotEmpty(Vec<String>),
    #[error(transparent)]
    Data(#[from] datamask_core::Error),
    #[error("audit: {0}")]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// Unlisted columns that discovery classifies as sensitive (`fail_sensitive` policy).
    #[error("{}", crate::discover::render_sensitive(.0))]
    SensitiveUnlisted(Vec<crate::discover::SensitiveColumn>),
    #[error("the source schema changed since {} was recorded:\n{}\n  = help: give the new columns a rule (or check that `preserve` is right for them), then record the schema again with `datamask check --record`; or pass --accept-schema-change for this run", .lock.display(), .changes.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n"))]
    SchemaChanged {
        lock: PathBuf,
        changes: Vec<crate::lock::SchemaChange>,
    },
}

impl RunError {
    /// True for errors that indicate a bug rather than a problem the user can fix.
    pub fn is_internal(&self) -> bool {
        matches!(self, RunError::Data(datamask_core::Error::Internal(_)))
    }
}

/// Resolves a connection from the config to a connector location, with its `password:`
/// reference (if any) resolved into the URL.
pub fn location(config: &Config, conn: &Connection) -> Result<Location, RunError> {
    let format = conn.format.as_deref().map(|f| match f {
        "jsonl" => Format::Jsonl,
        "parquet" => Format::Parquet,
        _ => Format::Csv,
    });
    let is_source = std::ptr::eq(conn, &config.source);
    let url = crate::secrets::url_with_password(
        config,
        if is_source {
            "the source"
        } else {
            "the target"
        },
        conn,
    )?;
    Ok(datamask_connectors::parse_location(url.expose(), format)?.resolve(&config.base_dir))
}

pub(crate) fn file_options(conn: &Connection, batch_size: usize) -> FileOptions {
    let mut o = FileOptions::default();
    if let Some(d) = conn.delimiter {
        o.delimiter = d;
    }
    if let Some(h) = conn.header {
        o.header = h;
    }
    o.batch_size = batch_size;
    o
}

/// Opens the config's source.
pub fn open_source(config: &Config, batch_size: usize) -> Result<Box<dyn Source + Send>, RunError> {
    open_source_in(config, batch_size, None)
}

/// Opens the config's source, joining `snapshot` (exported by another source of the same
/// database) when given.
fn open_source_in(
    config: &Config,
    batch_size: usize,
    snapshot: Option<&str>,
) -> Result<Box<dyn Source + Send>, RunError> {
    let loc = location(config, &config.source)?;
    let mut options = file_options(&config.source, batch_size);
    options.snapshot = snapshot.map(str::to_string);
    Ok(datamask_connectors::open_source(&loc, &options)?)
}

/// Introspects the source and builds the plan.
pub fn plan(
    config: &Config,
    source: &mut dyn Source,
) -> Result<(Plan, Vec<TableSchema>), RunError> {
    let (plan, diagnostics, tables) = analyse(config, source)?;
    if !diagnostics.is_empty() {
        return Err(RunError::Plan {
            rendered: config.render(&diagnostics),
            diagnostics,
        });
    }
    Ok((plan, tables))
}

/// Introspects the source and builds the plan, returning it with every problem found instead
/// of failing on them (for `check`, which lists problems under the test that found them).
/// Fails only when the source cannot be read.
pub fn analyse(
    config: &Config,
    source: &mut dyn Source,
) -> Result<(Plan, Vec<Diagnostic>, Vec<TableSchema>), RunError> {
    let mut tables = source.tables()?;
    for rule in &config.tables {
        if let Some(sql) = &rule.query {
            let schema = source.describe_query(&rule.name, sql)?;
            match tables.iter().position(|t| t.name == rule.name) {
                Some(i) => tables[i] = schema,
                None => tables.push(schema),
            }
        }
    }
    let (mut plan, diagnostics) = Plan::analyse(config, &tables);
    for t in plan.tables.iter_mut().filter(|t| t.query.is_none()) {
        t.estimated_rows = source.estimate_rows(&t.schema)?;
    }
    Ok((plan, diagnostics, tables))
}

pub use crate::guard::{guard_in_place, guard_target};

/// Checks, without writing anything, that a target can be reached: a database answers, or a
/// file target's directory exists and is writable.
pub fn check_writable(loc: &Location) -> Result<(), String> {
    if let Location::Postgres(url) = loc {
        // A target database that does not exist yet is fine: `run` creates it.
        return datamask_connectors::postgres::probe_target(url)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let Some(path) = loc.path() else {
        return datamask_connectors::probe(loc).map_err(|e| e.to_string());
    };
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(path)
    };
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.permissions().readonly() => Err(format!("{} is read-only", dir.display())),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

/// Runs the config end to end: plan, mask, write atomically, record the manifest.
pub fn run(
    config: &Config,
    key: &MasterKey,
    options: &RunOptions,
    reporter: &dyn Reporter,
) -> Result<RunReport, RunError> {
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let in_place = config.mode == Mode::InPlace;
    let target_loc = if in_place {
        guard_in_place(config, options)?
    } else if options.in_place {
        return Err(RunError::Refused {
            target: config
                .target
                .as_ref()
                .map_or_else(|| config.source.url.redacted(), |t| t.url.redacted()),
            reason: "--in-place was given, but the config does not say `mode: in_place`".into(),
        });
    } else {
        guard_target(config)?
    };
    let run_id = new_run_id(started)?;
    let actor = options.actor.clone().unwrap_or_else(os_user);
    // Held until the manifest is written; a dry run writes nothing and takes no lock.
    let _lock = if options.dry_run {
        None
    } else {
        Some(lock_target(&target_loc, &run_id, &actor, started)?)
    };
    let mut source = open_source(config, options.batch_size)?;
    let (plan, tables) = plan(config, source.as_mut())?;
    if let crate::lock::LockStatus::Changed(changes) = crate::lock::status(config, &tables)? {
        if !options.accept_schema_change {
            return Err(RunError::SchemaChanged {
                lock: crate::lock::path(config),
                changes,
            });
        }
    }
    fail_closed(config, &plan, source.as_mut())?;
    let mut target_opts = if in_place {
        let mut o = file_options(&config.source, options.batch_size);
        o.in_place = true;
        o
    } else {
        file_options(
            config.target.as_ref().ok_or(RunError::NoTarget)?,
            options.batch_size,
        )
    };
    // Same engine on both ends: the sink may recreate what a generic CREATE TABLE cannot
    // (types, defaults, views, functions, triggers...) from the source's own schema. (In
    // place, MySQL stages each table from its own `SHOW CREATE TABLE`.)
    let source_loc = location(config, &config.source)?;
    match (&source_loc, &target_loc) {
        (Location::Postgres(src), Location::Postgres(_)) if !in_place => {
            target_opts.schema_source = Some(src.clone());
        }
        (Location::Mysql(src), Location::Mysql(_)) => target_opts.schema_source = Some(src.clone()),
        _ => {}
    }
    // In place, a table without a masked column is left exactly as it is.
    let selected: Vec<&TablePlan> = plan
        .copied()
        .filter(|t| !in_place || t.masked_columns() > 0)
        .collect();
    let mut sink: Option<Box<dyn Sink + Send>> = if options.dry_run {
        None
    } else if in_place {
        Some(datamask_connectors::open_sink(&target_loc, &target_opts)?)
    } else {
        let mut sink = datamask_connectors::open_sink(&target_loc, &target_opts)?;
        let existing = sink.existing_tables()?;
        // `customers` from SQLite lands as `public.customers` in PostgreSQL: compare by the
        // unqualified name too.
        let same = |a: &str, b: &str| a == b || a.rsplit('.').next() == b.rsplit('.').next();
        let clash: Vec<String> = plan
            .copied()
            .filter(|t| existing.iter().any(|e| same(e, &t.name)))
            .map(|t| t.name.clone())
            .collect();
        if !clash.is_empty() && !options.replace_existing {
            return Err(RunError::TargetNotEmpty(clash));
        }
        Some(sink)
    };
    // (In place, the after-run verification is not done yet: it reads a `target`.)
    let verifier = (options.verify && !options.dry_run && !in_place)
        .then(|| Verifier::quick(key, VerifyOptions::from_config(config)));
    // Every reader joins one snapshot of the source (PostgreSQL), however many jobs.
    let snapshot = if selected.is_empty() {
        None
    } else {
        source.export_snapshot()?
    };
    datamask_core::failpoint("before-load");
    let (reports, expects) = copy_tables(
        config,
        &plan,
        &selected,
        key,
        sink.as_mut(),
        options,
        reporter,
        verifier.as_ref(),
        snapshot.as_deref(),
    )?;
    // The readers are done: release the source (and its snapshot) before publishing, since an
    // in-place commit needs the locks that readers hold.
    drop(source);
    if let Some(sink) = sink {
        datamask_core::failpoint("before-commit");
        sink.commit()?;
    }
    let verification = match &verifier {
        Some(v) => Some(v.check_after_run(config, key, &plan, &expects)?),
        None => None,
    };
    let mut report = RunReport {
        run_id,
        dry_run: options.dry_run,
        mode: config.mode,
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        actor: actor.clone(),
        host: host_name(),
        tool_version: crate::VERSION.to_string(),
        key_fingerprint: key.fingerprint(),
        config_hash: config.hash.clone(),
        source: plan.source.clone(),
        target: if in_place {
            plan.source.clone()
        } else {
            plan.target.clone().unwrap_or_default()
        },
        tables: reports,
        elapsed_ms: clock.elapsed().as_millis() as u64,
        verification,
        manifest: None,
    };
    if !options.dry_run {
        let who = Who {
            actor: &actor,
            started,
        };
        let body = manifest_body(config, key, &plan, &tables, &report, options, &who);
        let signer = signer(config, key)?;
        report.manifest = Some(audit::append(
            &config.audit_dir(),
            &report.run_id,
            body,
            &signer,
        )?);
    }
    Ok(report)
}

/// Rows sampled per table when the default policy looks for sensitive unlisted columns.
pub const FAIL_CLOSED_SAMPLE_ROWS: usize = datamask_discovery::DEFAULT_SAMPLE_ROWS;

/// The fail-closed check (DESIGN invariant 7): under `policy.unlisted_columns: fail_sensitive`
/// (the default), unlisted columns that discovery classifies `likely` or `certain` stop the run
/// before anything is written. `preserve` and `fail` need no sampling.
pub fn fail_closed(config: &Config, plan: &Plan, source: &mut dyn Source) -> Result<(), RunError> {
    if config.policy.unlisted_columns != crate::config::UnlistedColumns::FailSensitive {
        return Ok(());
    }
    let found = crate::discover::sensitive_unlisted(plan, source, FAIL_CLOSED_SAMPLE_ROWS)?;
    if found.sensitive.is_empty() {
        Ok(())
    } else {
        Err(RunError::SensitiveUnlisted(found.sensitive))
    }
}

/// A run id: the start time and 8 random hex digits (ids only name runs; they never reach
/// masked data, so the randomness does not affect determinism).
fn new_run_id(started: chrono::DateTime<chrono::Utc>) -> Result<String, RunError> {
    let random =
        crate::keys::generate().map_err(|e| datamask_core::Error::Internal(e.to_string()))?;
    Ok(format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%SZ"),
        &random[..8]
    ))
}

/// Takes the target's run lock, refusing at once when another run holds it.
fn lock_target(
    target: &Location,
    run_id: &str,
    actor: &str,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<RunLock, RunError> {
    let holder = Holder {
        run_id: run_id.to_string(),
        actor: actor.to_string(),
        host: host_name(),
        pid: std::process::id(),
        started: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    datamask_connectors::lock::acquire(target, &holder).map_err(|e| match e {
        LockError::Failed(e) => RunError::Data(e),
        busy => RunError::Busy(busy),
    })
}

/// The audit signer: from `audit.signing_key_file`, or derived from the master key.
pub fn signer(config: &Config, key: &MasterKey) -> Result<Signer25519, AuditError> {
    match &config.audit.signing_key_file {
        Some(p) => Signer25519::from_file(&config.resolve(p)),
        None => Ok(Signer25519::from_seed(key.derive("audit signing ed25519"))),
    }
}

/// A column ready to mask.
struct Compiled {
    index: usize,
    key_index: Option<usize>,
    strategy: Box<dyn Strategy>,
    fitter: crate::fit::Fitter,
    /// Other columns of the row the strategy reads: (column index, masked value?).
    inputs: Vec<(usize, bool)>,
}

fn compile(table: &TablePlan, key: &MasterKey) -> Result<Vec<Compiled>, RunError> {
    let mut out = Vec::new();
    for (index, cp) in table.columns.iter().enumerate() {
        if cp.is_preserved() {
            continue;
        }
        let strategy = cp
            .build(key)
            .map_err(|message| datamask_core::Error::Value {
                table: table.name.clone(),
                column: cp.name.clone(),
                row: "-".into(),
                message,
            })?;
        let key_index = cp
            .options
            .get("key_column")
            .and_then(|v| v.as_text())
            .and_then(|k| table.schema.column_index(&k));
        let mut inputs = Vec::new();
        for input in strategy.row_inputs() {
            let at = table.schema.column_index(&input.column).ok_or_else(|| {
                datamask_core::Error::Value {
                    table: table.name.clone(),
                    column: cp.name.clone(),
                    row: "-".into(),
                    message: format!(
                        "strategy reads column `{}`, which is not in the table",
                        input.column
                    ),
                }
            })?;
            inputs.push((at, input.masked));
        }
        out.push(Compiled {
            index,
            key_index,
            strategy,
            fitter: crate::fit::Fitter::new(
                &cp.fit_column,
                cp.requires_injective(),
                table.schema.columns[index].nullable,
            ),
            inputs,
        });
    }
    order_by_row_inputs(table, out)
}

/// Orders compiled columns so that a column whose strategy reads another column's masked
/// value (`template`, `copy`) comes after that column. Plan order is kept otherwise; a cycle
/// is an error naming the columns.
fn order_by_row_inputs(
    table: &TablePlan,
    mut pending: Vec<Compiled>,
) -> Result<Vec<Compiled>, RunError> {
    let mut ordered: Vec<Compiled> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|c| {
            c.inputs.iter().all(|(at, masked)| {
                !masked || *at == c.index || !pending.iter().any(|p| p.index == *at)
            })
        });
        match ready {
            Some(i) => ordered.push(pending.remove(i)),
            None => {
                let names: Vec<&str> = pending
                    .iter()
                    .map(|c| table.columns[c.index].name.as_str())
                    .collect();
                return Err(datamask_core::Error::Value {
                    table: table.name.clone(),
                    column: names.join(", "),
                    row: "-".into(),
                    message: "these columns read each other's masked values in a cycle".into(),
                }
                .into());
            }
        }
    }
    Ok(ordered)
}

/// One row of a batch as the strategies that read other columns see it: original values from
/// the batch, masked values from the columns masked so far (which the ordering guarantees
/// include every column read as masked).
struct BatchRow<'a> {
    table: &'a TablePlan,
    batch: &'a Batch,
    masked: &'a [(usize, Vec<Value>)],
    row: usize,
}

impl datamask_core::strategy::RowAccess for BatchRow<'_> {
    fn get(&self, column: &str, masked: bool) -> Option<&Value> {
        let at = self.table.schema.column_index(column)?;
        if masked {
            if let Some((_, values)) = self.masked.iter().find(|(i, _)| *i == at) {
                return values.get(self.row);
            }
        }
        self.batch.columns.get(at)?.get(self.row)
    }
}

/// The input values of the columns a batch's masking replaced: `(column index, values)`.
pub(crate) type Originals = Vec<(usize, Vec<Value>)>;

/// What a reader thread sends for one table: masked batches, or the error that stopped it.
/// The channel closing means the table is complete.
type Produced = Result<Batch, RunError>;

/// Reads and masks the `copied` tables on up to `options.jobs` threads (each with its own source
/// connection) while this thread writes them, in plan order, to the sink. Channels are bounded,
/// so memory stays at a few batches per thread whatever the table sizes, and since writes
/// happen in plan order the output does not depend on the number of threads.
///
/// The reader sources are all opened before any table is read, joining `snapshot` when the
/// source exported one: every table is then read as of the same moment (PostgreSQL), or as
/// close to it as the source allows (MySQL: one snapshot per connection, all started here).
#[expect(clippy::too_many_arguments)]
fn copy_tables(
    config: &Config,
    plan: &Plan,
    copied: &[&TablePlan],
    key: &MasterKey,
    mut sink: Option<&mut Box<dyn Sink + Send>>,
    options: &RunOptions,
    reporter: &dyn Reporter,
    verifier: Option<&Verifier>,
    snapshot: Option<&str>,
) -> Result<(Vec<TableReport>, Vec<TableExpect>), RunError> {
    let jobs = options.jobs.clamp(1, copied.len().max(1));
    // All reader sources are opened (and so start their snapshots) before any table is read.
    let sources = if copied.is_empty() {
        Vec::new()
    } else {
        (0..jobs)
            .map(|_| open_source_in(config, options.batch_size, snapshot))
            .collect::<Result<Vec<_>, _>>()?
    };
    let (senders, receivers): (Vec<_>, Vec<_>) = copied
        .iter()
        .map(|_| {
            let (tx, rx) = sync_channel::<Produced>(4);
            (Mutex::new(Some(tx)), rx)
        })
        .unzip();
    let readers = Readers {
        config,
        tables: copied,
        key,
        options,
        reporter,
        sources: Mutex::new(sources),
        snapshot,
        next: AtomicUsize::new(0),
        senders,
        verifier,
        expects: copied.iter().map(|_| Mutex::new(None)).collect(),
    };
    let mut reports: Vec<TableReport> = Vec::new();
    std::thread::scope(|scope| {
        // Owned by this closure, so they are dropped (unblocking any reader) before the
        // scope joins the threads, even when writing fails.
        let receivers = receivers;
        for _ in 0..jobs {
            scope.spawn(|| readers.run());
        }
        let middle = copied.len() / 2;
        for (i, (table, rx)) in copied.iter().zip(&receivers).enumerate() {
            let pause = (i == middle).then_some("mid-load");
            reports.push(write_table(
                table,
                rx,
                sink.as_deref_mut(),
                reporter,
                pause,
            )?);
        }
        Ok::<(), RunError>(())
    })?;
    let expects = readers
        .expects
        .into_iter()
        .filter_map(|m| m.into_inner().ok().flatten())
        .collect();
    let reports = plan
        .tables
        .iter()
        .map(|t| match reports.iter().position(|r| r.table == t.name) {
            Some(i) if t.action == TableAction::Copy => reports.remove(i),
            // Left as it is (skipped, or in place without a masked column).
            _ => TableReport {
                action: TableAction::Skip,
                ..TableReport::empty(t)
            },
        })
        .collect();
    Ok((reports, expects))
}

/// What the reader threads share.
struct Readers<'a> {
    config: &'a Config,
    tables: &'a [&'a TablePlan],
    key: &'a MasterKey,
    options: &'a RunOptions,
    reporter: &'a dyn Reporter,
    /// Sources opened before reading began, one per thread.
    sources: Mutex<Vec<Box<dyn Source + Send>>>,
    /// The snapshot a source opened later joins.
    snapshot: Option<&'a str>,
    next: AtomicUsize,
    senders: Vec<Mutex<Option<SyncSender<Produced>>>>,
    /// Set when the run verifies its target: each table's expectations land in its slot.
    verifier: Option<&'a Verifier>,
    expects: Vec<Mutex<Option<TableExpect>>>,
}

impl Readers<'_> {
    /// A reader thread: claims the next unclaimed table until none is left.
    fn run(&self) {
        let mut source: Option<Box<dyn Source + Send>> =
            self.sources.lock().ok().and_then(|mut s| s.pop());
        loop {
            let i = self.next.fetch_add(1, Ordering::SeqCst);
            let (Some(table), Some(slot)) = (self.tables.get(i), self.senders.get(i)) else {
                return;
            };
            let Some(tx) = slot.lock().ok().and_then(|mut s| s.take()) else {
                return;
            };
            let opened = match source.take() {
                Some(s) => Ok(s),
                None => open_source_in(self.config, self.options.batch_size, self.snapshot),
            };
            let mut s = match opened {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            self.reporter
                .table_started(&table.name, table.estimated_rows);
            let mut collector = self.verifier.map(|v| v.collector(table));
            let produced = produce(
                table,
                self.key,
                s.as_mut(),
                self.options,
                &tx,
                collector.as_mut(),
            );
            if let Err(e) = produced {
                let _ = tx.send(Err(e));
                return;
            }
            if let (Some(c), Some(slot)) = (collector, self.expects.get(i)) {
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(c.finish());
                }
            }
            source = Some(s);
        }
    }
}

/// Reads and masks one table, handing each masked batch and the original values of its masked
/// columns to `each`, in table order; stops early when `each` returns `Ok(false)`.
///
/// With `workers > 1`, batches are masked on that many threads while this one reads, filters
/// and hands results on in order: masking is the costly stage, and one thread left the other
/// cores idle on a large table. The output does not change (every batch is masked the same way
/// wherever it runs). Plug-in strategies keep to one thread: their process sees batches in
/// order.
pub(crate) fn mask_table(
    table: &TablePlan,
    key: &MasterKey,
    source: &mut dyn Source,
    batch_size: usize,
    workers: usize,
    mut each: impl FnMut(Batch, Originals) -> Result<bool, RunError>,
) -> Result<(), RunError> {
    let compiled = compile(table, key)?;
    // Row rules whose paths cross other tables read them now, before this table's read.
    let rules = RowsReady::prepare(table, &compiled, source, batch_size)?;
    let read = ReadOptions {
        batch_size,
        filter: table.filter.clone(),
    };
    let batches = match &table.query {
        Some(sql) => source.read_query(&table.schema, sql, &read)?,
        None => source.read(&table.schema, &read)?,
    };
    // Kept rows before each batch (row labels in errors), and the batches left after filtering.
    let mut rows = 0u64;
    let mut kept = batches.filter_map(|batch| match batch {
        Ok(batch) => {
            let batch = rules.keep_rows(batch);
            let first = rows;
            rows += batch.len() as u64;
            (!batch.is_empty()).then_some(Ok((batch, first)))
        }
        Err(e) => Some(Err(RunError::from(e))),
    });
    let mask = |batch: Batch, first: u64| {
        let active = rules.active(table, &compiled, &batch);
        mask_batch(table, &compiled, batch, first, &active)
    };
    let plugin = table.columns.iter().any(|c| c.info.family == "plugin");
    // More threads than cores only cost memory (and `--jobs 10000` must not exhaust threads).
    let workers = workers.min(cores());
    if workers <= 1 || plugin {
        for item in kept {
            let (batch, first) = item?;
            let (batch, originals) = mask(batch, first)?;
            if !each(batch, originals)? {
                break;
            }
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let mut inputs = Vec::with_capacity(workers);
        let mut outputs = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (in_tx, in_rx) = sync_channel::<(Batch, u64)>(1);
            let (out_tx, out_rx) = sync_channel(1);
            let mask = &mask;
            scope.spawn(move || {
                for (batch, first) in in_rx {
                    if out_tx.send(mask(batch, first)).is_err() {
                        return;
                    }
                }
            });
            inputs.push(in_tx);
            outputs.push(out_rx);
        }
        // Batch `n` goes to worker `n % workers`, and results are taken back in the same
        // round: at most one batch per worker is in flight, so no send ever waits for good.
        let (mut sent, mut done) = (0usize, 0usize);
        let mut next = |done: &mut usize| -> Result<bool, RunError> {
            let result = outputs[*done % workers].recv().map_err(|_| stopped())?;
            *done += 1;
            let (batch, originals) = result?;
            each(batch, originals)
        };
        for item in kept.by_ref() {
            let (batch, first) = item?;
            if sent - done == workers && !next(&mut done)? {
                return Ok(());
            }
            if inputs[sent % workers].send((batch, first)).is_err() {
                return Err(stopped());
            }
            sent += 1;
        }
        while done < sent {
            if !next(&mut done)? {
                break;
            }
        }
        Ok(())
    })
}

/// The cores this process may use (1 when unknown): the default `--jobs` and the most
/// masking threads a table gets.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A masking thread hung up before its batch was done (it panicked: a bug).
fn stopped() -> RunError {
    RunError::Data(datamask_core::Error::Internal(
        "a masking thread stopped".into(),
    ))
}

/// Reads and masks one table into `tx`, showing every batch to `collector` when the run
/// verifies. Stops quietly when the writer hung up.
fn produce(
    table: &TablePlan,
    key: &MasterKey,
    source: &mut dyn Source,
    options: &RunOptions,
    tx: &SyncSender<Produced>,
    mut collector: Option<&mut Collector>,
) -> Result<(), RunError> {
    mask_table(
        table,
        key,
        source,
        options.batch_size,
        options.jobs,
        |batch, originals| {
            if let Some(c) = collector.as_deref_mut() {
                c.observe(&batch, &originals);
            }
            Ok(tx.send(Ok(batch)).is_ok())
        },
    )
}

/// Writes one table's masked batches (or, in a dry run, only counts them) and checksums them.
fn write_table(
    table: &TablePlan,
    rx: &Receiver<Produced>,
    sink: Option<&mut Box<dyn Sink + Send>>,
    reporter: &dyn Reporter,
    failpoint: Option<&str>,
) -> Result<TableReport, RunError> {
    let clock = Instant::now();
    let mut report = TableReport::empty(table);
    let mut writer = match sink {
        Some(s) => {
            let schema = target_schema(&table.schema, s.kind());
            Some(s.table(&schema)?)
        }
        None => None,
    };
    let mut checksum = blake3::Hasher::new();
    // One update per batch, not per row: BLAKE3 hashes long inputs many chunks at a time (the
    // digest is the same, it only sees the concatenation).
    let mut buf = Vec::with_capacity(1 << 16);
    let mut progress = vec![(0, 0)];
    for batch in rx.iter() {
        let batch = batch?;
        let n = batch.len() as u64;
        buf.clear();
        for i in 0..batch.len() {
            batch.row(i).for_each(|v| v.encode_canonical(&mut buf));
        }
        checksum.update(&buf);
        if let Some(w) = writer.as_mut() {
            w.write(&batch)?;
            report.rows_written += n;
            if let Some(point) = failpoint {
                datamask_core::failpoint(point);
            }
        }
        report.rows_read += n;
        progress.push((clock.elapsed().as_millis() as u64, report.rows_read));
        reporter.rows_written(&table.name, n);
    }
    report.progress = thin(progress);
    if let Some(w) = writer {
        w.finish()?;
    }
    report.output_checksum = Some(checksum.finalize().to_hex().to_string());
    report.elapsed_ms = clock.elapsed().as_millis() as u64;
    reporter.table_finished(&table.name, report.rows_read);
    Ok(report)
}

/// The schema under which a table is written. A PostgreSQL table of schema `public` goes into
/// a target without schemas (SQLite, MySQL, files) under its bare name: `public.customers`
/// becomes `customers` (and `customers.csv`); tables of other schemas keep their qualified
/// name (`sales.orders`), so names never collide. Foreign keys follow the same rule.
fn target_schema(schema: &TableSchema, sink_kind: &str) -> TableSchema {
    if sink_kind == "postgres" {
        return schema.clone();
    }
    let bare = |name: &str| name.strip_prefix("public.").unwrap_or(name).to_string();
    let mut out = schema.clone();
    out.name = bare(&schema.name);
    for fk in &mut out.foreign_keys {
        fk.ref_table = bare(&fk.ref_table);
    }
    out
}

/// Applies every compiled column to a batch, returning it with the original values of the
/// columns it replaced (`(column index, values)`, for verification). `first_row` is the 0-based
/// ordinal of the batch's first row in the table, used to name rows in errors.
/// A table's row rules and its columns' `when`, ready to evaluate.
struct RowsReady {
    keep: Option<crate::rows::Prepared>,
    include: Option<crate::rows::Prepared>,
    exclude: Option<crate::rows::Prepared>,
    /// Per compiled column (same order), its `when`.
    when: Vec<Option<crate::rows::Prepared>>,
}

impl RowsReady {
    fn prepare(
        table: &TablePlan,
        compiled: &[Compiled],
        source: &mut dyn Source,
        batch_size: usize,
    ) -> Result<Self, RunError> {
        let mut ready = |p: &Option<crate::rows::RowPattern>| -> Result<_, RunError> {
            Ok(match p {
                Some(p) => Some(p.prepare(source, batch_size)?),
                None => None,
            })
        };
        Ok(RowsReady {
            keep: ready(&table.rows.keep)?,
            include: ready(&table.rows.include)?,
            exclude: ready(&table.rows.exclude)?,
            when: compiled
                .iter()
                .map(|c| ready(&table.columns[c.index].when))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The batch without the rows a `where` pattern leaves out.
    fn keep_rows(&self, batch: Batch) -> Batch {
        let Some(keep) = &self.keep else {
            return batch;
        };
        let kept: Vec<usize> = (0..batch.len())
            .filter(|&i| keep.matches(&batch, i))
            .collect();
        if kept.len() == batch.len() {
            return batch;
        }
        let mut out = Batch::with_capacity(batch.columns.len(), kept.len());
        for i in kept {
            out.push_row(batch.row(i).cloned().collect());
        }
        out
    }

    /// Per compiled column, the rows its strategy applies to (`None`: every row).
    fn active(
        &self,
        table: &TablePlan,
        compiled: &[Compiled],
        batch: &Batch,
    ) -> Vec<Option<Vec<bool>>> {
        let selected: Option<Vec<bool>> =
            (self.include.is_some() || self.exclude.is_some()).then(|| {
                (0..batch.len())
                    .map(|i| {
                        self.include.as_ref().is_none_or(|p| p.matches(batch, i))
                            && !self.exclude.as_ref().is_some_and(|p| p.matches(batch, i))
                    })
                    .collect()
            });
        compiled
            .iter()
            .zip(&self.when)
            .map(|(c, when)| {
                let table_rows = selected
                    .as_ref()
                    .filter(|_| !table.columns[c.index].every_row);
                match (table_rows, when) {
                    (None, None) => None,
                    (rows, when) => Some(
                        (0..batch.len())
                            .map(|i| {
                                rows.is_none_or(|r| r[i])
                                    && when.as_ref().is_none_or(|w| w.matches(batch, i))
                            })
                            .collect(),
                    ),
                }
            })
            .collect()
    }
}

fn mask_batch(
    table: &TablePlan,
    compiled: &[Compiled],
    mut batch: Batch,
    first_row: u64,
    active: &[Option<Vec<bool>>],
) -> Result<(Batch, Originals), RunError> {
    let mut masked: Vec<(usize, Vec<Value>)> = Vec::with_capacity(compiled.len());
    for (n, c) in compiled.iter().enumerate() {
        // Rows the strategy applies to; the others keep their value (row rules, `when`).
        let is_active = |i: usize| active.get(n).and_then(Option::as_ref).is_none_or(|a| a[i]);
        // The fit column: identical for every column sharing this transform.
        let column = &table.columns[c.index].fit_column;
        let input = &batch.columns[c.index];
        let value_error = |i: usize, message: String| datamask_core::Error::Value {
            table: table.name.clone(),
            column: table.columns[c.index].name.clone(),
            row: row_label(table, &batch, i, first_row),
            message,
        };
        if c.inputs.is_empty() && c.key_index.is_none() {
            // The whole column at once: strategies with a per-call cost (an external
            // program) work a batch at a time.
            let ctx = ApplyCtx {
                column,
                row_key: None,
            };
            let rows: Vec<usize> = (0..input.len()).filter(|&i| is_active(i)).collect();
            // Every row active (the common case): the column goes as it is and the output
            // is built from the results, with no copy of the input.
            let all = rows.len() == input.len();
            let subset: Vec<Value> = if all {
                Vec::new()
            } else {
                rows.iter().map(|&i| input[i].clone()).collect()
            };
            let values = c
                .strategy
                .apply_column(if all { input } else { &subset }, &ctx)
                .map_err(|(k, message)| value_error(rows.get(k).copied().unwrap_or(k), message))?;
            let out = if all {
                values
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| c.fitter.fit(v).map_err(|message| value_error(i, message)))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                let mut out = input.clone();
                for (&i, v) in rows.iter().zip(values) {
                    out[i] = c.fitter.fit(v).map_err(|message| value_error(i, message))?;
                }
                out
            };
            masked.push((c.index, out));
            continue;
        }
        let mut out = Vec::with_capacity(input.len());
        for (i, value) in input.iter().enumerate() {
            if !is_active(i) {
                out.push(value.clone());
                continue;
            }
            let ctx = ApplyCtx {
                column,
                row_key: c.key_index.map(|k| &batch.columns[k][i]),
            };
            let applied = if c.inputs.is_empty() {
                c.strategy.apply(value, &ctx)
            } else {
                let row = BatchRow {
                    table,
                    batch: &batch,
                    masked: &masked,
                    row: i,
                };
                c.strategy.apply_row(value, &ctx, &row)
            };
            let v = applied
                .and_then(|v| c.fitter.fit(v))
                .map_err(|message| value_error(i, message))?;
            out.push(v);
        }
        masked.push((c.index, out));
    }
    let originals = masked
        .into_iter()
        .map(|(index, values)| (index, std::mem::replace(&mut batch.columns[index], values)))
        .collect();
    Ok((batch, originals))
}

/// Names a row: its 1-based position, plus its primary key when the key is not masked (a
/// masked key may be personal data and must not appear in messages).
fn row_label(table: &TablePlan, batch: &Batch, i: usize, first_row: u64) -> String {
    let n = first_row + i as u64 + 1;
    let pk = &table.primary_key;
    let pk_public = !pk.is_empty()
        && pk.iter().all(|k| {
            table
                .columns
                .iter()
                .any(|c| &c.name == k && c.is_preserved())
        });
    if !pk_public {
        return n.to_string();
    }
    let parts: Vec<String> = pk
        .iter()
        .filter_map(|k| {
            table
                .schema
                .column_index(k)
                .map(|idx| format!("{k}={}", batch.columns[idx][i]))
        })
        .collect();
    format!("{n} ({})", parts.join(", "))
}

/// BLAKE3 over the source schemas, recorded in manifests and (later) the schema lock.
pub fn schema_fingerprint(tables: &[TableSchema]) -> String {
    let bytes = serde_json::to_vec(tables).unwrap_or_default();
    blake3::hash(&bytes).to_hex().to_string()
}

/// The OS user running datamask: `$USER`/`$LOGNAME`/`$USERNAME`, else the name of the process's
/// uid in /etc/passwd (services and CI often run without those variables).
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(passwd_user)
        .unwrap_or_else(|| "unknown".into())
}

/// The machine's host name: the kernel's, else `/etc/hostname`, else `$HOSTNAME`.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Who ran, and when: the parts of the manifest that come from the environment.
struct Who<'a> {
    actor: &'a str,
    started: chrono::DateTime<chrono::Utc>,
}

fn passwd_user() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

fn manifest_body(
    config: &Config,
    key: &MasterKey,
    plan: &Plan,
    tables: &[TableSchema],
    report: &RunReport,
    options: &RunOptions,
    who: &Who<'_>,
) -> Map<String, serde_json::Value> {
    let table_entries: Vec<serde_json::Value> = plan
        .tables
        .iter()
        .zip(&report.tables)
        .map(|(p, r)| {
            json!({
                "name": p.name,
                "action": p.action,
                "rows_read": r.rows_read,
                "rows_written": r.rows_written,
                "output_checksum": r.output_checksum,
                "elapsed_ms": r.elapsed_ms,
                "columns": p.columns.iter().map(column_entry).collect::<Vec<_>>(),
            })
        })
        .collect();
    let body = json!({
        "run_id": report.run_id,
        "started_at": who.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "finished_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "actor": who.actor,
        "host": host_name(),
        "tool": { "name": "datamask", "version": crate::VERSION },
        "command": redact_command(&options.command),
        "config_path": config.path.display().to_string(),
        "config_hash": config.hash,
        "key_fingerprint": key.fingerprint(),
        "mode": config.mode,
        "source": plan.source,
        "target": plan.target,
        "source_schema_fingerprint": schema_fingerprint(tables),
        "unlisted_columns": plan.unlisted_columns,
        "tables": table_entries,
        "verification": report.verification,
    });
    body.as_object().cloned().unwrap_or_default()
}

/// A column in the manifest; `reason` only when the rule gave one.
fn column_entry(c: &crate::plan::ColumnPlan) -> serde_json::Value {
    let mut entry = json!({
        "name": c.name,
        "strategy": c.strategy,
        "options": c.options,
        "domain": c.domain,
        "origin": c.origin,
    });
    if let (Some(reason), Some(map)) = (&c.reason, entry.as_object_mut()) {
        map.insert("reason".into(), json!(reason));
    }
    entry
}

/// The command line without secrets: passwords in URLs become `***`, as do the values of
/// options named like secrets and anything shaped like a master key (64 hex digits).
pub fn redact_command(args: &[String]) -> Vec<String> {
    const SECRET_FLAGS: &[&str] = &["--password", "--key", "--secret", "--token"];
    let is_key = |s: &str| s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit());
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for arg in args {
        if std::mem::take(&mut hide_next) || is_key(arg) {
            out.push("***".to_string());
            continue;
        }
        if SECRET_FLAGS.contains(&arg.as_str()) {
            hide_next = true;
            out.push(arg.clone());
            continue;
        }
        match arg.split_once('=') {
            Some((flag, _)) if SECRET_FLAGS.contains(&flag) => out.push(format!("{flag}=***")),
            Some((flag, value)) if is_key(value) => out.push(format!("{flag}=***")),
            _ => out.push(datamask_connectors::redact_url(arg)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_lose_their_secrets() {
        let key = "00".repeat(32);
        let args: Vec<String> = [
            "datamask",
            "scan",
            "--source",
            "postgres://app:hunter2@db/app",
            "--password",
            "s3cret",
            "--token=abc",
            &key,
            &format!("--x={key}"),
            "-c",
            "datamask.yaml",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = redact_command(&args).join(" ");
        for secret in ["hunter2", "s3cret", "abc", &key[..10]] {
            assert!(!out.contains(secret), "{out}");
        }
        assert!(out.contains("postgres://app:***@db/app"), "{out}");
        assert!(out.ends_with("-c datamask.yaml"), "{out}");
    }
}
