//! The community station's replacement job (`sscard replace`): a holder whose card has aged,
//! been damaged, lost or expired gets a new card, and the old one is taken out of service.
//!
//! Steps, each reported as it happens ([`Event`]) and each safe to repeat after an interruption:
//! 1. the old card (unless lost): a read-only diagnosis, then its data read as the card allows
//!    ([`old`]); a card whose application is already disabled (an earlier run was cut after
//!    disabling it) is read by the issuer's station after external authentication;
//! 2. the holder's data: from the old card, or from the record (`--record`) when the old card
//!    is unreadable or lost; when both exist and differ, the job stops and lists the differing
//!    fields ([`holder`]);
//! 3. the new card: personalized with the holder's data and the new card's own card id and card
//!    number (from the record, or what the manufacturer wrote on it), the photo written, every
//!    element verified, then enabled ([`new`]);
//! 4. the old card, when it still answers: its application disabled and the disabling confirmed;
//! 5. the replacement recorded in the journal / register (old card → new card, reason,
//!    applicant, the agent's citizen number only as a salted hash), once.
//!
//! What a re-run finds is what the cut left: the new card holds the holder's data (perso
//! resumes or only verifies), the photo is there or not (written again), the old card is
//! disabled or not (disabling is idempotent), the journal row is there or not (written once,
//! found by the new card's id). So every re-run of the same command reaches the same end.

pub mod cards;
pub mod holder;
pub mod new;
pub mod old;
pub mod receipt;

pub use cards::{CardAccess, Which};
pub use holder::{FieldDiff, mask_ssn};

use crate::error::ErrorChain;
use crate::journal::{Journal, JournalError, NewReplacement};
use crate::perso::{JobError, PersoError, Station};
use crate::record::HolderRecord;
use crate::session::SharedSource;
use crate::transport::TransportError;
use std::fmt;
use thiserror::Error;

/// Why a card is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The chip has aged (reads fail, memory errors).
    Aged,
    /// The card is damaged.
    Damaged,
    /// The card is lost: there is no old card at the counter.
    Lost,
    /// The card has expired (it stays usable: replaced at the holder's wish).
    Expired,
    /// Anything else.
    Other,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 5] = [
        Reason::Aged,
        Reason::Damaged,
        Reason::Lost,
        Reason::Expired,
        Reason::Other,
    ];

    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Aged => "aged",
            Reason::Damaged => "damaged",
            Reason::Lost => "lost",
            Reason::Expired => "expired",
            Reason::Other => "other",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who applies for the new card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicant {
    /// The holder in person.
    Holder,
    /// An entrusted agent, with the agent's citizen number (validated; stored only hashed).
    Agent(String),
}

impl Applicant {
    /// An agent, after checking the citizen number (length, birth date, check character).
    pub fn agent(ssn: &str) -> Result<Applicant, ReplaceError> {
        let ssn = ssn.trim().to_ascii_uppercase();
        crate::codec::rules::check_ssn(&ssn).map_err(|e| ReplaceError::AgentId {
            reason: e.chain().to_string(),
        })?;
        Ok(Applicant::Agent(ssn))
    }

    /// `holder` or `agent`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Applicant::Holder => "holder",
            Applicant::Agent(_) => "agent",
        }
    }
}

/// The step an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 1: diagnose and read the old card.
    OldCard,
    /// 2: the holder's data.
    HolderData,
    /// 3: personalize, verify and enable the new card (with the photo).
    NewCard,
    /// 4: disable the old card.
    DisableOld,
    /// 5: record the replacement.
    Record,
}

impl Step {
    /// The step's name in output (`old-card`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::OldCard => "old-card",
            Step::HolderData => "holder-data",
            Step::NewCard => "new-card",
            Step::DisableOld => "disable-old",
            Step::Record => "record",
        }
    }

    /// The step's number (1 to 5).
    pub fn number(self) -> u8 {
        match self {
            Step::OldCard => 1,
            Step::HolderData => 2,
            Step::NewCard => 3,
            Step::DisableOld => 4,
            Step::Record => 5,
        }
    }
}

/// Something that happened, shown as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The operator must insert or remove a card.
    Prompt {
        /// What to do.
        text: String,
    },
    /// A step began.
    Begin {
        /// The step.
        step: Step,
        /// What is being done.
        text: String,
    },
    /// A step ended (done, or skipped: the text says).
    Done {
        /// The step.
        step: Step,
        /// What came of it.
        text: String,
    },
    /// Something the operator should know that does not stop the job.
    Note {
        /// The step.
        step: Step,
        /// The note.
        text: String,
    },
}

/// What the job is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// Why.
    pub reason: Reason,
    /// Who applies.
    pub applicant: Applicant,
    /// The record (`--record`): the holder's data when the old card cannot give it, and the new
    /// card's own fields (card id, card number, issue date) when given.
    pub record: Option<HolderRecord>,
    /// Take the record's holder data even where the old card differs (the operator checked the
    /// holder's ID card).
    pub take_record: bool,
    /// The photo (JPEG or PNG as given); `None`: the old card's photo is carried over when it
    /// can be read.
    pub photo: Option<Vec<u8>>,
    /// The old card's identification code when it is lost (from the register), if known.
    pub old_card_id: Option<String>,
    /// Today (YYYYMMDD), for the expiry check and the new card's issue date; the station's
    /// local date when `None`.
    pub today: Option<String>,
}

/// What the job did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// The holder's name.
    pub holder_name: String,
    /// The holder's citizen number, masked (`110101********0016`).
    pub holder_ssn_masked: String,
    /// Where the holder's data came from: `old card`, `record`, `old card and record`.
    pub holder_data_from: String,
    /// Why.
    pub reason: String,
    /// `holder` or `agent`.
    pub applicant: String,
    /// The agent's citizen number, masked (empty for the holder).
    pub agent_ssn_masked: String,
    /// The old card's identification code (empty when unknown).
    pub old_card_id: String,
    /// The old card's diagnosis verdict (empty when lost).
    pub old_card_verdict: String,
    /// What became of the old card: `disabled`, `not-disabled: why`, `lost`.
    pub old_card_outcome: String,
    /// The new card's identification code.
    pub new_card_id: String,
    /// The new card's number.
    pub new_card_number: String,
    /// What personalization of the new card did.
    pub new_card_result: String,
    /// The photo: written, already on the card, carried over, none.
    pub photo: String,
    /// The journal / register (password removed).
    pub journal: String,
    /// The replacement's row id.
    pub journal_row: i64,
    /// Whether an earlier run had recorded it already.
    pub journal_already: bool,
    /// The station.
    pub station: String,
    /// The operator.
    pub operator: String,
    /// The date (YYYY-MM-DD, local).
    pub date: String,
}

/// Why the job stopped.
#[derive(Debug, Error)]
pub enum ReplaceError {
    /// The agent's citizen number is not valid.
    #[error(
        "--agent-id: {reason}; give the agent's 18-character citizen number as on the agent's ID card"
    )]
    AgentId {
        /// Why.
        reason: String,
    },
    /// The old card is healthy and only expired: it stays usable.
    #[error(
        "the old card is usable: it expired on {expiry} but its chip and data are good (an expired card \
         stays usable and is never refused). If the holder wants a new card anyway, run again with --reason expired"
    )]
    ExpiredUsable {
        /// The expiry date.
        expiry: String,
    },
    /// The holder's data is nowhere.
    #[error("{why}: give the holder's data with --record FILE (from the holder's ID card)")]
    NeedRecord {
        /// Why the old card does not give it.
        why: String,
    },
    /// The old card and the record differ.
    #[error(
        "the old card and --record differ in {} field(s); nothing was written:\n{}\n\
         check the holder's ID card: correct --record, or run again with --take-record to issue with the record's data",
        .0.len(),
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    Differs(Vec<FieldDiff>),
    /// The record lacks a field the new card needs.
    #[error("the new card's {what}: {why}")]
    NewCardData {
        /// Which field.
        what: String,
        /// Why, and what to do.
        why: String,
    },
    /// The card given as the new card is the old one.
    #[error(
        "the card given as the new card has the old card's identification code {card_id}: insert a new (initialised) card"
    )]
    SameCard {
        /// The card id.
        card_id: String,
    },
    /// A card link failed.
    #[error("{what}")]
    Transport {
        /// Which card, doing what.
        what: String,
        /// The link's error.
        #[source]
        source: TransportError,
    },
    /// Reading or disabling the old card failed.
    #[error("the old card")]
    Old(#[source] PersoError),
    /// Personalizing, verifying or enabling the new card failed.
    #[error("the new card")]
    New(#[source] JobError),
    /// The new card is not a product on record in the region.
    #[error("the new card")]
    Product(#[source] crate::region::RegionError),
    /// Writing the photo failed.
    #[error("the new card's photo")]
    Photo(#[source] crate::photo::PhotoError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// What the job needs besides the request and the cards.
pub struct Job<'a> {
    /// The profile's personalization.
    pub station: &'a Station<'a>,
    /// Where the card keys come from (a key file, a PSAM, an HSM).
    pub keys: &'a SharedSource,
    /// The journal / register.
    pub journal: &'a mut Journal,
    /// The region whose card products on record the new card must be one of (`None`: lab
    /// mode, no check).
    pub region: Option<&'a crate::region::Region>,
    /// Issue on a new card whose ATR matches no product on record (labs).
    pub allow_unlisted_product: bool,
}

/// Runs the replacement, step by step, reporting each to `on_event`.
pub fn run(
    job: &mut Job<'_>,
    req: &Request,
    cards: &mut dyn CardAccess,
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary, ReplaceError> {
    let today = req
        .today
        .clone()
        .unwrap_or_else(crate::codec::today_yyyymmdd);
    // 1. The old card.
    let old = if req.reason == Reason::Lost {
        on_event(Event::Done {
            step: Step::OldCard,
            text: "skipped: the card is lost".into(),
        });
        None
    } else {
        Some(old::examine(job, cards, &today, on_event)?)
    };
    if let Some(o) = &old
        && let Some(expiry) = &o.expired_usable
        && req.reason != Reason::Expired
    {
        return Err(ReplaceError::ExpiredUsable {
            expiry: expiry.clone(),
        });
    }
    // 2. The holder's data.
    let holder = holder::settle(job.station, req, old.as_ref(), on_event)?;
    // 3. The new card.
    let issued = new::issue(job, req, holder, old.as_ref(), &today, cards, on_event)?;
    // 4 and 5. The old card and the journal: the replacement is recorded before the old card
    // is disabled (as `disable-pending`) and finished after, so that a re-run cut in between
    // finds which old card to disable (a disabled card no longer gives its card id).
    let earlier = job.journal.replacement_for(&issued.card_id)?;
    let old_card_id = old
        .as_ref()
        .and_then(|o| o.card_id.clone())
        .or_else(|| earlier.as_ref().map(|r| r.old_card_id.clone()))
        .or_else(|| {
            req.old_card_id
                .as_deref()
                .map(|s| s.trim().to_ascii_uppercase())
        })
        .unwrap_or_default();
    let ssn = issued
        .holder
        .record
        .get(&job.station.app.identity_field)
        .unwrap_or("")
        .to_string();
    let first_outcome = match &old {
        None => "lost".to_string(),
        Some(o) if !o.answers => "not-disabled: the chip does not answer".to_string(),
        Some(_) => PENDING.to_string(),
    };
    let (row, already, recorded) = match &earlier {
        Some(r) => (r.id, true, r.old_card_outcome.clone()),
        None => {
            let r = NewReplacement {
                old_card_id: old_card_id.clone(),
                new_card_id: issued.card_id.clone(),
                new_card_number: issued.card_number.clone(),
                ssn: ssn.clone(),
                reason: req.reason.as_str().into(),
                applicant: req.applicant.as_str().into(),
                agent_ssn: match &req.applicant {
                    Applicant::Agent(a) => a.clone(),
                    Applicant::Holder => String::new(),
                },
                old_card_outcome: first_outcome.clone(),
            };
            (
                job.journal.record_replacement(&r)?,
                false,
                first_outcome.clone(),
            )
        }
    };
    let outcome = if first_outcome == PENDING {
        old::disable(job, &old_card_id, cards, on_event)?
    } else {
        on_event(Event::Done {
            step: Step::DisableOld,
            text: format!("skipped: {first_outcome}"),
        });
        first_outcome
    };
    on_event(Event::Begin {
        step: Step::Record,
        text: format!("recording the replacement in {}", job.journal.url()),
    });
    if recorded != outcome {
        job.journal.set_replacement_outcome(row, &outcome)?;
    }
    let old_words = if old_card_id.is_empty() {
        "an unknown card".to_string()
    } else {
        old_card_id.clone()
    };
    on_event(Event::Done {
        step: Step::Record,
        text: format!(
            "row {row}{}: {old_words} ({outcome}) replaced by {} ({}), reason {}, applicant {}",
            if already && recorded == outcome {
                " (recorded by an earlier run: nothing written)"
            } else {
                ""
            },
            issued.card_id,
            issued.card_number,
            req.reason,
            req.applicant.as_str()
        ),
    });
    let st = job.journal.station().clone();
    Ok(Summary {
        holder_name: issued.holder.record.get("name").unwrap_or("").to_string(),
        holder_ssn_masked: mask_ssn(&ssn),
        holder_data_from: issued.holder.source.to_string(),
        reason: req.reason.as_str().into(),
        applicant: req.applicant.as_str().into(),
        agent_ssn_masked: match &req.applicant {
            Applicant::Agent(a) => mask_ssn(a),
            Applicant::Holder => String::new(),
        },
        old_card_id,
        old_card_verdict: old.as_ref().map(|o| o.verdict.clone()).unwrap_or_default(),
        old_card_outcome: outcome,
        new_card_id: issued.card_id,
        new_card_number: issued.card_number,
        new_card_result: issued.result,
        photo: issued.photo,
        journal: job.journal.url().to_string(),
        journal_row: row,
        journal_already: already,
        station: st.id,
        operator: st.operator,
        date: format!(
            "{}-{}-{}",
            today.get(0..4).unwrap_or(""),
            today.get(4..6).unwrap_or(""),
            today.get(6..8).unwrap_or("")
        ),
    })
}

/// The old card's outcome recorded before it is disabled.
pub const PENDING: &str = "disable-pending";
