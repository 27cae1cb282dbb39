//! `monday-perf run --client-cmd`: foreign clients (the Python examples and small throwaway ones
//! written here) measured from the server side. Every test skips, saying why, when `python3` is
//! not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python_missing() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: python3 is not installed; the client-cmd tests run Python clients");
    }
    !ok
}

/// Runs `monday-perf run --client-cmd CMD --records N` plus `extra` from the workspace root and
/// returns the process output and the parsed results.json.
fn run_client(cmd: &str, records: u32, extra: &[&str], out: &Path) -> (Output, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_monday-perf"))
        .current_dir(workspace())
        .args([
            "run",
            "--client-cmd",
            cmd,
            "--records",
            &records.to_string(),
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(out.join("results.json")).unwrap_or_else(|e| {
        panic!(
            "no results.json ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, serde_json::from_str(&text).unwrap())
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v:#}"))
}

/// Shared preamble of the throwaway clients: env, records, one POST helper.
const PRELUDE: &str = r#"
import json, os, sys, threading, time, urllib.request, urllib.error
URL = os.environ["MONDAY_API_URL"]; BOARD = os.environ["MONDAY_BOARD_ID"]
SCALE = float(os.environ["MONDAY_TIME_SCALE"])
RECORDS = [json.loads(l) for l in open(os.environ["MONDAY_PERF_INPUT"]) if l.strip()]
Q = "mutation ($b: ID!, $n: String!, $v: JSON) { create_item(board_id: $b, item_name: $n, column_values: $v) { id } }"
def post(record):
    body = json.dumps({"query": Q, "variables": {"b": BOARD, "n": record["order_id"],
        "v": {"text_order_key": record["order_id"]}}}).encode()
    req = urllib.request.Request(URL, data=body, method="POST", headers={
        "Authorization": os.environ["MONDAY_API_TOKEN"], "Content-Type": "application/json",
        "API-Version": os.environ["MONDAY_API_VERSION"]})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, float(e.headers.get("Retry-After") or 1)
"#;

fn throwaway(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{PRELUDE}\n{body}\n")).unwrap();
    format!("python3 {}", path.display())
}

#[test]
fn single_call_and_batched_examples_side_by_side() {
    if python_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scale = ["--time-scale", "0.25"];
    let single_dir = dir.path().join("single");
    let (out, single) = run_client(
        "python3 examples/clients/single_call.py",
        40,
        &scale,
        &single_dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(n(&single, "records"), 40);
    assert!(n(&single, "requests") >= 40, "{}", single["requests"]);
    assert_eq!(n(&single, "duplicates"), 0);
    assert_eq!(n(&single, "items_on_board"), 40);
    assert_eq!(single["client"]["exit_code"], 0);
    for file in [
        "report.html",
        "requests.hgrm",
        "records.hgrm",
        "requests.hlog",
    ] {
        assert!(single_dir.join(file).is_file(), "{file} written");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("[client] single_call: 40 of 40"));

    let (out, batched) = run_client(
        "python3 examples/clients/batched.py",
        40,
        &scale,
        &dir.path().join("batched"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(n(&batched, "items_on_board"), 40);
    assert_eq!(n(&batched, "duplicates"), 0);
    // ceil(40 / 25) writes plus the one board read.
    assert!(
        n(&batched, "requests") <= 40_u64.div_ceil(25) + 2,
        "{}",
        batched["requests"]
    );
    let (s, b) = (
        single["per_record_ms"].as_f64().unwrap(),
        batched["per_record_ms"].as_f64().unwrap(),
    );
    eprintln!("per record: single_call {s} ms, batched {b} ms (time scale 0.25)");
    assert!(
        b * 2.5 < s,
        "batched {b} ms/record is not far below single-call {s}"
    );
}

#[test]
fn a_client_that_creates_one_record_twice_shows_one_duplicate() {
    if python_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = throwaway(
        dir.path(),
        "dup.py",
        "for r in RECORDS + RECORDS[:1]:\n    assert post(r)[0] == 200",
    );
    let (out, r) = run_client(&cmd, 10, &["--profile", "instant"], &dir.path().join("out"));
    assert!(!out.status.success(), "a duplicate fails the run");
    assert_eq!(n(&r, "duplicates"), 1);
    assert_eq!(n(&r, "items_on_board"), 11);
    assert_eq!(n(&r, "records_missing"), 0);
}

#[test]
fn a_client_ignoring_retry_after_shows_its_429s() {
    if python_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Trial budget (1M points): the 34th create_item is refused until the window resets; this
    // client resends at once, again and again.
    let cmd = throwaway(
        dir.path(),
        "impatient.py",
        "tries = 0\nfor r in RECORDS:\n    while post(r)[0] == 429 and tries < 50000:\n        tries += 1",
    );
    let (out, r) = run_client(
        &cmd,
        40,
        &["--token-kind", "trial", "--time-scale", "0.02"],
        &dir.path().join("out"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(n(&r, "items_on_board"), 40);
    let throttled = n(&r, "throttled");
    eprintln!(
        "impatient client: {throttled} x 429 in {} requests",
        r["requests"]
    );
    assert!(throttled > 10, "{throttled}");
    assert_eq!(n(&r, "requests"), 40 + throttled);
    assert_eq!(n(&r, "retries"), throttled, "each 429 resent the same body");
}

#[test]
fn a_client_writing_concurrently_to_one_board_shows_its_423s() {
    if python_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Four threads write at once; each waits out the 423 it gets and resends.
    let cmd = throwaway(
        dir.path(),
        "concurrent.py",
        "def lane(rs):\n    for r in rs:\n        while True:\n            status, wait = post(r)\n            if status == 200: break\n            time.sleep(wait)\n\
threads = [threading.Thread(target=lane, args=(RECORDS[i::4],)) for i in range(4)]\n\
[t.start() for t in threads]; [t.join() for t in threads]",
    );
    let (out, r) = run_client(&cmd, 20, &["--time-scale", "0.2"], &dir.path().join("out"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(n(&r, "items_on_board"), 20);
    assert_eq!(n(&r, "duplicates"), 0);
    let locked = n(&r, "locked");
    eprintln!(
        "concurrent client: {locked} x 423 in {} requests",
        r["requests"]
    );
    assert!(locked > 0);
    assert_eq!(r["simulator_stats"]["locked_total"], locked);
}

#[test]
fn a_failing_client_fails_the_run_with_its_last_lines() {
    if python_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = throwaway(
        dir.path(),
        "broken.py",
        "print('created nothing, giving up'); sys.exit(3)",
    );
    let (out, r) = run_client(&cmd, 5, &["--profile", "instant"], &dir.path().join("out"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r["client"]["exit_code"], 3);
    assert_eq!(n(&r, "records_missing"), 5);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the client failed (exit Some(3))"),
        "{stderr}"
    );
    assert!(stderr.contains("  created nothing, giving up"), "{stderr}");
}

/// Whether process `pid` still runs (a zombie waiting to be reaped does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_string();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

/// The client's whole process group goes (the shell and what it started), and nothing else:
/// `kill -KILL -<pgid>` through procps-ng 4.0 once signalled every process on the machine.
#[test]
fn a_client_past_its_time_limit_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("child.pid");
    let mut bystander = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("start a bystander process");
    let (out, r) = run_client(
        &format!(
            "echo started; sleep 30 & echo $! > {}; wait",
            pid_file.display()
        ),
        5,
        &["--profile", "instant", "--timeout", "1"],
        &dir.path().join("out"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r["client"]["timed_out"], true);
    assert!(r["client"]["exit_code"].is_null());
    let child: u32 = std::fs::read_to_string(&pid_file)
        .expect("the client wrote its child's pid")
        .trim()
        .parse()
        .unwrap();
    // The kill is sent before the harness returns; give the kernel a moment to finish it.
    for _ in 0..50 {
        if !running(child) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!running(child), "the client's own child {child} survived");
    let alive = bystander.try_wait().expect("query the bystander").is_none();
    let _ = bystander.kill();
    let _ = bystander.wait();
    assert!(alive, "a process outside the client's group was killed");
}

/// Runs the gate on the checked-in `client-batched-40` scenario with its command replaced, and
/// returns the exit code and the names of the checks that failed.
fn gate_batched_with(command: &str) -> (Option<i32>, Vec<String>) {
    let ci: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("perf/baselines/ci.json")).unwrap(),
    )
    .unwrap();
    let mut batched = ci["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scenario"]["name"] == "client-batched-40")
        .expect("the gate runs the batched example")
        .clone();
    batched["scenario"]["client_cmd"]["command"] = command.into();
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("b.json");
    let b = serde_json::json!({ "format": 1, "scenarios": [batched] });
    std::fs::write(&baseline, b.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_monday-perf"))
        .current_dir(workspace())
        .args(["gate", "--baseline"])
        .arg(&baseline)
        .arg("--out")
        .arg(dir.path().join("gate"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let gate: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("gate/gate.json")).unwrap())
            .unwrap();
    let failed = gate["scenarios"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    (out.status.code(), failed)
}

#[test]
fn the_gate_fails_when_the_batched_example_falls_back_to_one_call_per_record() {
    if python_missing() {
        return;
    }
    let (code, failed) = gate_batched_with("python3 examples/clients/batched.py --batch-size 1");
    assert_eq!(code, Some(1), "a regression: {failed:?}");
    // Judged on what the load cannot move: the request count and the API's busy time (its
    // seeded latency draws), beyond its tolerance and beyond the 150 ms target.
    for check in [
        "requests",
        "api_busy_ms_per_record",
        "max_api_busy_ms_per_record",
    ] {
        assert!(failed.iter().any(|f| f == check), "{check}: {failed:?}");
    }
    // The wall-clock figures are reported, not gated.
    assert!(!failed.iter().any(|f| f == "per_record_ms"), "{failed:?}");
}

#[test]
fn the_gate_fails_when_the_batched_example_burns_more_cpu() {
    if python_missing() {
        return;
    }
    // The same requests, plus about a second of the client's own CPU (25 ms per record against
    // the baseline's ~2): only the client's CPU time can see it.
    let (code, failed) = gate_batched_with(
        "python3 -c 'sum(i * i for i in range(8_000_000))' && python3 examples/clients/batched.py",
    );
    assert_eq!(code, Some(1), "a regression: {failed:?}");
    assert_eq!(failed, vec!["client_cmd_cpu_ms_per_record".to_string()]);
}

/// A stock client: batches of 25 `create_item`s, and on a 429 it waits `Retry-After` as given
/// (it reads nothing about the time scale), printing each hint. With `aware`, it scales the hint
/// by `MONDAY_TIME_SCALE` instead (what a client must do when durations are simulated).
fn retry_after_client(dir: &Path, name: &str, aware: bool) -> String {
    let scale = if aware {
        "float(os.environ[\"MONDAY_TIME_SCALE\"])"
    } else {
        "1.0"
    };
    let body = format!(
        r#"
import json, os, time, urllib.request, urllib.error
URL = os.environ["MONDAY_API_URL"]; BOARD = os.environ["MONDAY_BOARD_ID"]
RECORDS = [json.loads(l) for l in open(os.environ["MONDAY_PERF_INPUT"]) if l.strip()]
HINT_SCALE = {scale}
def send(batch):
    decl = ["$b: ID!"]; parts = []; variables = {{"b": BOARD}}
    for i, r in enumerate(batch):
        decl.append(f"$n{{i}}: String!, $v{{i}}: JSON")
        parts.append(f"a{{i}}: create_item(board_id: $b, item_name: $n{{i}}, column_values: $v{{i}}) {{{{ id }}}}")
        variables[f"n{{i}}"] = r["order_id"]; variables[f"v{{i}}"] = {{"text_order_key": r["order_id"]}}
    query = "mutation (" + ", ".join(decl) + ") {{ " + " ".join(parts) + " }}"
    body = json.dumps({{"query": query, "variables": variables}}).encode()
    while True:
        req = urllib.request.Request(URL, data=body, method="POST", headers={{
            "Authorization": os.environ["MONDAY_API_TOKEN"], "Content-Type": "application/json",
            "API-Version": os.environ["MONDAY_API_VERSION"]}})
        try:
            with urllib.request.urlopen(req) as r:
                return
        except urllib.error.HTTPError as e:
            if e.code != 429:
                raise
            hint = e.headers["Retry-After"]
            print("retry-after", hint, flush=True)
            time.sleep(float(hint) * HINT_SCALE)
for i in range(0, len(RECORDS), 25):
    send(RECORDS[i:i + 25])
"#
    );
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    format!("python3 {}", path.display())
}

/// The `Retry-After` values a client printed (streamed as `[client] retry-after N`).
fn hints(out: &Output) -> Vec<u64> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("[client] retry-after "))
        .map(|v| v.trim().parse().unwrap())
        .collect()
}

#[test]
fn a_stock_client_honouring_retry_after_runs_a_budget_bound_run_at_the_scaled_pace() {
    if python_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Trial budget (1M points a minute): one 25-item batch (750,000 points) per window, so 75
    // records take three windows and two 429s, whatever the scale. Time scale 0.05: a 60 s
    // window passes in 3 wall seconds.
    let common = [
        "--token-kind",
        "trial",
        "--profile",
        "instant",
        "--time-scale",
        "0.05",
    ];
    // The reference: simulated durations, waited by a client that scales them itself, which is
    // what an unscaled run does in simulated time.
    let aware = retry_after_client(dir.path(), "aware.py", true);
    let mut args = common.to_vec();
    args.extend(["--report-durations", "simulated"]);
    let (out_sim, sim) = run_client(&aware, 75, &args, &dir.path().join("simulated"));
    assert!(
        out_sim.status.success(),
        "{}",
        String::from_utf8_lossy(&out_sim.stderr)
    );
    // The stock client against the default (wall durations).
    let stock = retry_after_client(dir.path(), "stock.py", false);
    let (out_wall, wall) = run_client(&stock, 75, &common, &dir.path().join("wall"));
    assert!(
        out_wall.status.success(),
        "{}",
        String::from_utf8_lossy(&out_wall.stderr)
    );

    for (what, r) in [("simulated", &sim), ("wall", &wall)] {
        assert_eq!(n(r, "items_on_board"), 75, "{what}");
        assert_eq!(n(r, "duplicates"), 0, "{what}");
        assert_eq!(
            n(r, "throttled"),
            2,
            "{what}: one 429 per window after the first"
        );
        assert_eq!(n(r, "requests"), 3 + 2, "{what}");
    }
    // The durations reported: about a window in simulated seconds, the same in wall seconds
    // (x 0.05, rounded up) on the default.
    let (h_sim, h_wall) = (hints(&out_sim), hints(&out_wall));
    assert_eq!(h_sim.len(), 2, "{h_sim:?}");
    assert!(h_sim.iter().all(|s| (55..=60).contains(s)), "{h_sim:?}");
    assert_eq!(h_wall, vec![3, 3], "60 simulated s x 0.05 = 3 wall s");
    // Both runs took two windows and a bit of simulated API time: at least the two windows the
    // budget demands, and far from the 20 x longer a run that waited the simulated seconds in
    // real time would show. (The bit: the Python client's own start-up and work, magnified
    // 20 x on this clock, and a wall second rounded up per wait.)
    let (t_sim, t_wall) = (
        sim["api_time_ms"].as_f64().unwrap(),
        wall["api_time_ms"].as_f64().unwrap(),
    );
    for t in [t_sim, t_wall] {
        assert!((120_000.0..180_000.0).contains(&t), "{t_sim} / {t_wall}");
    }
    eprintln!(
        "budget-bound, 75 records, scale 0.05: simulated API time {t_sim:.0} / {t_wall:.0} ms; \
         client wall time {} / {} ms (simulated durations + aware client / wall durations + stock client)",
        sim["client"]["wall_ms"], wall["client"]["wall_ms"]
    );
}
