//! The READMEs are executable documentation: every command line in their shell code blocks
//! ([`e2e_tests::readme`] finds them) is run here, as the README shows it, against the in-process
//! or a loopback simulator, and its exit code and key output lines are checked with `snapbox`
//! (the assertion library clap and cargo test their own command lines with: `...` stands for any
//! lines, `[..]` for any text within a line).
//!
//! [`CASES`] names every README command and what it must do. A README command without a case
//! fails `every_readme_command_has_a_case` with its file, line and text; a case whose command is
//! no longer in a README fails it too. A README command that stops working (a renamed or deleted
//! flag, a changed exit code or output line) fails its group's test, naming the command.
//! The sweep grid README.md quotes is rerun and compared (`readme_sweep_grid_is_what_the_sweep_prints`).
//!
//! # What the test changes, and only this
//!
//! - `cargo run [--release] -p PKG -- ARGS` runs the dev build of `PKG`'s binary (the one
//!   `cargo test` builds; [`e2e_tests::bins`]) with `ARGS`.
//! - The commands of a group run in a fresh temporary folder holding links to the workspace's
//!   `examples/` and `sync/`, so relative inputs resolve and every output (`reports/`,
//!   `orders.ndjson`, `.monday-sync/`) lands in the temporary folder.
//! - `monday-perf run`, `sweep` and `generate`: `--records` is at most 60 (given or default).
//! - `monday-perf run --client-cmd`: `--time-scale 0.1` unless given (the real clock, 10x faster).
//! - `monday-perf gate` and `baseline`: `--baseline` is a copy of the small two-scenario
//!   `perf/tests/fixtures/small-baseline.json` (so `baseline` never rewrites the checked-in one).
//! - `monday-sync`: `--api-url` of a `mock-monday serve --profile instant` the test starts.
//! - `mock-monday serve --addr HOST:PORT` listens on port 0 (a free port); later commands of the
//!   same README reach it where they name `HOST:PORT`. A trailing `&` is dropped: the server runs
//!   until the README's last command, then it is stopped.
//! - Commands that need `python3` or `curl` are skipped, saying so, on a machine without them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e_tests::readme::{readme_commands, ReadmeCommand};
use e2e_tests::{bins, workspace_root, Serve};

/// Which test runs a case (the groups run in parallel; a group's commands run in README order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// monday-perf on the virtual clock (and one short real-clock run).
    Perf,
    /// `run --client-cmd` with the Python example clients, and `calibrate` on their logs.
    Clients,
    /// monday-sync against a loopback simulator.
    Sync,
    /// `mock-monday serve` and requests to it.
    Serve,
}

/// What a README command must do.
#[derive(Debug, Clone, Copy)]
enum Plan {
    /// Exit with `code`; stdout matches `stdout` (a snapbox pattern of its key lines); each of
    /// `writes` (relative to the command's folder) exists afterwards.
    Run {
        code: i32,
        stdout: &'static str,
        writes: &'static [&'static str],
    },
    /// A server: started, its `mock-monday listening on http://127.0.0.1:PORT/v2` line checked.
    Serve,
    /// `export NAME=VALUE`: set for the README's later commands.
    Export,
    /// Not run by this suite, and why.
    NotRun(&'static str),
}

struct Case {
    readme: &'static str,
    /// The command exactly as `e2e_tests::readme` reads it from the README.
    command: &'static str,
    group: Group,
    plan: Plan,
}

const NEEDS_THE_NETWORK: &str =
    "installs or runs published clients from npm and PyPI (the network); not part of CI";

const CASES: &[Case] = &[
    // README.md, quick start.
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- run",
        group: Group::Perf,
        plan: Plan::Run {
            code: 0,
            stdout: "\
failed records                 0
duplicates                     0
lost records                   0
records                        60
synced records                 60
...
report: reports/run/report.html
",
            writes: &["reports/run/report.html", "reports/run/results.json"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo test --workspace",
        group: Group::Perf,
        plan: Plan::NotRun("the suite this test is part of"),
    },
    // README.md, "Gate any client".
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- run --client-cmd \"python3 examples/clients/single_call.py\" --records 40",
        group: Group::Clients,
        plan: Plan::Run {
            code: 0,
            stdout: "\
...
records                        40
synced records                 40
...
requests                       40
...
locked (423)                   0
records missing                0
client exit code               Some(0)
verdict:
...
report: reports/run/report.html
",
            writes: &["reports/run/requests.ndjson"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- run --client-cmd \"python3 examples/clients/batched.py\" --records 40",
        group: Group::Clients,
        plan: Plan::Run {
            code: 0,
            stdout: "\
...
records                        40
synced records                 40
...
requests                       3
...
locked (423)                   0
records missing                0
client exit code               Some(0)
verdict:
...
report: reports/run/report.html
",
            writes: &["reports/run/requests.ndjson"],
        },
    },
    // README.md, calibrating.
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- run --client-cmd \"python3 examples/clients/single_call.py\" --records 40 --name single",
        group: Group::Clients,
        plan: Plan::Run {
            code: 0,
            stdout: "\
...
requests                       40
...
client exit code               Some(0)
verdict:
...
report: reports/single/report.html
",
            writes: &["reports/single/requests.ndjson"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- run --client-cmd \"python3 examples/clients/batched.py\" --records 40 --name batched",
        group: Group::Clients,
        plan: Plan::Run {
            code: 0,
            stdout: "\
...
requests                       3
...
client exit code               Some(0)
verdict:
...
report: reports/batched/report.html
",
            writes: &["reports/batched/requests.ndjson"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- calibrate --from reports/single/requests.ndjson --from reports/batched/requests.ndjson --out my-profile.toml",
        group: Group::Clients,
        plan: Plan::Run {
            code: 0,
            stdout: "\
43 requests (43 executed, 0 refused, [..] spikes) from 2 logs: reports/single/requests.ndjson, reports/batched/requests.ndjson
kind [..]
...
create [..]
...
profile written: my-profile.toml (use it with --profile my-profile.toml)
",
            writes: &["my-profile.toml"],
        },
    },
    // README.md, monday-sync.
    Case {
        readme: "README.md",
        command: "export MONDAY_API_TOKEN=...",
        group: Group::Sync,
        plan: Plan::Export,
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-sync -- check --config sync/configs/order_list.toml",
        group: Group::Sync,
        plan: Plan::Run {
            code: 0,
            stdout: "\
board 1234567890 \"Order List\": [..] columns, [..] groups
bulk import: available (the key column `text_order_key` can be a match column)
ok: all 17 mapped columns exist with the right type
",
            writes: &[],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-sync -- run --config sync/configs/order_list.toml --input sync/examples/orders.ndjson --state .monday-sync/state.db --report-dir reports/sync",
        group: Group::Sync,
        plan: Plan::Run {
            code: 0,
            stdout: "\
records                    40
created                    40
updated                     0
unchanged                   0
failed                      0
...
reports written to reports/sync
",
            writes: &["reports/sync/summary.json", ".monday-sync/state.db"],
        },
    },
    // README.md, mock-monday.
    Case {
        readme: "README.md",
        command: "cargo run --release -p mock-monday -- serve --addr 127.0.0.1:8080",
        group: Group::Serve,
        plan: Plan::Serve,
    },
    // README.md, monday-perf.
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- run --records 5000",
        group: Group::Perf,
        plan: Plan::Run {
            code: 0,
            stdout: "\
...
records                        60
synced records                 60
...
requests                       3
...
vs --mode batch, same records  [..]x its time ([..] ms measured with mode = \"batch\": [..]x faster here)
...
report: reports/run/report.html
",
            writes: &["reports/run/requests.hgrm"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- run --clock real --profile instant --records 200",
        group: Group::Perf,
        plan: Plan::Run {
            code: 0,
            stdout: "\
...
records                        60
synced records                 60
...
report: reports/run/report.html
",
            writes: &["reports/run/results.json"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- sweep --batch-sizes 1,5,10,25,50,100 --concurrency 1,2,4,8,16",
        group: Group::Perf,
        plan: Plan::Run {
            code: 0,
            stdout: "\
ms/record, write_concurrency = 1 (rows: batch size, columns: concurrency)
  batch        c=1        c=2        c=4        c=8       c=16
      1 [..]
      5 [..]
     10 [..]
     25 [..]
     50 [..]
    100 [..]
ms/record, write_concurrency = 2 (rows: batch size, columns: concurrency)
...
recommendation: batch_size = [..], concurrency = [..], write_concurrency = [..] ([..] ms/record; fewest requests [..])
report: reports/sweep/sweep.html
",
            writes: &["reports/sweep/sweep.json", "reports/sweep/sweep.html"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- gate",
        group: Group::Perf,
        plan: Plan::Run {
            code: 0,
            stdout: "\
## monday-perf gate: ✅ PASS
...
| bite-pro-200 | pass |[..]
| bite-trial-120 | pass |[..]
...
reports: reports/gate
",
            writes: &["reports/gate/gate.json", "reports/gate/junit.xml"],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- baseline",
        group: Group::Perf,
        plan: Plan::Run {
            code: 0,
            stdout: "\
bite-pro-200 [..] ms/record [..]
bite-trial-120 [..] ms/record [..]
baseline written: [..]/small-baseline.json
",
            writes: &[],
        },
    },
    Case {
        readme: "README.md",
        command: "cargo run --release -p monday-perf -- generate --records 100000 --seed 7 --out orders.ndjson",
        group: Group::Perf,
        plan: Plan::Run {
            code: 0,
            stdout: "",
            writes: &["orders.ndjson"],
        },
    },
    // mock-monday/README.md
    Case {
        readme: "mock-monday/README.md",
        command: "cargo run -p mock-monday -- serve --addr 127.0.0.1:8080 --profile instant --seed 1",
        group: Group::Serve,
        plan: Plan::Serve,
    },
    Case {
        readme: "mock-monday/README.md",
        command: "curl -s http://127.0.0.1:8080/v2 -H 'Authorization: any-token' -H 'API-Version: 2026-10' -H 'Content-Type: application/json' -d '{\"query\":\"mutation { create_item(board_id: 1234567890, item_name: \\\"Hello\\\") { id } }\"}'",
        group: Group::Serve,
        plan: Plan::Run {
            code: 0,
            stdout: r#"{"data":{"create_item":{"id":"[..]"}},"extensions":{"request_id":"[..]"}}"#,
            writes: &[],
        },
    },
    Case {
        readme: "mock-monday/README.md",
        command: "curl -s http://127.0.0.1:8080/__admin/stats",
        group: Group::Serve,
        plan: Plan::Run {
            code: 0,
            stdout: r#"{"requests_total":1,[..],"items_created_total":1,"items_current":1,[..]"#,
            writes: &[],
        },
    },
    // mock-monday/examples/published-clients/README.md
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "mkdir -p /tmp/clients/node && (cd /tmp/clients/node && npm init -y && npm install @mondaydotcomorg/api@14.0.0 monday-sdk-js@0.5.9)",
        group: Group::Serve,
        plan: Plan::NotRun(NEEDS_THE_NETWORK),
    },
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "python3 -m venv /tmp/clients/py && /tmp/clients/py/bin/pip install monday==2.2.1 monday-api-python-sdk==1.6.8",
        group: Group::Serve,
        plan: Plan::NotRun(NEEDS_THE_NETWORK),
    },
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "cargo run -p mock-monday -- serve --profile instant --addr 127.0.0.1:8080 &",
        group: Group::Serve,
        plan: Plan::Serve,
    },
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "export MONDAY_API_URL=http://127.0.0.1:8080/v2",
        group: Group::Serve,
        plan: Plan::Export,
    },
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "cp mock-monday/examples/published-clients/*.{mjs,js} /tmp/clients/node/",
        group: Group::Serve,
        plan: Plan::NotRun(NEEDS_THE_NETWORK),
    },
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "(cd /tmp/clients/node && node node_api_client.mjs && node node_sdk_js.js)",
        group: Group::Serve,
        plan: Plan::NotRun(NEEDS_THE_NETWORK),
    },
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "/tmp/clients/py/bin/python mock-monday/examples/published-clients/py_monday.py",
        group: Group::Serve,
        plan: Plan::NotRun(NEEDS_THE_NETWORK),
    },
    Case {
        readme: "mock-monday/examples/published-clients/README.md",
        command: "/tmp/clients/py/bin/python mock-monday/examples/published-clients/py_monday_api_python_sdk.py",
        group: Group::Serve,
        plan: Plan::NotRun(NEEDS_THE_NETWORK),
    },
];

/// Most records a README command runs with here.
const MAX_RECORDS: u64 = 60;
/// A README command that runs longer than this fails.
const COMMAND_LIMIT: Duration = Duration::from_secs(180);

fn case_of(command: &ReadmeCommand) -> Option<&'static Case> {
    CASES
        .iter()
        .find(|c| c.readme == command.readme && c.command == command.text)
}

#[test]
fn every_readme_command_has_a_case() {
    let commands = readme_commands();
    let mut problems = Vec::new();
    for command in &commands {
        if case_of(command).is_none() {
            problems.push(format!(
                "{command} is run by no test: add a case to tests/tests/e2e/readme_commands.rs"
            ));
        }
    }
    for case in CASES {
        if !commands
            .iter()
            .any(|c| c.readme == case.readme && c.text == case.command)
        {
            problems.push(format!(
                "{}: `{}` has a case but is in no code block of that README any more",
                case.readme, case.command
            ));
        }
        if let Plan::Run { stdout, .. } = case.plan {
            // An empty pattern checks that nothing is printed (`generate --out`); "..." alone
            // would check nothing.
            if stdout.lines().all(|l| l.trim() == "...") && !stdout.is_empty() {
                problems.push(format!("`{}` checks no output line", case.command));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Each tool and subcommand the READMEs document is among the commands run.
    for needle in [
        "monday-perf -- run",
        "monday-perf -- sweep",
        "monday-perf -- gate",
        "monday-perf -- baseline",
        "monday-perf -- calibrate",
        "monday-perf -- generate",
        "--client-cmd",
        "monday-sync -- check",
        "monday-sync -- run",
        "mock-monday -- serve",
    ] {
        assert!(
            CASES
                .iter()
                .any(|c| c.command.contains(needle) && !matches!(c.plan, Plan::NotRun(_))),
            "no README command runs {needle}"
        );
    }
}

#[test]
fn readme_monday_perf_commands() {
    run_group(Group::Perf);
}

#[test]
fn readme_client_cmd_and_calibrate_commands() {
    if !available("python3") {
        eprintln!("SKIPPED: python3 is not installed; these README commands run Python clients");
        return;
    }
    run_group(Group::Clients);
}

#[test]
fn readme_monday_sync_commands() {
    run_group(Group::Sync);
}

#[test]
fn readme_mock_monday_serve_commands() {
    run_group(Group::Serve);
}

/// The sweep grid README.md quotes (500 records, write concurrency 1) is what the sweep prints:
/// the grid is rerun for write concurrency 1 only (30 virtual-time runs) and compared line by
/// line.
#[test]
fn readme_sweep_grid_is_what_the_sweep_prints() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let title = "ms/record, write_concurrency = 1 (rows: batch size, columns: concurrency)";
    let quoted: Vec<&str> = readme
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != title)
        .take_while(|l| {
            !l.starts_with("recommendation:")
                && !l.starts_with("crossover:")
                && !l.starts_with("```")
        })
        .collect();
    assert!(
        quoted.len() == 8,
        "README.md quotes no 6-row sweep grid under {title:?}: {quoted:?}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let output = snapbox::cmd::Command::new(&bins().perf)
        .args(["sweep", "--records", "500", "--write-concurrency", "1"])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .timeout(COMMAND_LIMIT)
        .output()
        .expect("run monday-perf sweep");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    let printed: Vec<&str> = printed.lines().map(str::trim).take(quoted.len()).collect();
    assert_eq!(
        printed, quoted,
        "README.md's sweep grid is not what `monday-perf sweep --records 500` prints"
    );
}

fn available(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the README commands of `group` in README order, one session per README, and fails
/// naming every command that did not do what its case says.
fn run_group(group: Group) {
    let commands: Vec<(ReadmeCommand, &Case)> = readme_commands()
        .into_iter()
        .filter_map(|c| case_of(&c).map(|case| (c, case)))
        .filter(|(_, case)| case.group == group)
        .collect();
    assert!(!commands.is_empty(), "no README command in {group:?}");
    let mut failures = Vec::new();
    let mut session: Option<Session> = None;
    for (command, case) in &commands {
        if session.as_ref().is_none_or(|s| s.readme != command.readme) {
            session = Some(Session::new(&command.readme));
        }
        let s = session.as_mut().expect("session");
        let started = std::time::Instant::now();
        if let Err(why) = s.run(command, case.plan) {
            failures.push(format!("README command {command}\n{why}"));
        }
        eprintln!("{:>6.1} s  {command}", started.elapsed().as_secs_f64());
    }
    assert!(
        failures.is_empty(),
        "{} README command(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Where one README's commands run: a temporary folder, the variables they exported, the servers
/// they started (and the address each README line names it by).
struct Session {
    readme: String,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// (address the README names, address it really listens on)
    addresses: Vec<(String, String)>,
    servers: Vec<Serve>,
    /// The simulator monday-sync commands are pointed at, started on first use.
    sync_server: Option<Serve>,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    fn new(readme: &str) -> Session {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = workspace_root();
        for linked in ["examples", "sync"] {
            std::os::unix::fs::symlink(root.join(linked), dir.path().join(linked))
                .expect("link a workspace folder");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        Session {
            readme: readme.to_string(),
            dir,
            env: Vec::new(),
            addresses: Vec::new(),
            servers: Vec::new(),
            sync_server: None,
            runtime,
        }
    }

    fn run(&mut self, command: &ReadmeCommand, plan: Plan) -> Result<(), String> {
        let mut text = command.text.clone();
        for (documented, real) in &self.addresses {
            text = text.replace(documented.as_str(), real);
        }
        match plan {
            Plan::NotRun(why) => {
                eprintln!("not run: {command}: {why}");
                Ok(())
            }
            Plan::Export => {
                let assignment = text.strip_prefix("export ").ok_or("not an export")?;
                let (name, value) = assignment.split_once('=').ok_or("no '=' in the export")?;
                self.env.push((name.to_string(), value.to_string()));
                Ok(())
            }
            Plan::Serve => self.serve(&text),
            Plan::Run {
                code,
                stdout,
                writes,
            } => {
                self.run_to_end(&text, code, stdout)?;
                let missing: Vec<&str> = writes
                    .iter()
                    .copied()
                    .filter(|f| !self.dir.path().join(f).exists())
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("exited as expected but did not write {missing:?}"))
                }
            }
        }
    }

    /// Starts a `mock-monday serve` command on a free port and checks its listening line.
    fn serve(&mut self, text: &str) -> Result<(), String> {
        let words = words(text.trim_end_matches('&'))?;
        let (package, args) = cargo_run(&words)?;
        if package != "mock-monday" || args.first().map(String::as_str) != Some("serve") {
            return Err(format!("not a `mock-monday serve` command: {words:?}"));
        }
        let mut extra: Vec<String> = args[1..].to_vec();
        let documented = take_flag(&mut extra, "--addr");
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        // Serve::start adds `--addr 127.0.0.1:0` and checks the
        // `mock-monday listening on http://127.0.0.1:PORT/v2` line.
        let server = self.runtime.block_on(Serve::start(&extra));
        if let Some(documented) = documented {
            let real = server.base.trim_start_matches("http://").to_string();
            self.addresses.push((documented, real));
        }
        self.servers.push(server);
        Ok(())
    }

    fn run_to_end(&mut self, text: &str, code: i32, expected: &'static str) -> Result<(), String> {
        let words = words(text)?;
        let (program, args) = if words.first().map(String::as_str) == Some("cargo") {
            let (package, args) = cargo_run(&words)?;
            let program = match package.as_str() {
                "monday-perf" => bins().perf.clone(),
                "monday-sync" => bins().sync.clone(),
                "mock-monday" => bins().mock.clone(),
                other => return Err(format!("no binary for package {other}")),
            };
            let args = self.adjust(&package, args)?;
            (program, args)
        } else if words.first().map(String::as_str) == Some("curl") {
            if !available("curl") {
                eprintln!("SKIPPED (curl is not installed): {text}");
                return Ok(());
            }
            (PathBuf::from("curl"), words[1..].to_vec())
        } else {
            return Err(format!(
                "the test cannot run {words:?}: run it through `cargo run -p PKG --` or curl, \
                 or give its case Plan::NotRun with a reason"
            ));
        };
        let shown = format!("{} {}", program.display(), args.join(" "));
        let output = snapbox::cmd::Command::new(&program)
            .args(&args)
            .current_dir(self.dir.path())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .timeout(COMMAND_LIMIT)
            .output()
            .map_err(|e| format!("ran as: {shown}\ncould not run it: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail = |s: &str| {
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n")
        };
        if output.status.code() != Some(code) {
            return Err(format!(
                "ran as: {shown}\nexpected exit code {code}, got {:?}\nstdout:\n{}\nstderr:\n{}",
                output.status.code(),
                tail(&stdout),
                tail(&stderr)
            ));
        }
        snapbox::Assert::new()
            .try_eq(
                Some(&"stdout"),
                output.stdout.clone().into(),
                snapbox::Data::text(expected),
            )
            .map_err(|e| format!("ran as: {shown}\n{e}\nstderr:\n{}", tail(&stderr)))
    }

    /// The documented small-input adjustments (see the module docs), and nothing else.
    fn adjust(&mut self, package: &str, mut args: Vec<String>) -> Result<Vec<String>, String> {
        let subcommand = args.first().cloned().unwrap_or_default();
        match (package, subcommand.as_str()) {
            ("monday-perf", "run" | "sweep" | "generate") => {
                let given = take_flag(&mut args, "--records")
                    .map(|v| v.parse::<u64>().map_err(|e| format!("--records {v}: {e}")))
                    .transpose()?;
                let records = given.unwrap_or(MAX_RECORDS).min(MAX_RECORDS);
                args.extend(["--records".into(), records.to_string()]);
                if args.iter().any(|a| a == "--client-cmd")
                    && !args.contains(&"--time-scale".into())
                {
                    args.extend(["--time-scale".into(), "0.1".into()]);
                }
            }
            ("monday-perf", "gate" | "baseline") => {
                let copy = self.dir.path().join("small-baseline.json");
                if !copy.exists() {
                    let fixture = workspace_root().join("perf/tests/fixtures/small-baseline.json");
                    std::fs::copy(&fixture, &copy).map_err(|e| format!("copy {fixture:?}: {e}"))?;
                }
                take_flag(&mut args, "--baseline");
                args.extend(["--baseline".into(), path_text(&copy)]);
            }
            ("monday-sync", _) => {
                if self.sync_server.is_none() {
                    let server = self
                        .runtime
                        .block_on(Serve::start(&["--profile", "instant"]));
                    self.sync_server = Some(server);
                }
                let url = self.sync_server.as_ref().expect("server").url.clone();
                take_flag(&mut args, "--api-url");
                args.extend(["--api-url".into(), url]);
            }
            _ => {}
        }
        Ok(args)
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Splits a command line the way `sh` would (quotes; no expansion).
fn words(text: &str) -> Result<Vec<String>, String> {
    shlex::split(text).ok_or_else(|| format!("cannot split {text:?} into words"))
}

/// `cargo run [--release] -p PKG -- ARGS` -> (PKG, ARGS).
fn cargo_run(words: &[String]) -> Result<(String, Vec<String>), String> {
    let mut rest = words.iter().map(String::as_str);
    if (rest.next(), rest.next()) != (Some("cargo"), Some("run")) {
        return Err(format!("not a `cargo run` command: {words:?}"));
    }
    let mut package = None;
    while let Some(word) = rest.next() {
        match word {
            "--release" | "-q" => {}
            "-p" | "--package" => package = rest.next().map(str::to_string),
            "--" => break,
            other => return Err(format!("unexpected cargo option {other}")),
        }
    }
    let package = package.ok_or("no -p PACKAGE")?;
    Ok((package, rest.map(str::to_string).collect()))
}

/// Removes `flag VALUE` (or `flag=VALUE`) from `args` and returns the value.
fn take_flag(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let prefix = format!("{flag}=");
    if let Some(i) = args.iter().position(|a| a.starts_with(&prefix)) {
        let value = args.remove(i)[prefix.len()..].to_string();
        return Some(value);
    }
    let i = args.iter().position(|a| a == flag)?;
    args.remove(i);
    (i < args.len()).then(|| args.remove(i))
}
