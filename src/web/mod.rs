//! The JavaScript face of the SDK (wasm32 only) around [`crate::core`]. It owns the
//! socket, timers, fetch and listeners; messages, users and chats stay JS objects.
//!
//! - [`api`]: the `ChatixCore` class (every method of API.md, as Promises), one file per
//!   resource (visitors, users, chats, chatrooms, conversation).
//! - [`chat`]: the `Chat` class (a chat's methods and per-chat events).
//! - [`ops`]: what both classes run: uploads, sends, history, the visitor's conversation
//!   (so that neither class module imports the other's).
//! - [`client`]: what they share: the socket and the timers, the session token and the
//!   calls that renew it, carrying out the core's effects (when to connect, retry, ping or
//!   check the session is decided in [`crate::core::conn`]).
//! - [`endpoints`]: the methods that are one REST call each, described as data (a line of
//!   `handlers.js` each) and run by one export per class (`__rest`).
//! - [`dispatch`]: core events → `on(name)` listeners and `onX` handlers.
//! - [`http`]: REST over fetch with timeouts; uploads with progress.
//! - [`listeners`], [`handlers`]: the two event styles (the `onX` properties themselves are
//!   JavaScript accessors, `handlers.js`, bundled into the glue with the REST methods and
//!   `Chat`'s read-only fields). [`js`]: conversions and
//!   errors.
//! - [`wire`]: frames from `JSON.parse`d values, batches, message objects; [`body`]: what
//!   the SDK sends, written as JS objects.
//! - [`promise`]: Promise helpers (a bad argument is a rejected Promise; one boxed state
//!   machine runs every method's future). [`storage`]: the remembered visitor. [`types`]: the
//!   TypeScript declarations of the data shapes.

pub mod api;
pub mod body;
pub mod chat;
pub mod client;
pub mod dispatch;
pub mod endpoints;
pub mod handlers;
pub mod http;
pub mod js;
pub mod listeners;
pub mod ops;
pub mod promise;
pub mod storage;
pub mod types;
pub mod wire;

pub use api::ChatixCore;
pub use chat::ChatHandle;
