//! The two checks a region makes before a card is issued: is the card a product on record
//! (by its ATR), and is the profile's structure approved (by its fingerprint).
//!
//! Both apply only when a region is configured: without one (`None`) sscard is in lab mode
//! and checks nothing (the commands say so when asked: `diagnose`).

use super::{Approval, Product, Region, RegionError};
use crate::profile::Profile;
use crate::profile::fingerprint::fingerprint;
use serde::Serialize;

/// What the product check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductCheck {
    /// No region configured: nothing checked.
    NoRegion,
    /// The card is a product on record.
    Listed {
        /// The region's name.
        region: String,
        /// The product.
        product: Product,
    },
    /// Not on record, and issuing it anyway was allowed (`--allow-unlisted-product`).
    UnlistedAllowed {
        /// The region's name.
        region: String,
    },
}

impl ProductCheck {
    /// True when the card is a product on record in the region.
    pub fn on_record(&self) -> bool {
        matches!(self, ProductCheck::Listed { .. })
    }

    /// One line for the operator (`product  ...`), `None` without a region.
    pub fn line(&self) -> Option<String> {
        match self {
            ProductCheck::NoRegion => None,
            ProductCheck::Listed { region, product } => Some(format!(
                "product  {} (on record in region {region})",
                product.describe()
            )),
            ProductCheck::UnlistedAllowed { region } => Some(format!(
                "product  NOT ON RECORD in region {region}: issued anyway (--allow-unlisted-product, labs only)"
            )),
        }
    }
}

/// Identifies the card by its ATR among the products `region` has on record.
///
/// `None` (no region configured): [`ProductCheck::NoRegion`]. A card not on record is an
/// error ([`RegionError::UnlistedProduct`]) unless `allow_unlisted` (labs, test cards). This is
/// the check `init`, `perso`, `conformance` and `replace` make before writing to a card.
pub fn check_product(
    region: Option<&Region>,
    atr: &[u8],
    allow_unlisted: bool,
) -> Result<ProductCheck, RegionError> {
    let Some(r) = region else {
        return Ok(ProductCheck::NoRegion);
    };
    match r.product(atr) {
        Some(p) => Ok(ProductCheck::Listed {
            region: r.name.clone(),
            product: p.clone(),
        }),
        None if allow_unlisted => Ok(ProductCheck::UnlistedAllowed {
            region: r.name.clone(),
        }),
        None => Err(RegionError::UnlistedProduct {
            region: r.name.clone(),
            file: r.file.clone(),
            atr: crate::apdu::spaced(atr),
        }),
    }
}

/// What the approval check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalCheck {
    /// No region configured: nothing checked.
    NoRegion,
    /// The structure is approved.
    Approved {
        /// The region's name.
        region: String,
        /// The approval on record.
        approval: Approval,
    },
    /// Not approved, and used anyway (`--unapproved`).
    UnapprovedAllowed {
        /// The region's name.
        region: String,
    },
}

impl ApprovalCheck {
    /// One line for the operator (`profile  ...`), `None` without a region.
    pub fn line(&self, profile: &str) -> Option<String> {
        match self {
            ApprovalCheck::NoRegion => None,
            ApprovalCheck::Approved { region, approval } => Some(format!(
                "profile  {profile}: structure approved in region {region} by {} at {}",
                approval.by, approval.at
            )),
            ApprovalCheck::UnapprovedAllowed { region } => Some(format!(
                "profile  {profile}: structure NOT APPROVED in region {region}: used anyway (--unapproved, test cards only)"
            )),
        }
    }
}

/// Is `profile`'s structure (its fingerprint) approved in `region`?
///
/// `None`: [`ApprovalCheck::NoRegion`]. Not approved: [`RegionError::Unapproved`] unless
/// `allow_unapproved` (labs, test cards). `init` and `perso` make this check.
pub fn check_approval(
    region: Option<&Region>,
    profile: &Profile,
    allow_unapproved: bool,
) -> Result<ApprovalCheck, RegionError> {
    let Some(r) = region else {
        return Ok(ApprovalCheck::NoRegion);
    };
    let fp = fingerprint(profile);
    match r.approval(&fp) {
        Some(a) => Ok(ApprovalCheck::Approved {
            region: r.name.clone(),
            approval: a.clone(),
        }),
        None if allow_unapproved => Ok(ApprovalCheck::UnapprovedAllowed {
            region: r.name.clone(),
        }),
        None => Err(RegionError::Unapproved {
            profile: profile.meta.name.clone(),
            sha256: fp.sha256,
            region: r.name.clone(),
            file: r.file.clone(),
        }),
    }
}

/// The product as `diagnose` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductReport {
    /// The region checked against (`None`: no region configured, nothing checked).
    pub region: Option<String>,
    /// Whether the card is a product on record there (`None` without a region).
    pub on_record: Option<bool>,
    /// The product (`manufacturer chip, COS name version`) when on record.
    pub product: Option<String>,
}

impl ProductReport {
    /// Identifies the card with ATR `atr` in `region` (never an error: diagnose only reports).
    pub fn new(region: Option<&Region>, atr: &[u8]) -> ProductReport {
        match region {
            None => ProductReport {
                region: None,
                on_record: None,
                product: None,
            },
            Some(r) => {
                let p = r.product(atr);
                ProductReport {
                    region: Some(r.name.clone()),
                    on_record: Some(p.is_some()),
                    product: p.map(Product::describe),
                }
            }
        }
    }

    /// The report's line: `Product   ...`.
    pub fn line(&self) -> String {
        match (&self.region, &self.product) {
            (None, _) => {
                "Product   no region configured (--region or SSCARD_REGION): products on record not looked up".into()
            }
            (Some(r), Some(p)) => format!("Product   {p}: on record in region {r}"),
            (Some(r), None) => format!(
                "Product   NOT ON RECORD in region {r}: the ATR matches no product of the region file"
            ),
        }
    }
}
