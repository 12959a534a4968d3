//! Whether the request rate settles back to its steady level after the fault ends, or keeps
//! swinging: a verdict from the per-second series, with the numbers it rests on.
//!
//! The rate is looked at in 10-second buckets (the charts' points). The steady band is the
//! policy's own mean over minutes 5 to 20 (before the fault), give or take 20 % of it or four
//! standard deviations of those steady buckets, whichever is wider (a small population's rate
//! is noisier). The window is the 10 minutes from the fault's end, before the fault's echo.
//!
//! - *settles after N s*: from N s after the fault's end to the window's end, every bucket is in
//!   the band, and N is at most half the window;
//! - otherwise, from the buckets of the window's second half: *oscillates* when some are above
//!   the band and some below, *stays above* or *stays below* when all that leave it are on one
//!   side.
//!
//! Each verdict comes with the lowest and highest bucket of the window's second half, as
//! multiples of the steady mean.
//!
//! The echo: the sessions a fault kept from being issued, and those issued all at once when it
//! ended, are renewed one lifetime later, as few or as many together. From the soonest such
//! renewal (the fault's start plus the soonest renewal after an issue, 26 minutes for this SDK)
//! to the end of the run, the lowest and highest bucket are given too, as multiples of the
//! steady mean.

use crate::measure::{bucket_means, BUCKET_S};
use crate::scenario::{FAULT_START_S, STEADY_FROM_S};

/// The band's half-width: at least this share of the steady mean...
pub const BAND_SHARE: f64 = 0.2;
/// ...and at least this many standard deviations of the steady buckets.
pub const BAND_SDS: f64 = 4.0;
/// How long after the fault's end is looked at.
pub const WINDOW_S: usize = 600;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// In the band from this many seconds after the fault's end on.
    Settles { after_s: u64 },
    Oscillates,
    StaysAbove,
    StaysBelow,
}

/// The verdict, and the ranges it rests on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settling {
    pub verdict: Verdict,
    /// The lowest and highest 10-second rate of the window's second half, as multiples of the
    /// steady mean.
    pub low: f64,
    pub high: f64,
    /// The same, from the fault's echo on to the end of the run.
    pub echo_low: f64,
    pub echo_high: f64,
}

/// The settling of `requests` (per second of the run) after a fault that ended at
/// `fault_end_s`, with its echo from `echo_from_s` on; `None` when the run is too short to hold
/// both windows, or had no steady rate.
pub fn after_fault(requests: &[u32], fault_end_s: usize, echo_from_s: usize) -> Option<Settling> {
    let steady = bucket_means(requests.get(STEADY_FROM_S as usize..FAULT_START_S as usize)?);
    let after = bucket_means(requests.get(fault_end_s..fault_end_s + WINDOW_S)?);
    let echo = bucket_means(requests.get(echo_from_s..).filter(|echo| !echo.is_empty())?);
    let mean = steady.iter().sum::<f64>() / steady.len() as f64;
    if mean <= 0.0 {
        return None;
    }
    let (low, high) = range(&after[after.len() / 2..], mean);
    let (echo_low, echo_high) = range(&echo, mean);
    let variance = steady.iter().map(|rate| (rate - mean).powi(2)).sum::<f64>() / steady.len() as f64;
    let half_width = (BAND_SHARE * mean).max(BAND_SDS * variance.sqrt());
    let above = |rate: f64| rate > mean + half_width;
    let below = |rate: f64| rate < mean - half_width;
    let second_half = &after[after.len() / 2..];
    // The first bucket of the last run of buckets in the band.
    let settled_from = after.iter().rposition(|&rate| above(rate) || below(rate)).map_or(0, |last_out| last_out + 1);
    let verdict = if settled_from <= after.len() / 2 {
        Verdict::Settles { after_s: (settled_from * BUCKET_S) as u64 }
    } else {
        match (second_half.iter().any(|&r| above(r)), second_half.iter().any(|&r| below(r))) {
            (true, true) => Verdict::Oscillates,
            (true, false) => Verdict::StaysAbove,
            _ => Verdict::StaysBelow,
        }
    };
    Some(Settling { verdict, low, high, echo_low, echo_high })
}

/// The lowest and highest of `buckets`, as multiples of `mean`.
fn range(buckets: &[f64], mean: f64) -> (f64, f64) {
    let low = buckets.iter().copied().fold(f64::INFINITY, f64::min);
    let high = buckets.iter().copied().fold(0.0, f64::max);
    (low / mean, high / mean)
}

impl Settling {
    /// As the table shows it: `settles after 40 s (0.95–1.06×); echo 0.51–2.38×`.
    pub fn describe(&self) -> String {
        let verdict = match self.verdict {
            Verdict::Settles { after_s } => format!("settles after {after_s} s"),
            Verdict::Oscillates => "oscillates".to_owned(),
            Verdict::StaysAbove => "stays above".to_owned(),
            Verdict::StaysBelow => "stays below".to_owned(),
        };
        format!("{verdict} ({:.2}–{:.2}×); echo {:.2}–{:.2}×", self.low, self.high, self.echo_low, self.echo_high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of `100` requests a second, with `after` (per second) from the fault's end on.
    fn run(fault_end_s: usize, after: impl Fn(usize) -> u32) -> Vec<u32> {
        (0..3600).map(|s| if s < fault_end_s { 100 } else { after(s - fault_end_s) }).collect()
    }

    #[test]
    fn a_burst_that_drains_settles_when_it_is_back_in_the_band() {
        let requests = run(1800, |s| if s < 45 { 400 } else { 110 });
        let settling = after_fault(&requests, 1800, 3000).expect("the window fits");
        assert_eq!(settling.verdict, Verdict::Settles { after_s: 50 });
        assert!((settling.low - 1.1).abs() < 1e-9 && (settling.high - 1.1).abs() < 1e-9);
    }

    #[test]
    fn the_echo_is_the_range_from_its_start_to_the_end_of_the_run() {
        let requests: Vec<u32> = (0..3600).map(|s| match s {
            2800..2900 => 50,
            3400..3450 => 240,
            _ => 100,
        }).collect();
        let settling = after_fault(&requests, 1800, 2760).expect("the windows fit");
        assert_eq!(settling.verdict, Verdict::Settles { after_s: 0 });
        assert_eq!((settling.echo_low, settling.echo_high), (0.5, 2.4));
        assert_eq!(settling.describe(), "settles after 0 s (1.00–1.00×); echo 0.50–2.40×");
    }

    #[test]
    fn waves_that_last_oscillate_and_a_rate_that_stays_off_is_said_so() {
        let waves = run(1800, |s| if (s / 30) % 2 == 0 { 160 } else { 40 });
        let settling = after_fault(&waves, 1800, 3000).expect("the window fits");
        assert_eq!(settling.verdict, Verdict::Oscillates);
        assert!((settling.low - 0.4).abs() < 1e-9 && (settling.high - 1.6).abs() < 1e-9);
        assert_eq!(after_fault(&run(1800, |_| 130), 1800, 3000).map(|s| s.verdict), Some(Verdict::StaysAbove));
        assert_eq!(after_fault(&run(1800, |_| 50), 1800, 3000).map(|s| s.verdict), Some(Verdict::StaysBelow));
        // Back in the band only in the window's second half: not settled.
        assert_eq!(after_fault(&run(1800, |s| if s < 400 { 50 } else { 100 }), 1800, 3000).map(|s| s.verdict), Some(Verdict::StaysBelow));
    }

    #[test]
    fn the_band_widens_with_the_steady_noise() {
        // Steady buckets alternating 70 and 130 (a standard deviation of 30): 30 % off is noise.
        let requests: Vec<u32> = (0..3600).map(|s| if s >= 1800 { 130 } else if (s / 10) % 2 == 0 { 70 } else { 130 }).collect();
        assert_eq!(after_fault(&requests, 1800, 3000).map(|s| s.verdict), Some(Verdict::Settles { after_s: 0 }));
    }

    #[test]
    fn a_run_too_short_or_without_requests_has_no_verdict() {
        assert_eq!(after_fault(&[100; 2000], 1800, 1900), None);
        assert_eq!(after_fault(&[100; 3600], 1800, 3600), None);
        assert_eq!(after_fault(&[0; 3600], 1800, 3000), None);
    }
}
