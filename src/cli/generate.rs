//! `sscard gen-man DIR` and `sscard gen-completions DIR`, for packaging only
//! (`scripts/package.sh` runs them): the man pages (one per subcommand, from the command
//! line's own help) and bash/zsh/fish completions. They are kept out of the command line
//! itself so that neither `--help`, the man pages nor the completions offer them.

use anyhow::{Context, Result};
use clap::CommandFactory;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The folder a packaging command writes into.
#[derive(Debug)]
pub struct Args {
    /// The folder (created if missing).
    pub dir: PathBuf,
}

/// `sscard gen-man DIR` or `sscard gen-completions DIR` when `args` (program name first) is
/// one of them, run; `None` for every other command line.
pub fn packaging(args: &[OsString]) -> Option<Result<ExitCode>> {
    let (cmd, dir) = match args {
        [_, cmd, dir] => (cmd.to_str()?, PathBuf::from(dir)),
        _ => return None,
    };
    match cmd {
        "gen-man" => Some(run_man(Args { dir })),
        "gen-completions" => Some(run_completions(Args { dir })),
        _ => None,
    }
}

/// Writes `sscard.1`, `sscard-read.1`, `sscard-profile-list.1`, ... into `args.dir`.
pub fn run_man(args: Args) -> Result<ExitCode> {
    create(&args.dir)?;
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    write_man(&cmd, &args.dir, &mut written)?;
    println!(
        "{} man page(s) written to {}",
        written.len(),
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_man(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_man(sub, dir, written)?;
    }
    let man = clap_mangen::Man::new(cmd.clone())
        .date(sscard::version::BUILD_DATE)
        .source(format!("sscard {}", sscard::version::VERSION))
        .manual("sscard manual");
    let path = man
        .generate_to(dir)
        .with_context(|| format!("cannot write a man page into {}", dir.display()))?;
    written.push(path);
    Ok(())
}

/// Writes `sscard.bash`, `_sscard` and `sscard.fish` into `args.dir`.
pub fn run_completions(args: Args) -> Result<ExitCode> {
    use clap_complete::Shell;
    create(&args.dir)?;
    let mut cmd = super::Cli::command();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let path = clap_complete::generate_to(shell, &mut cmd, "sscard", &args.dir).with_context(
            || {
                format!(
                    "cannot write {shell} completions into {}",
                    args.dir.display()
                )
            },
        )?;
        println!("{shell}: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn create(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create {}: give a folder you can write to",
            dir.display()
        )
    })
}
