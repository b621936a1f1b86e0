//! Complaint kinds end to end: the demo inbox, every thread labelled with its kind by hand in
//! `assets/demo/inbox.toml`, imported through the real importer and classified by the shipped
//! phrases.

use chrono::{TimeZone, Utc};
use sellerdesk::store::test_support::sql;

#[test]
fn every_demo_thread_gets_its_hand_labelled_kind_and_a_reason() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = sellerdesk::demo::build(&dir.path().join("d.db"), now).unwrap();
    let inbox: toml::Value = toml::from_str(include_str!("../../assets/demo/inbox.toml")).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for t in inbox["thread"].as_array().unwrap() {
        let Some(alias) = t.get("alias").and_then(|a| a.as_str()) else {
            continue;
        };
        let from_buyer = t["message"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["from"].as_str() == Some("buyer"));
        if !from_buyer {
            continue;
        }
        let kind = t["kind"].as_str().unwrap();
        let order = t.get("order").and_then(|o| o.as_str());
        let (category, reason, by): (Option<String>, Option<String>, Option<String>) = sql(&store)
            .query_row(
                "SELECT category, category_reason, category_by FROM threads
                 WHERE buyer_alias LIKE ?1 || '@%' AND order_id IS ?2 ORDER BY id LIMIT 1",
                rusqlite::params![alias, order],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap_or_else(|e| panic!("{alias} {order:?}: {e}"));
        checked += 1;
        assert_eq!(by.as_deref(), Some("rule"));
        // The phrase that decided it is the reason; "other" has none.
        if category.as_deref() != Some(kind) || reason.is_some() != (kind != "other") {
            wrong.push(format!(
                "{alias}: {category:?} ({reason:?}), labelled {kind}"
            ));
        }
    }
    assert!(checked >= 30, "{checked}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
