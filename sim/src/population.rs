//! Who the visitors are: how many tabs each has open, which are hidden, how often pages load,
//! whose laptop sleeps.

use rand::Rng;

/// Tabs per visitor: 1 for 70 %, 2 for 20 %, 3 for 7 %, 4 for 3 % (1.43 on average).
pub const TAB_SHARES: [(u8, f64); 4] = [(1, 0.70), (2, 0.20), (3, 0.07), (4, 0.03)];
/// A tab is hidden (in the background, for longer than 5 minutes) with this chance; its timers
/// then fire only on whole minutes, as Chrome's intensive throttling does.
pub const HIDDEN_SHARE: f64 = 0.3;
/// A tab loads its next page after an exponential wait of this mean (navigation, reload; the
/// page that closes is replaced at once by the next).
pub const PAGE_MEAN_S: f64 = 1800.0;
/// This share of visitors put their laptop to sleep once during the hour, for 10 to 60 minutes:
/// nothing of theirs runs meanwhile, and requests in flight fail on waking.
pub const SLEEP_SHARE: f64 = 0.05;
pub const SLEEP_MIN_S: f64 = 600.0;
pub const SLEEP_MAX_S: f64 = 3600.0;

pub fn tab_count(rng: &mut impl Rng) -> u8 {
    let mut pick: f64 = rng.random();
    for (tabs, share) in TAB_SHARES {
        if pick < share {
            return tabs;
        }
        pick -= share;
    }
    TAB_SHARES[TAB_SHARES.len() - 1].0
}

/// The wait until a tab's next page load, in milliseconds.
pub fn next_page_ms(rng: &mut impl Rng) -> u64 {
    let uniform: f64 = rng.random();
    (-(1.0 - uniform).ln() * PAGE_MEAN_S * 1000.0) as u64
}

/// When (and until when) a visitor's laptop sleeps during a run of `duration_ms`, if it does.
pub fn sleep(rng: &mut impl Rng, duration_ms: u64) -> Option<(u64, u64)> {
    if rng.random::<f64>() >= SLEEP_SHARE {
        return None;
    }
    let start = rng.random_range(0..duration_ms);
    let length = rng.random_range(SLEEP_MIN_S..SLEEP_MAX_S) * 1000.0;
    Some((start, start + length as u64))
}
