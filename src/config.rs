//! The user's settings: `config.toml` in the platform config dir, or `--config PATH`.
//!
//! Unknown keys and bad values are refused with the file, line and key, so a typo never silently
//! turns into a default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Duration;
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use crate::domain::category::Category;
use crate::domain::category::RecurringRule;
use crate::domain::classify::Classifier;
use crate::domain::clock::Thresholds;
use crate::keys::Rebinding;
use crate::text::toml_file;

pub mod delivery;

/// The settings every part of sellerdesk reads, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub seller_name: String,
    /// `[seller] return_address`: where a buyer sends an item back, for `{{return_address}}`.
    pub return_address: Option<String>,
    /// Who works in this app: shown to other terminals on the same database when this one
    /// has a thread's composer open.
    pub agent: String,
    /// The seller's own sending addresses, lower-cased: mail from them is outbound.
    pub seller_addresses: Vec<String>,
    /// Buyer-alias domains besides `marketplace.amazon.*`, lower-cased.
    pub buyer_domains: Vec<String>,
    pub db: Option<PathBuf>,
    /// Where sent replies are written as `.eml` files; `None`: the data folder's `outbox`.
    pub outbox: Option<PathBuf>,
    pub timezone: Tz,
    pub thresholds: Thresholds,
    /// `[keys.<context>]`: the seller's own key bindings over the defaults.
    pub keys: Vec<Rebinding>,
    /// `[categories]`: the shipped phrases of each complaint kind, or the seller's own.
    pub classifier: Classifier,
    /// `[recurring]`: how many complaints of one kind on one ASIN, in how many days, make a
    /// recurring issue.
    pub recurring: RecurringRule,
    /// `[[mailbox]]`: Maildir folders (filled by mbsync, offlineimap, fetchmail, ...) that
    /// `sellerdesk watch` imports from as mail arrives.
    pub mailboxes: Vec<PathBuf>,
    /// `[delivery]`: how replies leave, and where a copy of each is kept.
    pub delivery: delivery::Delivery,
    /// `[commitments]`: what a reply promises when a template says so.
    pub commitments: crate::domain::template::Commitments,
    /// The file these settings came from, if any.
    pub source: Option<PathBuf>,
}

impl Config {
    /// Fills what the seller's settings give a reply: shop name, return address, commitments.
    pub fn sign(&self, ctx: &mut crate::domain::template::ReplyContext) {
        ctx.seller_name = Some(self.seller_name.clone());
        ctx.return_address = self.return_address.clone();
        ctx.commitments = Some(self.commitments);
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seller_name: "My Shop".into(),
            return_address: None,
            agent: default_agent(),
            seller_addresses: Vec::new(),
            buyer_domains: Vec::new(),
            db: None,
            outbox: None,
            timezone: Tz::UTC,
            thresholds: Thresholds::default(),
            keys: Vec::new(),
            classifier: Classifier::default(),
            recurring: RecurringRule::default(),
            mailboxes: Vec::new(),
            delivery: delivery::Delivery::default(),
            commitments: Default::default(),
            source: None,
        }
    }
}

pub use crate::text::toml_file::FileError as ConfigError;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    timezone: Option<Spanned<String>>,
    agent: Option<Spanned<String>>,
    seller: RawSeller,
    store: RawStore,
    clock: RawClock,
    import: RawImport,
    keys: BTreeMap<String, BTreeMap<String, Spanned<String>>>,
    categories: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    recurring: RawRecurring,
    mailbox: Vec<RawMailbox>,
    delivery: delivery::RawDelivery,
    commitments: RawCommitments,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawCommitments {
    refund_days: Option<Spanned<u32>>,
    transit_days: Option<Spanned<u32>>,
    follow_up_days: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailbox {
    path: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawRecurring {
    days: Option<Spanned<u32>>,
    min_complaints: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawSeller {
    name: Option<String>,
    addresses: Vec<Spanned<String>>,
    return_address: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    db: Option<Spanned<String>>,
    outbox: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawClock {
    due_soon_hours: Option<Spanned<u32>>,
    critical_hours: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawImport {
    buyer_domains: Vec<Spanned<String>>,
}

impl Config {
    /// Where the config lives when `--config` is not given.
    pub fn default_path() -> Option<PathBuf> {
        project_dirs().map(|d| d.config_dir().join("config.toml"))
    }

    /// Loads `path`; a missing file at the default location means defaults, a missing file named
    /// explicitly is an error.
    pub fn load(path: &Path, must_exist: bool) -> Result<Config, ConfigError> {
        if !must_exist && matches!(path.try_exists(), Ok(false)) {
            return Ok(Config::default());
        }
        let text = toml_file::read("config", path)?;
        Config::parse(&text, path)
    }

    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let err = |span: Option<std::ops::Range<usize>>, key: Option<String>, message: String| {
            toml_file::error_at("config", file, text, span, key, message)
        };
        let raw: RawConfig = toml_file::parse("config", text, file)?;

        let mut config = Config {
            source: Some(file.to_path_buf()),
            ..Config::default()
        };
        if let Some(agent) = &raw.agent {
            let name = crate::text::safe_text::line(agent.get_ref().trim()).into_owned();
            if name.is_empty() {
                return Err(err(
                    Some(agent.span()),
                    Some("agent".into()),
                    "the agent name is empty: the name others see when you write a reply".into(),
                ));
            }
            config.agent = name.chars().take(40).collect();
        }
        if let Some(name) = raw.seller.name {
            config.seller_name = name;
        }
        if let Some(a) = raw.seller.return_address {
            // One line in a reply: the address's lines joined by commas.
            let joined = a
                .get_ref()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            if joined.is_empty() || joined.chars().any(char::is_control) {
                return Err(err(
                    Some(a.span()),
                    Some("seller.return_address".into()),
                    "the return address is empty or holds control characters".into(),
                ));
            }
            config.return_address = Some(joined);
        }
        for (i, a) in raw.seller.addresses.iter().enumerate() {
            let addr = a.get_ref().trim().to_ascii_lowercase();
            if addr.parse::<lettre::Address>().is_err() {
                return Err(err(
                    Some(a.span()),
                    Some(format!("seller.addresses[{i}]")),
                    format!("`{}` is not an e-mail address", a.get_ref()),
                ));
            }
            config.seller_addresses.push(addr);
        }
        for (i, d) in raw.import.buyer_domains.iter().enumerate() {
            let domain = d
                .get_ref()
                .trim()
                .trim_start_matches('@')
                .to_ascii_lowercase();
            if domain.is_empty() || !domain.contains('.') || domain.contains('@') {
                return Err(err(
                    Some(d.span()),
                    Some(format!("import.buyer_domains[{i}]")),
                    format!("`{}` is not a domain name", d.get_ref()),
                ));
            }
            config.buyer_domains.push(domain);
        }
        if let Some(tz) = raw.timezone {
            config.timezone = tz.get_ref().parse::<Tz>().map_err(|_| {
                err(
                    Some(tz.span()),
                    Some("timezone".into()),
                    format!(
                        "`{}` is not an IANA time zone name (e.g. \"Europe/Berlin\", \"UTC\")",
                        tz.get_ref()
                    ),
                )
            })?;
        }
        for (key, value, slot) in [
            ("store.db", raw.store.db, &mut config.db),
            ("store.outbox", raw.store.outbox, &mut config.outbox),
        ] {
            if let Some(v) = value {
                // An empty path would name the config's own folder.
                if v.get_ref().trim().is_empty() {
                    return Err(err(
                        Some(v.span()),
                        Some(key.into()),
                        "the path is empty: give a file or folder, e.g. \"~/sellerdesk/inbox.db\""
                            .into(),
                    ));
                }
                *slot = Some(resolve_path(v.get_ref(), file));
            }
        }
        if let Some(h) = &raw.clock.due_soon_hours {
            if !(1..24).contains(h.get_ref()) {
                return Err(err(
                    Some(h.span()),
                    Some("clock.due_soon_hours".into()),
                    format!("{} is out of range: between 1 and 23 hours", h.get_ref()),
                ));
            }
            config.thresholds.due_soon = Duration::hours(i64::from(*h.get_ref()));
        }
        if let Some(h) = &raw.clock.critical_hours {
            if !(24..=24 * 30).contains(h.get_ref()) {
                return Err(err(
                    Some(h.span()),
                    Some("clock.critical_hours".into()),
                    format!("{} is out of range: between 24 and 720 hours", h.get_ref()),
                ));
            }
            config.thresholds.critical = Duration::hours(i64::from(*h.get_ref()));
        }
        for (context, table) in &raw.keys {
            for (key, action) in table {
                let rebinding = Rebinding::parse(context, key, action.get_ref()).map_err(|m| {
                    err(
                        Some(action.span()),
                        Some(format!("keys.{context}.{key}")),
                        m,
                    )
                })?;
                config.keys.push(rebinding);
            }
        }
        for (key, value, target) in [
            (
                "commitments.refund_days",
                &raw.commitments.refund_days,
                &mut config.commitments.refund_days,
            ),
            (
                "commitments.transit_days",
                &raw.commitments.transit_days,
                &mut config.commitments.transit_days,
            ),
            (
                "commitments.follow_up_days",
                &raw.commitments.follow_up_days,
                &mut config.commitments.follow_up_days,
            ),
        ] {
            if let Some(d) = value {
                if !(1..=60).contains(d.get_ref()) {
                    return Err(err(
                        Some(d.span()),
                        Some(key.into()),
                        format!("{} is out of range: between 1 and 60 days", d.get_ref()),
                    ));
                }
                *target = *d.get_ref();
            }
        }
        if let Some(d) = &raw.recurring.days {
            if !(1..=365).contains(d.get_ref()) {
                return Err(err(
                    Some(d.span()),
                    Some("recurring.days".into()),
                    format!("{} is out of range: between 1 and 365 days", d.get_ref()),
                ));
            }
            config.recurring.days = *d.get_ref();
        }
        if let Some(n) = &raw.recurring.min_complaints {
            if !(2..=1000).contains(n.get_ref()) {
                return Err(err(
                    Some(n.span()),
                    Some("recurring.min_complaints".into()),
                    format!("{} is out of range: between 2 and 1000", n.get_ref()),
                ));
            }
            config.recurring.min_complaints = *n.get_ref();
        }
        for (i, m) in raw.mailbox.iter().enumerate() {
            if m.path.get_ref().trim().is_empty() {
                return Err(err(
                    Some(m.path.span()),
                    Some(format!("mailbox[{i}].path")),
                    "a mailbox needs the path of a Maildir folder".into(),
                ));
            }
            config
                .mailboxes
                .push(resolve_path(m.path.get_ref().trim(), file));
        }
        config.delivery = delivery::parse(raw.delivery, file, text)?;
        let mut phrases = BTreeMap::new();
        for (kind, list) in &raw.categories {
            let category = Category::parse(kind.get_ref())
                .filter(|c| *c != Category::Other)
                .ok_or_else(|| {
                    let kinds: Vec<&str> = crate::domain::classify::PRIORITY
                        .iter()
                        .map(|c| c.key())
                        .collect();
                    err(
                        Some(kind.span()),
                        Some(format!("categories.{}", kind.get_ref())),
                        format!(
                            "`{}` is not a complaint kind with phrases: one of {}",
                            kind.get_ref(),
                            kinds.join(", ")
                        ),
                    )
                })?;
            let mut out = Vec::new();
            for (i, p) in list.iter().enumerate() {
                if p.get_ref().trim().is_empty() {
                    return Err(err(
                        Some(p.span()),
                        Some(format!("categories.{}[{i}]", kind.get_ref())),
                        "an empty phrase would match every message".into(),
                    ));
                }
                out.push(p.get_ref().clone());
            }
            phrases.insert(category, out);
        }
        if !phrases.is_empty() {
            config.classifier = Classifier::with_overrides(&phrases);
        }
        Ok(config)
    }

    /// The outbox folder: `[store] outbox`, else `outbox` in the platform data folder.
    pub fn outbox_dir(&self) -> Option<PathBuf> {
        self.outbox
            .clone()
            .or_else(|| project_dirs().map(|d| d.data_dir().join("outbox")))
    }

    /// `true` when `address` is one of the seller's own.
    pub fn is_seller_address(&self, address: &str) -> bool {
        self.seller_addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(address))
    }
}

/// The login name, else "someone".
fn default_agent() -> String {
    std::env::var("USER")
        .ok()
        .map(|u| {
            u.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(40)
                .collect::<String>()
        })
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "someone".into())
}

/// sellerdesk's folders on this platform: where the config and the data live by default.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "sellerdesk")
}

/// `~` or `~/x` under the home folder, as a shell reads it; any other path as written.
pub fn expand_home(path: &str) -> PathBuf {
    let home = || directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    match path.strip_prefix('~') {
        Some("") => home().unwrap_or_else(|| PathBuf::from(path)),
        Some(rest) if rest.starts_with('/') => match home() {
            Some(home) => home.join(&rest[1..]),
            None => PathBuf::from(path),
        },
        _ => PathBuf::from(path),
    }
}

/// `~/x` is under the home directory; a relative path is relative to the config file's folder.
fn resolve_path(value: &str, config_file: &Path) -> PathBuf {
    let p = expand_home(value);
    if p.is_absolute() {
        p
    } else {
        config_file.parent().map(|d| d.join(&p)).unwrap_or(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/sd/config.toml"))
    }

    #[test]
    fn example_config_parses_to_its_documented_values() {
        let c = parse(include_str!("../config.example.toml")).unwrap();
        assert_eq!(c.seller_name, "Example Shop");
        assert_eq!(
            c.seller_addresses,
            vec!["orders@example-shop.com", "support@example-shop.com"]
        );
        assert_eq!(c.thresholds, Thresholds::default());
        assert_eq!(c.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(c.agent, "Anna");
        assert_eq!(c.delivery, delivery::Delivery::default());
        // Its commented-out delivery example, switched on, is valid as written.
        let text = include_str!("../config.example.toml");
        let start = text.find("# [delivery]").unwrap();
        let end = text[start..].find("\n\n").unwrap() + start;
        let on: String = text[start..end]
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&on).unwrap();
        assert!(matches!(c.delivery.transport, delivery::Transport::Smtp(_)));
    }

    #[test]
    fn categories_replace_a_kinds_phrases_and_bad_ones_are_named() {
        let c = parse("[categories]\npackaging = [\"bubble wrap\"]\n").unwrap();
        assert_eq!(
            c.classifier.classify("", "no bubble wrap at all").category,
            Category::Packaging
        );
        let e = parse("[categories]\npackage = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("categories.package"),
            "{e}"
        );
        let e = parse("[categories]\nreturns = [\"ok\", \" \"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("categories.returns[1]") && e.contains("empty phrase"),
            "{e}"
        );
    }

    #[test]
    fn recurring_rule_is_read_and_checked() {
        let c = parse("[recurring]\ndays = 30\nmin_complaints = 5\n").unwrap();
        assert_eq!(
            c.recurring,
            RecurringRule {
                days: 30,
                min_complaints: 5
            }
        );
        let e = parse("[recurring]\nmin_complaints = 1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("recurring.min_complaints"),
            "{e}"
        );
    }

    #[test]
    fn mailboxes_are_read_relative_to_the_config() {
        let c =
            parse("[[mailbox]]\npath = \"mail/INBOX\"\n[[mailbox]]\npath = \"/var/mail/shop\"\n")
                .unwrap();
        assert_eq!(
            c.mailboxes,
            vec![
                PathBuf::from("/etc/sd/mail/INBOX"),
                PathBuf::from("/var/mail/shop")
            ]
        );
        let e = parse("[[mailbox]]\npath = \"\"\n").unwrap_err().to_string();
        assert!(e.contains("mailbox[0].path"), "{e}");
        let e = parse("[[mailbox]]\nfolder = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("folder"), "{e}");
    }

    #[test]
    fn empty_config_is_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.thresholds, Thresholds::default());
        assert_eq!(c.timezone, Tz::UTC);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse("[seller]\nname = \"x\"\n\n[clock]\ndue_son_hours = 5\n").unwrap_err();
        assert_eq!(e.line, Some(5));
        assert_eq!(e.key.as_deref(), Some("clock.due_son_hours"));
        assert!(e.message.contains("unknown field"), "{}", e.message);
        assert!(
            e.to_string()
                .starts_with("config /etc/sd/config.toml, line 5"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = parse("[clock]\ncritical_hours = \"two days\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key.as_deref(), Some("clock.critical_hours"));
    }

    #[test]
    fn out_of_range_threshold_is_refused() {
        let e = parse("[clock]\n\ndue_soon_hours = 30\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(3), Some("clock.due_soon_hours"))
        );
        let e = parse("[clock]\ncritical_hours = 12\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("clock.critical_hours"));
    }

    /// A return address of several lines goes into a reply as one.
    #[test]
    fn the_return_address_is_one_line_in_a_reply() {
        let c = parse(
            "[seller]\nreturn_address = \"\"\"\nExample Shop Returns\nLagerstraße 1\n\n10115 Berlin\n\"\"\"\n",
        )
        .unwrap();
        assert_eq!(
            c.return_address.as_deref(),
            Some("Example Shop Returns, Lagerstraße 1, 10115 Berlin")
        );
        let mut ctx = crate::domain::template::ReplyContext::default();
        c.sign(&mut ctx);
        assert_eq!(ctx.return_address, c.return_address);
        assert_eq!(ctx.seller_name.as_deref(), Some(c.seller_name.as_str()));
        let e = parse("[seller]\nreturn_address = \"  \"\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(2), Some("seller.return_address"))
        );
    }

    #[test]
    fn commitments_are_read_and_checked() {
        let c = parse("[commitments]\ntransit_days = 6\nrefund_days = 3\nfollow_up_days = 1\n")
            .unwrap();
        assert_eq!(
            (
                c.commitments.transit_days,
                c.commitments.refund_days,
                c.commitments.follow_up_days
            ),
            (6, 3, 1)
        );
        let e = parse("[commitments]\nfollow_up_days = 61\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("commitments.follow_up_days"));
        let e = parse("[commitments]\n\nrefund_days = 0\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(3), Some("commitments.refund_days"))
        );
        let e = parse("[commitments]\ntransit_dayz = 3\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn bad_timezone_is_refused() {
        let e = parse("timezone = \"Mars/Olympus\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("timezone")));
    }

    #[test]
    fn bad_address_is_refused() {
        let e = parse("[seller]\naddresses = [\"ok@x.com\",\n  \"nope\"]\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(3), Some("seller.addresses[1]"))
        );
    }

    #[test]
    fn syntax_error_has_a_line() {
        let e = parse("[seller\nname = 1\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn relative_db_is_beside_the_config() {
        for text in ["[store]\ndb = \"\"\n", "[store]\noutbox = \" \"\n"] {
            let e = parse(text).unwrap_err().to_string();
            assert!(
                e.contains("line 2") && e.contains("the path is empty"),
                "{e}"
            );
        }
        let c = parse("[store]\ndb = \"inbox.db\"\noutbox = \"out\"\n").unwrap();
        assert_eq!(c.db, Some(PathBuf::from("/etc/sd/inbox.db")));
        assert_eq!(c.outbox_dir(), Some(PathBuf::from("/etc/sd/out")));
    }

    #[test]
    fn key_bindings_are_read_and_checked() {
        let c = parse("[keys.inbox]\nn = \"down\"\n\"ctrl-x\" = \"none\"\n").unwrap();
        assert_eq!(c.keys.len(), 2);
        let e = parse("[keys.inbox]\nn = \"down\"\nm = \"dwn\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("keys.inbox.m")));
        let e = parse("\n[keys.inbx]\nn = \"down\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("keys.inbx.n")));
        assert!(e.message.contains("not a key context"), "{e}");
    }

    #[test]
    fn addresses_match_case_insensitively() {
        let c = parse("[seller]\naddresses = [\"Orders@Shop.com\"]\n").unwrap();
        assert!(c.is_seller_address("orders@shop.COM"));
        assert!(!c.is_seller_address("other@shop.com"));
    }
}
