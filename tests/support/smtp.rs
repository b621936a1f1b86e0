//! A real SMTP server on loopback (mailin-embedded), scripted per test: accept, refuse with
//! 5xx or 4xx, or stall at a chosen step so a sender can be killed there.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{AuthMechanism, Handler, Response, Server, SslConfig};

/// What the server does with the next transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// Accepts, taking 20 ms over each recipient (a server far away).
    AcceptSlowly,
    /// `550` to RCPT: the recipient does not exist.
    RejectRecipient,
    /// `451` after the message: try again later.
    TryLater,
    /// Waits at RCPT (before the client's DATA) until released.
    StallAtRcpt,
    /// Takes the whole message, then waits before answering until released.
    StallAfterData,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct State {
    mode: Option<Mode>,
    received: Vec<Received>,
    /// `user:password` of each successful login.
    logins: Vec<String>,
    stalled: bool,
    /// Bumped by each release: a stalled session goes on when it changes.
    releases: u32,
    /// The one password AUTH takes.
    password: String,
}

#[derive(Clone)]
struct Script {
    state: Arc<Mutex<State>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Script {
    fn mode(&self) -> Mode {
        self.state.lock().unwrap().mode.unwrap_or(Mode::Accept)
    }

    /// Blocks this session until the test releases it (or 30 s pass).
    fn stall(&self) {
        let generation = {
            let mut s = self.state.lock().unwrap();
            s.stalled = true;
            s.releases
        };
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until && self.state.lock().unwrap().releases == generation {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Handler for Script {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_string();
        self.to.clear();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        match self.mode() {
            Mode::RejectRecipient => mailin_embedded::response::NO_MAILBOX,
            Mode::StallAtRcpt => {
                self.stall();
                mailin_embedded::response::OK
            }
            Mode::AcceptSlowly => {
                std::thread::sleep(Duration::from_millis(20));
                self.to.push(to.to_string());
                mailin_embedded::response::OK
            }
            _ => {
                self.to.push(to.to_string());
                mailin_embedded::response::OK
            }
        }
    }

    fn auth_plain(
        &mut self,
        _authorization_id: &str,
        authentication_id: &str,
        password: &str,
    ) -> Response {
        if password == self.state.lock().unwrap().password {
            self.state
                .lock()
                .unwrap()
                .logins
                .push(format!("{authentication_id}:{password}"));
            mailin_embedded::response::AUTH_OK
        } else {
            mailin_embedded::response::INVALID_CREDENTIALS
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        match self.mode() {
            Mode::TryLater => Response::custom(451, "4.3.0 try again later".into()),
            mode => {
                self.state.lock().unwrap().received.push(Received {
                    from: self.from.clone(),
                    to: self.to.clone(),
                    data: std::mem::take(&mut self.data),
                });
                if mode == Mode::StallAfterData {
                    self.stall();
                }
                mailin_embedded::response::OK
            }
        }
    }
}

pub struct SmtpServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::start_with(None, "s3cret")
    }

    /// STARTTLS with the test certificate (`tests/fixtures/tls`, for localhost and 127.0.0.1)
    /// and AUTH PLAIN (password `s3cret`), which the server offers only once encrypted.
    pub fn start_tls() -> SmtpServer {
        SmtpServer::start_with(Some("cert"), "s3cret")
    }

    /// The same, taking `password`.
    pub fn start_tls_with_password(password: &str) -> SmtpServer {
        SmtpServer::start_with(Some("cert"), password)
    }

    /// The same with a certificate made by a plain `openssl req -x509` (self-signed, marked
    /// as an authority: `CA:TRUE`), as a seller's own relay often has.
    pub fn start_tls_self_signed() -> SmtpServer {
        SmtpServer::start_with(Some("selfsigned-cert"), "s3cret")
    }

    fn start_with(tls: Option<&'static str>, password: &str) -> SmtpServer {
        // The test build has two rustls crypto providers (ring for lettre, aws-lc for the
        // server crate's default): the server's config needs one chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            password: password.into(),
            ..State::default()
        }));
        let script = Script {
            state: Arc::clone(&state),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        std::thread::spawn(move || {
            let mut server = Server::new(script);
            server
                .with_name("loopback.test")
                .with_tcp_listener(listener);
            if let Some(cert) = tls {
                let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
                let key = cert.replace("cert", "key");
                server
                    .with_ssl(SslConfig::SelfSigned {
                        cert_path: format!("{dir}/{cert}.pem"),
                        key_path: format!("{dir}/{key}.pem"),
                    })
                    .expect("the test certificate")
                    .with_auth(AuthMechanism::Plain);
            }
            let _ = server.serve();
        });
        SmtpServer { port, state }
    }

    pub fn set_mode(&self, mode: Mode) {
        let mut s = self.state.lock().unwrap();
        s.mode = Some(mode);
        s.stalled = false;
    }

    pub fn logins(&self) -> Vec<String> {
        self.state.lock().unwrap().logins.clone()
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Waits until a session stalls where the mode said.
    pub fn wait_stalled(&self) {
        let until = Instant::now() + Duration::from_secs(20);
        while !self.state.lock().unwrap().stalled {
            assert!(Instant::now() < until, "the sender never reached the stall");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn release(&self) {
        self.state.lock().unwrap().releases += 1;
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.release();
    }
}
