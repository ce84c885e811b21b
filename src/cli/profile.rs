//! `sscard profile list|check|show|fingerprint`.

use super::Globals;
use sscard::error::ErrorChain;
use sscard::profile::{self, ProfileError, fingerprint};
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `sscard profile`.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List every profile found by name: where from, fingerprint; flags a local profile that
    /// differs from the shipped one of the same name.
    List,
    /// Check profiles: every problem of every file, with file:line; exit 1 if any.
    Check {
        /// Profiles: names (`ssc-3.00`) or TOML files.
        #[arg(required = true, value_name = "NAME|FILE")]
        files: Vec<PathBuf>,
    },
    /// Show a profile as a tree: FIDs, SFIs, sizes, access conditions, FCPs, elements.
    Show {
        /// The profile: a name (`ssc-3.00`) or a TOML file.
        #[arg(value_name = "NAME|FILE")]
        file: PathBuf,
    },
    /// Print the fingerprint (SHA-256 and SM3) of a profile's structure.
    Fingerprint {
        /// The profile: a name (`ssc-3.00`) or a TOML file.
        #[arg(value_name = "NAME|FILE")]
        file: PathBuf,
        /// Also print the canonical form that is hashed.
        #[arg(long)]
        canonical: bool,
    },
    /// Record in a region file that a profile's structure is approved, with who and when:
    /// with that region, `init` and `perso` accept the profile (a changed structure needs
    /// approving again).
    Approve {
        /// The profile: a name (`ssc-3.00`) or a TOML file.
        #[arg(value_name = "NAME|FILE")]
        file: PathBuf,
        /// The region file to record the approval in (a name found in the region folders, or
        /// a path).
        #[arg(long, value_name = "NAME|FILE")]
        region: PathBuf,
        /// Who approves it (a person or an office).
        #[arg(long, value_name = "NAME")]
        by: String,
    },
}

/// Runs `sscard profile ...`.
pub fn run(cmd: Command, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = g;
    match cmd {
        Command::List => {
            let search = profile::find::Search::from_env();
            print!("{}", super::profile_list::render(&search, &search.list()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { files } => {
            let mut bad = 0;
            for f in &files {
                match profile::locate(f).and_then(|found| found.load()) {
                    Ok(p) => {
                        let fp = fingerprint::fingerprint(&p);
                        println!(
                            "{}: ok ({}, sha256:{})",
                            f.display(),
                            p.meta.name,
                            fp.sha256
                        );
                    }
                    Err(e) => {
                        bad += 1;
                        report(&e);
                    }
                }
            }
            if bad > 0 {
                eprintln!("{bad} of {} profile(s) have problems", files.len());
                Ok(ExitCode::from(1))
            } else {
                Ok(ExitCode::SUCCESS)
            }
        }
        Command::Show { file } => {
            let p = load(&file)?;
            print!("{}", profile::show::render(&p));
            Ok(ExitCode::SUCCESS)
        }
        Command::Fingerprint { file, canonical } => {
            let p = load(&file)?;
            let fp = fingerprint::fingerprint(&p);
            if canonical {
                print!("{}", fingerprint::canonical(&p));
            }
            println!("sha256 {}", fp.sha256);
            println!("sm3    {}", fp.sm3);
            Ok(ExitCode::SUCCESS)
        }
        Command::Approve { file, region, by } => approve(&file, &region, &by),
    }
}

/// `sscard profile approve`.
fn approve(file: &std::path::Path, region: &std::path::Path, by: &str) -> anyhow::Result<ExitCode> {
    let p = load(file)?;
    let found = sscard::region::locate(region)?;
    let Some(path) = found.path.clone() else {
        anyhow::bail!(
            "the region `{}` is the built-in example and cannot be changed: copy it \
             (`sscard profile approve` needs a file: --region FILE)",
            found.name
        );
    };
    let at = sscard::region::find::now_utc();
    match sscard::region::approve(&path, &p, by, &at)? {
        sscard::region::find::Approved::Recorded(a) => println!(
            "approved: profile {} (structure sha256:{}) in region file {}, by {} at {}",
            p.meta.name,
            a.sha256,
            path.display(),
            a.by,
            a.at
        ),
        sscard::region::find::Approved::Already(a) => println!(
            "already approved: profile {} (structure sha256:{}) in region file {}, by {} at {} (line {}): nothing written",
            p.meta.name,
            a.sha256,
            path.display(),
            a.by,
            a.at,
            a.line
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a profile error: one problem a line.
fn report(e: &ProfileError) {
    match e {
        ProfileError::Invalid { file, issues } => {
            for i in issues {
                eprintln!("{}:{i}", file.display());
            }
            eprintln!("{}: {} problem(s)", file.display(), issues.len());
        }
        other => eprintln!("{}", other.chain()),
    }
}

/// Loads a profile by name or path; on failure prints every problem and returns an error naming the file.
pub fn load(file: &std::path::Path) -> anyhow::Result<profile::Profile> {
    let found = profile::locate(file)?;
    match found.load() {
        Ok(p) => Ok(p),
        Err(e @ ProfileError::Invalid { .. }) => {
            report(&e);
            anyhow::bail!(
                "{} has {} problem(s), listed above: correct them and retry",
                found.file().display(),
                e.issues().len()
            )
        }
        Err(e) => Err(e.into()),
    }
}
