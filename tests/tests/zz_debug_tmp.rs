use std::sync::Arc;
use e2e_tests::*;
use mock_monday::Simulator;
#[tokio::test(start_paused = true)]
async fn dbg() {
    let _g = tracing::subscriber::set_default(tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_writer(std::io::stderr).finish());
    let sim = Arc::new(Simulator::new(sim_config("realistic", "pro", "trial", 2026, &std::env::var("F").unwrap())).unwrap());
    let t = SimTransport::new(sim.clone());
    let s = run_engine(t, sync_config("batch", 25, 4), gen_records(100, 2026, 0.3)).await;
    println!("{}", brief(&s));
}
