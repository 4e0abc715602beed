//! The outbox: sends that have not been confirmed by the server yet.
//!
//! A send gets a client id when it is made and keeps it through every retry, so the server
//! stores it once however many times it is transmitted. States:
//!
//! ```text
//! queued ──(socket open)──▶ in flight ──(ack)──▶ confirmed (removed)
//!   ▲                          │
//!   └──(socket lost, or rate limited)
//!                              └──(refused: bad input, forbidden…)──▶ failed (removed)
//! ```

use chatix_protocol::rest::SendMessageRequest;
use chatix_protocol::{ApiError, ErrorCode};
use std::collections::VecDeque;

/// Where a send stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendState {
    /// Waiting for an open socket.
    Queued,
    /// Written to the socket as request `id`; waiting for its ack.
    InFlight(u64),
}

/// One pending send.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The chat.
    pub chat_id: String,
    /// The request, with its client id set.
    pub req: SendMessageRequest,
    /// State.
    pub state: SendState,
}

impl Pending {
    /// The client id (always set by [`Outbox::push`]).
    pub fn client_id(&self) -> &str {
        self.req.client_id.as_deref().unwrap_or("")
    }
}

/// Whether an error means "try again later" rather than "this send is wrong".
/// A refusal in a chatroom's slow mode is not: it would wait seconds to minutes, so the send
/// fails and the app shows the wait the message gives.
pub fn retryable(e: &ApiError) -> bool {
    if e.code == ErrorCode::RateLimited
        && e.message
            .starts_with(chatix_protocol::error::SLOW_MODE_REFUSAL)
    {
        return false;
    }
    matches!(
        e.code,
        ErrorCode::RateLimited
            | ErrorCode::Unavailable
            | ErrorCode::Network
            | ErrorCode::Timeout
            | ErrorCode::Internal
    )
}

/// The pending sends, oldest first.
#[derive(Debug, Default, Clone)]
pub struct Outbox {
    items: VecDeque<Pending>,
}

impl Outbox {
    /// Queues a send; `client_id` becomes its idempotency key.
    pub fn push(
        &mut self,
        chat_id: &str,
        mut req: SendMessageRequest,
        client_id: String,
    ) -> &Pending {
        req.client_id = Some(client_id);
        self.items.push_back(Pending {
            chat_id: chat_id.to_owned(),
            req,
            state: SendState::Queued,
        });
        self.items.back().expect("just pushed")
    }

    /// Marks every queued send in flight with ids from `next_id`, in order; returns them.
    pub fn take_queued(&mut self, mut next_id: impl FnMut() -> u64) -> Vec<(u64, Pending)> {
        let mut out = Vec::new();
        for p in self
            .items
            .iter_mut()
            .filter(|p| p.state == SendState::Queued)
        {
            let id = next_id();
            p.state = SendState::InFlight(id);
            out.push((id, p.clone()));
        }
        out
    }

    /// The send that request `id` carried, removed (confirmed).
    pub fn confirm(&mut self, id: u64) -> Option<Pending> {
        let i = self
            .items
            .iter()
            .position(|p| p.state == SendState::InFlight(id))?;
        self.items.remove(i)
    }

    /// Request `id` was refused. A retryable error puts the send back in the queue (returns
    /// `None`); any other removes it and returns it as failed.
    pub fn refuse(&mut self, id: u64, e: &ApiError) -> Option<Pending> {
        let i = self
            .items
            .iter()
            .position(|p| p.state == SendState::InFlight(id))?;
        if retryable(e) {
            self.items[i].state = SendState::Queued;
            None
        } else {
            self.items.remove(i)
        }
    }

    /// The socket closed: whatever was in flight may or may not have been stored; it goes
    /// back to the queue and will be sent again with the same client id.
    pub fn requeue_in_flight(&mut self) {
        for p in &mut self.items {
            p.state = SendState::Queued;
        }
    }

    /// Whether request `id` is one of ours.
    pub fn owns(&self, id: u64) -> bool {
        self.items
            .iter()
            .any(|p| p.state == SendState::InFlight(id))
    }

    /// All pending sends.
    pub fn iter(&self) -> impl Iterator<Item = &Pending> {
        self.items.iter()
    }

    /// Number of pending sends.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Drops every pending send (on stop); returns them so their callers can be told.
    pub fn drain(&mut self) -> Vec<Pending> {
        self.items.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(t: &str) -> SendMessageRequest {
        SendMessageRequest {
            text: Some(t.into()),
            ..Default::default()
        }
    }

    #[test]
    fn queued_sends_go_out_in_order_and_keep_their_client_id_across_retries() {
        let mut o = Outbox::default();
        o.push("c", req("a"), "k1".into());
        o.push("c", req("b"), "k2".into());
        let mut n = 0;
        let first = o.take_queued(|| {
            n += 1;
            n
        });
        assert_eq!(
            first
                .iter()
                .map(|(id, p)| (*id, p.client_id().to_owned()))
                .collect::<Vec<_>>(),
            [(1, "k1".into()), (2, "k2".into())]
        );
        assert!(
            o.take_queued(|| 99).is_empty(),
            "nothing is sent twice on one socket"
        );
        o.requeue_in_flight();
        let again = o.take_queued(|| {
            n += 1;
            n
        });
        assert_eq!(
            again.iter().map(|(_, p)| p.client_id()).collect::<Vec<_>>(),
            ["k1", "k2"]
        );
        assert!(!o.owns(1), "old request ids are forgotten");
        assert_eq!(o.confirm(3).unwrap().client_id(), "k1");
        assert_eq!(o.len(), 1);
    }

    #[test]
    fn refusals_fail_or_requeue_by_error_kind() {
        let mut o = Outbox::default();
        o.push("c", req("a"), "k1".into());
        o.push("c", req("b"), "k2".into());
        o.take_queued({
            let mut n = 0;
            move || {
                n += 1;
                n
            }
        });
        let limited = ApiError::new(ErrorCode::RateLimited, "slow down");
        assert!(o.refuse(1, &limited).is_none());
        assert_eq!(o.iter().next().unwrap().state, SendState::Queued);
        let bad = ApiError::new(ErrorCode::Forbidden, "no");
        assert_eq!(o.refuse(2, &bad).unwrap().client_id(), "k2");
        assert_eq!(o.len(), 1);
    }
}
