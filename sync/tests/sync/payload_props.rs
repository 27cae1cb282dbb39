//! Property tests of the payload encoder and of batching: every record lands in exactly one
//! request, the per-request cap holds, values never reach the query text, and every encoded body is
//! JSON whose query the simulator's GraphQL engine parses and validates.

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mock_monday::{CoreRequest, LatencyProfile, SimConfig};
use monday_sync::config::{MAX_REQUEST_COMPLEXITY, MUTATION_COMPLEXITY};
use monday_sync::engine::run;
use monday_sync::input::InputSource;
use monday_sync::payload::{alias, build_mutation, Entry, Op};
use monday_sync::transform::PreparedRecord;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError};
use proptest::prelude::*;
use serde_json::Value;
use support::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{1,20}",
        Just("x\") { id } mutation { delete_item(item_id: 1) { id } } #".to_string()),
        Just("$v0 $b {{ }} \\\" \\\\ \u{0} \u{1f} \u{7f}".to_string()),
        Just("emoji 🧵 \u{10348} \u{fffd} 中文".to_string()),
        any::<String>(),
    ]
}

#[derive(Debug, Clone)]
struct Spec {
    name: String,
    value: String,
    op: u8,
    group: Option<String>,
    labels: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        text(),
        text(),
        0u8..2,
        prop::option::of(text()),
        any::<bool>(),
    )
        .prop_map(|(name, value, op, group, labels)| Spec {
            name,
            value,
            op,
            group,
            labels,
        })
}

fn prepared(s: &Spec, i: usize) -> (PreparedRecord, Op) {
    let mut cv = serde_json::Map::new();
    cv.insert("text_order_key".into(), Value::String(format!("K{i}")));
    cv.insert("text_customer".into(), Value::String(s.value.clone()));
    let rec = PreparedRecord {
        line: i as u64 + 1,
        key: format!("K{i}"),
        name: s.name.clone(),
        group: s.group.clone(),
        customer: String::new(),
        column_values: Value::Object(cv).to_string(),
        create_labels: s.labels,
        content_hash: String::new(),
    };
    let op = if s.op == 0 {
        Op::Create {
            group_id: s.group.clone(),
        }
    } else {
        Op::Update {
            item_id: format!("{}", 1000 + i),
        }
    };
    (rec, op)
}

fn body_of(specs: &[Spec]) -> (Vec<PreparedRecord>, Vec<Op>, Vec<u8>) {
    let (recs, ops): (Vec<_>, Vec<_>) = specs
        .iter()
        .enumerate()
        .map(|(i, s)| prepared(s, i))
        .unzip();
    let entries: Vec<Entry<'_>> = recs
        .iter()
        .zip(&ops)
        .map(|(record, op)| Entry { record, op })
        .collect();
    let body = build_mutation(BOARD, &entries, true);
    (recs, ops, body)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The body is JSON; every value travels in `variables`, exactly; the query text depends only
    /// on the batch's shape (never on a value).
    #[test]
    fn encoder_keeps_values_out_of_the_query(specs in prop::collection::vec(spec(), 1..30)) {
        let (recs, ops, body) = body_of(&specs);
        let v: Value = serde_json::from_slice(&body).expect("body is JSON");
        let q = v["query"].as_str().expect("query string");
        let vars = &v["variables"];
        prop_assert_eq!(vars["b"].as_str(), Some(BOARD));
        for (i, (r, op)) in recs.iter().zip(&ops).enumerate() {
            prop_assert_eq!(vars[format!("v{i}")].as_str(), Some(r.column_values.as_str()));
            match op {
                Op::Create { group_id } => {
                    prop_assert_eq!(vars[format!("n{i}")].as_str(), Some(r.name.as_str()));
                    prop_assert_eq!(vars.get(format!("g{i}")).and_then(Value::as_str), group_id.as_deref());
                }
                Op::Update { item_id } => {
                    prop_assert_eq!(vars[format!("i{i}")].as_str(), Some(item_id.as_str()));
                }
            }
            let field = format!("{}: ", alias(op, i));
            prop_assert!(q.contains(&field), "alias missing");
        }
        // Same shapes, bland values: the same query text.
        let bland: Vec<Spec> = specs.iter().map(|s| Spec {
            name: "n".into(),
            value: "v".into(),
            group: s.group.as_ref().map(|_| "g".to_string()),
            ..s.clone()
        }).collect();
        let (_, _, bland_body) = body_of(&bland);
        let bv: Value = serde_json::from_slice(&bland_body).unwrap();
        prop_assert_eq!(q, bv["query"].as_str().unwrap());
        prop_assert_eq!(q.matches("create_labels_if_missing: true").count(),
            specs.iter().filter(|s| s.labels).count());
    }

    /// The simulator's GraphQL engine parses and validates every encoded query (against the
    /// published schema): the response carries `data` with every alias, not a request error.
    #[test]
    fn encoded_queries_are_valid_graphql(specs in prop::collection::vec(spec(), 1..12)) {
        let (_sim, _t) = sim(SimConfig { profile: LatencyProfile::Instant, ..SimConfig::default() });
        let creates: Vec<Spec> = specs.into_iter().map(|s| Spec { op: 0, group: None, ..s }).collect();
        let (_, ops, body) = body_of(&creates);
        let resp = _sim.handle(CoreRequest {
            method: "POST".into(),
            path: "/v2".into(),
            headers: vec![
                ("authorization".into(), TOKEN.into()),
                ("content-type".into(), "application/json".into()),
                ("api-version".into(), "2026-10".into()),
            ],
            body: bytes::Bytes::from(body),
            client_ip: None,
        });
        let v: Value = serde_json::from_slice(&resp.body).expect("response JSON");
        prop_assert_eq!(resp.status, 200, "{}", v);
        let data = v["data"].as_object().expect("data");
        for (i, op) in ops.iter().enumerate() {
            prop_assert!(data.contains_key(&alias(op, i)), "{}", v);
        }
    }

    /// push_json_str writes exactly what serde_json writes.
    #[test]
    fn json_string_encoding_matches_serde(s in any::<String>()) {
        let mut out = String::from("x");
        monday_sync::transform::push_json_str(&mut out, &s);
        prop_assert_eq!(&out[1..], serde_json::to_string(&s).unwrap());
    }
}

/// Records each request's idempotency key and body.
struct Recording {
    inner: Arc<SimTransport>,
    sent: Mutex<Vec<(Option<String>, bytes::Bytes)>>,
}

#[async_trait]
impl Transport for Recording {
    async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
        self.sent
            .lock()
            .unwrap()
            .push((r.idempotency_key.clone(), r.body.clone()));
        self.inner.send(r).await
    }

    /// Pre-signed URL requests (the bulk import) pass through untouched.
    async fn send_url(
        &self,
        request: monday_sync::transport::UrlRequest,
    ) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Through the engine: every record is in exactly one create request, no request carries more
    /// than the effective batch size (and so stays under the per-request complexity cap).
    #[test]
    fn every_record_in_exactly_one_batch(n in 1usize..90, batch in 1usize..200, conc in 1usize..5) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        rt.block_on(async {
            let (_sim, inner) = sim(SimConfig { profile: LatencyProfile::Instant, ..SimConfig::default() });
            let t = Arc::new(Recording { inner, sent: Mutex::new(vec![]) });
            let mut cfg = example_config();
            cfg.sync.batch_size = Some(batch);
            cfg.sync.concurrency = conc;
            let cap = monday_sync::batching::batch_size(&cfg.sync, Some(n));
            prop_assert!(cap as u64 * MUTATION_COMPLEXITY <= MAX_REQUEST_COMPLEXITY);
            let s = run(params(cfg, InputSource::Records(records(n)), t.clone())).await.expect("run");
            prop_assert_eq!((s.created, s.failed), (n as u64, 0));
            let mut seen: HashMap<String, usize> = HashMap::new();
            let mut logical = std::collections::HashSet::new();
            for (key, body) in t.sent.lock().unwrap().iter() {
                let v: Value = serde_json::from_slice(body).unwrap();
                let q = v["query"].as_str().unwrap_or("");
                let creates = q.matches("create_item(").count();
                if creates == 0 { continue; }
                prop_assert!(creates <= cap, "{} creates > cap {}", creates, cap);
                prop_assert!(logical.insert(key.clone().expect("create requests carry a key")), "resent");
                for i in 0..creates {
                    let cv: Value = serde_json::from_str(v["variables"][format!("v{i}")].as_str().unwrap()).unwrap();
                    *seen.entry(cv["text_order_key"].as_str().unwrap().to_string()).or_default() += 1;
                }
            }
            prop_assert_eq!(seen.len(), n);
            prop_assert!(seen.values().all(|&c| c == 1), "a record in two requests");
            prop_assert_eq!(s.batches as usize, logical.len());
            prop_assert_eq!(logical.len(), n.div_ceil(cap));
            Ok(())
        })?;
    }
}
