//! The real binary in a pseudo-terminal, driven by keys and read back through a terminal
//! emulator (vt100), as a seller would use it.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Session {
    _home: tempfile::TempDir,
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

fn start(args: &[&str]) -> Session {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 140,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_sellerdesk"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    // A private home: the app must never see the developer's own config or database.
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path().to_path_buf();
    cmd.cwd(&home);
    cmd.env("HOME", &home);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_DATA_HOME", home.join("data"));
    let child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let writer = pty.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        std::num::NonZeroU16::new(40).unwrap(),
        std::num::NonZeroU16::new(140).unwrap(),
        0,
    )));
    let sink = Arc::clone(&parser);
    std::thread::spawn(move || {
        let _keep_master = pty.master;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    Session {
        _home: home_dir,
        parser,
        writer,
        child,
    }
}

impl Session {
    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the app did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alternate_screen(&self) -> bool {
        self.parser.lock().unwrap().screen().alternate_screen()
    }
}

#[test]
fn demo_alert_open_mark_and_quit() {
    let mut s = start(&["demo", "--now", "2026-11-22T12:00:00Z"]);
    s.wait_for("Needs attention");
    assert!(s.alternate_screen());
    s.keys(b"\x1b"); // Esc dismisses the alert
    s.wait_for("Inbox (needs reply · 18)");
    assert!(!s.screen().contains("Needs attention"));
    s.keys(b"\r"); // open the most urgent thread
    s.wait_for("Guten Tag");
    s.keys(b"x");
    s.wait_for("no response needed\"?");
    s.keys(b"y");
    let screen = s.wait_for("5 overdue (1 critical)");
    assert!(screen.contains("Inbox (needs reply · 17)"), "{screen}");
    s.keys(b"q");
    assert!(s.wait_exit().success());
    assert!(
        !s.alternate_screen(),
        "the terminal left the alternate screen"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = start(&["demo", "--now", "2026-11-22T12:00:00Z"]);
    s.wait_for("Needs attention");
    let pid = s.child.process_id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    s.wait_exit();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !s.alternate_screen(),
        "the terminal left the alternate screen"
    );
}
