//! The verdict of a diagnosis, in a station's terms, with one exit code per class.

use serde::Serialize;

/// What a station does with the card. Ordered from best to worst: the verdict of a card is the
/// worst class among its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Healthy and in service.
    Ok,
    /// Healthy, past its expiry date. Still usable: expiry alone never condemns the chip.
    OkExpired,
    /// Healthy, but the application is not enabled (or was disabled).
    NotEnabled,
    /// The holder's PIN is blocked: unblock it at the counter.
    PinBlocked,
    /// The chip answers but its data is wrong or missing: re-personalize or replace.
    DataDamaged,
    /// The card's spec version (EF05 tag 03) is of another generation than the profile: the
    /// data was checked against the wrong rules, so nothing is said about it. Diagnose again
    /// with the right profile (or without `--profile`).
    ProfileMismatch,
    /// The MF or a DF is still in the creation state (a torn or unfinished `sscard init`):
    /// access conditions are not enforced, anyone can read and overwrite it. Never hand it
    /// over: finish init (run it again), or replace the card.
    NotIssuable,
    /// The chip answers reset (an ATR: contacts, power and reader work) but its commands fail,
    /// get no answer, or work only on a retry, or its memory fails; a chip that gives its ATR
    /// and then answers no command at all is failing too: replace the card.
    ChipFailing,
    /// No answer to reset (no ATR), or a card that stopped answering and gave no ATR again
    /// after a reset: nothing on the card talks. Check that the card is inserted the right way
    /// and its contacts are clean, try another reader; still nothing: replace the card.
    NoResponse,
}

impl Verdict {
    /// Every verdict, best first.
    pub const ALL: [Verdict; 9] = [
        Verdict::Ok,
        Verdict::OkExpired,
        Verdict::NotEnabled,
        Verdict::PinBlocked,
        Verdict::DataDamaged,
        Verdict::ProfileMismatch,
        Verdict::NotIssuable,
        Verdict::ChipFailing,
        Verdict::NoResponse,
    ];

    /// The verdict as the operator reads it.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::OkExpired => "OK, EXPIRED",
            Verdict::NotEnabled => "NOT ENABLED",
            Verdict::PinBlocked => "PIN BLOCKED (unblock at the counter)",
            Verdict::DataDamaged => "DATA DAMAGED (re-personalize or replace)",
            Verdict::ProfileMismatch => {
                "PROFILE MISMATCH (diagnose again with the card's profile, or without --profile)"
            }
            Verdict::NotIssuable => "NOT ISSUABLE (security not enforced: finish init)",
            Verdict::ChipFailing => "CHIP FAILING (replace the card)",
            Verdict::NoResponse => "NO RESPONSE (replace the card)",
        }
    }

    /// The process exit code of `sscard diagnose` for this verdict (docs/diagnose.md).
    /// `1` is kept for usage and tool errors.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Ok => 0,
            Verdict::OkExpired => 10,
            Verdict::NotEnabled => 11,
            Verdict::PinBlocked => 12,
            Verdict::DataDamaged => 20,
            Verdict::ProfileMismatch => 21,
            Verdict::NotIssuable => 22,
            Verdict::ChipFailing => 30,
            Verdict::NoResponse => 31,
        }
    }
}

/// One finding that bears on the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The verdict this finding alone would give.
    pub class: Verdict,
    /// What was found, for the operator.
    pub text: String,
}

/// Findings collected during a diagnosis.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    /// Adds a finding.
    pub fn add(&mut self, class: Verdict, text: impl Into<String>) {
        self.0.push(Finding {
            class,
            text: text.into(),
        });
    }

    /// The worst class found (`Ok` when nothing was found).
    pub fn verdict(&self) -> Verdict {
        self.0.iter().map(|f| f.class).max().unwrap_or(Verdict::Ok)
    }

    /// The findings worse than `Ok`, worst first (stable within a class).
    pub fn reasons(&self) -> Vec<Finding> {
        let mut v: Vec<Finding> = self
            .0
            .iter()
            .filter(|f| f.class != Verdict::Ok)
            .cloned()
            .collect();
        v.sort_by_key(|f| std::cmp::Reverse(f.class));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_finding_wins_and_codes_are_distinct() {
        let mut f = Findings::default();
        assert_eq!(f.verdict(), Verdict::Ok);
        f.add(Verdict::OkExpired, "expired");
        f.add(Verdict::ChipFailing, "6581");
        f.add(Verdict::NotEnabled, "03");
        assert_eq!(f.verdict(), Verdict::ChipFailing);
        assert_eq!(f.reasons()[0].text, "6581");
        let mut codes: Vec<u8> = Verdict::ALL.iter().map(|v| v.exit_code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Verdict::ALL.len());
        assert!(!codes.contains(&1), "1 is for tool errors");
    }
}
