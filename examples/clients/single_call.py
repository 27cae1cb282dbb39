#!/usr/bin/env python3
"""One `create_item` call per record, one request at a time: the seed's mistake, kept as the
example of what the perf gate must catch (monday-perf run --client-cmd "python3 examples/clients/single_call.py").

Correct otherwise: it waits out 429/423 as the API asks and resends 5xx with the same
Idempotency-Key, so the figures compare the cost of one round trip per record, nothing else.
Environment: see monday_http.py, plus MONDAY_BOARD_ID and MONDAY_PERF_INPUT (NDJSON records).
"""

import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import monday_http  # noqa: E402

MUTATION = ("mutation ($b: ID!, $n: String!, $v: JSON) { create_item(board_id: $b, item_name: $n, "
            "column_values: $v, create_labels_if_missing: true) { id } }")


def main():
    board = os.environ["MONDAY_BOARD_ID"]
    records = monday_http.read_records(os.environ["MONDAY_PERF_INPUT"])
    failed = 0
    for record in records:
        name, values = monday_http.item_of(record)
        body, _ = monday_http.post(MUTATION, {"b": board, "n": name, "v": values},
                                   idempotency_key=str(uuid.uuid4()))
        if not (body.get("data") or {}).get("create_item"):
            failed += 1
            print(f"record {values['text_order_key']} failed: {body.get('errors')}", file=sys.stderr)
    print(f"single_call: {len(records) - failed} of {len(records)} records created, one request each")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
