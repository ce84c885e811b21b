//! Build provenance for `sscard --version`: the git commit and the build date.
//! From a tarball (no `.git`, or no `git`), the commit is "unknown". `SOURCE_DATE_EPOCH`
//! (reproducible builds) sets the date; otherwise it is the day this script ran.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=SSCARD_GIT_COMMIT");
    let commit = std::env::var("SSCARD_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=SSCARD_GIT_COMMIT={}", commit.trim());
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs())
        });
    let date = secs.map_or_else(|| "unknown".to_string(), ymd);
    println!("cargo:rustc-env=SSCARD_BUILD_DATE={date}");
}

/// The short commit id, with the files to watch so a new commit rebuilds; None without git.
fn git_commit() -> Option<String> {
    let out = |args: &[&str]| -> Option<String> {
        let o = Command::new("git").args(args).output().ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit = out(&["rev-parse", "--short=12", "HEAD"])?;
    // HEAD moves on commit or checkout; the branch ref moves on commit (a worktree's HEAD is
    // in its own git dir, the refs in the common one). Only files that exist are watched: a
    // missing one would rerun this script, and rebuild the crate, on every build.
    let mut watch = vec![out(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(r) = out(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(out(&["rev-parse", "--git-path", &r]));
    }
    watch.push(out(&["rev-parse", "--git-path", "packed-refs"]));
    for p in watch.into_iter().flatten() {
        if std::path::Path::new(&p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    Some(commit)
}

/// `YYYY-MM-DD` (UTC) of a Unix time (days to civil date, proleptic Gregorian).
fn ymd(secs: u64) -> String {
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
