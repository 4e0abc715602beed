//! `chatix-core`: the Chatix browser SDK.
//!
//! # Layout
//!
//! - [`core`]: the sans-I/O heart (chat state, ordering and dedupe, outbox, resume,
//!   unread counts, event dispatch). Plain Rust, unit-tested natively with `cargo test`.
//! - `web` (wasm32 only): the JavaScript face. `ChatixCore` and `Chat` classes exported
//!   with wasm-bindgen, the browser WebSocket (heartbeat, reconnect with backoff), fetch
//!   and uploads, the listener registry, and the TypeScript declarations.
//!
//! The wire types come from `chatix-protocol`, shared with the server.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;
