-- Threads. A thread reply names its parent (a message of the same chat that is not itself a
-- thread reply); it is in the chat's history only when show_in_chat is 1. The parent keeps
-- its thread's live reply count and newest reply time, recounted from the replies on every
-- reply and every deletion of one (so a count is never adrift for longer than one change).
ALTER TABLE messages ADD COLUMN parent_id TEXT;
ALTER TABLE messages ADD COLUMN show_in_chat INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at BIGINT;
CREATE INDEX messages_thread ON messages (parent_id, seq) WHERE parent_id IS NOT NULL;
