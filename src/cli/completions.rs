//! `slicesim completions SHELL`: the shell completion script (clap_complete) on stdout.

use clap::CommandFactory;
use clap_complete::Shell;

pub const EXAMPLES: &str = "\
Examples:
  slicesim completions bash > ~/.local/share/bash-completion/completions/slicesim
  slicesim completions zsh > ~/.zfunc/_slicesim     (with fpath+=~/.zfunc before compinit)
  slicesim completions fish > ~/.config/fish/completions/slicesim.fish";

#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

pub fn run(a: CompletionsArgs) -> Result<(), String> {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "slicesim", &mut buf);
    use std::io::Write;
    std::io::stdout()
        .write_all(&buf)
        .map_err(|e| format!("cannot write the completion script: {e}"))
}
