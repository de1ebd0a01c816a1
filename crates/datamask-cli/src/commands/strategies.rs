//! `datamask strategies`: the catalogue, straight from the registry.

use crate::table;
use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// `text` (a table), `json` (full self-description) or `markdown` (docs/strategies.md)
    #[arg(long, default_value = "text", value_parser = ["text", "json", "markdown"])]
    format: String,
}

pub fn run(args: Args) -> Result<(), Failure> {
    match args.format.as_str() {
        "json" => super::print_json(&datamask_strategies::registry_json()),
        "markdown" => super::print(&datamask_strategies::render_markdown()),
        _ => {
            let rows: Vec<Vec<String>> = datamask_strategies::registry()
                .iter()
                .map(|s| {
                    vec![
                        s.name.to_string(),
                        s.accepts.join(","),
                        if s.injective == datamask_core::strategy::Injectivity::Never {
                            "no"
                        } else {
                            "yes"
                        }
                        .to_string(),
                        first_sentence(s.description),
                    ]
                })
                .collect();
            super::print(&table::render(
                &["strategy", "types", "injective", "description"],
                &rows,
            ))?;
            super::print("\nOptions and examples: datamask strategies --format json, or docs/strategies.md\n")
        }
    }
}

fn first_sentence(s: &str) -> String {
    match s.find(". ") {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}
