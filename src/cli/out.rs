//! The commands' output when the reader goes away: `sellerdesk status | head -1` closes the
//! pipe after one line, and the command ends quietly with its normal exit code — no "Broken
//! pipe" error, no panic when stderr is that same closed pipe.

use std::io::{self, Write};

/// A writer for which a closed pipe is the end of the output, not an error: the rest is
/// dropped and the command goes on to its exit code.
pub struct Quiet<W: Write>(pub W);

fn quietly(r: io::Result<usize>, len: usize) -> io::Result<usize> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(len),
        r => r,
    }
}

impl<W: Write> Write for Quiet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        quietly(self.0.write(buf), buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        quietly(self.0.flush().map(|_| 0), 0).map(|_| ())
    }
}

/// Standard output, locked, for the length of one command's output.
pub fn stdout() -> Quiet<io::StdoutLock<'static>> {
    Quiet(io::stdout().lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_ends_the_output_other_errors_stay_errors() {
        assert!(writeln!(Quiet(Closed), "x").is_ok());
        assert!(Quiet(Closed).flush().is_ok());
        assert!(writeln!(Quiet(Full), "x").is_err());
    }
}
