//! `mock-monday`: a simulator of the monday.com GraphQL API.
pub mod graphql;
pub mod store;
pub mod version;
