//! `chatix-protocol`: the wire types of Chatix, shared by the SDK (`chatix-core`) and the
//! server (`chatix-server`) so that the two can never disagree about a field.
//!
//! Everything here is plain serde data: no I/O, no async, no browser or server types.
//! JSON field names are camelCase; timestamps are milliseconds since the Unix epoch;
//! ids are opaque strings.
//!
//! # Layout
//!
//! - [`model`]: the resources (users, chats, members, messages, files) as the API returns them.
//! - [`rest`]: request and response bodies of the REST API under `/v1`.
//! - [`frame`]: the WebSocket frames of `/v1/ws`, both directions.
//! - [`close`]: the close codes of `/v1/ws`.
//! - [`error`]: the error envelope `{"error": {"code", "message"}}` and its stable codes.
//! - [`limits`]: the documented limits (frame size, message length, upload size, rates).
//! - [`metadata`]: the flat `string | number | boolean` map users attach to users, chats and
//!   messages.
//!
//! # Versioning
//!
//! [`PROTOCOL_VERSION`] is announced by the server in its `ready` frame. Additive changes
//! (a new optional field, a new frame type that old clients ignore) keep the version;
//! anything else bumps it.

pub mod close;
pub mod error;
pub mod frame;
pub mod limits;
pub mod metadata;
pub mod model;
pub mod rest;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use frame::{ClientFrame, ServerFrame};
pub use metadata::{MetaValue, Metadata};
pub use model::*;

/// Version of the wire protocol described by this crate.
pub const PROTOCOL_VERSION: u32 = 1;
