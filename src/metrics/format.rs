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

/// What a failure and a good order are called in the metric `key`.
fn failure_names(key: &str) -> (&'static str, &'static str) {
    match key {
        "odr" | "odr_fba" => ("orders with a defect", "orders without one"),
        "lsr_10" | "lsr_30" => ("late shipments", "on-time shipments"),
        "pcr" => ("cancellations", "orders shipped"),
        "vtr" => ("shipments without valid tracking", "tracked shipments"),
        "otdr" => ("late deliveries", "on-time deliveries"),
        "pop" => ("imperfect orders", "perfect orders"),
        k if k.starts_with("feedback") => ("negative ratings", "positive ratings"),
        k if k.starts_with("late_response") => ("late responses", "replies within 24 h"),
        _ => ("failures", "good ones"),
    }
}

/// "2 fewer orders with a defect, or 151 more orders without one" for an off-target metric.
pub fn recovery(key: &str, m: &Metric) -> Option<String> {
    let (fewer, more) = crate::domain::metrics::recovery(m)?;
    let (bad, good) = failure_names(key);
    Some(match more {
        Some(more) => format!("{fewer} fewer {bad}, or {more} more {good}"),
        None => format!("{fewer} fewer {bad}"),
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
