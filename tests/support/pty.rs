//! The real binary in a pseudo-terminal, read back through a terminal emulator (vt100): the
//! one harness of the end-to-end tests and the app benchmarks (`benches/app.rs`,
//! `benches/burst.rs` include this file). Waits poll for what the screen shows, with generous
//! deadlines, so a loaded machine is slower but never fails for it.

#![allow(dead_code)] // each user takes its own part

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub const BIN: &str = env!("CARGO_BIN_EXE_sellerdesk");

/// How long a wait may take before it fails: a debug build on two busy cores can be seconds
/// behind its input; a hang still fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The app with `args`, in a private home (`home`: never the developer's own config or
/// database), UTC, with `env` added.
pub fn command(home: &Path, args: &[&str], env: &[(&str, &str)]) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(BIN);
    cmd.args(args);
    private(&mut cmd, home, env);
    cmd
}

/// The same under `umask 000` (through `sh`, which then becomes the app).
pub fn command_loose_umask(home: &Path, args: &[&str], env: &[(&str, &str)]) -> CommandBuilder {
    let mut cmd = CommandBuilder::new("sh");
    cmd.args(["-c", "umask 000; exec \"$0\" \"$@\"", BIN]);
    cmd.args(args);
    private(&mut cmd, home, env);
    cmd
}

fn private(cmd: &mut CommandBuilder, home: &Path, env: &[(&str, &str)]) {
    cmd.env("TERM", "xterm-256color");
    cmd.cwd(home);
    cmd.env("HOME", home);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("TZ", "UTC");
    for (k, v) in env {
        cmd.env(k, v);
    }
}

/// A screen condition the reader thread timestamps the moment it first holds (a benchmark's
/// "first full frame").
pub type Watch = Box<dyn Fn(&str) -> bool + Send>;

pub struct Pty {
    pub parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the app wrote, as written.
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub master: Box<dyn portable_pty::MasterPty + Send>,
    /// When the process was started.
    pub started: Instant,
    /// When the `Watch` given to `spawn_watching` first held.
    pub seen: Arc<Mutex<Option<Instant>>>,
}

impl Pty {
    pub fn spawn(cmd: CommandBuilder, rows: u16, cols: u16) -> Pty {
        Pty::spawn_watching(cmd, rows, cols, None)
    }

    pub fn spawn_watching(cmd: CommandBuilder, rows: u16, cols: u16, watch: Option<Watch>) -> Pty {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
        )));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(None));
        let started = Instant::now();
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let (sink, raw_sink, seen_sink) =
            (Arc::clone(&parser), Arc::clone(&raw), Arc::clone(&seen));
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                raw_sink.lock().unwrap().extend_from_slice(&buf[..n]);
                let mut p = sink.lock().unwrap();
                p.process(&buf[..n]);
                if let Some(watch) = &watch {
                    let mut s = seen_sink.lock().unwrap();
                    if s.is_none() && watch(&p.screen().contents()) {
                        *s = Some(Instant::now());
                    }
                }
            }
        });
        Pty {
            parser,
            raw,
            writer,
            child,
            master: pty.master,
            started,
            seen,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text`; the screen then.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |screen| screen.contains(text))
    }

    /// Waits until `done` holds for the screen; `what` names it if it never does.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// When the watched condition first held, since the start (waiting for it).
    pub fn wait_seen(&self) -> Duration {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(at) = *self.seen.lock().unwrap() {
                return at - self.started;
            }
            assert!(Instant::now() < deadline, "the watched screen never showed");
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Writes `bytes` as typed.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// Types `bytes`, then gives the app a moment to take them (use `wait_for` for what they
    /// should show).
    pub fn keys(&mut self, bytes: &[u8]) {
        self.send(bytes);
        std::thread::sleep(Duration::from_millis(150));
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().unwrap()
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the app did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn alternate_screen(&self) -> bool {
        self.parser.lock().unwrap().screen().alternate_screen()
    }

    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }
}
