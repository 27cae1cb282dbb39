//! Quiet logging and secret hygiene, seen by a process-global subscriber.
//!
//! tracing caches each callsite's interest process-wide, so a thread-local subscriber
//! (`set_default`) in a test binary whose other tests run in parallel can miss events. This binary
//! holds this one test and installs its capture as the global subscriber, so it sees every event.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use mock_monday::{LatencyProfile, SimConfig};
use monday_sync::config::SyncConfig;
use monday_sync::engine::{run, RunParams};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use serde_json::{Map, Value};
use support::*;

async fn sync_with(
    t: Arc<SimTransport>,
    cfg: SyncConfig,
    recs: Vec<Map<String, Value>>,
    counter: Arc<Counter>,
) -> RunSummary {
    run(RunParams {
        observer: Some(counter),
        ..params(cfg, InputSource::Records(recs), t)
    })
    .await
    .expect("run")
}

/// The buffer behind the process-global subscriber (installed once, DEBUG and above).
fn global_capture() -> Buf {
    static CAPTURE: OnceLock<Buf> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let buf = Buf::default();
            let w = buf.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .with_writer(move || w.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test binary");
            buf
        })
        .clone()
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn empty_fields_log_no_warnings_and_info_scales_with_batches() {
    let buf = global_capture();

    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        seed: 5,
        ..SimConfig::default()
    });
    let mut recs = records(500);
    let optional = [
        "colour",
        "sizes",
        "notes",
        "ship_date",
        "tracking_url",
        "contact_phone",
        "unit_price",
    ];
    for (i, r) in recs.iter_mut().enumerate() {
        for (j, f) in optional.iter().enumerate() {
            // ~30% of optional fields empty, as null, "" or missing.
            match (i * 7 + j * 13) % 10 {
                0 => {
                    r.insert(f.to_string(), Value::Null);
                }
                1 => {
                    r.insert(f.to_string(), "".into());
                }
                2 => {
                    r.remove(*f);
                }
                _ => {}
            }
        }
    }
    let mut cfg = example_config();
    cfg.sync.batch_size = Some(25);
    let s = sync_with(t, cfg, recs, Arc::new(Counter::default())).await;
    assert_eq!(s.created, 500, "{:?}", s.failures);
    assert_eq!(sim.stats().items_created_total, 500);

    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(!text.is_empty());
    let warn = text.lines().filter(|l| l.contains(" WARN ")).count();
    let info = text.lines().filter(|l| l.contains(" INFO ")).count();
    assert_eq!(warn, 0, "{text}");
    let batches = s.batches as usize;
    assert_eq!(batches, 20);
    assert!(
        info <= 2 + batches / 5,
        "{info} INFO lines for {batches} batches"
    );
    assert!(!text.contains(TOKEN), "the token leaked into the logs");
    assert!(!text.contains("SECRET"));
}
