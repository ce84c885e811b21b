//! `sscard bench`: APDU throughput and latency on the current `--reader`.

use super::Globals;
use anyhow::{Context, bail};
use sscard::apdu::{Response, Sw, parse_hex, spaced};
use sscard::transport::Transport;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Arguments of `sscard bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// How many APDUs to time.
    #[arg(long, short = 'n', default_value_t = 5000)]
    pub count: u32,
    /// APDUs sent first and not timed.
    #[arg(long, default_value_t = 50)]
    pub warmup: u32,
    /// The APDU to send (hex). Default: SELECT MF without response data, which changes
    /// nothing on the card. Do not bench commands that write or spend PIN tries.
    #[arg(long, default_value = "00A4000C023F00")]
    pub apdu: String,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The measured figures.
#[derive(Debug, serde::Serialize)]
struct Figures {
    reader: String,
    apdu: String,
    count: u32,
    seconds: f64,
    apdu_per_s: f64,
    min_us: f64,
    median_us: f64,
    p99_us: f64,
    max_us: f64,
    status_words: Vec<(String, u32)>,
}

/// Runs `sscard bench`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    let apdu = parse_hex(&args.apdu).context("--apdu is not a valid hex APDU")?;
    let mut card = super::common::open_card(g)?;
    let figures = measure(card.as_mut(), &apdu, &args);
    let closed = card.close();
    let figures = figures?;
    closed?;
    if args.json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        print_figures(&figures);
    }
    Ok(ExitCode::SUCCESS)
}

fn measure(card: &mut dyn Transport, apdu: &[u8], args: &Args) -> anyhow::Result<Figures> {
    for _ in 0..args.warmup {
        card.transmit(apdu)?;
    }
    let mut times = Vec::with_capacity(args.count as usize);
    let mut sws: Vec<(Sw, u32)> = Vec::new();
    let start = Instant::now();
    for _ in 0..args.count {
        let t0 = Instant::now();
        let raw = card.transmit(apdu)?;
        times.push(t0.elapsed());
        let sw = Response::from_bytes(&raw)?.sw;
        match sws.iter_mut().find(|(s, _)| *s == sw) {
            Some((_, n)) => *n += 1,
            None => sws.push((sw, 1)),
        }
    }
    let total = start.elapsed();
    times.sort_unstable();
    let pick = |q: f64| -> f64 {
        let idx = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(idx).copied().map_or(0.0, micros)
    };
    Ok(Figures {
        reader: card.name(),
        apdu: spaced(apdu),
        count: args.count,
        seconds: total.as_secs_f64(),
        apdu_per_s: f64::from(args.count) / total.as_secs_f64().max(1e-9),
        min_us: pick(0.0),
        median_us: pick(0.5),
        p99_us: pick(0.99),
        max_us: pick(1.0),
        status_words: sws
            .iter()
            .map(|(sw, n)| (format!("{:04X}", sw.0), *n))
            .collect(),
    })
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn print_figures(f: &Figures) {
    println!("reader:     {}", f.reader);
    println!("APDU:       {}", f.apdu);
    println!(
        "count:      {} in {:.3} s = {:.0} APDU/s",
        f.count, f.seconds, f.apdu_per_s
    );
    println!(
        "latency:    min {:.1} µs, median {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        f.min_us, f.median_us, f.p99_us, f.max_us
    );
    let sws: Vec<String> = f
        .status_words
        .iter()
        .map(|(sw, n)| format!("{sw} ×{n}"))
        .collect();
    println!("responses:  {}", sws.join(", "));
}
