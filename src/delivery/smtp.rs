//! SMTP delivery with lettre's connection, step by step, so that `sending` is committed after
//! the server accepted sender and recipient and before DATA.

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::{Attempt, clean_error};
use crate::config::delivery::{PasswordSource, Security, Smtp};
use crate::store::outbox::Job;

/// The password, read now from where the config says it is; a command gets `timeout` (the
/// transport's own) to print it. An empty password is refused, wherever it comes from.
fn password(source: &PasswordSource, timeout: std::time::Duration) -> Result<String, String> {
    let password = match source {
        PasswordSource::Env(name) => std::env::var(name).map_err(|_| {
            format!("the SMTP password is not set: environment variable {name} is empty or missing")
        })?,
        PasswordSource::Command(command) => run_password_command(command, timeout)?,
    };
    if password.is_empty() {
        return Err(match source {
            PasswordSource::Env(name) => format!(
                "the SMTP password is not set: environment variable {name} is empty or missing"
            ),
            PasswordSource::Command(_) => {
                "the password command printed no password (its first line is empty)".into()
            }
        });
    }
    Ok(password)
}

fn run_password_command(command: &str, timeout: std::time::Duration) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("the password command could not be run: {e}"))?;
    // Read on a thread of its own: a command printing more than a pipe holds still finishes.
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                // The whole group: `sh -c 'sleep 100'` leaves its sleep holding the pipe.
                // SAFETY: signals the process group this child leads (process_group(0)).
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.wait();
                return Err(format!(
                    "the password command did not finish within {} s (timeout_secs)",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => return Err(format!("the password command could not be waited for: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        // Its output may hold part of a secret: never shown.
        return Err(format!("the password command failed ({status})"));
    }
    let text = String::from_utf8(out)
        .map_err(|_| "the password command printed something not UTF-8".to_string())?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// `text` with the login's secrets taken out, as a server may echo what it was sent: the
/// password, and its base64 forms in AUTH PLAIN and AUTH LOGIN.
fn without_secrets(text: String, user: &str, password: &str) -> String {
    use base64::Engine as _;
    if password.is_empty() {
        return text;
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut out = text;
    for secret in [
        b64(&format!("\0{user}\0{password}")),
        b64(&format!("{user}\0{user}\0{password}")),
        b64(password),
        password.to_string(),
    ] {
        out = out.replace(&secret, "[redacted]");
    }
    out
}

/// The server's certificate is checked against the usual authorities, plus `ca_file`'s; or,
/// with `pinned`, compared with those certificates after the handshake (see [`check_pinned`]).
fn tls_parameters(settings: &Smtp, pinned: Option<&[Vec<u8>]>) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(settings.host.clone());
    if pinned.is_some() {
        // Only the handshake's own signature is checked here (the server proves it holds the
        // certificate's key); which certificate it is, is checked before anything is sent.
        builder = builder.dangerous_accept_invalid_certs(true);
    } else if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| format!("ca_file {}: {}", path.display(), error(&e)))?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build_rustls().map_err(|e| error(&e))
}

/// The certificates in `ca_file`, as DER.
fn ca_file_certificates(path: &std::path::Path) -> Result<Vec<Vec<u8>>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
    CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("ca_file {}: {e}", path.display()))
}

/// A self-signed server certificate (`openssl req -x509` marks it as an authority) named in
/// `ca_file` is trusted as that very certificate, as msmtp, swaks and `openssl s_client` do:
/// the server's certificate must be byte for byte one of `ca_file`'s and name the host.
fn check_pinned(conn: &SmtpConnection, host: &str, pinned: &[Vec<u8>]) -> Result<(), String> {
    use rustls::client::verify_server_name;
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls::server::ParsedCertificate;
    let der = conn.peer_certificate().map_err(|e| error(&e))?;
    if !pinned.contains(&der) {
        return Err(format!(
            "the certificate of {host} is not signed by a known authority nor the one in ca_file"
        ));
    }
    let cert = CertificateDer::from(der);
    let parsed = ParsedCertificate::try_from(&cert).map_err(|e| e.to_string())?;
    let name = ServerName::try_from(host).map_err(|e| format!("{host}: {e}"))?;
    verify_server_name(&parsed, &name)
        .map_err(|e| format!("the certificate in ca_file is not for {host}: {e}"))
}

fn error(e: &lettre::transport::smtp::Error) -> String {
    clean_error(&e.to_string())
}

/// A refusal before the final step: nothing was delivered; 5xx is final, the rest is not.
fn refused(e: &lettre::transport::smtp::Error) -> Attempt {
    if e.is_permanent() {
        Attempt::Permanent(error(e))
    } else {
        Attempt::Temporary(error(e))
    }
}

pub fn deliver(
    settings: &Smtp,
    job: &Job,
    before_final: &mut dyn FnMut() -> Result<bool, String>,
) -> Attempt {
    let attempt = deliver_trusting(settings, job, before_final, None);
    // webpki refuses a certificate marked as an authority when it is the server's own; the
    // handshake failed before anything was sent, so trying again with it pinned is safe.
    match (&attempt, &settings.ca_file) {
        (Attempt::Temporary(e), Some(path)) if e.contains("CaUsedAsEndEntity") => {
            match ca_file_certificates(path) {
                Ok(pinned) => deliver_trusting(settings, job, before_final, Some(&pinned)),
                Err(e) => Attempt::Temporary(e),
            }
        }
        _ => attempt,
    }
}

fn deliver_trusting(
    settings: &Smtp,
    job: &Job,
    before_final: &mut dyn FnMut() -> Result<bool, String>,
    pinned: Option<&[Vec<u8>]>,
) -> Attempt {
    let from: Address = match job.from_addr.parse() {
        Ok(a) => a,
        Err(_) => {
            return Attempt::Permanent(format!("`{}` is not a sender address", job.from_addr));
        }
    };
    let to: Address = match job.to_addr.parse() {
        Ok(a) => a,
        Err(_) => {
            return Attempt::Permanent(format!("`{}` is not a recipient address", job.to_addr));
        }
    };
    let login: Option<(String, String)> = match (&settings.username, &settings.password) {
        (Some(user), Some(source)) => match password(source, settings.timeout) {
            Ok(p) => Some((user.clone(), p)),
            Err(e) => return Attempt::Temporary(e),
        },
        (Some(user), None) => Some((user.clone(), String::new())),
        _ => None,
    };
    let credentials = login
        .as_ref()
        .map(|(user, p)| Credentials::new(user.clone(), p.clone()));
    let tls = match settings.security {
        Security::None => None,
        Security::Tls | Security::StartTls => match tls_parameters(settings, pinned) {
            Ok(t) => Some(t),
            Err(e) => return Attempt::Temporary(e),
        },
    };
    let hello = ClientId::default();
    let wrapper = match settings.security {
        Security::Tls => tls.as_ref(),
        _ => None,
    };
    let mut conn = match SmtpConnection::connect(
        (settings.host.as_str(), settings.port),
        Some(settings.timeout),
        &hello,
        wrapper,
        None,
    ) {
        Ok(c) => c,
        Err(e) => {
            return Attempt::Temporary(format!(
                "{}:{}: {}",
                settings.host,
                settings.port,
                error(&e)
            ));
        }
    };
    let attempt = transaction(
        &mut conn,
        settings,
        tls.as_ref(),
        pinned,
        &hello,
        credentials,
        from,
        to,
        job,
        before_final,
    );
    match attempt {
        Attempt::Sent(_) => {
            let _ = conn.quit();
        }
        _ => conn.abort(),
    }
    match login {
        Some((user, password)) => attempt.map_text(|t| without_secrets(t, &user, &password)),
        None => attempt,
    }
}

#[allow(clippy::too_many_arguments)]
fn transaction(
    conn: &mut SmtpConnection,
    settings: &Smtp,
    tls: Option<&TlsParameters>,
    pinned: Option<&[Vec<u8>]>,
    hello: &ClientId,
    credentials: Option<Credentials>,
    from: Address,
    to: Address,
    job: &Job,
    before_final: &mut dyn FnMut() -> Result<bool, String>,
) -> Attempt {
    if settings.security == Security::StartTls {
        if !conn.can_starttls() {
            return Attempt::Temporary(format!(
                "{} does not offer STARTTLS: set security = \"tls\" (port 465) if it expects TLS from the start",
                settings.host
            ));
        }
        if let Some(tls) = tls
            && let Err(e) = conn.starttls(tls, hello)
        {
            return Attempt::Temporary(error(&e));
        }
    }
    if let Some(pinned) = pinned
        && let Err(e) = check_pinned(conn, &settings.host, pinned)
    {
        return Attempt::Temporary(e);
    }
    // A refused login is the account's problem, not the message's: retried (and shown) until
    // the seller fixes it, like a server that is down.
    if let Some(credentials) = credentials
        && let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
    {
        return Attempt::Temporary(super::login_refused(&error(&e)));
    }
    let mut options = Vec::new();
    if !job.raw.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Attempt::Permanent(
                "the message is 8-bit and the server does not accept 8BITMIME".into(),
            );
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    if let Err(e) = conn.command(Mail::new(Some(from), options)) {
        return refused(&e);
    }
    if let Err(e) = conn.command(Rcpt::new(to, Vec::new())) {
        return refused(&e);
    }
    match before_final() {
        Ok(true) => {}
        Ok(false) => return Attempt::Lost,
        Err(e) => return Attempt::Temporary(e),
    }
    // From here on, a silence is not a refusal: the server may have the message.
    if let Err(e) = conn.command(Data) {
        return match e.status() {
            Some(_) => refused(&e),
            None => Attempt::Unknown(error(&e)),
        };
    }
    match conn.message(&job.raw) {
        Ok(response) => Attempt::Sent(clean_error(&format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        ))),
        Err(e) => match e.status() {
            Some(_) => refused(&e),
            None => Attempt::Unknown(format!(
                "no answer after the message was sent: {}",
                error(&e)
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_comes_from_the_environment_or_a_command() {
        let t = std::time::Duration::from_secs(5);
        // SAFETY: this test's own variable names, read only here.
        unsafe { std::env::set_var("SELLERDESK_TEST_SMTP_PW", "s3cret") };
        unsafe { std::env::set_var("SELLERDESK_TEST_SMTP_EMPTY", "") };
        assert_eq!(
            password(&PasswordSource::Env("SELLERDESK_TEST_SMTP_PW".into()), t),
            Ok("s3cret".into())
        );
        let missing = password(
            &PasswordSource::Env("SELLERDESK_TEST_NO_SUCH_VAR".into()),
            t,
        );
        assert!(missing.unwrap_err().contains("SELLERDESK_TEST_NO_SUCH_VAR"));
        let empty = password(&PasswordSource::Env("SELLERDESK_TEST_SMTP_EMPTY".into()), t);
        assert!(empty.unwrap_err().contains("empty"));
        assert_eq!(
            password(
                &PasswordSource::Command("printf 'pw-line\\nsecond\\n'".into()),
                t
            ),
            Ok("pw-line".into())
        );
        let failed =
            password(&PasswordSource::Command("echo leaked; exit 3".into()), t).unwrap_err();
        assert!(failed.contains("failed"), "{failed}");
        assert!(
            !failed.contains("leaked"),
            "a failing command's output is never shown"
        );
        let nothing = password(&PasswordSource::Command("printf '\\nx'".into()), t);
        assert!(nothing.unwrap_err().contains("no password"));
        // A command that hangs is given the transport's timeout, then stopped.
        let started = std::time::Instant::now();
        let slow = password(
            &PasswordSource::Command("sleep 100; echo late".into()),
            std::time::Duration::from_millis(300),
        );
        assert!(slow.unwrap_err().contains("did not finish"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn a_servers_echo_never_keeps_the_login() {
        use base64::Engine as _;
        let plain = base64::engine::general_purpose::STANDARD.encode("\0shop@x.test\0s3cret!");
        let echoed = format!("535 5.7.8 bad credentials for {plain} (s3cret!)");
        let clean = without_secrets(echoed, "shop@x.test", "s3cret!");
        assert!(
            !clean.contains(&plain) && !clean.contains("s3cret"),
            "{clean}"
        );
        assert!(clean.contains("[redacted]"));
    }
}
