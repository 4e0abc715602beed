//! `chatix-server`: the Chatix chat service. REST under `/v1`, one WebSocket per client at
//! `/v1/ws`, an embedded SQLite store by default (PostgreSQL by URL), in-process fan-out.
//!
//! # Layout
//!
//! Request path, outside in:
//!
//! - [`app`]: builds the state and the router, serves static pages, shuts down gracefully.
//! - [`api`]: REST handlers, one module per resource (thin: HTTP ↔ service call).
//! - [`ws`]: the socket endpoint and the per-connection frame loop (thin as well).
//! - [`auth`]: tokens (HS256 JWT), secret keys, passwords; the axum extractors.
//! - [`service`]: the rules (access, validation, what each call does and publishes), shared
//!   by REST and socket so a rule is written once.
//! - [`store`]: the storage trait and its SQL implementation (SQLite and PostgreSQL).
//! - [`hub`]: live fan-out to connections: per-chat rooms that deliver in sequence order,
//!   backfilling from the store on any gap.
//! - [`files`]: uploads: type sniffing, thumbnails, safe serving.
//! - [`limits`]: rate limiters and slow mode; [`client_ip`]: the address they count
//!   (trusted proxies). [`blocklist`]: a website's blocked words, matched per send.
//!   [`config`]: flags. [`demo`]: first-start demo website.
//! - [`error`]: `AppError`, the JSON error envelope. [`util`]: clock, ids, argument checks.
//!
//! The wire types live in the `chatix-protocol` crate, shared with the SDK.

pub mod api;
pub mod app;
pub mod auth;
pub mod blocklist;
pub mod client_ip;
pub mod config;
pub mod demo;
pub mod error;
pub mod files;
pub mod hub;
pub mod limits;
pub mod service;
pub mod state;
pub mod store;
pub mod util;
pub mod ws;

pub use app::{start, Running};
pub use config::Config;
