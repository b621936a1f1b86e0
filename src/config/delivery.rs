//! `[delivery]`: how replies leave — into the `.eml` folder, by SMTP or through a
//! sendmail-compatible command — and where a copy of each sent reply is kept.
//!
//! A password is never written in the config: it comes from an environment variable or from a
//! command (`pass`, `secret-tool`, `gpg -d ...`), read when a message is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, resolve_path};
use crate::text::toml_file;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Delivery {
    pub transport: Transport,
    /// A Maildir that receives a copy of every sent reply (`cur/`, seen).
    pub sent_maildir: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Transport {
    /// `.eml` files into the outbox folder (`[store] outbox`), for another program to send.
    #[default]
    Folder,
    Smtp(Smtp),
    Sendmail(Sendmail),
}

impl Transport {
    pub fn key(&self) -> &'static str {
        match self {
            Transport::Folder => "folder",
            Transport::Smtp(_) => "smtp",
            Transport::Sendmail(_) => "sendmail",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<PasswordSource>,
    pub timeout: Duration,
    /// Certificates (PEM) trusted besides the usual authorities: a relay with its own CA.
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, refused if the server does not offer it.
    StartTls,
    /// No encryption: only to a server on this machine (a local relay, tests).
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    /// The name of an environment variable holding it.
    Env(String),
    /// A shell command printing it (its first line is used).
    Command(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sendmail {
    /// Program and arguments; the message is written to its standard input.
    pub command: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawDelivery {
    transport: Option<Spanned<String>>,
    sent_maildir: Option<String>,
    smtp: Option<Spanned<RawSmtp>>,
    sendmail: Option<Spanned<RawSendmail>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: Spanned<String>,
    port: Option<Spanned<u16>>,
    security: Option<Spanned<String>>,
    username: Option<String>,
    /// Only here to be refused with a pointer to the safe options.
    password: Option<Spanned<toml::Value>>,
    password_env: Option<Spanned<String>>,
    password_command: Option<Spanned<String>>,
    timeout_secs: Option<Spanned<u32>>,
    ca_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSendmail {
    command: Spanned<String>,
}

/// The command as a shell would split it (quotes and backslashes), `~` at the start of a word
/// expanded to the home folder, and `-i` added so that a line holding a single `.` is text to
/// every sendmail-compatible program (sendmail and exim stop reading there without it).
fn sendmail_command(text: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(text)
        .ok_or_else(|| format!("`{text}` has an unclosed quote or a trailing backslash"))?;
    if words.is_empty() {
        return Err("the command is empty: e.g. \"msmtp --read-envelope-from -t\"".into());
    }
    let mut command: Vec<String> = words
        .iter()
        .map(|w| super::expand_home(w).to_string_lossy().into_owned())
        .collect();
    let reads_dots_as_text = command[1..]
        .iter()
        .any(|a| matches!(a.as_str(), "-i" | "-oi" | "-ti" | "-it"));
    if !reads_dots_as_text {
        // Right after the program: sendmail and exim take what follows `--` or a recipient
        // given on the command line as addresses.
        command.insert(1, "-i".into());
    }
    Ok(command)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn parse(raw: RawDelivery, file: &Path, text: &str) -> Result<Delivery, ConfigError> {
    let err = |span: std::ops::Range<usize>, key: &str, message: String| {
        toml_file::error_at("config", file, text, Some(span), Some(key.into()), message)
    };
    let mut delivery = Delivery {
        sent_maildir: raw
            .sent_maildir
            .as_deref()
            .map(|p| resolve_path(p.trim(), file)),
        ..Delivery::default()
    };
    let smtp = match raw.smtp {
        Some(s) => Some(parse_smtp(s.into_inner(), &err, file)?),
        None => None,
    };
    let sendmail = match raw.sendmail {
        Some(s) => {
            let s = s.into_inner();
            let command = sendmail_command(s.command.get_ref())
                .map_err(|m| err(s.command.span(), "delivery.sendmail.command", m))?;
            Some(Sendmail { command })
        }
        None => None,
    };
    delivery.transport = match raw.transport {
        None => match (smtp, sendmail) {
            (Some(smtp), None) => Transport::Smtp(smtp),
            (None, Some(sendmail)) => Transport::Sendmail(sendmail),
            (None, None) => Transport::Folder,
            (Some(_), Some(_)) => {
                return Err(toml_file::error_at(
                    "config",
                    file,
                    text,
                    None,
                    Some("delivery.transport".into()),
                    "both [delivery.smtp] and [delivery.sendmail] are set: say which one with \
                     transport = \"smtp\" or \"sendmail\""
                        .into(),
                ));
            }
        },
        Some(t) => match t.get_ref().as_str() {
            "folder" => Transport::Folder,
            "smtp" => Transport::Smtp(smtp.ok_or_else(|| {
                err(
                    t.span(),
                    "delivery.transport",
                    "transport \"smtp\" needs a [delivery.smtp] table with at least host".into(),
                )
            })?),
            "sendmail" => Transport::Sendmail(sendmail.ok_or_else(|| {
                err(
                    t.span(),
                    "delivery.transport",
                    "transport \"sendmail\" needs a [delivery.sendmail] table with command".into(),
                )
            })?),
            other => {
                return Err(err(
                    t.span(),
                    "delivery.transport",
                    format!("`{other}` is not a transport: one of folder, smtp, sendmail"),
                ));
            }
        },
    };
    Ok(delivery)
}

fn parse_smtp(
    s: RawSmtp,
    err: &dyn Fn(std::ops::Range<usize>, &str, String) -> ConfigError,
    file: &Path,
) -> Result<Smtp, ConfigError> {
    if let Some(p) = &s.password {
        return Err(err(
            p.span(),
            "delivery.smtp.password",
            "a password is never kept in the config file: set password_env = \"NAME\" (an \
             environment variable holding it) or password_command = \"pass show smtp\" (a \
             command printing it)"
                .into(),
        ));
    }
    let host = s.host.get_ref().trim().to_string();
    if host.is_empty() {
        return Err(err(
            s.host.span(),
            "delivery.smtp.host",
            "the SMTP server's host name is empty".into(),
        ));
    }
    let security = match &s.security {
        None => Security::StartTls,
        Some(v) => match v.get_ref().as_str() {
            "tls" => Security::Tls,
            "starttls" => Security::StartTls,
            "none" if is_loopback(&host) => Security::None,
            "none" => {
                return Err(err(
                    v.span(),
                    "delivery.smtp.security",
                    format!(
                        "\"none\" would send the password and buyers' mail unencrypted to \
                         {host}: only allowed to a server on this machine (localhost)"
                    ),
                ));
            }
            other => {
                return Err(err(
                    v.span(),
                    "delivery.smtp.security",
                    format!("`{other}` is not one of tls, starttls, none"),
                ));
            }
        },
    };
    let port = match &s.port {
        Some(p) if *p.get_ref() == 0 => {
            return Err(err(
                p.span(),
                "delivery.smtp.port",
                "0 is not a port".into(),
            ));
        }
        Some(p) => *p.get_ref(),
        None => match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::None => 25,
        },
    };
    let password = match (&s.password_env, &s.password_command) {
        (Some(_), Some(c)) => {
            return Err(err(
                c.span(),
                "delivery.smtp.password_command",
                "set either password_env or password_command, not both".into(),
            ));
        }
        (Some(e), None) if e.get_ref().trim().is_empty() => {
            return Err(err(
                e.span(),
                "delivery.smtp.password_env",
                "the environment variable's name is empty".into(),
            ));
        }
        (Some(e), None) => Some(PasswordSource::Env(e.get_ref().trim().to_string())),
        (None, Some(c)) if c.get_ref().trim().is_empty() => {
            return Err(err(
                c.span(),
                "delivery.smtp.password_command",
                "the command is empty".into(),
            ));
        }
        (None, Some(c)) => Some(PasswordSource::Command(c.get_ref().clone())),
        (None, None) => None,
    };
    if password.is_some() && s.username.is_none() {
        let span = s
            .password_env
            .as_ref()
            .or(s.password_command.as_ref())
            .map(Spanned::span)
            .unwrap_or_default();
        return Err(err(
            span,
            "delivery.smtp.username",
            "a password without a username: set username too".into(),
        ));
    }
    let timeout = match &s.timeout_secs {
        Some(t) if !(1..=600).contains(t.get_ref()) => {
            return Err(err(
                t.span(),
                "delivery.smtp.timeout_secs",
                format!("{} is out of range: between 1 and 600 seconds", t.get_ref()),
            ));
        }
        Some(t) => Duration::from_secs(u64::from(*t.get_ref())),
        None => Duration::from_secs(30),
    };
    Ok(Smtp {
        host,
        port,
        security,
        username: s.username,
        password,
        timeout,
        ca_file: s.ca_file.as_deref().map(|p| resolve_path(p.trim(), file)),
    })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/sd/config.toml"))
    }

    #[test]
    fn folder_is_the_default() {
        assert_eq!(parse("").unwrap().delivery, Delivery::default());
    }

    #[test]
    fn smtp_with_a_password_from_the_environment() {
        let c = parse(
            "[delivery]\nsent_maildir = \"Sent\"\n[delivery.smtp]\nhost = \"smtp.example.com\"\n\
             username = \"me\"\npassword_env = \"SD_PW\"\n",
        )
        .unwrap();
        assert_eq!(
            c.delivery.transport,
            Transport::Smtp(Smtp {
                host: "smtp.example.com".into(),
                port: 587,
                security: Security::StartTls,
                username: Some("me".into()),
                password: Some(PasswordSource::Env("SD_PW".into())),
                timeout: Duration::from_secs(30),
                ca_file: None,
            })
        );
        assert_eq!(c.delivery.sent_maildir, Some(PathBuf::from("/etc/sd/Sent")));
    }

    #[test]
    fn a_password_in_the_file_is_refused_with_its_line_and_the_way_out() {
        let e = parse("[delivery.smtp]\nhost = \"h\"\nusername = \"me\"\npassword = \"hunter2\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("config.toml"), "{e}");
        assert!(e.contains("line 4"), "{e}");
        assert!(e.contains("delivery.smtp.password"), "{e}");
        assert!(e.contains("password_env"), "{e}");
        assert!(!e.contains("hunter2"), "the password is never echoed: {e}");
    }

    #[test]
    fn no_encryption_only_to_this_machine() {
        let e = parse("[delivery.smtp]\nhost = \"smtp.example.com\"\nsecurity = \"none\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("delivery.smtp.security"), "{e}");
        let c = parse("[delivery.smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\n")
            .unwrap();
        let Transport::Smtp(s) = c.delivery.transport else {
            panic!("smtp expected");
        };
        assert_eq!((s.port, s.security), (2525, Security::None));
    }

    #[test]
    fn the_sendmail_command_is_split_as_a_shell_would_and_reads_a_lone_dot_as_text() {
        let home = directories::BaseDirs::new()
            .unwrap()
            .home_dir()
            .display()
            .to_string();
        for (text, argv) in [
            (
                "'/opt/my mail/sendmail' -t -oi",
                vec!["/opt/my mail/sendmail", "-t", "-oi"],
            ),
            (
                "msmtp -a \"shop account\" -t",
                vec!["msmtp", "-i", "-a", "shop account", "-t"],
            ),
            ("/usr/sbin/sendmail -ti", vec!["/usr/sbin/sendmail", "-ti"]),
            (
                "~/bin/send --config=~/x -i",
                vec![&format!("{home}/bin/send"), "--config=~/x", "-i"],
            ),
            ("a\\ b -t", vec!["a b", "-i", "-t"]),
            (
                "/usr/sbin/sendmail -- bob@example.test",
                vec!["/usr/sbin/sendmail", "-i", "--", "bob@example.test"],
            ),
        ] {
            assert_eq!(sendmail_command(text).unwrap(), argv, "{text}");
        }
        assert!(sendmail_command("msmtp -a 'shop").is_err());
        let e = parse("[delivery.sendmail]\ncommand = \"msmtp 'x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("delivery.sendmail.command") && e.contains("quote"),
            "{e}"
        );
    }

    #[test]
    fn sendmail_command_and_bad_transports() {
        let c =
            parse("[delivery.sendmail]\ncommand = \"msmtp --read-envelope-from -t\"\n").unwrap();
        assert_eq!(
            c.delivery.transport,
            Transport::Sendmail(Sendmail {
                command: vec![
                    "msmtp".into(),
                    "-i".into(),
                    "--read-envelope-from".into(),
                    "-t".into(),
                ]
            })
        );
        for (text, key) in [
            ("[delivery]\ntransport = \"pigeon\"\n", "delivery.transport"),
            ("[delivery]\ntransport = \"smtp\"\n", "delivery.transport"),
            (
                "[delivery.sendmail]\ncommand = \" \"\n",
                "delivery.sendmail.command",
            ),
            (
                "[delivery.smtp]\nhost = \"h\"\nusername = \"u\"\npassword_env = \"A\"\npassword_command = \"b\"\n",
                "delivery.smtp.password_command",
            ),
            (
                "[delivery.smtp]\nhost = \"h\"\npassword_env = \"A\"\n",
                "delivery.smtp.username",
            ),
            (
                "[delivery.smtp]\nhost = \"h\"\ntimeout_secs = 0\n",
                "delivery.smtp.timeout_secs",
            ),
            (
                "[delivery.smtp]\nhost = \"h\"\nport = 0\n",
                "delivery.smtp.port",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }
}
