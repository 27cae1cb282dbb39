"""Drives the PyPI `monday` client (MondayClient), unmodified, against a mock-monday server:
find board / read columns / create / read back / page / update.

The client has no endpoint setting; the script points its module-level URL table at the
simulator before creating the client. Usage:
    MONDAY_API_URL=http://127.0.0.1:PORT/v2 python py_monday.py
"""
import json
import os

import monday.resources.base as base
from monday import MondayClient

URL = os.environ.get("MONDAY_API_URL", "http://127.0.0.1:8080/v2")
base._URLS["prod"] = URL
base._URLS["file"] = URL + "/file"

client = MondayClient(os.environ.get("MONDAY_API_TOKEN", "published-client-token"))


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok - {what}")


def data(resp):
    if "errors" in resp or "error_code" in resp:
        raise SystemExit(f"FAILED: {json.dumps(resp)[:2000]}")
    return resp["data"]


me = data(client.me.get_details())
check(me["me"]["id"], "me.get_details")
boards = data(client.boards.fetch_boards(limit=50))["boards"]
board = next(b for b in boards if b["name"] == "Order List")
check(board, "fetch_boards found the board")
board_id = board["id"]
data(client.boards.fetch_boards_by_id(board_id))
cols = data(client.boards.fetch_columns_by_board_id(board_id))["boards"][0]["columns"]
check(any(c["id"] == "status" for c in cols), "fetch_columns_by_board_id")
groups = data(client.groups.get_groups_by_board(board_id))["boards"][0]["groups"]
group_id = groups[0]["id"]

ids = []
for n in range(1, 4):
    r = data(
        client.items.create_item(
            board_id, group_id, f"py item {n}", {"text_po": f"PO-{n}", "status": {"label": "New"}}
        )
    )
    # The client formats ids with Python's list repr: string ids would become '...' (not
    # GraphQL) on the live API too, so they go in as integers, as its README shows.
    ids.append(int(r["create_item"]["id"]))
check(len(ids) == 3, "create_item x3")

back = data(client.items.fetch_items_by_id(ids))["items"]
check(len(back) == 3, "fetch_items_by_id")
found = data(client.items.fetch_items_by_column_value(board_id, "text_po", "PO-2"))
check(
    [int(i["id"]) for i in found["items_page_by_column_values"]["items"]] == [ids[1]],
    "fetch_items_by_column_value",
)

page = data(client.boards.fetch_items_by_board_id(board_id, limit=2))
items_page = page["boards"][0]["items_page"]
seen = len(items_page["items"])
cursor = items_page["cursor"]
while cursor:
    nxt = data(client.boards.fetch_next_items_by_cursor(cursor, limit=2))["next_items_page"]
    seen += len(nxt["items"])
    cursor = nxt["cursor"]
check(seen == 3, "paged through 3 items")

upd = data(
    client.items.change_multiple_column_values(
        board_id, ids[0], {"text_po": "PO-77", "status": {"label": "Shipped"}}
    )
)
check(int(upd["change_multiple_column_values"]["id"]) == ids[0], "change_multiple_column_values")
data(client.items.change_item_value(board_id, ids[1], "text_po", "PO-88"))
texts = {
    int(i["id"]): {c["id"]: c["text"] for c in i["column_values"]}
    for i in data(client.items.fetch_items_by_id(ids))["items"]
}
check(texts[ids[0]]["text_po"] == "PO-77" and texts[ids[1]]["text_po"] == "PO-88", "read back updates")
print("PASS monday (PyPI)")
