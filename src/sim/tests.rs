//! Unit tests of the dispatcher internals (the command-level tests are in tests/sim_*.rs).

use super::*;

#[test]
fn unpowered_card_does_not_answer() {
    let mut c = VirtualCard::blank();
    assert_eq!(c.process(&[0x00, 0xA4, 0x00, 0x00]), None);
    assert!(c.power_on().is_some());
    assert_eq!(c.process(&[0x00, 0xA4, 0x00, 0x0C]), Some(vec![0x90, 0x00]));
}
