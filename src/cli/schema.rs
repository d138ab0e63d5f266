//! `slicesim schema`: the JSON Schema of the scenario format, to stdout or a file.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SchemaArgs {
    /// Write the schema to this file (default: standard output).
    #[arg(short, long)]
    out: Option<PathBuf>,
}

pub const EXAMPLES: &str = "\
Examples:
  slicesim schema --out slicesim-scenario.schema.json
      then put this first line in a scenario for editor completion and checks (VS Code YAML,
      Neovim, Helix, any yaml-language-server client):
      # yaml-language-server: $schema=./slicesim-scenario.schema.json";

pub fn run(a: SchemaArgs) -> Result<(), String> {
    let schema = slicesim::scenario::json_schema::scenario_schema();
    let text = serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())? + "\n";
    match &a.out {
        Some(p) => {
            slicesim::outfile::write(p, text.as_bytes())?;
            errln!("wrote the scenario JSON Schema to {}", p.display());
        }
        None => out!("{text}"),
    }
    Ok(())
}
