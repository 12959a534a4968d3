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

#[derive(Clone, Copy, Debug)]
struct Reading {
    /// The page's clock, ms since the Unix epoch.
    wall: f64,
    /// The monotonic clock, ms (NaN when there is none, or it gave no number).
    mono: f64,
    /// The line, at this reading.
    line: f64,
}

/// The SDK's time line. Read through `&self` (the getters read it too); it remembers what it
/// needs to count from.
#[derive(Debug, Default)]
pub struct Clock {
    /// Where both clocks are counted from.
    origin: Cell<Option<Reading>>,
    /// The latest reading.
    last: Cell<Option<Reading>>,
}

impl Clock {
    /// The line now, from the page's clock (`wall`) and the monotonic clock (`mono`, not
    /// finite when there is none), in milliseconds on the page's clock's scale.
    pub fn now(&self, wall: f64, mono: f64) -> f64 {
        let (Some(origin), Some(last)) = (self.origin.get(), self.last.get()) else {
            let first = Reading { wall, mono, line: wall };
            self.origin.set(Some(first));
            self.last.set(Some(first));
            return wall;
        };
        let wall = if wall.is_finite() { wall } else { last.wall };
        let by_wall = origin.line + (wall - origin.wall);
        let by_mono = origin.line + (mono - origin.mono);
        let reading = if by_mono.is_finite() {
            let line = by_wall.max(by_mono).max(last.line);
            let reading = Reading { wall, mono, line };
            if (by_wall - by_mono).abs() > SLACK_MS {
                // One of the clocks was moved (or slept): count on from here.
                self.origin.set(Some(reading));
            }
            reading
        } else {
            // No monotonic clock (now, or at the origin): the page's clock alone, where a move
            // back counts as no time passing.
            let reading = Reading { wall, mono, line: by_wall.max(last.line) };
            self.origin.set(Some(reading));
            reading
        };
        self.last.set(Some(reading));
        reading.line
    }

    /// How far the page's clock is behind the line at the latest reading (0 or less): a time on
    /// the line, plus this, is the page's clock's reading of it.
    pub fn to_page(&self) -> f64 {
        self.last.get().map_or(0.0, |last| (last.wall - last.line).min(0.0))
    }
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
