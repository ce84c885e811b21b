//! The fault-mode options of `sscard sim`: they change the fault configuration stored in the
//! card image (rules in the virtual card's documentation).

use anyhow::bail;
use sscard::sim::VirtualCard;
use sscard::sim::fault::{FaultConfig, Intermittent, InterruptedWrite};

/// Fault modes. Each option given replaces that part of the image's fault configuration;
/// the result is saved in the image.
#[derive(clap::Args, Debug, Default)]
pub struct FaultArgs {
    /// Clear every fault first (a healthy card), then apply the other fault options.
    #[arg(long)]
    pub healthy: bool,
    /// A dead chip: no ATR (behind vpcd the reader then shows no card).
    #[arg(long)]
    pub fault_dead: bool,
    /// Memory failure (6581) on this file, a path of FIDs from the MF such as DDF1/EF05
    /// (repeatable).
    #[arg(long, value_name = "PATH")]
    pub fault_memory: Vec<String>,
    /// Intermittent failures: RATE (0 to 1) per APDU, drawn from SEED; SW defaults to 6581.
    #[arg(long, value_name = "RATE,SEED[,SW]")]
    pub fault_intermittent: Option<String>,
    /// Delay every answer by MS milliseconds.
    #[arg(long, value_name = "MS")]
    pub fault_delay_ms: Option<u64>,
    /// Lose power during the Nth APDU after power-on (the card then gives no answer; behind
    /// vpcd it leaves the reader).
    #[arg(long, value_name = "N")]
    pub fault_power_loss_at: Option<u64>,
    /// Lose power at the Nth APDU after every power-on, not just once.
    #[arg(long)]
    pub fault_power_loss_repeat: bool,
    /// Whether the APDU interrupted by the power loss is executed: `done` or `not-done`
    /// (the default).
    #[arg(long, value_name = "WHICH", value_parser = ["done", "not-done"])]
    pub fault_interrupted_write: Option<String>,
}

impl FaultArgs {
    /// True when any fault option was given.
    pub fn any(&self) -> bool {
        self.healthy
            || self.fault_dead
            || !self.fault_memory.is_empty()
            || self.fault_intermittent.is_some()
            || self.fault_delay_ms.is_some()
            || self.fault_power_loss_at.is_some()
            || self.fault_power_loss_repeat
            || self.fault_interrupted_write.is_some()
    }

    /// Applies the options to the card's fault configuration.
    pub fn apply(&self, card: &mut VirtualCard) -> anyhow::Result<()> {
        let mut f = if self.healthy {
            FaultConfig::default()
        } else {
            card.faults().clone()
        };
        if self.fault_dead {
            f.dead = true;
        }
        if !self.fault_memory.is_empty() {
            f.memory_failure = self.fault_memory.clone();
        }
        if let Some(text) = &self.fault_intermittent {
            f.intermittent = Some(parse_intermittent(text)?);
        }
        if let Some(ms) = self.fault_delay_ms {
            f.delay_ms = ms;
        }
        if let Some(n) = self.fault_power_loss_at {
            if n == 0 {
                bail!("--fault-power-loss-at counts APDUs from 1 (the first APDU after power-on)");
            }
            f.power_loss_at = Some(n);
        }
        if self.fault_power_loss_repeat {
            f.power_loss_repeat = true;
        }
        match self.fault_interrupted_write.as_deref() {
            Some("done") => f.interrupted_write = InterruptedWrite::Done,
            Some(_) => f.interrupted_write = InterruptedWrite::NotDone,
            None => {}
        }
        card.set_faults(f);
        Ok(())
    }
}

fn parse_intermittent(text: &str) -> anyhow::Result<Intermittent> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let bad = || {
        anyhow::anyhow!(
            "--fault-intermittent '{text}': expected RATE,SEED[,SW] such as 0.05,42 or 0.1,7,6F00"
        )
    };
    let (rate, seed, sw) = match parts.as_slice() {
        [r, s] => (r, s, "6581"),
        [r, s, w] => (r, s, *w),
        _ => return Err(bad()),
    };
    let rate: f64 = rate.parse().map_err(|_| bad())?;
    if !(0.0..=1.0).contains(&rate) {
        bail!("--fault-intermittent: the rate {rate} is not between 0 and 1");
    }
    let seed: u64 = seed.parse().map_err(|_| bad())?;
    let sw = u16::from_str_radix(sw, 16).map_err(|_| bad())?;
    Ok(Intermittent { rate, seed, sw })
}

/// One line describing a fault configuration.
pub fn describe(f: &FaultConfig) -> String {
    if f.is_healthy() {
        return "none (healthy card)".into();
    }
    let mut parts = Vec::new();
    if f.dead {
        parts.push("dead chip (no ATR)".to_string());
    }
    for p in &f.memory_failure {
        parts.push(format!("memory failure on {p}"));
    }
    if let Some(i) = &f.intermittent {
        parts.push(format!(
            "intermittent {:04X} at rate {} (seed {})",
            i.sw, i.rate, i.seed
        ));
    }
    if f.delay_ms > 0 {
        parts.push(format!("{} ms delay", f.delay_ms));
    }
    if let Some(n) = f.power_loss_at {
        parts.push(format!(
            "power lost at APDU {n}{} (interrupted write {})",
            if f.power_loss_repeat {
                " after every power-on"
            } else {
                ", once"
            },
            match f.interrupted_write {
                InterruptedWrite::Done => "done",
                InterruptedWrite::NotDone => "not done",
            }
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intermittent_text() {
        let i = parse_intermittent("0.25,7").expect("valid");
        assert_eq!((i.rate, i.seed, i.sw), (0.25, 7, 0x6581));
        let i = parse_intermittent("1, 9, 6F00").expect("valid");
        assert_eq!(i.sw, 0x6F00);
        assert!(parse_intermittent("2,1").is_err());
        assert!(parse_intermittent("0.1").is_err());
        assert!(parse_intermittent("0.1,x").is_err());
    }

    #[test]
    fn options_change_the_card() {
        let mut card = VirtualCard::blank();
        let args = FaultArgs {
            fault_power_loss_at: Some(3),
            fault_interrupted_write: Some("done".into()),
            ..FaultArgs::default()
        };
        assert!(args.any());
        args.apply(&mut card).expect("apply");
        assert_eq!(card.faults().power_loss_at, Some(3));
        assert_eq!(card.faults().interrupted_write, InterruptedWrite::Done);
        assert!(describe(card.faults()).contains("power lost at APDU 3"));
        let heal = FaultArgs {
            healthy: true,
            ..FaultArgs::default()
        };
        heal.apply(&mut card).expect("apply");
        assert!(card.faults().is_healthy());
    }
}
