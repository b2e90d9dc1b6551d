//! exhunt's entry point: parse arguments, run, map the outcome to an exit code.

use clap::Parser;

fn main() {
    let cli = exhunt::cli::Cli::parse();
    std::process::exit(exhunt::cli::run(cli));
}
