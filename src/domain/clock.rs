//! The 24-hour response clock (docs/amazon-rules.md §3 "The response clock").
//!
//! Everything here is a pure function of a thread's events and `now`, so the store can recompute
//! the derived clock whenever a thread changes and the UI can decide states without touching IO.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Amazon's response window: calendar time, weekends and holidays included.
pub const RESPONSE_WINDOW: Duration = Duration::hours(24);

/// What happened on a thread, as far as the clock cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClockEventKind {
    /// An inbound message from a buyer: it needs a reply.
    BuyerMessage,
    /// The seller opened a clock on a thread that had none (e.g. mail from Amazon itself).
    ClockOpened,
    /// An automatic reply (out-of-office, auto-responder): never stops the clock.
    AutoReply,
    /// A real reply from the seller: stops the clock.
    SellerReply,
    /// The seller marked the thread "no response needed": stops the clock, and the messages it
    /// covers leave the late-response metric.
    NoResponseNeeded,
}

impl ClockEventKind {
    /// Ties at the same instant: the reply or mark is taken to follow the message it answers.
    fn order_at_same_instant(self) -> u8 {
        match self {
            ClockEventKind::BuyerMessage | ClockEventKind::ClockOpened => 0,
            ClockEventKind::AutoReply => 1,
            ClockEventKind::SellerReply | ClockEventKind::NoResponseNeeded => 2,
        }
    }

    fn starts_clock(self) -> bool {
        matches!(
            self,
            ClockEventKind::BuyerMessage | ClockEventKind::ClockOpened
        )
    }

    fn stops_clock(self) -> bool {
        matches!(
            self,
            ClockEventKind::SellerReply | ClockEventKind::NoResponseNeeded
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockEvent {
    pub at: DateTime<Utc>,
    pub kind: ClockEventKind,
}

impl ClockEvent {
    pub fn new(at: DateTime<Utc>, kind: ClockEventKind) -> Self {
        ClockEvent { at, kind }
    }
}

/// Where a thread's clock states change (config `[clock]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// `due_soon` once this much or less of the 24 h is left.
    pub due_soon: Duration,
    /// `critical` once this much time has elapsed since the clock started.
    pub critical: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            due_soon: Duration::hours(6),
            critical: Duration::hours(48),
        }
    }
}

/// A thread's clock state; exclusive, most urgent first in declaration order reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    OnTrack,
    DueSoon,
    Overdue,
    Critical,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::OnTrack => "on_track",
            ClockState::DueSoon => "due_soon",
            ClockState::Overdue => "overdue",
            ClockState::Critical => "critical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClockState::OnTrack => "ON TRACK",
            ClockState::DueSoon => "DUE SOON",
            ClockState::Overdue => "OVERDUE",
            ClockState::Critical => "CRITICAL",
        }
    }
}

/// A running clock: started by the oldest unanswered buyer message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub start: DateTime<Utc>,
}

impl Clock {
    pub fn due(&self) -> DateTime<Utc> {
        self.start + RESPONSE_WINDOW
    }

    /// Time left until the due time; negative once overdue.
    pub fn remaining(&self, now: DateTime<Utc>) -> Duration {
        self.due() - now
    }

    pub fn state(&self, now: DateTime<Utc>, thresholds: &Thresholds) -> ClockState {
        state_for_start(self.start, now, thresholds)
    }
}

/// The state for a clock started at `start`, decided from `elapsed = now - start` alone.
pub fn state_for_start(
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    thresholds: &Thresholds,
) -> ClockState {
    let elapsed = now - start;
    if elapsed >= thresholds.critical {
        ClockState::Critical
    } else if elapsed >= RESPONSE_WINDOW {
        ClockState::Overdue
    } else if RESPONSE_WINDOW - elapsed <= thresholds.due_soon {
        ClockState::DueSoon
    } else {
        ClockState::OnTrack
    }
}

/// How a buyer message was resolved, for the late-response metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// First real seller reply at or after the message.
    Replied(DateTime<Utc>),
    /// Marked "no response needed" before any reply: leaves the metric.
    NoResponseNeeded(DateTime<Utc>),
}

/// The clock and per-message resolutions of one thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadClock {
    pub clock: Option<Clock>,
    /// One entry per `BuyerMessage` event, in the order the events were given.
    pub resolutions: Vec<Option<Resolution>>,
}

/// Next-response semantics (as Zammad's update escalation, Chatwoot's next response time): the
/// clock starts at the oldest buyer message not yet followed by a seller reply or a
/// no-response-needed mark; auto-replies change nothing.
pub fn analyze(events: &[ClockEvent]) -> ThreadClock {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| (events[i].at, events[i].kind.order_at_same_instant(), i));

    let mut resolutions: Vec<Option<Resolution>> = vec![None; events.len()];
    let mut pending_start: Option<DateTime<Utc>> = None;
    let mut waiting: Vec<usize> = Vec::new();
    for &i in &order {
        let event = events[i];
        if event.kind.starts_clock() {
            pending_start.get_or_insert(event.at);
            if event.kind == ClockEventKind::BuyerMessage {
                waiting.push(i);
            }
        } else if event.kind.stops_clock() {
            pending_start = None;
            let resolution = match event.kind {
                ClockEventKind::SellerReply => Resolution::Replied(event.at),
                _ => Resolution::NoResponseNeeded(event.at),
            };
            for j in waiting.drain(..) {
                resolutions[j] = Some(resolution);
            }
        }
    }

    let resolutions = events
        .iter()
        .zip(resolutions)
        .filter(|(e, _)| e.kind == ClockEventKind::BuyerMessage)
        .map(|(_, r)| r)
        .collect();
    ThreadClock {
        clock: pending_start.map(|start| Clock { start }),
        resolutions,
    }
}

#[cfg(test)]
mod tests {
    use super::ClockEventKind::*;
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn ev(hours: i64, kind: ClockEventKind) -> ClockEvent {
        ClockEvent::new(t(hours), kind)
    }

    fn start_of(events: &[ClockEvent]) -> Option<DateTime<Utc>> {
        analyze(events).clock.map(|c| c.start)
    }

    #[test]
    fn no_events_no_clock() {
        assert_eq!(start_of(&[]), None);
    }

    #[test]
    fn buyer_message_starts_clock_due_24h_later() {
        let tc = analyze(&[ev(0, BuyerMessage)]);
        let clock = tc.clock.unwrap();
        assert_eq!(clock.start, t(0));
        assert_eq!(clock.due(), t(24));
        assert_eq!(tc.resolutions, vec![None]);
    }

    #[test]
    fn clock_starts_at_oldest_unanswered_message() {
        assert_eq!(
            start_of(&[ev(0, BuyerMessage), ev(3, BuyerMessage)]),
            Some(t(0))
        );
    }

    #[test]
    fn seller_reply_stops_clock_and_answers_every_waiting_message() {
        let tc = analyze(&[ev(0, BuyerMessage), ev(2, BuyerMessage), ev(5, SellerReply)]);
        assert_eq!(tc.clock, None);
        assert_eq!(
            tc.resolutions,
            vec![
                Some(Resolution::Replied(t(5))),
                Some(Resolution::Replied(t(5)))
            ]
        );
    }

    #[test]
    fn new_buyer_message_after_reply_starts_new_clock() {
        assert_eq!(
            start_of(&[ev(0, BuyerMessage), ev(5, SellerReply), ev(9, BuyerMessage)]),
            Some(t(9))
        );
    }

    #[test]
    fn auto_reply_never_stops_clock() {
        let tc = analyze(&[ev(0, BuyerMessage), ev(1, AutoReply)]);
        assert_eq!(tc.clock.map(|c| c.start), Some(t(0)));
        assert_eq!(tc.resolutions, vec![None]);
    }

    #[test]
    fn no_response_needed_stops_clock_and_excludes_messages() {
        let tc = analyze(&[ev(0, BuyerMessage), ev(1, NoResponseNeeded)]);
        assert_eq!(tc.clock, None);
        assert_eq!(
            tc.resolutions,
            vec![Some(Resolution::NoResponseNeeded(t(1)))]
        );
    }

    #[test]
    fn mark_covers_only_messages_before_it() {
        let tc = analyze(&[
            ev(0, BuyerMessage),
            ev(1, NoResponseNeeded),
            ev(2, BuyerMessage),
        ]);
        assert_eq!(tc.clock.map(|c| c.start), Some(t(2)));
        assert_eq!(
            tc.resolutions,
            vec![Some(Resolution::NoResponseNeeded(t(1))), None]
        );
    }

    #[test]
    fn reply_before_any_buyer_message_changes_nothing() {
        // A proactive message from the seller, then the buyer writes: the clock runs.
        assert_eq!(
            start_of(&[ev(0, SellerReply), ev(1, BuyerMessage)]),
            Some(t(1))
        );
    }

    #[test]
    fn reply_at_the_same_instant_answers_the_message() {
        assert_eq!(start_of(&[ev(1, SellerReply), ev(1, BuyerMessage)]), None);
    }

    #[test]
    fn events_out_of_order_are_sorted_by_time() {
        assert_eq!(
            start_of(&[ev(9, BuyerMessage), ev(5, SellerReply), ev(0, BuyerMessage)]),
            Some(t(9))
        );
    }

    #[test]
    fn opened_clock_starts_like_a_buyer_message_but_is_no_buyer_message() {
        let tc = analyze(&[ev(4, ClockOpened)]);
        assert_eq!(tc.clock.map(|c| c.start), Some(t(4)));
        assert!(tc.resolutions.is_empty());
    }

    #[test]
    fn state_boundaries_with_default_thresholds() {
        let th = Thresholds::default();
        let start = t(0);
        let at = |h: i64, m: i64| state_for_start(start, t(h) + Duration::minutes(m), &th);
        assert_eq!(at(0, 0), ClockState::OnTrack);
        assert_eq!(at(17, 59), ClockState::OnTrack);
        // 24 h - elapsed <= 6 h: due soon from exactly 18 h.
        assert_eq!(at(18, 0), ClockState::DueSoon);
        assert_eq!(at(23, 59), ClockState::DueSoon);
        assert_eq!(at(24, 0), ClockState::Overdue);
        assert_eq!(at(47, 59), ClockState::Overdue);
        assert_eq!(at(48, 0), ClockState::Critical);
        assert_eq!(at(500, 0), ClockState::Critical);
    }

    #[test]
    fn state_follows_configured_thresholds() {
        let th = Thresholds {
            due_soon: Duration::hours(2),
            critical: Duration::hours(36),
        };
        let s = |h| state_for_start(t(0), t(h), &th);
        assert_eq!(s(21), ClockState::OnTrack);
        assert_eq!(s(22), ClockState::DueSoon);
        assert_eq!(s(35), ClockState::Overdue);
        assert_eq!(s(36), ClockState::Critical);
    }

    #[test]
    fn a_clock_in_the_future_is_on_track() {
        assert_eq!(
            state_for_start(t(5), t(0), &Thresholds::default()),
            ClockState::OnTrack
        );
    }

    #[test]
    fn remaining_is_negative_when_overdue() {
        let clock = Clock { start: t(0) };
        assert_eq!(clock.remaining(t(20)), Duration::hours(4));
        assert_eq!(clock.remaining(t(30)), Duration::hours(-6));
    }

    fn arb_kind() -> impl Strategy<Value = ClockEventKind> {
        prop_oneof![
            Just(BuyerMessage),
            Just(ClockOpened),
            Just(AutoReply),
            Just(SellerReply),
            Just(NoResponseNeeded),
        ]
    }

    fn arb_events() -> impl Strategy<Value = Vec<ClockEvent>> {
        prop::collection::vec((0i64..500, arb_kind()), 0..30).prop_map(|v| {
            v.into_iter()
                .map(|(m, k)| ClockEvent::new(t(0) + Duration::minutes(m * 7), k))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn due_time_is_never_before_the_message_it_answers(events in arb_events()) {
            if let Some(clock) = analyze(&events).clock {
                prop_assert!(events.iter().any(|e| e.at == clock.start && e.kind.starts_clock()));
                prop_assert!(clock.due() > clock.start);
            }
        }

        #[test]
        fn a_reply_after_everything_always_stops_the_clock(mut events in arb_events()) {
            let last = events.iter().map(|e| e.at).max().unwrap_or(t(0));
            events.push(ClockEvent::new(last + Duration::minutes(1), SellerReply));
            let tc = analyze(&events);
            prop_assert_eq!(tc.clock, None);
            prop_assert!(tc.resolutions.iter().all(|r| r.is_some()));
        }

        #[test]
        fn clock_start_is_the_oldest_message_after_the_last_stop(events in arb_events()) {
            let mut sorted = events.clone();
            sorted.sort_by_key(|e| (e.at, e.kind.order_at_same_instant()));
            let last_stop = sorted.iter().rposition(|e| e.kind.stops_clock());
            let after = match last_stop { Some(i) => &sorted[i + 1..], None => &sorted[..] };
            let expected = after.iter().find(|e| e.kind.starts_clock()).map(|e| e.at);
            prop_assert_eq!(analyze(&events).clock.map(|c| c.start), expected);
        }

        #[test]
        fn auto_replies_change_nothing(events in arb_events(), extra in prop::collection::vec(0i64..500, 0..5)) {
            let mut with_auto = events.clone();
            with_auto.extend(extra.into_iter().map(|m| ClockEvent::new(t(0) + Duration::minutes(m * 7), AutoReply)));
            prop_assert_eq!(analyze(&events).clock, analyze(&with_auto).clock);
        }

        #[test]
        fn order_of_input_does_not_matter(events in arb_events()) {
            let mut reversed = events.clone();
            reversed.reverse();
            prop_assert_eq!(analyze(&events).clock, analyze(&reversed).clock);
        }

        #[test]
        fn replies_resolve_no_earlier_than_the_message(events in arb_events()) {
            let tc = analyze(&events);
            let buyer: Vec<_> = events.iter().filter(|e| e.kind == BuyerMessage).collect();
            for (e, r) in buyer.iter().zip(&tc.resolutions) {
                match r {
                    Some(Resolution::Replied(at)) | Some(Resolution::NoResponseNeeded(at)) => prop_assert!(*at >= e.at),
                    None => {}
                }
            }
        }

        #[test]
        fn states_are_monotonic_in_time(start in 0i64..100, a in 0i64..10_000, b in 0i64..10_000) {
            let th = Thresholds::default();
            let s = t(start);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(state_for_start(s, s + Duration::minutes(lo), &th) <= state_for_start(s, s + Duration::minutes(hi), &th));
        }
    }
}
