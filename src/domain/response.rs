//! Late Response Rate and average response time (docs/amazon-rules.md §3 "The response clock").
//!
//! Computed from buyer messages and how each was resolved; pure, with `now` injected.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::clock::{RESPONSE_WINDOW, Resolution};

/// Amazon's target: at least 90% answered within 24 h.
pub const LATE_RESPONSE_TARGET: f64 = 0.10;

/// One buyer message that needed a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuyerMessage {
    pub at: DateTime<Utc>,
    pub resolution: Option<Resolution>,
}

/// Where one buyer message stands for the metric at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    OnTime(Duration),
    /// Answered, but after 24 h.
    Late(Duration),
    /// Unanswered, and its 24 h are over.
    NoResponseYet,
    /// Unanswered and still inside its 24 h: not yet counted.
    Pending,
    /// Marked "no response needed": left out of the metric.
    Excluded,
}

pub fn outcome(message: &BuyerMessage, now: DateTime<Utc>) -> Outcome {
    match message.resolution {
        Some(Resolution::Replied(at)) if at <= now => {
            let took = at - message.at;
            if took > RESPONSE_WINDOW {
                Outcome::Late(took)
            } else {
                Outcome::OnTime(took)
            }
        }
        Some(Resolution::NoResponseNeeded(at)) if at <= now => Outcome::Excluded,
        // A resolution recorded after `now` has not happened yet at `now`.
        _ if now - message.at >= RESPONSE_WINDOW => Outcome::NoResponseYet,
        _ => Outcome::Pending,
    }
}

/// The metric over one window, with its parts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LateResponseRate {
    pub window_days: u32,
    /// Answered after 24 h.
    pub over_24h: u64,
    /// Unanswered past 24 h.
    pub no_response_yet: u64,
    /// Every counted message (on time + late).
    pub counted: u64,
    /// `None` when nothing in the window is counted: "no data", never 0%.
    pub rate: Option<f64>,
    /// Mean time to the reply over answered messages.
    #[serde(serialize_with = "serialize_opt_seconds")]
    pub average_response: Option<Duration>,
}

impl LateResponseRate {
    pub fn late(&self) -> u64 {
        self.over_24h + self.no_response_yet
    }
}

fn serialize_opt_seconds<S: serde::Serializer>(
    value: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => s.serialize_some(&d.num_seconds()),
        None => s.serialize_none(),
    }
}

/// The metric over one window, fed one message at a time: the messages of 90 days need not
/// be held in memory to count them.
#[derive(Clone, Copy, Debug)]
pub struct LateResponseTally {
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    window_days: u32,
    over: u64,
    none: u64,
    counted: u64,
    answered: i64,
    total_secs: i64,
}

impl LateResponseTally {
    pub fn new(now: DateTime<Utc>, window_days: u32) -> Self {
        LateResponseTally {
            now,
            from: now - Duration::days(i64::from(window_days)),
            window_days,
            over: 0,
            none: 0,
            counted: 0,
            answered: 0,
            total_secs: 0,
        }
    }

    /// Counts `m` if it lies in the window `(now - days, now]`.
    pub fn add(&mut self, m: &BuyerMessage) {
        if m.at <= self.from || m.at > self.now {
            return;
        }
        match outcome(m, self.now) {
            Outcome::OnTime(took) => {
                self.counted += 1;
                self.answered += 1;
                self.total_secs += took.num_seconds();
            }
            Outcome::Late(took) => {
                self.counted += 1;
                self.over += 1;
                self.answered += 1;
                self.total_secs += took.num_seconds();
            }
            Outcome::NoResponseYet => {
                self.counted += 1;
                self.none += 1;
            }
            Outcome::Pending | Outcome::Excluded => {}
        }
    }

    pub fn finish(&self) -> LateResponseRate {
        LateResponseRate {
            window_days: self.window_days,
            over_24h: self.over,
            no_response_yet: self.none,
            counted: self.counted,
            rate: (self.counted > 0).then(|| (self.over + self.none) as f64 / self.counted as f64),
            average_response: (self.answered > 0)
                .then(|| Duration::seconds(self.total_secs / self.answered)),
        }
    }
}

/// Messages are in the window `(now - days, now]` by their own time.
pub fn late_response_rate<'a>(
    messages: impl IntoIterator<Item = &'a BuyerMessage>,
    now: DateTime<Utc>,
    window_days: u32,
) -> LateResponseRate {
    let mut tally = LateResponseTally::new(now, window_days);
    for m in messages {
        tally.add(m);
    }
    tally.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }
    fn ago(h: i64) -> DateTime<Utc> {
        now() - Duration::hours(h)
    }
    fn replied(at_h: i64, reply_h: i64) -> BuyerMessage {
        BuyerMessage {
            at: ago(at_h),
            resolution: Some(Resolution::Replied(ago(reply_h))),
        }
    }
    fn open(at_h: i64) -> BuyerMessage {
        BuyerMessage {
            at: ago(at_h),
            resolution: None,
        }
    }

    #[test]
    fn outcomes_cover_every_rule() {
        assert_eq!(
            outcome(&replied(30, 28), now()),
            Outcome::OnTime(Duration::hours(2))
        );
        assert_eq!(
            outcome(&replied(30, 6), now()),
            Outcome::OnTime(Duration::hours(24))
        );
        assert_eq!(
            outcome(&replied(30, 5), now()),
            Outcome::Late(Duration::hours(25))
        );
        assert_eq!(outcome(&open(24), now()), Outcome::NoResponseYet);
        assert_eq!(outcome(&open(23), now()), Outcome::Pending);
        let marked = BuyerMessage {
            at: ago(40),
            resolution: Some(Resolution::NoResponseNeeded(ago(1))),
        };
        assert_eq!(outcome(&marked, now()), Outcome::Excluded);
    }

    #[test]
    fn a_reply_after_now_has_not_happened_yet() {
        let future_reply = BuyerMessage {
            at: ago(30),
            resolution: Some(Resolution::Replied(now() + Duration::hours(1))),
        };
        assert_eq!(outcome(&future_reply, now()), Outcome::NoResponseYet);
    }

    #[test]
    fn rate_counts_late_and_unanswered_and_skips_pending() {
        let msgs = [
            replied(100, 99), // on time, 1 h
            replied(90, 60),  // late, 30 h
            open(50),         // no response yet
            open(2),          // pending, not counted
        ];
        let r = late_response_rate(&msgs, now(), 7);
        assert_eq!(r.counted, 3);
        assert_eq!(r.over_24h, 1);
        assert_eq!(r.no_response_yet, 1);
        assert_eq!(r.late(), 2);
        assert!((r.rate.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.average_response, Some(Duration::minutes(15 * 60 + 30)));
    }

    #[test]
    fn window_is_open_at_its_start_and_closed_at_now() {
        let exactly_7_days = replied(7 * 24, 7 * 24 - 1);
        let just_inside = replied(7 * 24 - 1, 7 * 24 - 2);
        let r = late_response_rate(&[exactly_7_days, just_inside], now(), 7);
        assert_eq!(r.counted, 1);
    }

    #[test]
    fn empty_window_has_no_rate() {
        let r = late_response_rate(&[open(1)], now(), 30);
        assert_eq!(r.counted, 0);
        assert_eq!(r.rate, None);
        assert_eq!(r.average_response, None);
    }
}
