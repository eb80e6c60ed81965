//! What can go wrong between a client and D1, on demand: rate limiting as D1 applies it,
//! and one-off faults queued by a test.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One fault, applied to the next request that arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After` in whole seconds; nothing is run.
    TooManyRequests {
        /// The `Retry-After` header's value.
        retry_after_seconds: u64,
    },
    /// HTTP 503 with D1's transient error; nothing is run.
    Unavailable,
    /// The request is held this long before it is run, as a slow or congested D1 would;
    /// a client with a shorter timeout gives up first, yet the request still runs later.
    Delay(Duration),
    /// The request runs and commits, then HTTP 500 is returned: the response was lost,
    /// and only a replay tells the client what happened.
    LostResponse,
    /// HTTP 400 with D1's SQL error for a value over its limit; nothing is run. Sending
    /// the same request again cannot succeed.
    Refused,
}

/// Requests allowed per window, D1's API rate limit; beyond it, HTTP 429.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per window.
    pub requests: usize,
    /// The window.
    pub window: Duration,
}

impl RateLimit {
    /// Cloudflare's API limit: 1,200 requests per five minutes.
    pub const CLOUDFLARE: RateLimit = RateLimit { requests: 1200, window: Duration::from_secs(300) };
}

/// The faults waiting for requests, and the recent requests the rate limit counts.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    /// One entry per coming request: `None` lets it through.
    queued: VecDeque<Option<Fault>>,
    rate_limit: Option<RateLimit>,
    recent: VecDeque<Instant>,
}

impl FaultPlan {
    pub(crate) fn new(rate_limit: Option<RateLimit>) -> FaultPlan {
        FaultPlan { rate_limit, ..FaultPlan::default() }
    }

    pub(crate) fn push(&mut self, passing: usize, fault: Fault) {
        self.queued.extend(std::iter::repeat_n(None, passing));
        self.queued.push_back(Some(fault));
    }

    /// The fault for a request arriving now: a queued one first, else 429 when over the
    /// rate limit.
    pub(crate) fn next(&mut self, now: Instant) -> Option<Fault> {
        if let Some(planned) = self.queued.pop_front() {
            return planned;
        }
        let limit = self.rate_limit?;
        while self.recent.front().is_some_and(|arrived| now.duration_since(*arrived) >= limit.window) {
            self.recent.pop_front();
        }
        if self.recent.len() >= limit.requests {
            let oldest = self.recent.front().copied().unwrap_or(now);
            let wait = limit.window.saturating_sub(now.duration_since(oldest));
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Some(Fault::TooManyRequests { retry_after_seconds: seconds.max(1) });
        }
        self.recent.push_back(now);
        None
    }
}
