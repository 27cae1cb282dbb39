"""The HTTP part both example clients share: POST one GraphQL request to monday.com (or to the
simulator), wait out what the API says to wait out, retry what is safe to retry.

Python standard library only (urllib, json). Everything is configured by the environment that
`monday-perf run --client-cmd` (and a production runner) sets:

  MONDAY_API_URL      https://api.monday.com/v2 in production
  MONDAY_API_TOKEN    the API token (sent as Authorization)
  MONDAY_API_VERSION  e.g. 2026-10
  MONDAY_TIME_SCALE   1 in production; the simulator's wall seconds per simulated second: the
                      client's own backoff (5xx, resets) is scaled like the simulator's clock
  MONDAY_REPORTED_DURATIONS  `wall` (monday-perf's default, and production): the waits the API
                      asks for are real seconds and are waited as given, like any client does;
                      `simulated`: they are simulated seconds, scaled by MONDAY_TIME_SCALE

Waits: 429 (rate limits, complexity budget) and 423 (board locked) wait `Retry-After` (or
`retry_in_seconds`) and resend the same body with the same Idempotency-Key; 5xx, resets and
timeouts back off exponentially and resend the same way. Other errors stop the client.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

URL = os.environ.get("MONDAY_API_URL", "https://api.monday.com/v2")
TOKEN = os.environ.get("MONDAY_API_TOKEN", "")
VERSION = os.environ.get("MONDAY_API_VERSION", "2026-10")
SCALE = float(os.environ.get("MONDAY_TIME_SCALE", "1"))
# Seconds per second of a wait the API asks for (Retry-After, retry_in_seconds).
HINT_SCALE = SCALE if os.environ.get("MONDAY_REPORTED_DURATIONS") == "simulated" else 1.0
MAX_ATTEMPTS = 50
TIMEOUT_SECS = 90


class ApiError(Exception):
    """A request the API refused for good (bad query, bad token, ...)."""


def _retry_hint(headers, body):
    """Seconds to wait from Retry-After or retry_in_seconds, if the answer carries one."""
    value = headers.get("Retry-After") if headers is not None else None
    if value:
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(body, dict):
        for err in body.get("errors") or []:
            ext = err.get("extensions") or {}
            if "retry_in_seconds" in ext:
                return float(ext["retry_in_seconds"])
    return None


def _sleep(simulated_secs):
    time.sleep(max(simulated_secs, 0.0) * SCALE)


def _wait_as_told(secs):
    """Waits what the API asked for (Retry-After / retry_in_seconds)."""
    time.sleep(max(secs, 0.0) * HINT_SCALE)


def post(query, variables=None, idempotency_key=None, honour_retry_after=True):
    """POSTs one GraphQL request; returns the decoded JSON body of the successful answer.

    Returns (body, stats) where stats counts the attempts, 429s and 423s of this request.
    """
    payload = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
    headers = {
        "Authorization": TOKEN,
        "API-Version": VERSION,
        "Content-Type": "application/json",
    }
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    stats = {"attempts": 0, "throttled": 0, "locked": 0}
    for attempt in range(MAX_ATTEMPTS):
        stats["attempts"] += 1
        request = urllib.request.Request(URL, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECS) as resp:
                body = json.loads(resp.read().decode("utf-8"))
            # Old API versions answer a spent complexity budget with HTTP 200.
            codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
            if "COMPLEXITY_BUDGET_EXHAUSTED" in codes or "ComplexityException" in codes:
                stats["throttled"] += 1
                _wait_as_told(_retry_hint(None, body) or 1.0 if honour_retry_after else 0.0)
                continue
            return body, stats
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = None
            if e.code in (429, 423, 409):
                stats["throttled" if e.code == 429 else "locked"] += 1
                hint = _retry_hint(e.headers, body)
                _wait_as_told((hint if hint is not None else 1.0) if honour_retry_after else 0.0)
                continue
            if e.code >= 500:
                _sleep(min(0.5 * 2 ** attempt, 30.0))
                continue
            raise ApiError(f"HTTP {e.code}: {text[:500]}")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            print(f"transport error ({e}); retrying", file=sys.stderr)
            _sleep(min(0.5 * 2 ** attempt, 30.0))
    raise ApiError(f"gave up after {MAX_ATTEMPTS} attempts")


def read_records(path):
    """The NDJSON records of MONDAY_PERF_INPUT (blank and broken lines skipped, and counted)."""
    records, broken = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                broken += 1
    if broken:
        print(f"{broken} broken input lines skipped", file=sys.stderr)
    return records


def _text(value):
    if value is None:
        return ""
    return str(value).strip()


def item_of(record):
    """(item name, column values) of one order-list record: the example config's mapping, reduced
    to the key, a few text columns, the quantity and the status."""
    name = " · ".join(p for p in (_text(record.get("po_number")), _text(record.get("style"))) if p)
    values = {"text_order_key": _text(record.get("order_id"))}
    for source, column in (("customer", "text_customer"), ("po_number", "text_po"),
                           ("style", "text_style")):
        if _text(record.get(source)):
            values[column] = _text(record.get(source))
    quantity = _text(record.get("quantity"))
    if quantity:
        values["numbers_qty"] = quantity
    if _text(record.get("status")):
        values["status"] = {"label": _text(record.get("status"))}
    return name or values["text_order_key"], values
