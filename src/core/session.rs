//! A session on the local clock (SPEC §2): when its token expires, when to renew it, and whether
//! it is good enough for a caller.
//!
//! All times are milliseconds since the Unix epoch on the SDK's time line (`super::clock`: the
//! local clock, `Date.now()`, as far as time has really passed), passed in;
//! nothing here reads a clock. The server's `expires_at` is kept for reporting only: client clocks
//! are wrong, so expiry is always the moment the request was *sent* plus `expires_in`.

use super::wire::AuthAnswer;

/// The random extra lead is up to this share of the lifetime, so that visitors spread out.
pub const JITTER_SHARE: f64 = 0.1;

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub answer: AuthAnswer,
    /// When the token stops being valid: request sent + `expires_in`.
    pub expires_at_ms: f64,
    /// When auto-renewal fires.
    pub renew_at_ms: f64,
    /// When the token expires as the page's clock read when the session was adopted (what the
    /// page is told: `expiresAt`); the times above are on the SDK's time line
    /// (`super::clock`), which a page's clock moved back falls behind.
    pub page_expires_at_ms: f64,
}

impl Session {
    /// A session from an answer to a request sent at `sent_at_ms`. `random` is uniform in
    /// `[0, 1)` and picks the renewal point inside its window.
    pub fn new(answer: AuthAnswer, sent_at_ms: f64, renew_before_ms: f64, random: f64) -> Self {
        let expires_at_ms = sent_at_ms + f64::from(answer.expires_in) * 1000.0;
        let renew_at_ms = renew_at(expires_at_ms, answer.expires_in, renew_before_ms, random);
        Self { answer, expires_at_ms, renew_at_ms, page_expires_at_ms: expires_at_ms }
    }

    pub fn lifetime_ms(&self) -> f64 {
        f64::from(self.answer.expires_in) * 1000.0
    }

    /// Milliseconds of validity left at `now_ms` (negative once expired).
    pub fn remaining_ms(&self, now_ms: f64) -> f64 {
        self.expires_at_ms - now_ms
    }

    /// Whether `authenticate()` may return this session without a request: it stays valid for
    /// the renewal lead (`min(renewBeforeSeconds, lifetime / 2)`), so a fresh token always
    /// qualifies even when its lifetime is shorter than `renewBeforeSeconds`.
    pub fn qualifies(&self, now_ms: f64, renew_before_ms: f64) -> bool {
        self.remaining_ms(now_ms) >= lead_ms(self.answer.expires_in, renew_before_ms) && self.is_plausible(now_ms)
    }

    /// Whether the token is valid for at least `min_ms` more.
    pub fn valid_for(&self, now_ms: f64, min_ms: f64) -> bool {
        self.remaining_ms(now_ms) >= min_ms && self.is_plausible(now_ms)
    }

    /// Whether the renewal point has passed.
    pub fn due(&self, now_ms: f64) -> bool {
        now_ms >= self.renew_at_ms
    }

    /// A session that claims more validity than its whole lifetime was made under a clock that
    /// has since gone back: its expiry cannot be trusted.
    fn is_plausible(&self, now_ms: f64) -> bool {
        self.remaining_ms(now_ms) <= self.lifetime_ms()
    }
}

/// The fixed part of the renewal lead: `min(renewBeforeSeconds, lifetime / 2)`.
pub fn lead_ms(expires_in: u32, renew_before_ms: f64) -> f64 {
    renew_before_ms.min(f64::from(expires_in) * 1000.0 / 2.0)
}

/// When to renew a token that expires at `expires_at_ms`: the lead plus a random extra of up to
/// 10% of the lifetime before expiry.
pub fn renew_at(expires_at_ms: f64, expires_in: u32, renew_before_ms: f64, random: f64) -> f64 {
    let lifetime = f64::from(expires_in) * 1000.0;
    let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.0 };
    expires_at_ms - lead_ms(expires_in, renew_before_ms) - random * JITTER_SHARE * lifetime
}

/// How long to wait before the timer fires, as a `setTimeout` delay: never negative, and at most
/// what `setTimeout` can hold (about 24.8 days; past that it fires at once). The timer re-checks
/// when it fires, so a delay cut short only means one more check.
pub fn timer_delay_ms(at_ms: f64, now_ms: f64) -> u32 {
    const MAX_TIMEOUT: f64 = 2_147_483_647.0;
    let delay = (at_ms - now_ms).ceil();
    if delay.is_nan() || delay <= 0.0 {
        0
    } else {
        delay.min(MAX_TIMEOUT) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::OrganizationId;
    use crate::core::wire::from_json;

    fn answer(expires_in: u32) -> AuthAnswer {
        let body = format!(
            r#"{{"visitor_id":"v","visitor_secret_id":"s","organization_id":"e6a08f51-c250-4074-847b-58d444dbbeb1","socket_url":"https://x/","access_token":"t","expires_at":"2015-12-22T11:25:30.595Z","expires_in":{expires_in}}}"#
        );
        AuthAnswer::read(&body, &OrganizationId::parse("e6a08f51-c250-4074-847b-58d444dbbeb1").unwrap(), from_json).unwrap()
    }

    #[test]
    fn expiry_is_the_send_time_plus_expires_in_on_the_local_clock() {
        let s = Session::new(answer(1800), 1_000_000.0, 60_000.0, 0.0);
        assert_eq!(s.expires_at_ms, 1_000_000.0 + 1_800_000.0);
        // The server's expires_at (2015!) plays no part.
        assert!(s.valid_for(1_000_000.0, 1_799_000.0));
    }

    #[test]
    fn the_renewal_window_for_a_long_lifetime() {
        // 1800 s, renew 60 s before: between 60 s and 60 + 180 s before expiry.
        let exp = 10_000_000.0;
        assert_eq!(renew_at(exp, 1800, 60_000.0, 0.0), exp - 60_000.0);
        assert_eq!(renew_at(exp, 1800, 60_000.0, 1.0), exp - 60_000.0 - 180_000.0);
        let mid = renew_at(exp, 1800, 60_000.0, 0.5);
        assert!(mid < exp - 60_000.0 && mid > exp - 240_000.0);
    }

    #[test]
    fn short_lifetimes_renew_at_half_life_at_the_latest() {
        // 4 s with the default 60 s lead: renew between 2 s and 2.4 s before expiry.
        let exp = 4_000.0;
        assert_eq!(renew_at(exp, 4, 60_000.0, 0.0), 2_000.0);
        assert_eq!(renew_at(exp, 4, 60_000.0, 1.0), 1_600.0);
        // 1 s: still after the start.
        assert!(renew_at(1_000.0, 1, 60_000.0, 1.0) > 0.0);
    }

    #[test]
    fn random_values_outside_the_unit_interval_stay_inside_the_window() {
        let exp = 10_000_000.0;
        for r in [-5.0, 7.0, f64::NAN, f64::INFINITY] {
            let at = renew_at(exp, 1800, 60_000.0, r);
            assert!(at <= exp - 60_000.0 && at >= exp - 240_000.0, "{r}: {at}");
        }
    }

    #[test]
    fn any_random_pick_renews_before_expiry_and_after_issue() {
        for expires_in in [1, 2, 5, 60, 1800, 31_536_000] {
            for renew_before in [0.0, 1_000.0, 60_000.0, 86_400_000.0] {
                for i in 0..=10 {
                    let s = Session::new(answer(expires_in), 0.0, renew_before, f64::from(i) / 10.0);
                    assert!(s.renew_at_ms >= 0.0 && s.renew_at_ms <= s.expires_at_ms, "{expires_in} {renew_before} {i}");
                }
            }
        }
    }

    #[test]
    fn a_fresh_token_qualifies_and_an_old_one_does_not() {
        let s = Session::new(answer(1800), 0.0, 60_000.0, 0.3);
        assert!(s.qualifies(0.0, 60_000.0));
        assert!(s.qualifies(1_740_000.0, 60_000.0));
        assert!(!s.qualifies(1_740_001.0, 60_000.0));
        // A 4 s token qualifies while 2 s are left, though renewBeforeSeconds is 60.
        let short = Session::new(answer(4), 0.0, 60_000.0, 0.0);
        assert!(short.qualifies(0.0, 60_000.0) && short.qualifies(2_000.0, 60_000.0));
        assert!(!short.qualifies(2_001.0, 60_000.0));
    }

    #[test]
    fn a_clock_gone_back_makes_a_session_untrustworthy() {
        let s = Session::new(answer(60), 1_000_000.0, 10_000.0, 0.0);
        assert!(s.valid_for(1_000_000.0, 0.0));
        // The clock went back an hour: 61 minutes "left" on a 1-minute token.
        assert!(!s.valid_for(1_000_000.0 - 3_600_000.0, 0.0));
        assert!(!s.qualifies(1_000_000.0 - 3_600_000.0, 10_000.0));
    }

    #[test]
    fn due_and_valid_for() {
        let s = Session::new(answer(10), 0.0, 60_000.0, 0.0);
        assert_eq!(s.renew_at_ms, 5_000.0);
        assert!(!s.due(4_999.0) && s.due(5_000.0));
        assert!(s.valid_for(5_000.0, 5_000.0) && !s.valid_for(5_001.0, 5_000.0));
        assert!(!s.valid_for(10_000.1, 0.0));
    }

    #[test]
    fn timer_delays_fit_set_timeout() {
        assert_eq!(timer_delay_ms(100.0, 200.0), 0);
        assert_eq!(timer_delay_ms(200.5, 100.0), 101);
        assert_eq!(timer_delay_ms(f64::NAN, 0.0), 0);
        assert_eq!(timer_delay_ms(1e15, 0.0), 2_147_483_647);
    }
}
