//! [`StderrThroughBar`], the `tracing` writer that keeps log lines from tearing the bar, and the
//! bar it writes around.

use std::io::Write;
use std::sync::Mutex;

use indicatif::ProgressBar;

/// The bar currently on stderr, if any (log lines are written around it).
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active_bar() -> Option<ProgressBar> {
    ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

pub(super) fn set_active_bar(bar: Option<ProgressBar>) {
    *ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// A `tracing_subscriber` writer to stderr that hides the progress bar while a line is written
/// (`.with_writer(StderrThroughBar)`), so log lines never tear it.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrThroughBar;

/// One log event's bytes, written through the bar when dropped.
#[derive(Debug, Default)]
pub struct LineThroughBar(Vec<u8>);

impl Write for LineThroughBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineThroughBar {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let write = || {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(&self.0);
            let _ = err.flush();
        };
        match active_bar() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrThroughBar {
    type Writer = LineThroughBar;
    fn make_writer(&'a self) -> Self::Writer {
        LineThroughBar::default()
    }
}
