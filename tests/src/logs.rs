//! [`LogCapture`]: a tracing writer that keeps every formatted line for assertions.

use std::sync::{Arc, Mutex};

/// A tracing writer that keeps every formatted line in memory.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

pub struct LogCaptureWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCaptureWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogCaptureWriter(self.0.clone())
    }
}

impl LogCapture {
    /// A subscriber writing every event at `max_level` and above (no colour, no time) here.
    pub fn subscriber(&self, max_level: tracing::Level) -> impl tracing::Subscriber + Send + Sync {
        tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_max_level(max_level)
            .with_ansi(false)
            .without_time()
            .with_target(true)
            .finish()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }

    /// Lines whose level is `level` (e.g. "INFO", "WARN"), optionally only for a target prefix.
    pub fn lines_at(&self, level: &str, target_prefix: Option<&str>) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                t.starts_with(level)
                    && target_prefix.is_none_or(|p| {
                        t[level.len()..]
                            .trim_start()
                            .split([':', ' ', '{'])
                            .next()
                            .is_some_and(|target| target.starts_with(p))
                            || t.contains(&format!(" {p}"))
                    })
            })
            .map(str::to_string)
            .collect()
    }
}
