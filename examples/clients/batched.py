#!/usr/bin/env python3
"""Aliased batches with GraphQL variables, one write request at a time (monday.com's advice for
mutations on one board), waiting out 429 (Retry-After / retry_in_seconds) and 423 (board locked)
and resending with the same Idempotency-Key.

  monday-perf run --client-cmd "python3 examples/clients/batched.py" --records 40
  python3 examples/clients/batched.py --batch-size 1   # the regression the gate must catch

Environment: see monday_http.py, plus MONDAY_BOARD_ID and MONDAY_PERF_INPUT (NDJSON records);
MONDAY_BATCH_SIZE sets the batch size when --batch-size is not given (default 25).
"""

import argparse
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import monday_http  # noqa: E402

BOARD_QUERY = "query ($b: [ID!]) { boards(ids: $b) { id columns { id } } }"


def batch_mutation(size):
    """`mutation ($b: ID!, $n0: String!, $v0: JSON, ...) { i0: create_item(...) { id } ... }`."""
    params = ["$b: ID!"] + [f"$n{i}: String!, $v{i}: JSON" for i in range(size)]
    fields = [f"i{i}: create_item(board_id: $b, item_name: $n{i}, column_values: $v{i}, "
              f"create_labels_if_missing: true) {{ id }}" for i in range(size)]
    return f"mutation ({', '.join(params)}) {{ {' '.join(fields)} }}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int,
                        default=int(os.environ.get("MONDAY_BATCH_SIZE", "25")))
    args = parser.parse_args()
    size = max(1, args.batch_size)
    board = os.environ["MONDAY_BOARD_ID"]
    records = monday_http.read_records(os.environ["MONDAY_PERF_INPUT"])

    body, _ = monday_http.post(BOARD_QUERY, {"b": [board]})
    boards = (body.get("data") or {}).get("boards") or []
    if not boards:
        print(f"board {board} not found: {body.get('errors')}", file=sys.stderr)
        return 2
    columns = {c["id"] for c in boards[0]["columns"]}
    missing = {"text_order_key", "text_customer", "numbers_qty", "status"} - columns
    if missing:
        print(f"board {board} lacks columns {sorted(missing)}", file=sys.stderr)
        return 2

    created = failed = requests = waits = 0
    for start in range(0, len(records), size):
        chunk = records[start:start + size]
        variables = {"b": board}
        for i, record in enumerate(chunk):
            variables[f"n{i}"], variables[f"v{i}"] = monday_http.item_of(record)
        body, stats = monday_http.post(batch_mutation(len(chunk)), variables,
                                       idempotency_key=str(uuid.uuid4()))
        requests += stats["attempts"]
        waits += stats["throttled"] + stats["locked"]
        data = body.get("data") or {}
        for i, record in enumerate(chunk):
            if data.get(f"i{i}"):
                created += 1
            else:
                failed += 1
                print(f"record {record.get('order_id')} failed", file=sys.stderr)
    print(f"batched: {created} of {len(records)} records created in {requests} write attempts "
          f"(batch {size}, {waits} waits for 429/423)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
