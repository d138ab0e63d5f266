//! `slicesim man`: man pages (clap_mangen), `slicesim.1` and one page per subcommand
//! (`slicesim-run.1`, `slicesim-trace-import.1`, ...), or the top page on stdout.

use clap::{Command, CommandFactory};
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  slicesim man | man -l -                        the top page, read at once
  slicesim man --out ~/.local/share/man/man1     every page; then `man slicesim-run`
Every page is rendered before any is written; each file is written to a temporary name in
OUT and renamed over its final name, so a failure leaves no half-written page.";

#[derive(clap::Args)]
pub struct ManArgs {
    /// Folder to write slicesim.1 and slicesim-<subcommand>.1 into (created if missing);
    /// without it the top page goes to standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(a: ManArgs) -> Result<(), String> {
    let mut cmd = super::Cli::command();
    cmd.build();
    let pages = pages(&cmd)?;
    match a.out {
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&pages[0].1)
                .map_err(|e| format!("cannot write the man page: {e}"))
        }
        Some(dir) => {
            write_all(&dir, &pages)?;
            outln!("wrote {} man pages to {}", pages.len(), dir.display());
            Ok(())
        }
    }
}

/// Every page of the command tree, the top one first: (file name, roff text).
fn pages(top: &Command) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    collect(top, top.get_name(), &mut out)?;
    Ok(out)
}

fn collect(cmd: &Command, name: &str, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), String> {
    // The page's title is its full name (slicesim-trace-import), as `man` looks it up.
    let page = cmd.clone().name(name.to_string());
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut buf)
        .map_err(|e| format!("cannot render the man page of {name}: {e}"))?;
    out.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        collect(sub, &format!("{name}-{}", sub.get_name()), out)?;
    }
    Ok(())
}

fn write_all(dir: &Path, pages: &[(String, Vec<u8>)]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (file, text) in pages {
        slicesim::outfile::write(&dir.join(file), text)?;
    }
    Ok(())
}
