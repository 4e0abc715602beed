//! The rules: what each kind of caller may do, and what happens when they do it.
//!
//! REST handlers (`api/`) and socket frames (`ws/`) are thin: both call these functions,
//! so a rule is written once and holds on every path. Each function checks access,
//! validates its arguments, writes through the [`crate::store::Store`], and publishes the
//! resulting events to the [`crate::hub::Hub`].
//!
//! - [`access`]: who may see and use a chat.
//! - [`views`]: the public shape of users and chats, as one caller sees them.
//! - [`users`]: users, visitors, consultants and sessions.
//! - [`chats`]: direct chats, groups (chatrooms), conversations, members.
//! - [`messages`]: sending, editing, deleting, history, seen marks, typing.
//! - [`mentions`]: who a message mentions, and what they hear.
//! - [`search`]: message search, by the same access rules.
//! - [`moderation`]: mutes, bans and the reports queue.

pub mod access;
pub mod chats;
pub mod mentions;
pub mod messages;
pub mod moderation;
pub mod search;
pub mod users;
pub mod views;
