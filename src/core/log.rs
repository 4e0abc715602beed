//! `MessageLog`: one chat's cached messages, ordered by sequence number, deduplicated by
//! `seq` (a message's identity within its chat). The optimistic (pending) sends of this
//! client are not kept here: they have no `seq` yet.
//!
//! Everything that brings messages (live frames, resume replays, history pages, acks of our
//! own sends) goes through [`MessageLog::apply`], so ordering and dedupe are decided in one
//! place: a `seq` is stored once; a copy with a higher `rev` replaces it (an edit or a
//! delete); a copy with the same or a lower `rev` is a duplicate and changes nothing.

use chatix_protocol::Message;

/// What the core needs to know of a message: its place in the chat, its revision and who
/// sent it. The payload itself stays opaque (a JS object in the browser, the protocol's
/// `Message` in native tests and tools), so the core never copies a message's content.
pub trait Msg: Clone + std::fmt::Debug + PartialEq {
    /// The chat it belongs to.
    fn chat_id(&self) -> &str;
    /// Position in the chat (its identity there: never reused).
    fn seq(&self) -> i64;
    /// Revision (equals `seq` until edited or deleted).
    fn rev(&self) -> i64;
    /// Sender's user id.
    fn sender_id(&self) -> &str;
    /// A tombstone.
    fn deleted(&self) -> bool;
    /// A thread reply not shown in the chat: it is not in the chat's log or unread count.
    fn thread_only(&self) -> bool;
    /// Heap bytes held outside the value itself, as far as the core can tell.
    fn heap_bytes(&self) -> usize {
        0
    }
    /// A frame leaves `ownReactions` out where the receiver's own did not change: a newer
    /// copy without them keeps those of the copy it replaces (none once nobody reacts).
    fn keep_own_reactions(&mut self, old: &Self);
}

impl Msg for Message {
    fn chat_id(&self) -> &str {
        &self.chat_id
    }
    fn seq(&self) -> i64 {
        self.seq
    }
    fn rev(&self) -> i64 {
        self.rev
    }
    fn sender_id(&self) -> &str {
        &self.sender_id
    }
    fn deleted(&self) -> bool {
        self.deleted
    }
    fn thread_only(&self) -> bool {
        self.parent_id.is_some() && !self.show_in_chat
    }
    fn keep_own_reactions(&mut self, old: &Self) {
        if self.own_reactions.is_none() && !self.reactions.is_empty() {
            self.own_reactions = old.own_reactions.clone();
        }
    }
    fn heap_bytes(&self) -> usize {
        self.id.len()
            + self.chat_id.len()
            + self.text.len()
            + self.sender_id.len()
            + self.sender_name.len()
            + self.client_id.as_ref().map_or(0, String::len)
    }
}

/// What applying a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// A message we did not have.
    Inserted,
    /// A newer revision of a message we had (edit or delete).
    Replaced,
    /// Nothing new (same or older revision).
    Duplicate,
}

/// One chat's messages, in a vector sorted by `seq` (live messages arrive in order, so an
/// insert is nearly always a push; no per-entry tree node).
#[derive(Debug, Clone)]
pub struct MessageLog<M = Message> {
    /// Messages by `seq`, tombstones included (so a late copy of a deleted message cannot
    /// bring it back).
    by_seq: Vec<M>,
    /// Highest `rev` seen: the resume cursor.
    max_rev: i64,
    /// The oldest page has been loaded (no older history exists).
    pub reached_start: bool,
}

impl<M> Default for MessageLog<M> {
    fn default() -> Self {
        MessageLog {
            by_seq: Vec::new(),
            max_rev: 0,
            reached_start: false,
        }
    }
}

impl<M: Msg> MessageLog<M> {
    fn find(&self, seq: i64) -> Result<usize, usize> {
        match self.by_seq.last() {
            Some(last) if last.seq() < seq => Err(self.by_seq.len()),
            None => Err(0),
            _ => self.by_seq.binary_search_by_key(&seq, Msg::seq),
        }
    }

    /// Applies one message.
    pub fn apply(&mut self, m: M) -> Applied {
        self.max_rev = self.max_rev.max(m.rev());
        match self.find(m.seq()) {
            Ok(i) => {
                if m.rev() > self.by_seq[i].rev() {
                    self.by_seq[i] = m;
                    Applied::Replaced
                } else {
                    Applied::Duplicate
                }
            }
            Err(i) => {
                self.by_seq.insert(i, m);
                Applied::Inserted
            }
        }
    }

    /// Merges a page of history (any order); returns how many messages were new.
    pub fn merge_page(&mut self, page: Vec<M>) -> usize {
        page.into_iter()
            .filter(|m| self.apply(m.clone()) == Applied::Inserted)
            .count()
    }

    /// A message by `seq`.
    pub fn get(&self, seq: i64) -> Option<&M> {
        self.find(seq).ok().map(|i| &self.by_seq[i])
    }

    /// Live (not deleted) messages in order.
    pub fn live(&self) -> impl DoubleEndedIterator<Item = &M> {
        self.by_seq.iter().filter(|m| !m.deleted())
    }

    /// Number of live messages cached.
    pub fn len(&self) -> usize {
        self.live().count()
    }

    /// Whether no live message is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Highest `rev` seen (0 when empty): where a resume starts.
    pub fn cursor(&self) -> i64 {
        self.max_rev
    }

    /// Raises the cursor without a message (a subscription ack says the chat is at `rev`).
    pub fn advance(&mut self, rev: i64) {
        self.max_rev = self.max_rev.max(rev);
    }

    /// Oldest cached `seq`.
    pub fn oldest_seq(&self) -> Option<i64> {
        self.by_seq.first().map(Msg::seq)
    }

    /// Sequence numbers missing between the oldest and the newest cached message. For staff
    /// every hole is a missing message; other readers also see holes where whispers are.
    pub fn holes(&self) -> Vec<i64> {
        let (Some(lo), Some(hi)) = (self.by_seq.first(), self.by_seq.last()) else {
            return Vec::new();
        };
        (lo.seq()..=hi.seq())
            .filter(|s| self.find(*s).is_err())
            .collect()
    }

    /// Forgets everything (after the server reported a gap it cannot fill).
    pub fn clear(&mut self) {
        *self = MessageLog::default();
    }

    /// Approximate bytes held (for the memory benchmark): the vector's capacity and what
    /// each message says it holds besides.
    pub fn approx_bytes(&self) -> usize {
        self.by_seq.capacity() * std::mem::size_of::<M>()
            + self.by_seq.iter().map(Msg::heap_bytes).sum::<usize>()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chatix_protocol::{MessageKind, Metadata, Role};

    pub fn msg(id: &str, seq: i64, rev: i64, text: &str) -> Message {
        Message {
            id: id.into(),
            chat_id: "c".into(),
            seq,
            rev,
            kind: MessageKind::Text,
            text: text.into(),
            file: None,
            metadata: Metadata::new(),
            whisper: false,
            sender_id: "u1".into(),
            sender_role: Role::User,
            sender_name: "U".into(),
            client_id: None,
            reply_to: None,
            quote: None,
            parent_id: None,
            show_in_chat: false,
            reply_count: 0,
            last_reply_at: None,
            mentions: Vec::new(),
            created_at: seq,
            edited_at: None,
            deleted: false,
            reactions: Default::default(),
            own_reactions: None,
            pinned: None,
        }
    }

    fn texts(l: &MessageLog) -> Vec<String> {
        l.live().map(|m| m.text.clone()).collect()
    }

    #[test]
    fn out_of_order_arrivals_are_kept_in_sequence_order() {
        let mut l = MessageLog::default();
        for (id, seq) in [("c", 3), ("a", 1), ("b", 2)] {
            assert_eq!(l.apply(msg(id, seq, seq, id)), Applied::Inserted);
        }
        assert_eq!(texts(&l), ["a", "b", "c"]);
        assert_eq!(l.cursor(), 3);
    }

    #[test]
    fn duplicates_change_nothing_and_newer_revisions_replace() {
        let mut l = MessageLog::default();
        l.apply(msg("a", 1, 1, "hi"));
        assert_eq!(l.apply(msg("a", 1, 1, "hi")), Applied::Duplicate);
        assert_eq!(l.apply(msg("a", 1, 4, "hello")), Applied::Replaced);
        assert_eq!(
            l.apply(msg("a", 1, 2, "stale")),
            Applied::Duplicate,
            "an older edit"
        );
        assert_eq!(texts(&l), ["hello"]);
        let mut tomb = msg("a", 1, 5, "");
        tomb.deleted = true;
        assert_eq!(l.apply(tomb), Applied::Replaced);
        assert!(l.is_empty());
        assert_eq!(
            l.apply(msg("a", 1, 1, "hi")),
            Applied::Duplicate,
            "a late copy does not resurrect it"
        );
        assert!(l.is_empty());
    }

    #[test]
    fn merging_overlapping_pages_leaves_no_duplicates_and_no_holes() {
        let mut l = MessageLog::default();
        // live messages 26..=30 arrived first
        for s in 26..=30 {
            l.apply(msg(&format!("m{s}"), s, s, &format!("{s}")));
        }
        // page 1 (newest 25) overlaps them; page 2 the 25 before
        let page1: Vec<_> = (6..=30)
            .map(|s| msg(&format!("m{s}"), s, s, &format!("{s}")))
            .collect();
        let page2: Vec<_> = (1..=5)
            .rev()
            .map(|s| msg(&format!("m{s}"), s, s, &format!("{s}")))
            .collect();
        assert_eq!(l.merge_page(page1), 20);
        assert_eq!(l.merge_page(page2), 5);
        assert_eq!(l.len(), 30);
        assert!(l.holes().is_empty());
        assert_eq!(texts(&l).first().map(String::as_str), Some("1"));
        assert_eq!(l.oldest_seq(), Some(1));
    }

    #[test]
    fn a_missing_page_shows_as_holes() {
        let mut l = MessageLog::default();
        l.merge_page(vec![msg("a", 1, 1, "a"), msg("d", 4, 4, "d")]);
        assert_eq!(l.holes(), [2, 3]);
    }
}
