//! Workflow `sscard init`: build a profile's structure on a blank card. The plan is data
//! ([`init_plan`]: printed by `--dry-run`, counted, tested without a card), run on a card
//! ([`run`]), read back ([`verify_structure`]); a torn init is finished by [`resume`].

mod plan;
pub mod resume;

pub use plan::{InitError, OPEN_WINDOW, Plan, Step, init_plan, run, verify_structure};
