// Drives monday.com's official Node client, @mondaydotcomorg/api, unmodified, against a
// mock-monday server: find board / read columns / create / read back / page / update.
// Usage: MONDAY_API_URL=http://127.0.0.1:PORT/v2 node node_api_client.mjs
// (run from a folder where `npm install @mondaydotcomorg/api` was done, see README.md)
import { ApiClient } from "@mondaydotcomorg/api";

const endpoint = process.env.MONDAY_API_URL ?? "http://127.0.0.1:8080/v2";
const token = process.env.MONDAY_API_TOKEN ?? "published-client-token";
const client = new ApiClient({ token, endpoint, apiVersion: process.env.MONDAY_API_VERSION });

function check(cond, what) {
  if (!cond) {
    throw new Error(`FAILED: ${what}`);
  }
  console.log(`ok - ${what}`);
}

const me = await client.operations.getMeOp();
check(me.me && me.me.id, "getMeOp returns the token's user");

// find the board (a default-looking boards query, with permissions and kinds)
const found = await client.request(
  `query { boards(limit: 50) { id name permissions board_kind state workspace { id name } owners { id } } }`,
);
const board = found.boards.find((b) => b.name === "Order List");
check(board, "found the Order List board");

// read the columns
const cols = await client.request(
  `query ($ids: [ID!]) { boards(ids: $ids) { columns { id title type settings_str } } }`,
  { ids: [board.id] },
);
const columnIds = cols.boards[0].columns.map((c) => c.id);
check(columnIds.includes("status") && columnIds.includes("text_po"), "read the columns");

const groups = await client.operations.getBoardGroupsOp({ ids: [board.id] });
const groupId = groups.boards[0].groups[0].id;
check(groupId, "read the groups");

// create three items
const created = [];
for (const n of [1, 2, 3]) {
  const r = await client.operations.createItemOp({ boardId: board.id, groupId, itemName: `node item ${n}` });
  created.push(r.create_item.id);
}
check(created.length === 3, "created 3 items");

// update: JSON values, then a single column
const upd = await client.operations.changeMultipleColumnValuesOp({
  boardId: board.id,
  itemId: created[0],
  columnValues: JSON.stringify({ text_po: "PO-77", status: { label: "Shipped" }, numbers_qty: "12" }),
});
check(upd.change_multiple_column_values.id === created[0], "changeMultipleColumnValuesOp");
await client.operations.changeColumnValueOp({
  boardId: board.id,
  itemId: created[1],
  columnId: "text_po",
  value: JSON.stringify("PO-88"),
});
await client.operations.changeSimpleColumnValueOp({
  boardId: board.id,
  itemId: created[2],
  columnId: "status",
  value: "Delivered",
});

// read back
const items = await client.operations.getBoardItemsOp({ ids: [board.id] });
const byId = Object.fromEntries(items.boards[0].items_page.items.map((i) => [i.id, i]));
const po = (id) => JSON.parse(byId[id].column_values.find((c) => c.id === "text_po").value ?? "null");
check(po(created[0]) === "PO-77" && po(created[1]) === "PO-88", "read back the updates");

// page through with a cursor
let page = await client.request(
  `query ($ids: [ID!]) { boards(ids: $ids) { items_page(limit: 2) { cursor items { id name } } } }`,
  { ids: [board.id] },
);
let seen = page.boards[0].items_page.items.length;
let cursor = page.boards[0].items_page.cursor;
while (cursor) {
  const next = await client.request(
    `query ($c: String!) { next_items_page(cursor: $c, limit: 2) { cursor items { id } } }`,
    { c: cursor },
  );
  seen += next.next_items_page.items.length;
  cursor = next.next_items_page.cursor;
}
check(seen === 3, "paged through all 3 items");
console.log("PASS @mondaydotcomorg/api");
