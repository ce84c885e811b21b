//! Choosing a reader from what the user typed: an index, the exact name or a unique part of it.
//!
//! Pure logic over a reader list, so it is tested without pcscd.

use super::TransportError;

/// One reader as PC/SC reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderInfo {
    /// Position in the list (0-based), as `sscard readers` prints it.
    pub index: usize,
    /// The reader name.
    pub name: String,
    /// True when a card is in the reader.
    pub card_present: bool,
    /// True when another program holds the card exclusively.
    pub exclusive: bool,
    /// The ATR of the card, when one is present.
    pub atr: Option<Vec<u8>>,
}

/// The readers as one line for error messages: `0: "A" (card), 1: "B" (empty)`.
pub fn describe(readers: &[ReaderInfo]) -> String {
    if readers.is_empty() {
        return "none".to_string();
    }
    readers
        .iter()
        .map(|r| {
            format!(
                "{}: \"{}\" ({})",
                r.index,
                r.name,
                if r.card_present { "card" } else { "empty" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Picks the reader the user meant.
///
/// `wanted`:
/// - `None`: the only reader, or else the only reader holding a card;
/// - the exact name of a reader;
/// - a number: the index shown by `sscard readers`;
/// - a part of a name (case-insensitive) that matches exactly one reader.
///
/// Unknown or ambiguous choices are errors that list the readers.
pub fn choose<'a>(
    readers: &'a [ReaderInfo],
    wanted: Option<&str>,
) -> Result<&'a ReaderInfo, TransportError> {
    if readers.is_empty() {
        return Err(TransportError::NoReaders);
    }
    let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
        if let [only] = readers {
            return Ok(only);
        }
        let with_card: Vec<&ReaderInfo> = readers.iter().filter(|r| r.card_present).collect();
        return match with_card.as_slice() {
            [one] => Ok(one),
            [] => Err(TransportError::NoCardInAnyReader {
                readers: describe(readers),
            }),
            many => Err(TransportError::AmbiguousReader {
                wanted: "(no --reader given)".to_string(),
                matches: describe(&many.iter().map(|r| (*r).clone()).collect::<Vec<_>>()),
            }),
        };
    };
    if let Some(r) = readers.iter().find(|r| r.name == wanted) {
        return Ok(r);
    }
    if let Ok(i) = wanted.parse::<usize>() {
        return readers.iter().find(|r| r.index == i).ok_or_else(|| {
            TransportError::UnknownReader {
                wanted: wanted.to_string(),
                available: describe(readers),
            }
        });
    }
    let lw = wanted.to_lowercase();
    let hits: Vec<&ReaderInfo> = readers
        .iter()
        .filter(|r| r.name.to_lowercase().contains(&lw))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(TransportError::UnknownReader {
            wanted: wanted.to_string(),
            available: describe(readers),
        }),
        many => Err(TransportError::AmbiguousReader {
            wanted: wanted.to_string(),
            matches: describe(&many.iter().map(|r| (*r).clone()).collect::<Vec<_>>()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(index: usize, name: &str, card: bool) -> ReaderInfo {
        ReaderInfo {
            index,
            name: name.to_string(),
            card_present: card,
            exclusive: false,
            atr: card.then(|| vec![0x3B, 0x00]),
        }
    }

    fn two() -> Vec<ReaderInfo> {
        vec![
            r(0, "Virtual PCD 00 00", true),
            r(1, "Virtual PCD 00 01", false),
        ]
    }

    #[test]
    fn by_exact_name_index_and_unique_part() {
        let rs = two();
        assert_eq!(choose(&rs, Some("Virtual PCD 00 01")).unwrap().index, 1);
        assert_eq!(choose(&rs, Some("1")).unwrap().index, 1);
        assert_eq!(choose(&rs, Some(" 0 ")).unwrap().index, 0);
        assert_eq!(choose(&rs, Some("00 01")).unwrap().index, 1);
        assert_eq!(choose(&rs, Some("pcd 00 00")).unwrap().index, 0);
    }

    #[test]
    fn exact_name_wins_over_index() {
        let rs = vec![r(0, "Reader", false), r(1, "0", true)];
        assert_eq!(choose(&rs, Some("0")).unwrap().index, 1);
    }

    #[test]
    fn unknown_lists_the_readers() {
        let err = choose(&two(), Some("Gemalto")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, TransportError::UnknownReader { .. }));
        assert!(msg.contains("'Gemalto'"), "{msg}");
        assert!(msg.contains("0: \"Virtual PCD 00 00\" (card)"), "{msg}");
        assert!(msg.contains("1: \"Virtual PCD 00 01\" (empty)"), "{msg}");
        assert!(matches!(
            choose(&two(), Some("7")),
            Err(TransportError::UnknownReader { .. })
        ));
    }

    #[test]
    fn ambiguous_part_lists_the_matches() {
        let err = choose(&two(), Some("virtual")).unwrap_err();
        assert!(matches!(err, TransportError::AmbiguousReader { .. }));
        assert!(err.to_string().contains("Virtual PCD 00 01"));
    }

    #[test]
    fn default_is_the_only_reader_or_the_only_card() {
        assert_eq!(choose(&two(), None).unwrap().index, 0);
        let one = vec![r(0, "Only", false)];
        assert_eq!(choose(&one, None).unwrap().name, "Only");
        let none = vec![r(0, "A", false), r(1, "B", false)];
        assert!(matches!(
            choose(&none, None),
            Err(TransportError::NoCardInAnyReader { .. })
        ));
        let both = vec![r(0, "A", true), r(1, "B", true)];
        assert!(matches!(
            choose(&both, None),
            Err(TransportError::AmbiguousReader { .. })
        ));
        assert!(matches!(choose(&[], None), Err(TransportError::NoReaders)));
        assert!(matches!(
            choose(&[], Some("x")),
            Err(TransportError::NoReaders)
        ));
    }
}
