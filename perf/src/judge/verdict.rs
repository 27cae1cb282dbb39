//! What a run means, in plain words: what set its pace, how close it came to the best any client
//! could do, and the one change that would help most, with the figures behind each.
//!
//! One pure function decides ([`Verdict::decide`] over [`PaceFacts`]); [`Verdict::of`] feeds it a
//! run's results. The terminal (`monday-perf run`, `run --client-cmd`), every `report.html`
//! (run, gate, client), the sweep's `sweep.html` and the gate's `summary.md` print what it
//! decided, so they never disagree. The gate's own headline (which scenarios regressed and by how
//! much) is [`gate_lines`].
//!
//! What sets the pace, in the order it is decided:
//!
//! 1. **The client's own CPU** on a CPU-clock run (the API answers instantly, so nothing else can).
//! 2. **The complexity budget** when the ceiling model is budget-bound or most 429s were
//!    `COMPLEXITY_BUDGET_EXHAUSTED`: `budget / points per item` items a minute, whatever the
//!    client does (<https://developer.monday.com/api-reference/docs/rate-limits>).
//! 3. **The request limits** (requests per minute by plan, concurrency, IP, daily) when the ceiling
//!    is request-rate-bound or most 429s came from them.
//! 4. **The client's own time** when more than half of a foreign or real-clock run went between
//!    requests rather than in them.
//! 5. Otherwise **latency**: the API's round trips, one after another.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::judge::gate::GateReport;
use crate::model::ceiling::{Ceiling, PlanKind};
use crate::replay::results::RunResults;
use crate::textfmt::{fmt_num, html_escape};

/// Below this efficiency a run is worth a change on the client side.
pub const GOOD_EFFICIENCY: f64 = 0.9;
/// Above this share of the run spent between requests, the client's own time set the pace.
pub const CLIENT_TIME_SHARE: f64 = 0.5;
/// From this share of the run between requests on, the client's own time is worth naming as the
/// change even when round trips set the pace.
pub const CLIENT_TIME_WORTH_NAMING: f64 = 0.25;
/// A run with more than this many times the fewest possible requests should batch more.
pub const EXCESS_REQUESTS: u64 = 2;

/// What set a run's pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// The API's round trips.
    Latency,
    /// The complexity budget of the token (points per minute).
    ComplexityBudget,
    /// Requests per minute (by plan), concurrency, IP or daily call limits.
    RequestLimit,
    /// The client's own time (CPU, start-up, between requests).
    ClientTime,
}

/// The one change that would help most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum Change {
    /// Records failed, were duplicated or lost: fix that before speed.
    FixCorrectness {
        failed: u64,
        duplicates: u64,
        lost: u64,
    },
    /// Writes overlapped on one board and were refused with 423.
    WriteSerially { locked: u64 },
    /// Many more requests than needed: put more items in each.
    BatchMore {
        requests: u64,
        fewest: u64,
        per_request: u64,
    },
    /// Another token kind has a bigger budget.
    TokenKind {
        from_budget: u64,
        to_budget: u64,
        to: String,
    },
    /// A higher plan has a higher request limit.
    Plan { requests_per_minute: u64 },
    /// The client's own time per record.
    FasterClient { client_ms_per_record: f64 },
    /// Nothing a client, plan or token kind changes.
    Nothing,
}

/// Everything the verdict looks at (from a run's results, or a sweep cell plus its scenario).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaceFacts {
    pub records: u64,
    pub per_record_ms: f64,
    pub api_time_ms: f64,
    pub efficiency: f64,
    /// The plan `efficiency` is measured against ([`crate::model::yardstick`]).
    pub efficiency_plan: PlanKind,
    /// The scenario's ceiling (None: not known).
    pub ceiling: Option<Ceiling>,
    pub requests: u64,
    /// 429s by limiter (`complexity`, `minute`, `concurrency`, `ip`, `daily`, `storm`).
    pub throttled_by_kind: BTreeMap<String, u64>,
    pub throttled: u64,
    pub locked: u64,
    pub failed: u64,
    pub duplicates: u64,
    pub lost: u64,
    /// Share of the run spent waiting on the API's limits (monday-sync's `wait_share`).
    pub wait_share: Option<f64>,
    /// Client time between requests per record (foreign or real-clock runs).
    pub client_ms_per_record: Option<f64>,
    /// CPU-clock runs: client CPU per record.
    pub client_cpu_us_per_record: Option<f64>,
    /// Plan and token kind names (for the advice).
    pub plan: String,
    pub token_kind: String,
    /// A foreign client (`--client-cmd`): advice names no monday-sync setting.
    pub foreign_client: bool,
}

/// The verdict: what set the pace, efficiency against the ceiling, and the one change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub pace: Pace,
    pub efficiency: f64,
    pub per_record_ms: f64,
    /// The best any client could do per record (the ceiling), when known.
    pub ceiling_per_record_ms: Option<f64>,
    pub change: Change,
    /// The verdict in plain sentences: pace, efficiency, change.
    pub lines: Vec<String>,
}

impl PaceFacts {
    /// The facts of one run's results.
    pub fn of(r: &RunResults) -> Self {
        let throttled_by_kind = r
            .simulator_stats
            .get("throttled_by_kind")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let worst = r.correctness();
        let foreign_client = r.scenario.client_cmd.is_some();
        let client_ms_per_record = if foreign_client {
            // Time between requests: the run's time less the time spent inside requests. A
            // serial client's requests do not overlap, so this is what the client itself took
            // (including any waits it chose; throttled runs are decided by their limits first).
            let inside = r.latency.requests.mean * r.latency.requests.count as f64;
            Some(((r.api_time_ms - inside).max(0.0)) / r.records.max(1) as f64)
        } else {
            r.wall_clock.client_overhead_per_record_ms
        };
        Self {
            records: r.records,
            per_record_ms: r.per_record_ms,
            api_time_ms: r.api_time_ms,
            efficiency: r.efficiency,
            efficiency_plan: r.efficiency_plan,
            ceiling: Some(r.ceiling.clone()),
            requests: r.requests,
            throttled_by_kind,
            throttled: r.throttled,
            locked: r.locked,
            failed: worst.failed_records,
            duplicates: worst.duplicates,
            lost: worst.lost_records,
            wait_share: r.sync_summary.get("wait_share").and_then(|v| v.as_f64()),
            client_ms_per_record,
            client_cpu_us_per_record: r
                .client_cpu_us_per_record
                .filter(|_| r.scenario.clock == crate::workload::scenario::Clock::Cpu),
            plan: r.scenario.plan.clone(),
            token_kind: r.scenario.token_kind.clone(),
            foreign_client,
        }
    }

    /// The fewest requests any client needs (reads, group and item writes at the per-request
    /// alias cap), when the ceiling is known.
    pub fn fewest_requests(&self) -> Option<u64> {
        let i = &self.ceiling.as_ref()?.inputs;
        let per = i.max_aliases_per_request();
        Some(i.read_round_trips + i.groups.div_ceil(per) + i.records.div_ceil(per))
    }

    fn throttles(&self, kinds: &[&str]) -> u64 {
        kinds
            .iter()
            .filter_map(|k| self.throttled_by_kind.get(*k))
            .sum()
    }
}

/// The figures of one sweep cell (`sweep.html` states the verdict of its recommendation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellFigures {
    pub per_record_ms: f64,
    pub efficiency: f64,
    pub requests: u64,
    pub throttled: u64,
    pub failed: u64,
    pub duplicates: u64,
    /// The cell's write concurrency (None: the config's, serial by default).
    pub write_concurrency: Option<u32>,
}

impl PaceFacts {
    /// The facts of a sweep cell run from `base`: its own figures, and the ceiling model of the
    /// base scenario's plan and token kind (which limit binds; its per-record figure is the
    /// cell's own, `per_record_ms × efficiency`). None when the scenario does not build.
    pub fn of_cell(base: &crate::workload::scenario::Scenario, cell: &CellFigures) -> Option<Self> {
        let sim = crate::replay::run::sim_config(base).ok()?;
        let writes = u64::from(cell.write_concurrency.unwrap_or(1));
        let mut ceiling =
            crate::replay::run::ceiling_inputs(&sim, base.records, 0, writes).ceiling();
        ceiling.ceiling_per_record_ms =
            crate::measure::latency::round3(cell.per_record_ms * cell.efficiency);
        ceiling.ceiling_ms =
            crate::measure::latency::round3(ceiling.ceiling_per_record_ms * base.records as f64);
        Some(Self {
            records: base.records,
            per_record_ms: cell.per_record_ms,
            api_time_ms: cell.per_record_ms * base.records as f64,
            efficiency: cell.efficiency,
            ceiling: Some(ceiling),
            requests: cell.requests,
            throttled: cell.throttled,
            failed: cell.failed,
            duplicates: cell.duplicates,
            plan: base.plan.clone(),
            token_kind: base.token_kind.clone(),
            ..Self::default()
        })
    }
}

const LIMIT_KINDS: [&str; 4] = ["minute", "concurrency", "ip", "daily"];

impl Verdict {
    /// The verdict of one run.
    pub fn of(r: &RunResults) -> Self {
        Self::decide(&PaceFacts::of(r))
    }

    /// The one decision: a pure function of the facts.
    pub fn decide(f: &PaceFacts) -> Self {
        let pace = pace_of(f);
        let change = change_of(f, pace);
        let mut lines = Vec::new();
        // A run whose records failed says so before anything else: its per-record time and
        // efficiency count the synced records only.
        if f.failed > 0 {
            lines.push(format!(
                "{} of {} records FAILED: per-record time and efficiency count the {} synced.",
                f.failed,
                f.records,
                f.records.saturating_sub(f.failed)
            ));
        }
        lines.extend([
            pace_line(f, pace),
            efficiency_line(f),
            change_line(f, &change),
        ]);
        Self {
            pace,
            efficiency: f.efficiency,
            per_record_ms: f.per_record_ms,
            ceiling_per_record_ms: f.ceiling.as_ref().map(|c| c.ceiling_per_record_ms),
            change,
            lines,
        }
    }

    /// The verdict for a terminal: one sentence a line, under a `verdict:` heading.
    pub fn text(&self) -> String {
        let mut out = String::from("verdict:\n");
        for l in &self.lines {
            let _ = writeln!(out, "  {l}");
        }
        out
    }

    /// The verdict as the first block of a report (escaped).
    pub fn html(&self) -> String {
        let mut out = String::from("<section class=\"verdict\">\n");
        for (i, l) in self.lines.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(out, "<p><b>{}</b></p>", html_escape(l));
            } else {
                let _ = writeln!(out, "<p>{}</p>", html_escape(l));
            }
        }
        out.push_str("</section>\n");
        out
    }
}

fn pace_of(f: &PaceFacts) -> Pace {
    if f.client_cpu_us_per_record.is_some() {
        return Pace::ClientTime;
    }
    // A bound of zero binds nothing (the instant profile's ceiling is 0 ms on every bound).
    let binding = f
        .ceiling
        .as_ref()
        .filter(|c| c.ceiling_ms > 0.0)
        .map(|c| c.binding.as_str());
    let budget_429 = f.throttles(&["complexity"]);
    let limit_429 = f.throttles(&LIMIT_KINDS);
    if binding == Some("budget") || (budget_429 > 0 && budget_429 >= limit_429) {
        return Pace::ComplexityBudget;
    }
    if binding == Some("request_rate") || limit_429 > 0 {
        return Pace::RequestLimit;
    }
    if client_share(f) > CLIENT_TIME_SHARE {
        return Pace::ClientTime;
    }
    Pace::Latency
}

/// Share of the run the client spent between requests (0 when not known).
fn client_share(f: &PaceFacts) -> f64 {
    f.client_ms_per_record
        .map(|ms| (ms * f.records as f64 / f.api_time_ms.max(1e-9)).min(1.0))
        .unwrap_or(0.0)
}

fn too_many_requests(f: &PaceFacts) -> Option<Change> {
    let fewest = f.fewest_requests()?;
    let per_request = f.ceiling.as_ref()?.inputs.max_aliases_per_request();
    (f.requests > fewest * EXCESS_REQUESTS && f.efficiency < GOOD_EFFICIENCY).then_some(
        Change::BatchMore {
            requests: f.requests,
            fewest,
            per_request,
        },
    )
}

fn change_of(f: &PaceFacts, pace: Pace) -> Change {
    if f.failed + f.duplicates + f.lost > 0 {
        return Change::FixCorrectness {
            failed: f.failed,
            duplicates: f.duplicates,
            lost: f.lost,
        };
    }
    // 423s are the client's own overlapping writes only when it writes more than one at a time
    // (a foreign client's concurrency is unknown); with serial writes they come from the board's
    // bulk-import jobs (the board is locked while a job processes rows) or another writer.
    let overlapping = f.foreign_client
        || f.ceiling
            .as_ref()
            .is_none_or(|c| c.inputs.write_concurrency > 1);
    if f.locked > 0 && overlapping {
        return Change::WriteSerially { locked: f.locked };
    }
    // Under the budget the points per item set the pace, not the number of requests.
    if pace != Pace::ComplexityBudget {
        if let Some(batch) = too_many_requests(f) {
            return batch;
        }
    }
    match pace {
        Pace::ComplexityBudget => {
            let budget = f.ceiling.as_ref().map_or(0, |c| c.inputs.budget_per_window);
            if budget <= 1_000_000 {
                Change::TokenKind {
                    from_budget: budget,
                    to_budget: 10_000_000,
                    to: "a personal token on a paid plan".into(),
                }
            } else if budget < 10_000_000 {
                Change::TokenKind {
                    from_budget: budget,
                    to_budget: 10_000_000,
                    to: "a personal token (reads and writes share 10M/min)".into(),
                }
            } else {
                match f.client_ms_per_record {
                    // Far from what the budget allows, and the client's own time is known.
                    Some(ms) if f.efficiency < GOOD_EFFICIENCY => Change::FasterClient {
                        client_ms_per_record: ms,
                    },
                    _ => Change::Nothing,
                }
            }
        }
        Pace::RequestLimit => Change::Plan {
            requests_per_minute: f
                .ceiling
                .as_ref()
                .map_or(0, |c| c.inputs.requests_per_minute),
        },
        Pace::ClientTime => match (f.client_cpu_us_per_record, f.client_ms_per_record) {
            (None, Some(ms)) => Change::FasterClient {
                client_ms_per_record: ms,
            },
            _ => Change::Nothing,
        },
        // Round trips set the pace, but a good share of the run was the client's own.
        Pace::Latency => match f.client_ms_per_record {
            Some(ms) if client_share(f) >= CLIENT_TIME_WORTH_NAMING => Change::FasterClient {
                client_ms_per_record: ms,
            },
            _ => Change::Nothing,
        },
    }
}

fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// `333`, `30,000`, `1,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn millions(points: u64) -> String {
    if points >= 1_000_000 {
        format!("{}M", fmt_num(points as f64 / 1e6))
    } else {
        format!("{}k", fmt_num(points as f64 / 1e3))
    }
}

fn pace_line(f: &PaceFacts, pace: Pace) -> String {
    let inputs = f.ceiling.as_ref().map(|c| &c.inputs);
    let mut s = match pace {
        Pace::ComplexityBudget => match inputs {
            Some(i) => {
                let per_min = i.budget_per_window * 60 / i.window.as_secs().max(1);
                format!(
                    "The pace was set by the complexity budget: {} points/min on this token at {} points per item is at most {} items/min, whatever the client does",
                    millions(per_min),
                    thousands(i.mutation_cost),
                    thousands(per_min / i.mutation_cost.max(1))
                )
            }
            None => "The pace was set by the complexity budget".to_string(),
        },
        Pace::RequestLimit => {
            let n = f.throttles(&LIMIT_KINDS);
            match inputs {
                Some(i) => format!(
                    "The pace was set by the request limits: {} requests/min on the {} plan ({} requests sent, {} refused with 429 by a request limit)",
                    thousands(i.requests_per_minute),
                    f.plan,
                    f.requests,
                    n
                ),
                None => format!(
                    "The pace was set by the request limits ({} requests sent, {} refused with 429 by a request limit)",
                    f.requests, n
                ),
            }
        }
        Pace::ClientTime => match (f.client_cpu_us_per_record, f.client_ms_per_record) {
            (Some(us), _) => format!(
                "This run measures the client's own CPU against instant answers: {} us per record (the API's limits and latency are taken out)",
                fmt_num(us)
            ),
            (None, Some(ms)) => format!(
                "The pace was set by the client's own time: {} ms per record went between requests, {} of the run",
                fmt_num(ms),
                pct(ms * f.records as f64 / f.api_time_ms.max(1e-9))
            ),
            _ => "The pace was set by the client's own time".to_string(),
        },
        Pace::Latency => format!(
            "The pace was set by latency: the API's round trips, {} requests for {} records",
            f.requests, f.records
        ),
    };
    if let Some(w) = f.wait_share.filter(|w| *w >= 0.1) {
        let _ = write!(
            s,
            "; {} of the time went to waiting on the API's limits",
            pct(w)
        );
    }
    let budget_429 = f.throttles(&["complexity"]);
    if pace == Pace::ComplexityBudget && budget_429 > 0 {
        let _ = write!(s, " ({budget_429} requests refused with 429)");
    }
    s.push('.');
    s
}

fn efficiency_line(f: &PaceFacts) -> String {
    if f.client_cpu_us_per_record.is_some() {
        return "Efficiency does not apply: the answers were prepared, not simulated.".into();
    }
    if f.ceiling.as_ref().is_some_and(|c| c.ceiling_ms <= 0.0) {
        return format!(
            "No ceiling to compare with: the profile answers instantly, so {} ms per record is the client's own time and the transport's.",
            fmt_num(f.per_record_ms)
        );
    }
    let Some(c) = &f.ceiling else {
        return format!(
            "Efficiency {}: {} ms per record.",
            fmt_num(f.efficiency),
            fmt_num(f.per_record_ms)
        );
    };
    let closeness = if f.efficiency >= 1.0 {
        "at the best any client could do (round trips ran faster than the profile's median)"
            .to_string()
    } else {
        format!("{} of the best any client could do", pct(f.efficiency))
    };
    let best = c.best_plan.as_ref();
    let mut line = match best.filter(|_| f.efficiency_plan != PlanKind::Batch) {
        // Measured against a plan with jobs (the sync's mode may take them).
        Some(b) => format!(
            "Efficiency {}: {} ms per record against the best plan ({}: {} ms per record; batches alone {} ms per record{}), {}.",
            fmt_num(f.efficiency),
            fmt_num(f.per_record_ms),
            b.plan.as_str(),
            fmt_num(per_record(b.best_ms, f.records)),
            fmt_num(c.ceiling_per_record_ms),
            match c.inputs.batch_only() {
                0 => String::new(),
                n => format!("; {n} records a CSV row cannot carry go as batches in every plan"),
            },
            closeness
        ),
        None => format!(
            "Efficiency {}: {} ms per record against a ceiling of {} ms per record ({}-bound), {}.",
            fmt_num(f.efficiency),
            fmt_num(f.per_record_ms),
            fmt_num(c.ceiling_per_record_ms),
            c.binding.replace('_', " "),
            closeness
        ),
    };
    // A run measured against batches alone while jobs would be faster: say by how much.
    if let Some(b) =
        best.filter(|b| f.efficiency_plan == PlanKind::Batch && b.plan != PlanKind::Batch)
    {
        let _ = write!(
            line,
            " The {} plan (bulk-import jobs) would take {} ms per record, {}x less than batches alone.",
            b.plan.as_str(),
            fmt_num(per_record(b.best_ms, f.records)),
            fmt_num((b.batch_ms / b.best_ms.max(1e-9) * 10.0).round() / 10.0)
        );
    }
    line
}

fn per_record(ms: f64, records: u64) -> f64 {
    crate::measure::latency::round3(ms / records.max(1) as f64)
}

fn change_line(f: &PaceFacts, change: &Change) -> String {
    match change {
        Change::FixCorrectness {
            failed,
            duplicates,
            lost,
        } => format!(
            "First fix correctness: {failed} records failed, {duplicates} duplicated, {lost} lost; speed figures count synced records only."
        ),
        Change::WriteSerially { locked } => format!(
            "Change that helps most: write to a board one request at a time{}: {locked} writes were refused with 423 (board locked) and had to wait.",
            if f.foreign_client { "" } else { ", write_concurrency = 1" }
        ),
        Change::BatchMore {
            requests,
            fewest,
            per_request,
        } => format!(
            "Change that helps most: batch more items per request{}: up to {per_request} fit under the per-request complexity cap, so {fewest} requests would do instead of {requests}.",
            if f.foreign_client { "" } else { " (batch mode, batch_size)" }
        ),
        Change::TokenKind {
            from_budget,
            to_budget,
            to,
        } => format!(
            "Change that helps most: {to} has {} points/min instead of {}, {}x this pace (about {} ms per record); no client setting raises the budget.",
            millions(*to_budget),
            millions(*from_budget),
            fmt_num(*to_budget as f64 / (*from_budget).max(1) as f64),
            fmt_num(
                (f.per_record_ms * *from_budget as f64 / (*to_budget).max(1) as f64 * 10.0).round()
                    / 10.0
            )
        ),
        Change::Plan {
            requests_per_minute,
        } => format!(
            "Change that helps most: a higher plan (Pro 2,500, Enterprise 5,000 requests/min; this run had {}), or fewer requests with more items in each.",
            thousands(*requests_per_minute)
        ),
        Change::FasterClient {
            client_ms_per_record,
        } => format!(
            "Change that helps most: make the client itself faster: {} ms per record went between its requests (its own work, and any wait longer than asked; on a scaled clock both are magnified by 1 / time scale).",
            fmt_num(*client_ms_per_record)
        ),
        Change::Nothing => match f.ceiling.as_ref().map(|c| c.binding.as_str()) {
            _ if f.client_cpu_us_per_record.is_some() => {
                "No change needed here: a real run's pace is set by the API, not by this CPU time.".into()
            }
            Some("budget")
                if f.efficiency_plan == PlanKind::Batch
                    && f.ceiling.as_ref().is_some_and(|c| {
                        c.best_plan.as_ref().is_some_and(|b| b.plan != PlanKind::Batch)
                    }) =>
            {
                "No plan or token kind raises this for create_item batches (plans raise request limits, not the complexity budget); bulk-import jobs do not spend that budget: a sync that may take them ([sync] mode = \"auto\") would go faster.".into()
            }
            Some("budget") if f.efficiency_plan != PlanKind::Batch => {
                "No plan or token kind raises this: the complexity budget paced what went as create_item beside the jobs (records a CSV row cannot carry, groups planned as batches, the jobs' starts and lookups); only fewer of those, or fewer points per item, would go faster.".into()
            }
            Some("budget") => {
                "No client setting, plan or token kind raises this: plans raise request limits, not the complexity budget, and a personal token already has the largest; only fewer points per item would go faster.".into()
            }
            _ if f.efficiency >= GOOD_EFFICIENCY => format!(
                "Nothing to change: within {} of the best any client could do.",
                pct((1.0 - f.efficiency).max(0.0))
            ),
            _ => format!(
                "No plan or token kind would help: the gap to the ceiling is the run's own round trips ({} requests; the fewest possible is {}).",
                f.requests,
                f.fewest_requests().map_or_else(|| "unknown".into(), |n| n.to_string())
            ),
        },
    }
}

/// The gate's headline: pass, or which scenarios regressed and by how much (one line each).
pub fn gate_lines(report: &GateReport) -> Vec<String> {
    let failed: Vec<_> = report.scenarios.iter().filter(|s| !s.passed).collect();
    if failed.is_empty() {
        return vec![format!(
            "PASS: all {} scenarios are within their baselines and targets.",
            report.scenarios.len()
        )];
    }
    let mut lines = vec![format!(
        "REGRESSION: {} of {} scenarios regressed.",
        failed.len(),
        report.scenarios.len()
    )];
    for s in failed {
        let checks: Vec<String> = s
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| {
                let change = if c.expected != 0.0 {
                    format!(
                        ", {:+.1}% against the baseline",
                        (c.actual - c.expected) / c.expected.abs() * 100.0
                    )
                } else {
                    String::new()
                };
                format!("{}{change}", c.explain())
            })
            .collect();
        let error = s
            .error
            .as_ref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        lines.push(format!("{}: {}{error}", s.name, checks.join("; ")));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ceiling::{CeilingInputs, LatencyModel};
    use std::time::Duration;

    /// A run's facts with the simulator's realistic medians and the given limits.
    fn facts(records: u64, budget: u64, rpm: u64, max_per_request: u64) -> PaceFacts {
        let ceiling = CeilingInputs {
            records,
            groups: 0,
            mutation_cost: 30_000,
            read_cost: 0,
            read_round_trips: 1,
            budget_per_window: budget,
            window: Duration::from_secs(60),
            max_complexity_per_request: max_per_request,
            max_concurrency: 100,
            write_concurrency: 1,
            requests_per_minute: rpm,
            latency: LatencyModel {
                base: Duration::from_millis(250),
                per_mutation: Duration::from_millis(8),
            },
            batch_only_records: 0,
        }
        .ceiling();
        let api_time_ms = ceiling.ceiling_ms / 0.95;
        PaceFacts {
            records,
            per_record_ms: api_time_ms / records as f64,
            api_time_ms,
            efficiency: 0.95,
            requests: 1 + records.div_ceil(max_per_request / 30_000),
            ceiling: Some(ceiling),
            plan: "pro".into(),
            token_kind: "personal".into(),
            ..PaceFacts::default()
        }
    }

    /// A budget-bound 5,000-record batch run, with the bulk path modelled beside it.
    fn with_jobs_modelled(plan: PlanKind) -> PaceFacts {
        let mut f = facts(5_000, 10_000_000, 2_500, 5_000_000);
        let c = f.ceiling.as_mut().expect("ceiling");
        let inputs = c.inputs.clone();
        *c = inputs.ceiling_with(Some(&crate::model::ceiling::BulkInputs::realistic()));
        f.efficiency_plan = plan;
        f
    }

    #[test]
    fn says_which_plan_efficiency_is_measured_against() {
        // Forced to batches: measured against batches, and told what jobs would do.
        let v = Verdict::decide(&with_jobs_modelled(PlanKind::Batch));
        let text = v.lines.join("\n");
        assert!(text.contains("budget-bound), 95% of the best"), "{text}");
        assert!(
            text.contains("The bulk plan (bulk-import jobs) would take"),
            "{text}"
        );
        assert!(text.contains("[sync] mode = \"auto\""), "{text}");
        // A sync that may take jobs: measured against the best plan.
        let v = Verdict::decide(&with_jobs_modelled(PlanKind::Bulk));
        let text = v.lines.join("\n");
        assert!(text.contains("against the best plan (bulk: "), "{text}");
        assert!(!text.contains("would take"), "{text}");
        assert!(
            text.contains("paced what went as create_item beside the jobs"),
            "{text}"
        );
        // Without the bulk path modelled, nothing changes.
        let v = Verdict::decide(&facts(5_000, 10_000_000, 2_500, 5_000_000));
        let text = v.lines.join("\n");
        assert!(!text.contains("bulk"), "{text}");
        assert!(
            text.contains("only fewer points per item would go faster"),
            "{text}"
        );
    }

    /// Records a CSV row cannot carry: the best plan is a mix, the line names them, and the
    /// budget sentence for runs with jobs still applies (what went as create_item beside them).
    #[test]
    fn names_the_records_a_row_cannot_carry() {
        let mut f = facts(5_000, 10_000_000, 2_500, 5_000_000);
        let c = f.ceiling.as_mut().expect("ceiling");
        let inputs = c.inputs.clone().with_batch_only_records(1_601);
        *c = inputs.ceiling_with(Some(&crate::model::ceiling::BulkInputs::realistic()));
        f.efficiency_plan = c.best_kind();
        assert_eq!(f.efficiency_plan, PlanKind::Mixed);
        let text = Verdict::decide(&f).lines.join("\n");
        assert!(
            text.contains("against the best plan (mixed: ")
                && text.contains(
                    "; 1601 records a CSV row cannot carry go as batches in every plan), "
                ),
            "{text}"
        );
        assert!(
            text.contains(
                "paced what went as create_item beside the jobs (records a CSV row cannot carry"
            ),
            "{text}"
        );
        // None: nothing said.
        let text = Verdict::decide(&with_jobs_modelled(PlanKind::Bulk))
            .lines
            .join("\n");
        assert!(!text.contains("cannot carry go as batches"), "{text}");
    }

    #[test]
    fn names_the_limit_that_bound_the_run() {
        // 50 records on a Pro personal token: three round trips, nothing else binds.
        let small = Verdict::decide(&facts(50, 10_000_000, 2_500, 5_000_000));
        assert_eq!(small.pace, Pace::Latency);
        assert_eq!(small.change, Change::Nothing);

        // 5,000 records: 150M points against 10M a minute.
        let mut big = facts(5_000, 10_000_000, 2_500, 5_000_000);
        big.wait_share = Some(0.97);
        let v = Verdict::decide(&big);
        assert_eq!(v.pace, Pace::ComplexityBudget);
        assert_eq!(v.change, Change::Nothing, "a personal token has the most");
        assert!(
            v.lines[0].contains("30,000 points per item is at most 333 items/min"),
            "{}",
            v.lines[0]
        );

        // The same on a trial (free) token: 1M a minute, and the advice is the token kind.
        let trial = Verdict::decide(&facts(5_000, 1_000_000, 2_500, 5_000_000));
        assert_eq!(trial.pace, Pace::ComplexityBudget);
        assert!(matches!(
            trial.change,
            Change::TokenKind {
                from_budget: 1_000_000,
                to_budget: 10_000_000,
                ..
            }
        ));

        // A request limit of 60 a minute with one item per request (the per-request cap):
        // 500 requests need 9 minutes whatever the budget.
        let mut limited = facts(500, 10_000_000, 60, 30_000);
        limited.throttled_by_kind.insert("minute".into(), 12);
        limited.throttled = 12;
        let v = Verdict::decide(&limited);
        assert_eq!(v.pace, Pace::RequestLimit);
        assert_eq!(
            v.change,
            Change::Plan {
                requests_per_minute: 60
            }
        );
    }

    #[test]
    fn a_sync_error_is_named_in_the_gate_headline() {
        let gs = crate::judge::baseline::GateScenario {
            scenario: crate::workload::scenario::Scenario::default(),
            purpose: String::new(),
            targets: Default::default(),
            tolerances: Default::default(),
            skip_metrics: vec![],
            expected: None,
            harness_wall_ms: None,
            pinned: Default::default(),
            compare: vec![],
        };
        let v = crate::judge::gate::error_verdict(&gs, "request failed after 9 attempts".into());
        let report = GateReport {
            baseline: String::new(),
            passed: false,
            scenarios: vec![v],
            started_at: String::new(),
            wall_ms: 0.0,
        };
        let lines = gate_lines(&report);
        assert_eq!(
            lines[1],
            "run: sync_error: actual 1 (target <= 0) (request failed after 9 attempts)"
        );
    }

    #[test]
    fn a_run_with_failed_records_says_so_first() {
        let ok = Verdict::decide(&facts(20_000, 10_000_000, 2_500, 5_000_000));
        assert!(!ok.lines[0].contains("FAILED"), "{}", ok.lines[0]);
        let mut f = facts(20_000, 10_000_000, 2_500, 5_000_000);
        f.failed = 10_000;
        let v = Verdict::decide(&f);
        assert_eq!(
            v.lines[0],
            "10000 of 20000 records FAILED: per-record time and efficiency count the 10000 synced."
        );
        assert_eq!(v.lines[1], ok.lines[0], "the pace follows");
    }

    #[test]
    fn throttles_decide_when_the_model_does_not() {
        // A latency-bound model, but the run was refused by the minute limit.
        let mut f = facts(50, 10_000_000, 2_500, 5_000_000);
        f.throttled_by_kind.insert("minute".into(), 3);
        assert_eq!(Verdict::decide(&f).pace, Pace::RequestLimit);
        // ... or by the budget (a smaller budget than the model knew).
        f.throttled_by_kind.insert("complexity".into(), 5);
        assert_eq!(Verdict::decide(&f).pace, Pace::ComplexityBudget);
        // The instant profile's ceiling is zero on every bound: none of them binds.
        let mut instant = facts(200, 10_000_000, 2_500, 5_000_000);
        if let Some(c) = instant.ceiling.as_mut() {
            c.ceiling_ms = 0.0;
            c.binding = "request_rate".into();
        }
        assert_eq!(Verdict::decide(&instant).pace, Pace::Latency);
        // A storm is a fault, not a limit of the plan.
        let mut storm = facts(50, 10_000_000, 2_500, 5_000_000);
        storm.throttled_by_kind.insert("storm".into(), 8);
        assert_eq!(Verdict::decide(&storm).pace, Pace::Latency);
    }

    #[test]
    fn the_change_follows_what_went_wrong_first() {
        let mut f = facts(50, 10_000_000, 2_500, 5_000_000);
        // One call per record: 51 requests where 2 would do.
        f.requests = 51;
        f.efficiency = 0.08;
        assert!(matches!(
            Verdict::decide(&f).change,
            Change::BatchMore {
                requests: 51,
                fewest: 2,
                per_request: 166
            }
        ));
        f.locked = 6;
        // Serial writes: the 423s came from the board's jobs or another writer, not from
        // overlapping writes of this client.
        assert!(!matches!(
            Verdict::decide(&f).change,
            Change::WriteSerially { .. }
        ));
        f.ceiling
            .as_mut()
            .expect("ceiling")
            .inputs
            .write_concurrency = 4;
        assert_eq!(
            Verdict::decide(&f).change,
            Change::WriteSerially { locked: 6 }
        );
        f.duplicates = 1;
        assert!(matches!(
            Verdict::decide(&f).change,
            Change::FixCorrectness { duplicates: 1, .. }
        ));
    }

    #[test]
    fn a_slow_foreign_client_is_told_so_and_cpu_runs_measure_the_client() {
        let mut f = facts(40, 10_000_000, 2_500, 5_000_000);
        f.foreign_client = true;
        f.api_time_ms = 4_000.0;
        f.client_ms_per_record = Some(80.0);
        let v = Verdict::decide(&f);
        assert_eq!(v.pace, Pace::ClientTime);
        assert_eq!(
            v.change,
            Change::FasterClient {
                client_ms_per_record: 80.0
            }
        );
        // Round trips set the pace, but 44% of the run was the client's own: that is the change.
        f.client_ms_per_record = Some(44.0);
        let v = Verdict::decide(&f);
        assert_eq!(v.pace, Pace::Latency);
        assert!(matches!(v.change, Change::FasterClient { .. }));
        // Budget-bound but far from it, sending many small requests: batching more would not
        // lower the points per item; the client's own time is the change.
        let mut budget = facts(5_000, 10_000_000, 2_500, 5_000_000);
        budget.foreign_client = true;
        budget.requests = 216;
        budget.efficiency = 0.45;
        budget.client_ms_per_record = Some(150.0);
        assert!(matches!(
            Verdict::decide(&budget).change,
            Change::FasterClient { .. }
        ));
        let mut cpu = facts(2_000, 10_000_000, 2_500, 5_000_000);
        cpu.client_cpu_us_per_record = Some(12.0);
        assert_eq!(Verdict::decide(&cpu).pace, Pace::ClientTime);
    }

    #[test]
    fn the_sample_run_renders_in_text_and_escaped_html() {
        let mut r = crate::replay::results::sample_results();
        r.scenario.plan = "<pro>".into();
        r.simulator_stats = serde_json::json!({"throttled_by_kind": {"minute": 3}});
        let v = Verdict::of(&r);
        assert_eq!(
            v.pace,
            Pace::RequestLimit,
            "read from the simulator's stats"
        );
        assert_eq!(v.lines.len(), 3);
        assert!(v
            .text()
            .starts_with("verdict:\n  The pace was set by the request limits"));
        let html = v.html();
        assert!(html.starts_with("<section class=\"verdict\">"));
        assert!(html.contains("&lt;pro&gt;") && !html.contains("<pro>"));
        // A CPU-clock run measures the client, whatever else it carries.
        r.scenario.clock = crate::workload::scenario::Clock::Cpu;
        assert_eq!(Verdict::of(&r).pace, Pace::ClientTime);
    }
}
