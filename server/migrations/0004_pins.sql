-- Pinned messages: who pinned a message and when (both NULL when it is not pinned).
-- Pinning gives the message the chat's next rev, like an edit.
ALTER TABLE messages ADD COLUMN pinned_at BIGINT;
ALTER TABLE messages ADD COLUMN pinned_by TEXT;
