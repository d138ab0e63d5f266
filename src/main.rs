//! The `slicesim` binary: the command line lives in `cli/` (clap types, one file per command,
//! printing and exit codes); the work is the `slicesim` library's.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
