//! Each column type's write format (docs/monday-api.md §5.2): dates, dropdown labels (text or a
//! list), numbers, emails, phones, checkboxes and timelines, and how the label checks of a
//! column's labels combine.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

use super::json::{obj1, obj2, push_json_str};
use super::{scalar_text, CompiledColumn, Transformer};
use crate::input::SourceRecord;
use crate::mapping::config::ColumnMapping;

pub(super) fn parse_date(s: &str) -> Result<Value, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(json!({ "date": d.format("%Y-%m-%d").to_string() }));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(json!({
                "date": dt.format("%Y-%m-%d").to_string(),
                "time": dt.format("%H:%M:%S").to_string()
            }));
        }
    }
    Err(format!("`{s}` is not a date (expected YYYY-MM-DD)"))
}

fn date_only(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{}` is not a date (expected YYYY-MM-DD)", s.trim()))
}
/// `YYYY-MM-DD` exactly (the common case), validated without chrono's format parser.
pub(super) fn fast_date(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    NaiveDate::from_ymd_opt(y as i32, m, d)?;
    Some(s)
}

/// A status/dropdown label is missing: what to do with the record.
pub(super) enum LabelCheck {
    Known,
    /// Missing in a column that may create it.
    Create,
    /// Missing in a column that may not: the record fails with this reason.
    Fail(String),
}

impl LabelCheck {
    /// The check of a column with several labels: the first failure stands, else any label to
    /// create.
    fn and(self, next: LabelCheck) -> LabelCheck {
        match (self, next) {
            (f @ LabelCheck::Fail(_), _) | (_, f @ LabelCheck::Fail(_)) => f,
            (LabelCheck::Create, _) | (_, LabelCheck::Create) => LabelCheck::Create,
            (LabelCheck::Known, LabelCheck::Known) => LabelCheck::Known,
        }
    }
}

/// A dropdown given as a JSON array: `{"labels":[..]}` of its non-empty items (None: none).
pub(super) fn write_label_list(
    col: &CompiledColumn,
    items: &[Value],
    out: &mut String,
) -> Result<Option<LabelCheck>, (String, String)> {
    let mark = out.len();
    out.push_str("{\"labels\":[");
    let mut check = None::<LabelCheck>;
    for it in items {
        if let Some(s) = scalar_text(Some(it)).map_err(|e| (col.map.source.clone(), e))? {
            if check.is_some() {
                out.push(',');
            }
            let l = s.trim();
            let c = Transformer::check_label(col, l);
            check = Some(match check {
                None => c,
                Some(k) => k.and(c),
            });
            push_json_str(out, l);
        }
    }
    if check.is_none() {
        out.truncate(mark);
        return Ok(None);
    }
    out.push_str("]}");
    Ok(check)
}

/// A dropdown given as text: its comma-separated labels (None: no label in it).
pub(super) fn write_label_text(
    col: &CompiledColumn,
    text: &str,
    out: &mut String,
) -> Option<LabelCheck> {
    let mut check = None::<LabelCheck>;
    for l in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        out.push_str(if check.is_none() {
            "{\"labels\":["
        } else {
            ","
        });
        let c = Transformer::check_label(col, l);
        check = Some(match check {
            None => c,
            Some(k) => k.and(c),
        });
        push_json_str(out, l);
    }
    check.is_some().then(|| out.push_str("]}"));
    check
}

/// A number as monday.com takes it: a finite decimal, no sign `+`, no exponent, no inf/NaN.
pub(super) fn write_number(t: &str, out: &mut String) -> Result<(), String> {
    match t.parse::<f64>() {
        Ok(n) if n.is_finite() && !t.starts_with('+') && !t.contains(['e', 'E', 'i', 'n', 'N']) => {
            push_json_str(out, t);
            Ok(())
        }
        _ => Err(format!("`{t}` is not a number")),
    }
}

/// An email: something `@` something with a dot, no white space.
pub(super) fn write_email(t: &str, out: &mut String) -> Result<(), String> {
    let ok = t
        .split_once('@')
        .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
        && !t.chars().any(char::is_whitespace);
    if !ok {
        return Err(format!("`{t}` is not an email address"));
    }
    obj2(out, "email", t, "text", t);
    Ok(())
}

/// A phone: digits and `+` kept, with the ISO-2 country of `country_source` when it has one.
pub(super) fn write_phone(
    map: &ColumnMapping,
    rec: &SourceRecord,
    t: &str,
    out: &mut String,
) -> Result<(), (String, String)> {
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        || !t.chars().any(|c| c.is_ascii_digit())
    {
        return Err((map.source.clone(), format!("`{t}` is not a phone number")));
    }
    let digits: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let mut country = None;
    if let Some(cs) = &map.country_source {
        if let Some(cc) = scalar_text(rec.fields.get(cs)).map_err(|e| (cs.clone(), e))? {
            let cc = cc.trim().to_ascii_uppercase();
            if cc.len() != 2 || !cc.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err((cs.clone(), format!("`{cc}` is not an ISO-2 country code")));
            }
            country = Some(cc);
        }
    }
    match country {
        Some(cc) => obj2(out, "phone", &digits, "countryShortName", &cc),
        None => obj1(out, "phone", &digits),
    }
    Ok(())
}

/// A checkbox: a truthy word checks it (true), a falsy word leaves it out (false).
pub(super) fn write_checkbox(t: &str, out: &mut String) -> Result<bool, String> {
    let truthy = ["true", "yes", "y", "1", "x"];
    let falsy = ["false", "no", "n", "0"];
    if truthy.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        out.push_str("{\"checked\":\"true\"}");
        Ok(true)
    } else if falsy.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Ok(false)
    } else {
        Err(format!("`{}` is not a boolean", t.to_ascii_lowercase()))
    }
}

/// A timeline from `source` to `source_to`: both dates or neither (false: neither, left out);
/// it may not end before it starts.
pub(super) fn write_timeline(
    map: &ColumnMapping,
    rec: &SourceRecord,
    out: &mut String,
) -> Result<bool, (String, String)> {
    let err = |r: String| (map.source.clone(), r);
    let to_field = map.source_to.as_deref().unwrap_or_default();
    let to_err = |r: String| (to_field.to_string(), r);
    let from = scalar_text(rec.fields.get(&map.source)).map_err(err)?;
    let to = scalar_text(rec.fields.get(to_field)).map_err(to_err)?;
    let (f, t) = match (from, to) {
        (None, None) => return Ok(false),
        (Some(f), Some(t)) => (f, t),
        (None, Some(_)) => return Err(err("timeline has an end but no start".into())),
        (Some(_), None) => return Err(to_err("timeline has a start but no end".into())),
    };
    let backwards = |fd: &dyn std::fmt::Display, td: &dyn std::fmt::Display| {
        to_err(format!("timeline ends ({td}) before it starts ({fd})"))
    };
    // Canonical `YYYY-MM-DD` compares like the date it is.
    if let (Some(fd), Some(td)) = (fast_date(f.trim()), fast_date(t.trim())) {
        if td < fd {
            return Err(backwards(&fd, &td));
        }
        obj2(out, "from", fd, "to", td);
        return Ok(true);
    }
    let fd = date_only(&f).map_err(err)?;
    let td = date_only(&t).map_err(to_err)?;
    if td < fd {
        return Err(backwards(&fd, &td));
    }
    let _ = write!(out, "{{\"from\":\"{fd}\",\"to\":\"{td}\"}}");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mapping::transform::tests::{cfg, rec};

    #[test]
    fn label_checks_keep_the_first_failure_else_any_creation() {
        let fail = |r: &str| LabelCheck::Fail(r.into());
        let name = |c: LabelCheck| match c {
            LabelCheck::Known => "known".to_string(),
            LabelCheck::Create => "create".to_string(),
            LabelCheck::Fail(r) => format!("fail {r}"),
        };
        assert_eq!(name(LabelCheck::Known.and(LabelCheck::Known)), "known");
        assert_eq!(name(LabelCheck::Known.and(LabelCheck::Create)), "create");
        assert_eq!(name(LabelCheck::Create.and(LabelCheck::Known)), "create");
        assert_eq!(name(LabelCheck::Create.and(fail("a"))), "fail a");
        assert_eq!(name(fail("a").and(fail("b"))), "fail a");
        assert_eq!(name(fail("a").and(LabelCheck::Create)), "fail a");
    }

    #[test]
    fn number_checkbox_phone_and_timeline_steps() {
        let mut out = String::new();
        assert!(write_number("-1.5", &mut out).is_ok());
        for bad in ["+1", "1e3", "inf", "NaN", "x"] {
            assert!(write_number(bad, &mut out).is_err(), "{bad}");
        }
        assert_eq!(out, "\"-1.5\"");
        let mut out = String::new();
        assert_eq!(write_checkbox("YES", &mut out), Ok(true));
        assert_eq!(write_checkbox("n", &mut out), Ok(false));
        assert!(write_checkbox("maybe", &mut out).is_err());
        assert_eq!(out, r#"{"checked":"true"}"#);

        let t = Transformer::new(&cfg());
        let field = |v: Value| {
            t.transform_pure(&rec(4, v))
                .map(|p| p.column_values)
                .map_err(|e| (e.field, e.reason))
        };
        let phone = field(json!({"order_id":"A","contact_phone":"+1 (415) 555-0100"})).unwrap();
        assert!(
            phone.contains(r#""phone_contact":{"phone":"+14155550100"}"#),
            "{phone}"
        );
        let bad_country =
            field(json!({"order_id":"A","contact_phone":"123","contact_country":"USA"}));
        assert_eq!(bad_country.unwrap_err().0, "contact_country");
        assert_eq!(
            field(json!({"order_id":"A","contact_phone":"12a"}))
                .unwrap_err()
                .0,
            "contact_phone"
        );
        // Timelines: both ends or neither, never backwards, canonical or parsed dates alike.
        assert_eq!(
            field(json!({"order_id":"A"})).unwrap(),
            r#"{"text_order_key":"A"}"#
        );
        assert_eq!(
            field(json!({"order_id":"A","production_end":"2026-03-01"}))
                .unwrap_err()
                .0,
            "production_start"
        );
        for (from, to) in [("2026-03-15", "2026-03-01"), ("2026-3-15", "2026-03-01")] {
            let e = field(json!({"order_id":"A","production_start":from,"production_end":to}))
                .unwrap_err();
            assert_eq!(e.0, "production_end");
            assert!(e.1.contains("before it starts"), "{e:?}");
        }
        let parsed = field(
            json!({"order_id":"A","production_start":"2026-3-15","production_end":"2026-03-16"}),
        )
        .unwrap();
        assert!(
            parsed.contains(r#""timeline_production":{"from":"2026-03-15","to":"2026-03-16"}"#),
            "{parsed}"
        );
    }
}
