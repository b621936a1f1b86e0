//! How a metric reads in the terminal, the app and notices: `0.85%`, `< 1%`,
//! `1 more defect before 1%`.

use crate::domain::metrics::{Metric, Status, Target};

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
        Target::Above(_) => "failure",
    };
    match h {
        0 => format!("the next {what} misses {}", target(Some(t))),
        1 => format!("1 more {what} before {}", target(Some(t))),
        n => format!("{n} more {what}s before {}", target(Some(t))),
    }
}

/// "0.85% (3/353), 1 more defect before < 4%".
pub fn summary(m: &Metric) -> String {
    let head = format!("{} ({}/{})", percent(m.rate), m.numerator, m.denominator);
    match headroom(m) {
        h if h.is_empty() => head,
        h => format!("{head}, {h}"),
    }
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
