//! What to do after a failed auth request (SPEC §3): whether to retry, how long to wait, when a
//! waiting caller gives up, and whether the failure may mean the stored secret was refused.

/// A caller of `authenticate()` (or `getAccessToken()`, `fetch()`) waits this long at most.
pub const GIVE_UP_MS: f64 = 30_000.0;
/// A `Retry-After` longer than this is taken as this: a server asking for hours is broken.
pub const MAX_RETRY_AFTER_MS: f64 = 3_600_000.0;

/// Whether an auth answer may carry a session: any 2xx (the documented answer is 200, but a
/// valid session gains nothing from being refused); its body is validated all the same.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Whether an HTTP status of an auth answer is worth retrying: 408, 429 and 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// Whether a status answered to a request that carried a secret may mean the secret was
/// refused: the SDK then asks without it (is the endpoint working?) and, if so, with it once more;
/// the secret is refused only when this status comes twice.
pub fn may_refuse_secret(status: u16) -> bool {
    matches!(status, 400 | 401 | 403 | 404)
}

/// How a flight spaces its retries. [`Backoff::SPEC`] is SPEC §3's policy and the only one the
/// SDK ships (`Options::backoff`); the other settings are variants that the simulator (`sim/`)
/// runs against it, on the same machine, to see what each would do to the auth endpoint.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Backoff {
    /// The first retry waits up to this long; each further one doubles it.
    pub base_ms: f64,
    /// No backoff wait is longer than this...
    pub cap_ms: f64,
    /// ...until this many attempts of a flight have failed: from then on, `long_cap_ms` is.
    pub long_cap_after: u32,
    pub long_cap_ms: f64,
    /// A background renewal whose token is still valid for `v` ms draws its wait from at least
    /// `[0, v / 2)`: a visitor whose token has minutes left need not retry within seconds.
    pub spread_by_validity: bool,
    /// A visitor's tabs back off as one: a failed attempt is recorded in the storage they share
    /// (`P:O:<org>:retry`), and no tab's background renewal asks before the time it names.
    pub shared_by_tabs: bool,
}

impl Backoff {
    /// SPEC §3: full jitter from a 1 s base, doubling, capped at 60 s.
    pub const SPEC: Backoff = Backoff { base_ms: 1_000.0, cap_ms: 60_000.0, long_cap_after: u32::MAX, long_cap_ms: 60_000.0, spread_by_validity: false, shared_by_tabs: true };

    /// The longest wait before retry number `attempt` (1 for the first retry):
    /// `base * 2^(attempt-1)`, capped.
    pub fn ceiling_ms(&self, attempt: u32) -> f64 {
        let exponent = attempt.saturating_sub(1).min(30);
        let cap = if attempt >= self.long_cap_after { self.long_cap_ms } else { self.cap_ms };
        (self.base_ms * (1u64 << exponent) as f64).min(cap)
    }

    /// The wait before retry number `attempt`: full jitter (uniform in `[0, ceiling)`, with
    /// `random` uniform in `[0, 1)`), but never shorter than the server's `Retry-After`.
    /// `valid_ms`: how long the token of a background renewal is still valid, if it is.
    pub fn delay_ms(&self, attempt: u32, random: f64, retry_after_ms: Option<f64>, valid_ms: Option<f64>) -> f64 {
        let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.0 };
        let mut ceiling = self.ceiling_ms(attempt);
        if let Some(valid_ms) = valid_ms.filter(|_| self.spread_by_validity) {
            ceiling = ceiling.max(valid_ms / 2.0);
        }
        let jittered = random * ceiling;
        match retry_after_ms {
            Some(after) => jittered.max(after.clamp(0.0, MAX_RETRY_AFTER_MS)),
            None => jittered,
        }
    }
}

/// How long to wait before the next attempt of a flight that must end by `deadline_ms`: the
/// backoff `delay_ms`, shortened so that a last attempt is made at the deadline. `None`: give up
/// now, because the deadline has passed or the server's `Retry-After` reaches beyond it.
pub fn wait_within(deadline_ms: f64, now_ms: f64, delay_ms: f64, retry_after_ms: Option<f64>) -> Option<f64> {
    let remaining = deadline_ms - now_ms;
    if remaining <= 0.0 || retry_after_ms.is_some_and(|after| after > remaining) {
        return None;
    }
    Some(delay_ms.min(remaining))
}

/// A `Retry-After` header in milliseconds from `now_ms`: delay-seconds or an HTTP date
/// (IMF-fixdate, RFC 850 or asctime). A date in the past means "now" (0). A number too large to
/// read, or written in a form delay-seconds does not have (`1e3`, `2.5`), means "later than any
/// deadline": the longest wait honored. `None` for anything else.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim_ascii();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(parse_digits(value, 1, 10).map_or(MAX_RETRY_AFTER_MS, |s| (s as f64 * 1000.0).min(MAX_RETRY_AFTER_MS)));
    }
    if value.bytes().next().is_some_and(|b| b.is_ascii_digit()) && parse_http_date(value).is_none() {
        return Some(MAX_RETRY_AFTER_MS);
    }
    let at = parse_http_date(value)?;
    Some((at - now_ms).max(0.0))
}

/// An HTTP date as milliseconds since the Unix epoch: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime
/// (`Sun Nov  6 08:49:37 1994`).
///
/// Each form has a fixed shape after its weekday (RFC 850's is a whole word, up to its comma),
/// matched byte by byte against a pattern: `d` `y` `h` `m` `s` are digits of the day, year,
/// hours, minutes and seconds, `_` a space or a digit of the day, `a` a letter of the month;
/// anything else stands for itself.
pub fn parse_http_date(value: &str) -> Option<f64> {
    let bytes = value.as_bytes();
    let (rest, pattern): (&[u8], &[u8]) = match bytes.iter().position(|&b| b == b',') {
        Some(3) => (bytes.get(3..)?, b", dd aaa yyyy hh:mm:ss GMT"),
        Some(at) => (bytes.get(at..)?, b", dd-aaa-yy hh:mm:ss GMT"),
        None => (bytes.get(3..)?, b" aaa _d hh:mm:ss yyyy"),
    };
    if rest.len() != pattern.len() {
        return None;
    }
    // Day, year, hours, minutes, seconds; the year's digit count; the month's letters.
    let mut fields = [0i64; 5];
    let mut year_digits = 0;
    let mut month = [0u8; 3];
    let mut letters = 0;
    for (&b, &p) in rest.iter().zip(pattern) {
        let slot = match p {
            b'd' | b'_' => 0,
            b'y' => 1,
            b'h' => 2,
            b'm' => 3,
            b's' => 4,
            b'a' if b.is_ascii_alphabetic() => {
                *month.get_mut(letters)? = b;
                letters += 1;
                continue;
            }
            _ if b == p => continue,
            _ => return None,
        };
        if p == b'_' && b == b' ' {
            continue;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        fields[slot] = fields[slot] * 10 + i64::from(b - b'0');
        year_digits += usize::from(slot == 1);
    }
    let [day, mut year, h, m, s] = fields;
    if year_digits == 2 {
        // Two-digit years: 70-99 are 1900s, the rest 2000s.
        year += if year >= 70 { 1900 } else { 2000 };
    }
    let month = b"JanFebMarAprMayJunJulAugSepOctNovDec".chunks(3).position(|name| name == month)? as i64 + 1;
    if h > 23 || m > 59 || s > 60 || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + h * 3600 + m * 60 + s) * 1000) as f64)
}

fn parse_digits(text: &str, min: usize, max: usize) -> Option<i64> {
    if text.len() < min || text.len() > max || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 409, 422, 499, 600] {
            assert!(!is_retryable_status(status), "{status}");
        }
        assert!(may_refuse_secret(401) && may_refuse_secret(400) && may_refuse_secret(403) && may_refuse_secret(404));
        assert!(!may_refuse_secret(429) && !may_refuse_secret(500) && !may_refuse_secret(409));
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_a_minute() {
        let ceilings: Vec<f64> = (1..=9).map(|a| Backoff::SPEC.ceiling_ms(a)).collect();
        assert_eq!(ceilings, [1e3, 2e3, 4e3, 8e3, 16e3, 32e3, 60e3, 60e3, 60e3]);
        assert_eq!(Backoff::SPEC.ceiling_ms(0), 1e3);
        assert_eq!(Backoff::SPEC.ceiling_ms(u32::MAX), 60e3);
    }

    #[test]
    fn variants_lengthen_the_cap_after_repeated_failures_and_spread_by_validity() {
        let long = Backoff { long_cap_after: 8, long_cap_ms: 300e3, ..Backoff::SPEC };
        let ceilings: Vec<f64> = (6..=11).map(|a| long.ceiling_ms(a)).collect();
        assert_eq!(ceilings, [32e3, 60e3, 128e3, 256e3, 300e3, 300e3]);
        let spread = Backoff { spread_by_validity: true, ..Backoff::SPEC };
        // Three minutes of validity left: the wait is drawn from [0, 90 s), not [0, 1 s).
        assert_eq!(spread.delay_ms(1, 0.5, None, Some(180e3)), 45e3);
        // Less validity than the backoff's own ceiling: the backoff as it is.
        assert_eq!(spread.delay_ms(7, 0.5, None, Some(10e3)), 30e3);
        // The shipped policy ignores validity.
        assert_eq!(Backoff::SPEC.delay_ms(1, 0.5, None, Some(180e3)), 500.0);
    }

    #[test]
    fn full_jitter_stays_inside_zero_and_the_ceiling() {
        for attempt in 1..=12 {
            for i in 0..=100 {
                let delay = Backoff::SPEC.delay_ms(attempt, f64::from(i) / 100.0, None, None);
                assert!((0.0..=Backoff::SPEC.ceiling_ms(attempt)).contains(&delay), "{attempt} {i} {delay}");
            }
        }
        assert_eq!(Backoff::SPEC.delay_ms(3, 0.0, None, None), 0.0);
        assert_eq!(Backoff::SPEC.delay_ms(3, 0.5, None, None), 2000.0);
        for r in [f64::NAN, -1.0, 2.0, f64::INFINITY] {
            assert!((0.0..=4000.0).contains(&Backoff::SPEC.delay_ms(3, r, None, None)));
        }
    }

    #[test]
    fn retry_after_is_a_floor_and_is_capped() {
        assert_eq!(Backoff::SPEC.delay_ms(1, 0.1, Some(5000.0), None), 5000.0);
        assert_eq!(Backoff::SPEC.delay_ms(7, 0.9, Some(5000.0), None), 54_000.0);
        assert_eq!(Backoff::SPEC.delay_ms(1, 0.0, Some(1e12), None), MAX_RETRY_AFTER_MS);
        assert_eq!(Backoff::SPEC.delay_ms(1, 0.5, Some(-5.0), None), 500.0);
    }

    #[test]
    fn waits_end_at_the_deadline_with_a_last_attempt() {
        let deadline = 1000.0 + GIVE_UP_MS;
        assert_eq!(wait_within(deadline, 1000.0, 500.0, None), Some(500.0));
        // A long backoff pick is cut short: one more attempt at the deadline.
        assert_eq!(wait_within(deadline, 21_000.0, 16_000.0, None), Some(10_000.0));
        assert_eq!(wait_within(deadline, 31_000.0, 0.0, None), None);
        assert_eq!(wait_within(deadline, 40_000.0, 1.0, None), None);
        // The server asks for more than is left: give up now rather than ask too early.
        assert_eq!(wait_within(deadline, 21_000.0, 10_001.0, Some(10_001.0)), None);
        assert_eq!(wait_within(deadline, 21_000.0, 9_000.0, Some(9_000.0)), Some(9_000.0));
        // A background flight has no deadline.
        assert_eq!(wait_within(f64::INFINITY, 1e15, 60_000.0, Some(3_600_000.0)), Some(60_000.0));
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("5", 0.0), Some(5000.0));
        assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0.0));
        assert_eq!(parse_retry_after("120", 1e12), Some(120_000.0));
        for bad in ["", "-1", "soon", "Soon 5"] {
            assert_eq!(parse_retry_after(bad, 0.0), None, "{bad:?}");
        }
    }

    #[test]
    fn a_retry_after_too_large_to_read_is_the_longest_wait_honored() {
        for huge in ["99999999999", "18446744073709551616", "1e3", "2.5", "5s", "3601"] {
            assert_eq!(parse_retry_after(huge, 0.0), Some(MAX_RETRY_AFTER_MS), "{huge:?}");
        }
        // So a caller gives up at once rather than ask again in seconds.
        assert_eq!(wait_within(30_000.0, 0.0, 1000.0, parse_retry_after("18446744073709551616", 0.0)), None);
    }

    #[test]
    fn retry_after_as_an_http_date_in_all_three_forms() {
        // 1994-11-06T08:49:37Z
        let at = 784_111_777_000.0;
        for form in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(parse_http_date(form), Some(at), "{form}");
            assert_eq!(parse_retry_after(form, at - 3000.0), Some(3000.0), "{form}");
        }
        // In the past: retry now.
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 60_000.0), Some(0.0));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0.0));
        assert_eq!(parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT"), Some(951_868_799_000.0));
        assert_eq!(parse_http_date("Sun, 29 Nov 2026 12:00:00 GMT"), Some(1_795_953_600_000.0));
    }

    #[test]
    fn malformed_dates_are_not_dates() {
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37:12 GMT",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sun Nov-6 08:49:37 1994",
            "2026-11-29T12:00:00Z",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }
}
