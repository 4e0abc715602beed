//! `MessageLog`: one chat's cached messages, ordered by sequence number, deduplicated by id,
//! with the optimistic (pending) sends of this client beside them.
//!
//! Everything that brings messages (live frames, resume replays, history pages, acks of our
//! own sends) goes through [`MessageLog::apply`], so ordering and dedupe are decided in one
//! place: a message id is stored once; a copy with a higher `rev` replaces it (an edit or a
//! delete); a copy with the same or a lower `rev` is a duplicate and changes nothing.

use chatix_protocol::Message;
use std::collections::{BTreeMap, HashMap};

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

/// One chat's messages.
#[derive(Debug, Default, Clone)]
pub struct MessageLog {
    /// Messages by `seq`, tombstones included (so a late copy of a deleted message cannot
    /// bring it back).
    by_seq: BTreeMap<i64, Message>,
    /// `id` → `seq`.
    ids: HashMap<String, i64>,
    /// Highest `rev` seen: the resume cursor.
    max_rev: i64,
    /// The oldest page has been loaded (no older history exists).
    pub reached_start: bool,
}

impl MessageLog {
    /// Applies one message.
    pub fn apply(&mut self, m: Message) -> Applied {
        self.max_rev = self.max_rev.max(m.rev);
        match self.ids.get(&m.id) {
            Some(seq) => {
                let cur = &self.by_seq[seq];
                if m.rev > cur.rev {
                    self.by_seq.insert(m.seq, m);
                    Applied::Replaced
                } else {
                    Applied::Duplicate
                }
            }
            None => {
                self.ids.insert(m.id.clone(), m.seq);
                self.by_seq.insert(m.seq, m);
                Applied::Inserted
            }
        }
    }

    /// Merges a page of history (any order); returns how many messages were new.
    pub fn merge_page(&mut self, page: Vec<Message>) -> usize {
        page.into_iter()
            .filter(|m| self.apply(m.clone()) == Applied::Inserted)
            .count()
    }

    /// A message by id.
    pub fn get(&self, id: &str) -> Option<&Message> {
        self.ids.get(id).and_then(|s| self.by_seq.get(s))
    }

    /// Live (not deleted) messages in order.
    pub fn live(&self) -> impl Iterator<Item = &Message> {
        self.by_seq.values().filter(|m| !m.deleted)
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
        self.by_seq.keys().next().copied()
    }

    /// Sequence numbers missing between the oldest and the newest cached message. For staff
    /// every hole is a missing message; other readers also see holes where whispers are.
    pub fn holes(&self) -> Vec<i64> {
        let (Some(&lo), Some(&hi)) = (self.by_seq.keys().next(), self.by_seq.keys().next_back())
        else {
            return Vec::new();
        };
        (lo..=hi).filter(|s| !self.by_seq.contains_key(s)).collect()
    }

    /// Forgets everything (after the server reported a gap it cannot fill).
    pub fn clear(&mut self) {
        *self = MessageLog::default();
    }

    /// Approximate heap bytes held (for the memory benchmark).
    pub fn approx_bytes(&self) -> usize {
        self.by_seq
            .values()
            .map(|m| {
                std::mem::size_of::<Message>()
                    + m.id.len()
                    + m.chat_id.len()
                    + m.text.len()
                    + m.sender_id.len()
                    + m.sender_name.len()
                    + m.client_id.as_ref().map_or(0, String::len)
                    + 64
            })
            .sum()
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
            created_at: seq,
            edited_at: None,
            deleted: false,
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
