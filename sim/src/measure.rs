//! What a run counts: requests per second at the endpoint, and tab-time without a valid token.

/// The charts' points and the settling verdict look at the rate in buckets of this many seconds.
pub const BUCKET_S: usize = 10;

/// The mean per second of each `BUCKET_S`-second bucket of `per_second` (a shorter last bucket
/// is the mean of what it has).
pub fn bucket_means(per_second: &[u32]) -> Vec<f64> {
    per_second.chunks(BUCKET_S).map(|chunk| chunk.iter().map(|&n| f64::from(n)).sum::<f64>() / chunk.len() as f64).collect()
}

/// Tab-milliseconds per second of the run, from intervals added in any order (a difference
/// array for whole seconds, plus the partial seconds at each end).
pub struct PerSecond {
    whole: Vec<i64>,
    partial: Vec<i64>,
}

impl PerSecond {
    pub fn new(seconds: usize) -> Self {
        PerSecond { whole: vec![0; seconds + 2], partial: vec![0; seconds + 2] }
    }

    /// One tab during `[from_ms, to_ms)`.
    pub fn add(&mut self, from_ms: u64, to_ms: u64) {
        if to_ms <= from_ms {
            return;
        }
        let last = self.whole.len() as u64 - 1;
        let (first_s, last_s) = ((from_ms / 1000).min(last), (to_ms / 1000).min(last));
        if first_s == last_s {
            self.partial[first_s as usize] += (to_ms - from_ms) as i64;
            return;
        }
        self.partial[first_s as usize] += ((first_s + 1) * 1000 - from_ms) as i64;
        self.partial[last_s as usize] += (to_ms - last_s * 1000) as i64;
        self.whole[first_s as usize + 1] += 1000;
        self.whole[last_s as usize] -= 1000;
    }

    /// Tab-milliseconds in each second.
    pub fn totals(&self) -> Vec<i64> {
        let mut running = 0;
        self.whole
            .iter()
            .zip(&self.partial)
            .map(|(whole, partial)| {
                running += whole;
                running + partial
            })
            .collect()
    }
}

/// What one run counted.
pub struct Measure {
    /// Requests that reached the endpoint, per second (whatever their answer).
    pub requests: Vec<u32>,
    /// Sessions the endpoint issued (answers 200 within the client's timeout), per second of the
    /// request's arrival.
    pub issued: Vec<u32>,
    /// Requests turned away by the endpoint's capacity limit.
    pub refused: u64,
    /// Tab-time without a valid token while the tab was open and awake.
    pub without_token: PerSecond,
    pub without_token_ms: u64,
    /// Tab-time asleep (laptops sleeping), to know how many tabs were open each second.
    pub asleep: PerSecond,
    /// The fault's end, and how long after it the last tab that had no valid token at that
    /// moment got one (the longest such wait).
    pub fault_end_ms: u64,
    pub longest_after_fault_ms: u64,
}

impl Measure {
    pub fn new(seconds: usize, fault_end_ms: u64) -> Self {
        Measure {
            requests: vec![0; seconds + 2],
            issued: vec![0; seconds + 2],
            refused: 0,
            without_token: PerSecond::new(seconds),
            without_token_ms: 0,
            asleep: PerSecond::new(seconds),
            fault_end_ms,
            longest_after_fault_ms: 0,
        }
    }

    pub fn request(&mut self, arrival_ms: u64) {
        count_in_second(&mut self.requests, arrival_ms);
    }

    /// A session issued to a request that reached the endpoint at `arrival_ms`.
    pub fn issued(&mut self, arrival_ms: u64) {
        count_in_second(&mut self.issued, arrival_ms);
    }

    /// A tab had no valid token during `[from_ms, to_ms)`.
    pub fn without_token(&mut self, from_ms: u64, to_ms: u64) {
        if to_ms <= from_ms {
            return;
        }
        self.without_token.add(from_ms, to_ms);
        self.without_token_ms += to_ms - from_ms;
        if from_ms <= self.fault_end_ms && to_ms > self.fault_end_ms {
            self.longest_after_fault_ms = self.longest_after_fault_ms.max(to_ms - self.fault_end_ms);
        }
    }
}

fn count_in_second(per_second: &mut [u32], at_ms: u64) {
    if let Some(count) = per_second.get_mut((at_ms / 1000) as usize) {
        *count += 1;
    }
}
