// Drives monday-sdk-js (server side), unmodified, against a mock-monday server. The SDK builds
// its URL from MONDAY_COM_PROTOCOL / MONDAY_SUBDOMAIN_API / MONDAY_COM_DOMAIN when
// NODE_ENV=development; this script sets them from MONDAY_API_URL.
// Usage: MONDAY_API_URL=http://127.0.0.1:PORT/v2 node node_sdk_js.js
const url = new URL(process.env.MONDAY_API_URL ?? "http://127.0.0.1:8080/v2");
process.env.NODE_ENV = "development";
process.env.MONDAY_COM_PROTOCOL = url.protocol.replace(":", "");
process.env.MONDAY_SUBDOMAIN_API = "";
process.env.MONDAY_COM_DOMAIN = url.host;

const mondaySdk = require("monday-sdk-js");

function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

(async () => {
  const monday = mondaySdk();
  monday.setToken(process.env.MONDAY_API_TOKEN ?? "published-client-token");
  if (process.env.MONDAY_API_VERSION) monday.setApiVersion(process.env.MONDAY_API_VERSION);
  const q = async (query, variables) => {
    const r = await monday.api(query, { variables });
    if (r.errors || r.error_code) throw new Error(JSON.stringify(r));
    return r.data;
  };
  const boards = await q("query { boards { id name permissions board_kind columns { id type } groups { id } } }");
  const board = boards.boards.find((b) => b.name === "Order List");
  check(board, "found the board");
  check(board.columns.some((c) => c.id === "status"), "read the columns");
  const ids = [];
  for (const n of [1, 2, 3]) {
    const r = await q(
      "mutation ($b: ID!, $n: String!, $v: JSON) { create_item(board_id: $b, item_name: $n, column_values: $v) { id } }",
      { b: board.id, n: `sdk item ${n}`, v: JSON.stringify({ text_po: `PO-${n}`, status: { label: "New" } }) },
    );
    ids.push(r.create_item.id);
  }
  check(ids.length === 3, "created 3 items");
  const back = await q("query ($i: [ID!]) { items(ids: $i) { id name column_values(ids: [\"text_po\"]) { text } } }", { i: ids });
  check(back.items.map((i) => i.column_values[0].text).join() === "PO-1,PO-2,PO-3", "read back");
  let page = await q("query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 2) { cursor items { id } } } }", { b: [board.id] });
  let seen = page.boards[0].items_page.items.length;
  let cursor = page.boards[0].items_page.cursor;
  while (cursor) {
    const next = await q("query ($c: String!) { next_items_page(cursor: $c) { cursor items { id } } }", { c: cursor });
    seen += next.next_items_page.items.length;
    cursor = next.next_items_page.cursor;
  }
  check(seen === 3, "paged");
  await q(
    "mutation ($b: ID!, $i: ID!) { change_column_value(board_id: $b, item_id: $i, column_id: \"status\", value: \"{\\\"label\\\":\\\"Shipped\\\"}\") { id } }",
    { b: board.id, i: ids[0] },
  );
  check(true, "updated");
  console.log("PASS monday-sdk-js");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
