//! The SDK's own time line (SPEC §3: "the clock is the page's, and the page may move it").
//!
//! The page's clock (`Date.now()`) can be moved back or forward: by the page (a replaced
//! `Date.now`), by the user, by a time sync. Had the SDK scheduled on it, a clock moved back
//! would make an expired token look valid and put its renewal off by the jump. The monotonic
//! clock (`performance.now()`) cannot be moved back, but on some systems stands still while the
//! computer sleeps, and a page can replace it too.
//!
//! So the SDK counts time on a line of its own, read from both: from one reading to the next,
//! time passed as far as the clock that says *more* says, so that neither a page's clock moved
//! back nor a monotonic clock that slept makes time pass slower than it did. A clock moved
//! forward makes time pass faster, which can only bring a renewal sooner. The line starts at the
//! page's clock and never falls behind it: records written for other tabs and later page loads
//! (in the page's clock) are read on the line as they are, which can only make them sooner.
//!
//! The two clocks read a little apart (rounding, the moment between the two reads, drift), so
//! each is counted from a shared starting point, not reading by reading (the small differences
//! do not add up), and that point moves only when the two disagree by more than [`SLACK_MS`].

use core::cell::Cell;

/// How far apart the two clocks may read before one is taken to have been moved (or to have
/// slept): above what they drift apart by over minutes and the coarsest timer rounding of
/// browsers (100 ms), below anything that matters to a token.
pub const SLACK_MS: f64 = 1000.0;

/// The SDK's time line. Read through `&self` (the getters read it too); it remembers what it
/// needs to count from.
#[derive(Debug, Default)]
pub struct Clock {
    /// Where both clocks are counted from: the page's clock, the monotonic clock and the line
    /// there. All 0 at first: the first reading then finds the clocks as far apart as the page's
    /// clock is from 1970, and starts the line there, at the later of the two.
    origin: Cell<[f64; 3]>,
    /// The line at the latest reading.
    last: Cell<f64>,
}

impl Clock {
    /// The line now, from the page's clock (`wall`, a finite number) and the monotonic clock
    /// (`mono`, not finite when there is none), in milliseconds on the page's clock's scale.
    #[inline(never)]
    pub fn now(&self, wall: f64, mono: f64) -> f64 {
        let [origin_wall, origin_mono, origin_line] = self.origin.get();
        let by_wall = origin_line + (wall - origin_wall);
        let by_mono = origin_line + (mono - origin_mono);
        // Never back; as far as the page's clock says since the origin...
        let mut line = later(by_wall, self.last.get());
        // ...and as far as the monotonic clock says, when it gave numbers then and now.
        let both = by_mono.is_finite();
        if both {
            line = later(line, by_mono);
        }

        // No monotonic clock: counted from each reading, a move back of the page's clock as no
        // time passing. The two clocks disagree: one was moved (or slept); counted from here.
        if !both || (by_wall - by_mono).abs() > SLACK_MS {
            self.origin.set([wall, mono, line]);
        }
        self.last.set(line);
        line
    }

    /// How far the page's clock is behind the line (0 or less), as of where both are counted
    /// from (since then they have kept within [`SLACK_MS`]): a time on the line, plus this, is
    /// the page's clock's reading of it.
    pub fn to_page(&self) -> f64 {
        let [wall, _, line] = self.origin.get();
        if wall < line { wall - line } else { 0.0 }
    }
}

/// The later of two times (`b` when `a` is no number).
fn later(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1_700_000_000_000.0;

    #[test]
    fn without_moves_the_line_is_the_page_clock() {
        let clock = Clock::default();
        assert_eq!(clock.now(T0, 50.0), T0);
        assert_eq!(clock.now(T0 + 1234.0, 1284.0), T0 + 1234.0);
        assert_eq!(clock.to_page(), 0.0);
    }

    #[test]
    fn a_page_clock_moved_back_counts_the_time_that_passed() {
        let clock = Clock::default();
        clock.now(T0, 0.0);
        // 20 s pass, and the clock is moved back 15 s.
        assert_eq!(clock.now(T0 + 5_000.0, 20_000.0), T0 + 20_000.0);
        assert_eq!(clock.to_page(), -15_000.0);
        // Time goes on from there, at the rate both clocks agree on.
        assert_eq!(clock.now(T0 + 15_000.0, 30_000.0), T0 + 30_000.0);
        // An hour back: the same.
        assert_eq!(clock.now(T0 + 15_000.0 - 3_600_000.0, 31_000.0), T0 + 31_000.0);
        assert_eq!(clock.now(T0 + 25_000.0 - 3_600_000.0, 41_000.0), T0 + 41_000.0);
    }

    #[test]
    fn a_page_clock_moved_forward_or_a_sleep_the_monotonic_clock_missed_is_time_passed() {
        let clock = Clock::default();
        clock.now(T0, 0.0);
        assert_eq!(clock.now(T0 + 3_600_000.0, 1_000.0), T0 + 3_600_000.0);
        // Moved back again: the line goes on, never back.
        assert_eq!(clock.now(T0 + 2_000.0, 2_000.0), T0 + 3_601_000.0);
        assert_eq!(clock.now(T0 + 12_000.0, 12_000.0), T0 + 3_611_000.0);
    }

    #[test]
    fn small_disagreements_do_not_add_up() {
        let clock = Clock::default();
        clock.now(T0, 0.0);
        // The clocks read up to 100 ms apart, either way, a hundred thousand times.
        for i in 1..=100_000u32 {
            let t = f64::from(i) * 10.0;
            let (wall, mono) = if i % 2 == 0 { (t + 100.0, t) } else { (t, t + 100.0) };
            clock.now(T0 + wall, mono);
        }
        let line = clock.now(T0 + 1_000_010.0, 1_000_010.0);
        assert!((line - (T0 + 1_000_010.0)).abs() <= 100.0, "{}", line - T0);
    }

    #[test]
    fn a_monotonic_clock_that_is_missing_or_stands_still_leaves_the_page_clock() {
        for mono in [f64::NAN, 7.0] {
            let clock = Clock::default();
            clock.now(T0, mono);
            for i in 1..=100 {
                assert_eq!(clock.now(T0 + f64::from(i) * 500.0, mono), T0 + f64::from(i) * 500.0, "{mono}");
            }
        }
        // Without one, a move back counts as no time passing, and time goes on from there.
        let clock = Clock::default();
        clock.now(T0, f64::NAN);
        assert_eq!(clock.now(T0 - 15_000.0, f64::NAN), T0);
        assert_eq!(clock.now(T0 - 5_000.0, f64::NAN), T0 + 10_000.0);
    }

    #[test]
    fn a_monotonic_clock_that_goes_back_or_a_page_clock_that_is_no_number_changes_nothing() {
        let clock = Clock::default();
        clock.now(T0, 1e6);
        assert_eq!(clock.now(T0 + 1_000.0, 0.0), T0 + 1_000.0);
        assert_eq!(clock.now(T0 + 2_000.0, 1_000.0), T0 + 2_000.0);
        assert_eq!(clock.now(f64::NAN, 1_500.0), T0 + 2_500.0);
    }
}
