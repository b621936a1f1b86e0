//! The kinds of complaint sellers meet most (docs/amazon-rules.md §11), one per thread.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Product quality, defective.
    Quality,
    /// Shipping and delivery: late, lost, damaged in transit.
    Shipping,
    /// Item not as described: size, colour, features.
    NotAsDescribed,
    Packaging,
    CustomerService,
    /// Fraud or account security.
    Fraud,
    /// Returns and refunds.
    Returns,
    /// Cancellation or order change.
    Cancellation,
    /// A question before buying.
    Question,
    Other,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Quality,
        Category::Shipping,
        Category::NotAsDescribed,
        Category::Packaging,
        Category::CustomerService,
        Category::Fraud,
        Category::Returns,
        Category::Cancellation,
        Category::Question,
        Category::Other,
    ];

    /// The name stored, written in the config and given on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Category::Quality => "quality",
            Category::Shipping => "shipping",
            Category::NotAsDescribed => "not_as_described",
            Category::Packaging => "packaging",
            Category::CustomerService => "customer_service",
            Category::Fraud => "fraud",
            Category::Returns => "returns",
            Category::Cancellation => "cancellation",
            Category::Question => "question",
            Category::Other => "other",
        }
    }

    /// At most 9 columns, for the inbox.
    pub fn short(self) -> &'static str {
        match self {
            Category::NotAsDescribed => "mismatch",
            Category::CustomerService => "service",
            Category::Cancellation => "cancel",
            other => other.key(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Quality => "Product quality / defective",
            Category::Shipping => "Shipping and delivery",
            Category::NotAsDescribed => "Item not as described",
            Category::Packaging => "Packaging",
            Category::CustomerService => "Customer service",
            Category::Fraud => "Fraud or account security",
            Category::Returns => "Returns and refunds",
            Category::Cancellation => "Cancellation or order change",
            Category::Question => "Pre-sale product question",
            Category::Other => "Other",
        }
    }

    pub fn parse(key: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// The window and threshold of a recurring issue (`[recurring]` in the config): this many
/// complaints of one kind about one ASIN within so many days (docs/amazon-rules.md §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecurringRule {
    pub days: u32,
    pub min_complaints: u32,
}

impl Default for RecurringRule {
    fn default() -> Self {
        RecurringRule {
            days: 14,
            min_complaints: 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_short_names_fit() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.key()), Some(c));
            assert!(c.short().len() <= 9, "{c:?}");
        }
        assert_eq!(Category::parse("nope"), None);
    }
}
