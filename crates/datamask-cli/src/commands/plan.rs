//! `datamask plan`: what a run would do. Reads schemas, never data.

use crate::{table, ConfigArg, Failure, Format};
use datamask::engine;
use datamask::plan::{ColumnPlan, Origin, Plan, TableAction};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = super::load_config(&args.config.config)?;
    let mut source =
        engine::open_source(&config, engine::DEFAULT_BATCH_SIZE).map_err(Failure::user)?;
    let (plan, _) = engine::plan(&config, source.as_mut()).map_err(Failure::user)?;
    match args.format {
        Format::Json => super::print_json(&plan),
        Format::Text => super::print(&render(&plan)),
    }
}

/// The text form of a plan.
pub fn render(plan: &Plan) -> String {
    let mut out = format!(
        "source: {}\ntarget: {}\nunlisted columns: {}\n",
        plan.source,
        plan.target.as_deref().unwrap_or("(none)"),
        match plan.unlisted_columns {
            datamask::config::UnlistedColumns::Preserve => "preserve (copied unchanged)",
            datamask::config::UnlistedColumns::Fail => "fail (every column needs a rule)",
            datamask::config::UnlistedColumns::FailSensitive =>
                "fail_sensitive (copied unchanged unless discovery finds them sensitive)",
        }
    );
    for t in &plan.tables {
        let rows = t
            .estimated_rows
            .map_or("? rows".to_string(), |n| format!("{n} rows"));
        if t.action == TableAction::Skip {
            out.push_str(&format!("\n{}: skipped\n", t.name));
            continue;
        }
        let mut extra = String::new();
        if t.virtual_key {
            extra.push_str(&format!(
                ", key ({}) from the config",
                t.primary_key.join(", ")
            ));
        }
        if !t.depends_on.is_empty() {
            extra.push_str(&format!(", after {}", t.depends_on.join(", ")));
        }
        out.push_str(&format!(
            "\n{} ({rows}, {} of {} columns masked{extra})\n",
            t.name,
            t.masked_columns(),
            t.columns.len()
        ));
        if let Some(f) = &t.filter {
            out.push_str(&format!("  where {f}\n"));
        }
        let rows: Vec<Vec<String>> = t.columns.iter().map(column_row).collect();
        out.push_str(&table::render(
            &["  column", "type", "strategy", "domain", "notes"],
            &rows,
        ));
    }
    out
}

/// One column of the text plan: what it gets, from where, and what was proven about it.
fn column_row(c: &ColumnPlan) -> Vec<String> {
    let masked = !c.is_preserved();
    let strategy = match c.origin {
        Origin::Policy => "preserve (no rule)".to_string(),
        Origin::Rule => c.strategy.clone(),
        Origin::Comment => format!("{} (column comment)", c.strategy),
        Origin::Inherited => format!(
            "{} <- {}",
            c.strategy,
            c.inherited_from.as_deref().unwrap_or("?")
        ),
    };
    let mut notes: Vec<String> = Vec::new();
    if let Some(via) = &c.via {
        notes.push(format!("via {via}"));
    }
    if masked {
        if let Some(u) = &c.unique {
            notes.push(u.clone());
        }
        if let Some(f) = &c.fit {
            notes.push(f.clone());
        }
    }
    vec![
        format!("  {}", c.name),
        c.data_type.clone(),
        strategy,
        if masked {
            c.domain.clone()
        } else {
            String::new()
        },
        notes.join("; "),
    ]
}
