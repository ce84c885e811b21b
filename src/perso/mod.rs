//! Personalization, the card-making station's main job: a holder's record is validated and
//! encoded by the profile, turned into a [`plan::Plan`] (steps as data), run on the card in one
//! exclusive transaction, read back byte for byte, and the application enabled.
//!
//! A run is safe to repeat: when a card lost power mid-way, the next run of the same record sees
//! what is there, finishes, verifies and enables. A card that holds another person's data is
//! refused unless forced.

pub mod keys;
pub mod plan;
pub mod read;
pub mod run;
pub mod spec;
pub mod wire;

pub use plan::{Plan, PlanOptions, Step};
pub use spec::{Access, AppSpec, ElementRef, Encoded, EnableHow};
pub use run::{CardKeys, Outcome, PersoError, Report, RunOptions, run};

#[cfg(test)]
mod tests;
