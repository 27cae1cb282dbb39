"""Drives monday.com's Python SDK (PyPI `monday-api-python-sdk`, module `monday_sdk`),
unmodified, against a mock-monday server. The SDK has no endpoint argument; the script sets the
endpoint attribute of the client's GraphQL handler. Usage:
    MONDAY_API_URL=http://127.0.0.1:PORT/v2 python py_monday_api_python_sdk.py
"""
import json
import os

from monday_sdk import MondayClient

URL = os.environ.get("MONDAY_API_URL", "http://127.0.0.1:8080/v2")
client = MondayClient(os.environ.get("MONDAY_API_TOKEN", "published-client-token"))
client._graphql_client.endpoint = URL


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok - {what}")


def as_dict(resp):
    if hasattr(resp, "to_dict"):
        return resp.to_dict()
    if hasattr(resp, "__dict__"):
        return json.loads(json.dumps(resp, default=lambda o: o.__dict__))
    return resp


boards = as_dict(client.boards.fetch_boards(limit=50))
print(json.dumps(boards)[:300])
board_list = boards["data"]["boards"]
board = next(b for b in board_list if b["name"] == "Order List")
check(board, "fetch_boards found the board")
board_id = board["id"]
cols = as_dict(client.boards.fetch_columns_by_board_id(board_id))
check("status" in json.dumps(cols), "fetch_columns_by_board_id")

ids = []
for n in range(1, 4):
    r = as_dict(
        client.items.create_item(
            board_id=board_id,
            group_id="topics",
            item_name=f"sdk item {n}",
            column_values={"text_po": f"PO-{n}", "status": {"label": "New"}},
        )
    )
    ids.append(r["data"]["create_item"]["id"])
check(len(ids) == 3, "create_item x3")

items = client.items.fetch_items_by_id(ids)
check(len(items) == 3, "fetch_items_by_id")
everything = client.boards.fetch_all_items_by_board_id(board_id=board_id, limit=2)
check(len(everything) == 3, "fetch_all_items_by_board_id paged through 3 items")

as_dict(client.items.change_multiple_column_values(board_id=board_id, item_id=ids[0], column_values={"text_po": "PO-77"}))
as_dict(client.items.change_simple_column_value(board_id=board_id, item_id=ids[1], column_id="text_po", value="PO-88"))
as_dict(client.items.change_status_column_value(board_id=board_id, item_id=ids[2], column_id="status", value="Shipped"))
again = client.items.fetch_items_by_id(ids)
dump = json.dumps(as_dict(again), default=lambda o: o.__dict__)
check("PO-77" in dump and "PO-88" in dump and "Shipped" in dump, "read back the updates")
print("PASS monday-api-python-sdk")
