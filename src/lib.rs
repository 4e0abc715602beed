//! `chatix-core`: the Chatix browser SDK.
//!
//! # Layout
//!
//! - [`core`]: the sans-I/O heart (chat state, ordering and dedupe, outbox, resume,
//!   unread counts, the events to emit, and the connection's state machine: when to
//!   connect, retry, ping, give a silent socket up, check or renew the session). Plain Rust, generic over the driver's message,
//!   user and chat types, unit-tested natively with `cargo test` and driven by the server's
//!   fault tests.
//! - `web` (wasm32 only): the JavaScript face. `ChatixCore` and `Chat` classes exported
//!   with wasm-bindgen (the methods that are one REST call each are specs in
//!   `web/handlers.js`, defined in JavaScript over one export that checks their arguments
//!   and runs them; a few more are JavaScript over one export each), the browser WebSocket and timers (opened, closed and run as the
//!   core's effects say), fetch and uploads, decoding frames from `JSON.parse`d values, the listener
//!   registry with the routing of events to `on(name)` and `onX` handlers, and the
//!   TypeScript declarations. Messages, users and chats stay JS objects there.
//!
//! In the browser the global allocator is `talc` (smaller than std's dlmalloc).
//!
//! The wire types come from `chatix-protocol` (built without its `json` feature: no
//! serde_json in the browser), shared with the server.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The browser build's allocator: Talc instead of std's dlmalloc, 1.7 KB smaller gzipped
/// (the SDK is one thread: no atomics).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
