//! `--region` and the overrides of the region checks, shared by `init`, `perso`,
//! `conformance` and `diagnose` (and `replace`).
//!
//! The checks apply only when a region is configured (`--region`, `SSCARD_REGION`, or
//! `region =` in sscard.toml): without one sscard is in lab mode and checks nothing.

use anyhow::{Context as _, Result};
use sscard::profile::Profile;
use sscard::region::{self, ProductCheck, Region};
use std::path::PathBuf;

/// The region options of the issuing commands.
#[derive(clap::Args, Debug, Clone)]
pub struct RegionArgs {
    /// The region whose card products on record and approved profiles apply: a name
    /// (`example`) or a TOML file. Default: `region` of sscard.toml. Without a region no
    /// product or approval check is made (lab mode).
    #[arg(long, value_name = "NAME|FILE", env = "SSCARD_REGION")]
    pub region: Option<PathBuf>,
    /// Issue on a card whose ATR matches no product on record (labs, test cards).
    #[arg(long)]
    pub allow_unlisted_product: bool,
}

/// The region options of `init` and `perso`: also the approval override.
#[derive(clap::Args, Debug, Clone)]
pub struct IssueArgs {
    /// The region and the product override.
    #[command(flatten)]
    pub region: RegionArgs,
    /// Use a profile whose structure is not approved in the region (labs, test cards).
    #[arg(long)]
    pub unapproved: bool,
}

impl RegionArgs {
    /// The configured region: `--region`/`SSCARD_REGION`, else `region` of the configuration
    /// file; `None` when none is configured.
    pub fn load(&self) -> Result<Option<Region>> {
        load(self.region.as_ref())
    }

    /// The product check on the card with ATR `atr` (its line is [`ProductCheck::line`]).
    pub fn check_product(&self, region: Option<&Region>, atr: &[u8]) -> Result<ProductCheck> {
        Ok(region::check_product(
            region,
            atr,
            self.allow_unlisted_product,
        )?)
    }

    /// [`RegionArgs::check_product`], printing its line when a region is set.
    pub fn check_and_say(&self, region: Option<&Region>, atr: &[u8]) -> Result<ProductCheck> {
        let c = self.check_product(region, atr)?;
        if let Some(l) = c.line() {
            println!("{l}");
        }
        Ok(c)
    }
}

impl IssueArgs {
    /// The approval check of `profile`; prints its line when a region is set.
    pub fn check_approval(&self, region: Option<&Region>, profile: &Profile) -> Result<()> {
        let c = region::check_approval(region, profile, self.unapproved)?;
        if let Some(l) = c.line(&profile.meta.name) {
            println!("{l}");
        }
        Ok(())
    }
}

/// Loads the region named by `arg`, else by the configuration file (`region =`).
pub fn load(arg: Option<&PathBuf>) -> Result<Option<Region>> {
    let chosen = match arg {
        Some(a) => Some(a.clone()),
        None => sscard::config::Config::load()?.region.map(PathBuf::from),
    };
    let Some(arg) = chosen else {
        return Ok(None);
    };
    let found = region::locate(&arg)?;
    let r = found
        .load()
        .with_context(|| format!("the region {} cannot be used", found.file().display()))?;
    Ok(Some(r))
}
