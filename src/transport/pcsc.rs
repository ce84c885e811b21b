//! PC/SC readers through pcsc-lite (`pcsc` crate).
//!
//! Owner: the Core issue. Reader selection (index, exact name, unique substring), waiting for
//! insertion/removal, connect shared/exclusive with T=0/T=1/any, resets and transactions.
