//! `datamask check`: every pre-flight test, every problem listed, nothing written.

use crate::{ConfigArg, Failure, Format};
use datamask::config::{Diagnostic, Topic};
use datamask::engine;
use datamask::plan::{Origin, Plan};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Record the source schema in the lock file beside the config (`run` then stops when it
    /// changes)
    #[arg(long)]
    record: bool,
}

#[derive(Serialize)]
struct Check {
    check: &'static str,
    ok: bool,
    message: String,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = super::load_config(&args.config.config)?;
    let mut checks = vec![Check {
        check: "config",
        ok: true,
        message: format!(
            "{} is valid ({} table rules, {} column rules)",
            config.path.display(),
            config.tables.len(),
            config.tables.iter().map(|t| t.columns.len()).sum::<usize>()
        ),
    }];
    let mut record = |check: &'static str, r: Result<String, String>| {
        let (ok, message) = match r {
            Ok(m) => (true, m),
            Err(m) => (false, m),
        };
        checks.push(Check { check, ok, message });
    };
    record(
        "key",
        datamask::keys::load(&config)
            .map(|k| format!("master key found (fingerprint {})", k.fingerprint()))
            .map_err(|e| e.to_string()),
    );
    let source = engine::open_source(&config, 1024).map_err(|e| e.to_string());
    let analysis = source.and_then(|mut s| {
        let analysed = engine::analyse(&config, s.as_mut()).map_err(|e| e.to_string())?;
        Ok((analysed, s))
    });
    match analysis {
        Ok(((plan, diagnostics, tables), mut source)) => {
            record(
                "source",
                Ok(format!(
                    "{} is readable: {} tables",
                    config.source.url,
                    tables.len()
                )),
            );
            record("schema", schema_lock(&config, &tables, args.record));
            for topic in [Topic::Config, Topic::Relations, Topic::Unique, Topic::Fit] {
                let found: Vec<Diagnostic> = diagnostics
                    .iter()
                    .filter(|d| d.topic == topic)
                    .cloned()
                    .collect();
                let name = match topic {
                    Topic::Config => "plan",
                    other => other.as_str(),
                };
                let result = if found.is_empty() {
                    Ok(summary(&plan, topic))
                } else {
                    Err(problems(&config, &found))
                };
                record(name, result);
            }
            if let Some(line) = comment_rules(&config, &plan) {
                record("comments", Ok(line));
            }
            if let Some(line) = other_warnings(&config, &plan) {
                record("warnings", Ok(line));
            }
            record("columns", unlisted(&config, &plan, source.as_mut()));
        }
        Err(e) => record("source", Err(e)),
    }
    if config.mode == datamask::config::Mode::InPlace {
        // Nothing is written here, so the guard is asked as if `--in-place` were given.
        let confirmed = engine::RunOptions {
            in_place: true,
            ..engine::RunOptions::default()
        };
        record(
            "target",
            engine::guard_in_place(&config, &confirmed)
                .map_err(|e| e.to_string())
                .and_then(|loc| engine::check_writable(&loc).map_err(|e| e.to_string()))
                .map(|()| {
                    format!(
                        "{} will be masked in place (mode: in_place; run needs --in-place)",
                        config.source.url
                    )
                }),
        );
    } else {
        record(
            "target",
            engine::guard_target(&config)
                .map_err(|e| e.to_string())
                .and_then(|loc| {
                    engine::check_writable(&loc)
                        .map(|()| {
                            format!(
                                "{} is writable and not production",
                                config
                                    .target
                                    .as_ref()
                                    .map(|t| t.url.redacted())
                                    .unwrap_or_default()
                            )
                        })
                        .map_err(|e| e.to_string())
                }),
        );
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    match args.format {
        Format::Json => super::print_json(&checks)?,
        Format::Text => {
            let mut out = String::new();
            for c in &checks {
                out.push_str(&format!(
                    "{} {:<9} {}\n",
                    if c.ok { "ok " } else { "ERR" },
                    c.check,
                    c.message.trim_end()
                ));
            }
            super::print(&out)?;
        }
    }
    if failed > 0 {
        return Err(Failure::user(format!(
            "check failed: {failed} problem{}",
            if failed == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// The rules-in-comments line, when the source's column comments hold rules: how many apply,
/// and a warning for each one the config overrides.
fn comment_rules(config: &datamask::Config, plan: &datamask::Plan) -> Option<String> {
    let applied: Vec<String> = plan
        .tables
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .filter(|c| c.origin == datamask::plan::Origin::Comment)
                .map(move |c| format!("{}.{}", t.name, c.name))
        })
        .collect();
    let overridden: Vec<Diagnostic> = plan
        .warnings
        .iter()
        .filter(|w| is_comment_override(w))
        .cloned()
        .collect();
    if applied.is_empty() && overridden.is_empty() {
        return None;
    }
    let mut line = format!(
        "{} {} from column comments{}",
        applied.len(),
        if applied.len() == 1 { "rule" } else { "rules" },
        if applied.is_empty() {
            String::new()
        } else {
            format!(" ({})", applied.join(", "))
        }
    );
    if !overridden.is_empty() {
        let rendered = datamask::config::diagnostic::render_each(
            &config.path.display().to_string(),
            &config.text,
            &overridden,
        );
        line.push_str(&format!(
            "; {} overridden by the config:
{}",
            overridden.len(),
            rendered.trim_end()
        ));
    }
    Some(line)
}

/// Whether a plan warning is about a config rule that overrides a column comment's rule.
fn is_comment_override(w: &Diagnostic) -> bool {
    w.message
        .contains("overrides the rule in its column comment")
}

/// The plan's other warnings (a host name given as a token domain, ...), which do not fail
/// the check but should be read.
fn other_warnings(config: &datamask::Config, plan: &datamask::Plan) -> Option<String> {
    let others: Vec<Diagnostic> = plan
        .warnings
        .iter()
        .filter(|w| !is_comment_override(w))
        .cloned()
        .collect();
    if others.is_empty() {
        return None;
    }
    let rendered = datamask::config::diagnostic::render_each(
        &config.path.display().to_string(),
        &config.text,
        &others,
    );
    let n = others.len();
    let s = if n == 1 { "" } else { "s" };
    Some(format!("{n} warning{s}:\n{}", rendered.trim_end()))
}

/// The fail-closed line: what happens to columns no rule names, and under the default policy
/// whether discovery finds any of them sensitive (the same test `run` makes).
fn unlisted(
    config: &datamask::Config,
    plan: &datamask::Plan,
    source: &mut dyn datamask_core::Source,
) -> Result<String, String> {
    use datamask::config::UnlistedColumns;
    let count: usize = plan
        .copied()
        .flat_map(|t| &t.columns)
        .filter(|c| c.origin == datamask::plan::Origin::Policy)
        .count();
    match config.policy.unlisted_columns {
        UnlistedColumns::Preserve => Ok(format!(
            "{count} columns without a rule are copied unchanged (policy: unlisted_columns: preserve)"
        )),
        UnlistedColumns::Fail => Ok("every column has a rule (policy: unlisted_columns: fail)".into()),
        UnlistedColumns::FailSensitive => {
            let found = datamask::discover::sensitive_unlisted(
                plan,
                source,
                engine::FAIL_CLOSED_SAMPLE_ROWS,
            )
            .map_err(|e| e.to_string())?;
            if found.sensitive.is_empty() {
                Ok(format!(
                    "none of the {} columns without a rule looks sensitive (sampled {} tables)",
                    found.checked, found.tables
                ))
            } else {
                Err(datamask::discover::render_sensitive(&found.sensitive))
            }
        }
    }
}

/// The schema-lock line: records the lock with `--record`, else compares with it.
fn schema_lock(
    config: &datamask::Config,
    tables: &[datamask_core::TableSchema],
    record: bool,
) -> Result<String, String> {
    use datamask::lock::{self, LockStatus};
    let name = lock::path(config).display().to_string();
    if record {
        return lock::record(config, tables)
            .map(|p| format!("recorded {} ({} tables)", p.display(), tables.len()))
            .map_err(|e| e.to_string());
    }
    match lock::status(config, tables).map_err(|e| e.to_string())? {
        LockStatus::Unrecorded => Ok(format!(
            "no schema lock yet ({name}); `datamask check --record` writes one so that `run` stops on schema changes"
        )),
        LockStatus::Matches => Ok(format!("the source matches {name}")),
        LockStatus::Changed(changes) => Err(format!(
            "the source changed since {name} was recorded:\n{}\n        = help: give new columns a rule, then `datamask check --record` to accept the changes",
            changes
                .iter()
                .map(|c| format!("        - {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        )),
    }
}

/// The one-line result of a plan topic that found nothing wrong.
fn summary(plan: &Plan, topic: Topic) -> String {
    let masked: Vec<_> = plan
        .copied()
        .flat_map(|t| t.columns.iter())
        .filter(|c| !c.is_preserved())
        .collect();
    match topic {
        Topic::Config => {
            let order: Vec<&str> = plan.copied().map(|t| t.name.as_str()).collect();
            format!(
                "{} tables to copy, {} columns masked; load order: {}",
                order.len(),
                masked.len(),
                order.join(", ")
            )
        }
        Topic::Relations => {
            let inherited = masked
                .iter()
                .filter(|c| c.origin == Origin::Inherited)
                .count();
            format!("{inherited} columns inherit a transform through a relation or domain; no conflicting rules")
        }
        Topic::Unique => {
            let keys = masked.iter().filter(|c| c.requires_injective()).count();
            format!("{keys} masked key columns, each with an injective strategy")
        }
        Topic::Fit => {
            let shortened = masked
                .iter()
                .filter(|c| c.fit.as_deref().is_some_and(|f| f.contains("shortened")))
                .count();
            let mut s = format!("{} masked columns fit their target columns", masked.len());
            if shortened > 0 {
                s.push_str(&format!(" ({shortened} shortened where longer)"));
            }
            s
        }
    }
}

/// A topic's problems, rendered with their places in the config (without the final count).
fn problems(config: &datamask::Config, found: &[Diagnostic]) -> String {
    let rendered = config.render(found);
    let body: Vec<&str> = rendered.lines().collect();
    let body = &body[..body.len().saturating_sub(1)];
    format!(
        "{} problem{}\n{}",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        body.join("\n").trim_end()
    )
}
