//! Errors as text: an error and its sources on one line.
//!
//! Library errors say what they add and keep what caused them as their `source()` (never in
//! their own message), so the text of an error alone is only its first link. Where a library
//! error becomes text (a journal row, a report, the C interface's message) it is
//! [`ErrorChain::chain`]: every link joined by `: `, as the CLI prints it (anyhow's `{:#}`).

use std::error::Error;
use std::fmt;

/// An error and its sources, shown as `what: why: cause`.
pub struct Chain<'a>(&'a (dyn Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut next: Option<&dyn Error> = Some(self.0);
        while let Some(e) = next {
            if !first {
                f.write_str(": ")?;
            }
            first = false;
            write!(f, "{e}")?;
            next = e.source();
        }
        Ok(())
    }
}

/// [`Chain`] for any error.
pub trait ErrorChain {
    /// The error and its sources, joined by `: `.
    fn chain(&self) -> Chain<'_>;
}

impl<E: Error> ErrorChain for E {
    fn chain(&self) -> Chain<'_> {
        Chain(self)
    }
}

impl ErrorChain for dyn Error + '_ {
    fn chain(&self) -> Chain<'_> {
        Chain(self)
    }
}

impl ErrorChain for dyn Error + Send + Sync + '_ {
    fn chain(&self) -> Chain<'_> {
        Chain(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("6A82 (file or application not found)")]
    struct Leaf;

    #[derive(Debug, thiserror::Error)]
    #[error("selecting DF SSSE on sim:x.json")]
    struct Top(#[source] Leaf);

    #[test]
    fn every_link_once() {
        assert_eq!(
            Top(Leaf).chain().to_string(),
            "selecting DF SSSE on sim:x.json: 6A82 (file or application not found)"
        );
        let boxed: Box<dyn Error + Send + Sync> = Box::new(Top(Leaf));
        assert_eq!(boxed.chain().to_string(), Top(Leaf).chain().to_string());
        assert_eq!(Leaf.chain().to_string(), Leaf.to_string());
    }
}
