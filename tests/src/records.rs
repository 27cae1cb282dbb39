//! Deterministic order-list records for the fixture board.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

pub const CUSTOMERS: &[&str] = &[
    "Acme Apparel",
    "Nordic Knits",
    "Café Tissage",
    "Blue Harbor Co",
    "Zürich Tailors",
    "Sunrise Textiles",
];
const STYLES: &[&str] = &[
    "ST-1042 Crew Neck Tee",
    "ST-2210 Hoodie",
    "ST-3301 Chino \"Slim\"",
    "ST-4100 Polo — piqué",
    "ST-5005 Rain Jacket",
];
const COLOURS: &[&str] = &["Black", "White", "Navy", "Red", "Green"];
const SIZES: &[&str] = &["XS", "S", "M", "L", "XL"];
const STATUSES: &[&str] = &["New", "In Production", "Shipped", "Delivered", "On Hold"];

/// The source key of record `i` (0-based).
pub fn order_key(i: usize) -> String {
    format!("ORD-{:06}", i + 1)
}

/// `n` deterministic order-list records; each optional field is left out, `null` or `""` with
/// probability `empty_fraction`. Only labels that exist on the fixture board are used.
pub fn gen_records(n: usize, seed: u64, empty_fraction: f64) -> Vec<Map<String, Value>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let mut r = Map::new();
            r.insert("order_id".into(), json!(order_key(i)));
            let customer = CUSTOMERS[rng.gen_range(0..CUSTOMERS.len())];
            r.insert("customer".into(), json!(customer));
            let day = rng.gen_range(1..=28);
            let optional: Vec<(&str, Value)> = vec![
                ("po_number", json!(format!("PO-{}", 10_000 + i))),
                ("style", json!(STYLES[rng.gen_range(0..STYLES.len())])),
                ("colour", json!(COLOURS[rng.gen_range(0..COLOURS.len())])),
                (
                    "sizes",
                    json!(format!(
                        "{},{}",
                        SIZES[rng.gen_range(0..2)],
                        SIZES[rng.gen_range(2..5)]
                    )),
                ),
                ("quantity", json!(rng.gen_range(1..5000))),
                (
                    "unit_price",
                    json!(format!(
                        "{}.{:02}",
                        rng.gen_range(1..90),
                        rng.gen_range(0..100)
                    )),
                ),
                ("status", json!(STATUSES[rng.gen_range(0..STATUSES.len())])),
                ("order_date", json!(format!("2026-03-{day:02}"))),
                ("ship_date", json!(format!("2026-04-{day:02}"))),
                (
                    "contact_email",
                    json!(format!("buyer{}@example.com", i % 97)),
                ),
                ("contact_phone", json!("+14155550100")),
                ("contact_country", json!("US")),
                (
                    "tracking_url",
                    json!(format!("https://track.example/1Z{i:08}")),
                ),
                ("rush", json!(rng.gen_bool(0.2))),
                ("production_start", json!(format!("2026-03-{day:02}"))),
                ("production_end", json!(format!("2026-04-{day:02}"))),
                ("notes", json!(format!("line one\nline two for {i}"))),
            ];
            // Fields that only make sense together are emptied together.
            let empty_timeline = rng.gen_bool(empty_fraction);
            let empty_phone = rng.gen_bool(empty_fraction);
            for (k, v) in optional {
                let empty = match k {
                    "production_start" | "production_end" => empty_timeline,
                    "contact_phone" | "contact_country" => empty_phone,
                    _ => rng.gen_bool(empty_fraction),
                };
                if empty {
                    match rng.gen_range(0..3) {
                        0 => {}
                        1 => {
                            r.insert(k.into(), Value::Null);
                        }
                        _ => {
                            r.insert(k.into(), json!(""));
                        }
                    }
                } else {
                    r.insert(k.into(), v);
                }
            }
            r
        })
        .collect()
}

/// Records as NDJSON text (one object per line, trailing newline).
pub fn to_ndjson(records: &[Map<String, Value>]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&serde_json::to_string(r).expect("serialize record"));
        out.push('\n');
    }
    out
}

/// Writes `records` as NDJSON into `dir/name` and returns the path.
pub fn write_ndjson(dir: &Path, name: &str, records: &[Map<String, Value>]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, to_ndjson(records)).expect("write ndjson");
    path
}
