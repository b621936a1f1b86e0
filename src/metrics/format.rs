//! How a metric reads in the terminal, the app and notices: `0.85%`, `< 1%`,
//! `1 more defect before 1%`.

use crate::domain::metrics::{AmazonCheck, Metric, Status, Target};

pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.2}%", r * 100.0),
        None => "no data".into(),
    }
}

pub fn target(t: Option<Target>) -> String {
    match t {
        Some(Target::Below(bp)) => format!("< {}%", f64::from(bp) / 100.0),
        Some(Target::Above(bp)) => format!("> {}%", f64::from(bp) / 100.0),
        Some(Target::AtLeast(bp)) => format!("≥ {}%", f64::from(bp) / 100.0),
        None => "—".into(),
    }
}

/// "2 more defects before < 1%", "the next defect misses < 1%", "off target", or nothing.
pub fn headroom(m: &Metric) -> String {
    let (Some(h), Some(t)) = (m.headroom, m.target) else {
        return String::new();
    };
    if m.status == Status::Bad {
        return "off target".into();
    }
    let what = match t {
        Target::Below(_) => "defect",
        Target::Above(_) | Target::AtLeast(_) => "failure",
    };
    match h {
        0 => format!("the next {what} misses {}", target(Some(t))),
        1 => format!("1 more {what} before {}", target(Some(t))),
        n => format!("{n} more {what}s before {}", target(Some(t))),
    }
}

/// What a failure and a good order are called in the metric `key`: (one, many) of each.
fn failure_names(key: &str) -> [(&'static str, &'static str); 2] {
    match key {
        "odr" | "odr_fba" => [
            ("order with a defect", "orders with a defect"),
            ("order without one", "orders without one"),
        ],
        "lsr_10" | "lsr_30" => [
            ("late shipment", "late shipments"),
            ("on-time shipment", "on-time shipments"),
        ],
        "pcr" => [
            ("cancellation", "cancellations"),
            ("order shipped", "orders shipped"),
        ],
        "vtr" => [
            (
                "shipment without valid tracking",
                "shipments without valid tracking",
            ),
            ("tracked shipment", "tracked shipments"),
        ],
        "otdr" => [
            ("late delivery", "late deliveries"),
            ("on-time delivery", "on-time deliveries"),
        ],
        "pop" => [
            ("imperfect order", "imperfect orders"),
            ("perfect order", "perfect orders"),
        ],
        k if k.starts_with("feedback") => [
            (
                "rating that is not positive",
                "ratings that are not positive",
            ),
            ("positive rating", "positive ratings"),
        ],
        k if k.starts_with("late_response") => [
            ("late response", "late responses"),
            ("reply within 24 h", "replies within 24 h"),
        ],
        _ => [("failure", "failures"), ("good one", "good ones")],
    }
}

/// "2 fewer orders with a defect, or 151 more orders without one" for an off-target metric.
pub fn recovery(key: &str, m: &Metric) -> Option<String> {
    let (fewer, more) = crate::domain::metrics::recovery(m)?;
    let [bad, good] = failure_names(key);
    let noun = |n: u64, (one, many): (&'static str, &'static str)| if n == 1 { one } else { many };
    Some(match more {
        Some(more) => format!(
            "{fewer} fewer {}, or {more} more {}",
            noun(fewer, bad),
            noun(more, good)
        ),
        None => format!("{fewer} fewer {}", noun(fewer, bad)),
    })
}

/// "0.85% (3/353), 1 more defect before < 4%".
pub fn summary(m: &Metric) -> String {
    let head = format!("{} ({}/{})", percent(m.rate), m.numerator, m.denominator);
    match headroom(m) {
        h if h.is_empty() => head,
        h => format!("{head}, {h}"),
    }
}

/// "negative feedback 0/6 · A-to-z 0/6 · chargebacks 1/6" for an Order Defect Rate.
pub fn odr_parts(m: &Metric) -> Option<String> {
    let p = m.parts?;
    Some(format!(
        "negative feedback {}/{} · A-to-z {}/{} · chargebacks {}/{}",
        p.negative_feedback.numerator,
        p.negative_feedback.denominator,
        p.a_to_z.numerator,
        p.a_to_z.denominator,
        p.chargebacks.numerator,
        p.chargebacks.denominator
    ))
}

/// What a metric's figure rests on, where that is not obvious.
pub fn note(key: &str) -> Option<&'static str> {
    match key {
        "otdr" => Some("orders with a promised and a delivery date only"),
        _ => None,
    }
}

/// What a defect is called in a metric, for "Amazon counts 3 defects".
fn counted(key: &str) -> &'static str {
    match key {
        "odr" | "odr_fba" => "orders with a defect",
        "lsr_10" | "lsr_30" => "late shipments",
        "pcr" => "cancellations",
        "vtr" => "valid tracking numbers",
        "otdr" => "on-time deliveries",
        _ => "counted",
    }
}

/// What file is likely missing when our count differs from Amazon's: for the ODR, the parts
/// where Amazon counts more than the files say.
fn missing(key: &str, a: &AmazonCheck) -> String {
    if let (Some(amazon), Some(ours)) = (a.parts, a.ours_parts) {
        let files = [
            "a feedback file",
            "a claims file (A-to-z)",
            "a claims file (chargebacks)",
        ];
        let short: Vec<&str> = (0..3)
            .filter(|&i| amazon[i].is_some_and(|n| n > ours[i]))
            .map(|i| files[i])
            .collect();
        if !short.is_empty() {
            return format!("{} may be missing", short.join(" and "));
        }
    }
    match key {
        "odr" | "odr_fba" => "a claims or feedback file may be missing",
        "lsr_10" | "lsr_30" => "an orders report or shipping confirmation may be missing",
        "pcr" => "an orders report or cancellations file may be missing",
        "vtr" => "a shipping confirmation file may be missing",
        "otdr" => "a deliveries file or the promised dates may be missing",
        _ => "a report may be missing",
    }
    .into()
}

/// "Amazon 2.50%, 1 of 40 (2026-09-22 – 2026-11-08) · ours 1 of 40 ✓", or with "differs: ..."
/// when the counts disagree.
pub fn amazon(key: &str, m: &Metric) -> Option<String> {
    let a = m.amazon.as_ref()?;
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "?".into())
    };
    let mut out = format!("Amazon {}", percent(a.rate));
    if let (Some(n), Some(d)) = (a.numerator, a.denominator) {
        out.push_str(&format!(", {n} of {d}"));
    }
    if a.from.is_some() || a.to.is_some() {
        out.push_str(&format!(" ({} – {})", day(a.from), day(a.to)));
    }
    if let Some(s) = &a.status {
        out.push_str(&format!(" {}", crate::text::safe_text::line(s)));
    }
    match a.ours {
        Some(o) => out.push_str(&format!(" · ours {} of {}", o.numerator, o.denominator)),
        None => out.push_str(" · no range to compare"),
    }
    match (a.agrees, a.ours, a.numerator) {
        (Some(true), _, _) => out.push_str(" ✓"),
        (Some(false), Some(o), Some(n)) => {
            if o.numerator != n {
                out.push_str(&format!(
                    " ✗ differs: Amazon counts {n} {}, your files {}: {}",
                    counted(key),
                    o.numerator,
                    missing(key, a)
                ));
            } else {
                out.push_str(&format!(
                    " ✗ differs: Amazon counts {} orders, your files {}: an orders report may be missing",
                    a.denominator.unwrap_or(0),
                    o.denominator
                ));
            }
        }
        _ => {}
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::metrics::{ODR_TARGET, VTR_TARGET, evaluate};

    /// What an off-target metric needs, in its own words, one or many.
    #[test]
    fn recovery_names_what_the_metric_counts() {
        let m = evaluate(3, 150, Some(60), Some(ODR_TARGET));
        assert_eq!(
            recovery("odr", &m).as_deref(),
            Some("2 fewer orders with a defect, or 151 more orders without one")
        );
        // 2 of 15 = 13%: 1 of 15 is 6.7%, 2 of 21 is 9.5%.
        let m = evaluate(2, 15, Some(30), Some(Target::Below(1_000)));
        assert_eq!(
            recovery("late_response_30", &m).as_deref(),
            Some("1 fewer late response, or 6 more replies within 24 h")
        );
        let m = evaluate(90, 100, None, Some(VTR_TARGET));
        assert_eq!(
            recovery("vtr", &m).as_deref(),
            Some("6 fewer shipments without valid tracking, or 101 more tracked shipments")
        );
        assert_eq!(
            recovery("odr", &evaluate(0, 150, None, Some(ODR_TARGET))),
            None
        );
    }

    #[test]
    fn reads_like_a_sentence() {
        assert_eq!(
            summary(&evaluate(0, 250, Some(60), Some(ODR_TARGET))),
            "0.00% (0/250), 2 more defects before < 1%"
        );
        assert_eq!(
            headroom(&evaluate(2, 250, Some(60), Some(ODR_TARGET))),
            "the next defect misses < 1%"
        );
        assert_eq!(
            headroom(&evaluate(5, 10, Some(60), Some(ODR_TARGET))),
            "off target"
        );
        assert_eq!(
            headroom(&evaluate(99, 100, Some(30), Some(VTR_TARGET))),
            "3 more failures before > 95%"
        );
        assert_eq!(summary(&evaluate(0, 0, Some(7), None)), "no data (0/0)");
    }
}
