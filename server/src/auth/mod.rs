//! Identity: who is calling, and how they proved it.
//!
//! - [`tokens`]: the HS256 JWTs (format documented in the README) that app backends sign for
//!   their users, and that the server itself issues to visitors and consultants.
//! - [`resolve`]: turns a verified token into a [`Session`] (user looked up, role checked,
//!   deleted users refused) and an admin key into an [`Actor::Admin`].
//! - [`extract`]: the axum extractors handlers use: [`Session`], [`Actor`], [`AdminKey`].
//! - [`passwords`]: argon2id hashing of consultant passwords; SHA-256 of visitor secrets.

pub mod extract;
pub mod passwords;
pub mod resolve;
pub mod tokens;

use chatix_protocol::Role;
use std::sync::Arc;

use crate::store::{UserRecord, Website};

/// An authenticated user of one website.
#[derive(Debug, Clone)]
pub struct Session {
    /// The website the token was signed for.
    pub website: Arc<Website>,
    /// The user, as stored.
    pub user: UserRecord,
}

impl Session {
    /// The user's id.
    pub fn user_id(&self) -> &str {
        &self.user.user.id
    }
    /// The user's role.
    pub fn role(&self) -> Role {
        self.user.user.role
    }
}

/// Whoever makes a request: a user with a token, or the website's backend with its key.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A user session (visitor, app user or consultant).
    User(Box<Session>),
    /// The website's secret key: full rights on that website, no user identity.
    Admin(Arc<Website>),
}

impl Actor {
    /// The website acted on.
    pub fn website(&self) -> &Website {
        match self {
            Actor::User(s) => &s.website,
            Actor::Admin(w) => w,
        }
    }
    /// The acting user's id (none for the admin key).
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Actor::User(s) => Some(s.user_id()),
            Actor::Admin(_) => None,
        }
    }
    /// The acting user's role (none for the admin key).
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::User(s) => Some(s.role()),
            Actor::Admin(_) => None,
        }
    }
    /// Consultants and the admin key: see whispers, every chatroom and conversation.
    pub fn is_staff(&self) -> bool {
        match self {
            Actor::User(s) => s.role().is_staff(),
            Actor::Admin(_) => true,
        }
    }
    /// The admin key.
    pub fn is_admin(&self) -> bool {
        matches!(self, Actor::Admin(_))
    }
    /// The admin key, or a consultant with the `admin` permission (the website owner's
    /// console): may restore chatrooms and make visitors members of private ones.
    pub fn can_administer(&self) -> bool {
        match self {
            Actor::User(s) => s.role().is_staff() && s.user.can_admin,
            Actor::Admin(_) => true,
        }
    }
    /// The session, if a user acts.
    pub fn session(&self) -> Option<&Session> {
        match self {
            Actor::User(s) => Some(s),
            Actor::Admin(_) => None,
        }
    }
}

impl From<Session> for Actor {
    fn from(s: Session) -> Actor {
        Actor::User(Box::new(s))
    }
}
