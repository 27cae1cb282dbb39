//! `monday-sync`: the production batch sync of order-list records into a monday.com board.
pub mod transport;
