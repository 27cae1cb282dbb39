//! The binary's contract: exit codes and output files of `gate`, and `generate`.

use std::process::Command;

fn perf() -> Command {
    Command::new(env!("CARGO_BIN_EXE_monday-perf"))
}

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-baseline.json")
}

#[test]
fn gate_exit_codes_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("b.json");
    let out = perf()
        .args(["baseline", "--baseline"])
        .arg(fixture())
        .arg("--out")
        .arg(&baseline)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let gate_dir = dir.path().join("gate");
    let summary = dir.path().join("step-summary.md");
    let out = perf()
        .args(["gate", "--baseline"])
        .arg(&baseline)
        .arg("--out")
        .arg(&gate_dir)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "gate.json",
        "summary.md",
        "junit.xml",
        "report.html",
        "bite-pro-200/results.json",
    ] {
        assert!(gate_dir.join(f).exists(), "{f} missing");
    }
    assert!(std::fs::read_to_string(&summary).unwrap().contains("PASS"));

    // Pretend the baseline was twice as fast: the same code is now a regression.
    let mut b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let e = &mut b["scenarios"][0]["expected"];
    e["per_record_ms"] = serde_json::json!(e["per_record_ms"].as_f64().unwrap() / 2.0);
    std::fs::write(&baseline, b.to_string()).unwrap();
    let out = perf()
        .args(["gate", "--baseline"])
        .arg(&baseline)
        .arg("--out")
        .arg(&gate_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let junit = std::fs::read_to_string(gate_dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<failure"));

    let out = perf()
        .args(["gate", "--baseline", "/nonexistent/b.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = perf()
        .args(["run", "--plan", "platinum", "--records", "50"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn generate_writes_ndjson_deterministically() {
    let run = || {
        perf()
            .args(["generate", "--records", "50", "--seed", "9"])
            .output()
            .unwrap()
    };
    let (a, b) = (run(), run());
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout.iter().filter(|c| **c == b'\n').count(), 50);
}
