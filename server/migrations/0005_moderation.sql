-- Moderation. A sanction is a mute or a ban of one user, in one chat or (chat_id '') on the
-- whole website, until a time (NULL: until lifted). An expired row is not in force; setting
-- a sanction again replaces it.
CREATE TABLE sanctions (
    website_id  TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    until       BIGINT,
    reason      TEXT NOT NULL,
    created_by  TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (website_id, chat_id, user_id, kind)
);
-- Reports: a flagged message (subject = the message id) or a reported user (subject = the
-- user id), queued for consultants until resolved. `excerpt` keeps the flagged text as it
-- was, so a later edit or deletion does not hide what was reported.
CREATE TABLE reports (
    id           TEXT PRIMARY KEY,
    website_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    chat_id      TEXT,
    target_id    TEXT NOT NULL,
    reporter_id  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    excerpt      TEXT,
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT,
    resolved_by  TEXT,
    resolution   TEXT
);
CREATE INDEX reports_by_website ON reports (website_id, created_at);
-- Slow mode: seconds a visitor or app user waits between two messages in a chatroom
-- (0: off).
ALTER TABLE chats ADD COLUMN slow_mode BIGINT NOT NULL DEFAULT 0;
-- A website's blocklist of words (a JSON array) and what a match does: `reject` the
-- message or `mask` the word.
CREATE TABLE blocklists (
    website_id  TEXT PRIMARY KEY,
    words       TEXT NOT NULL,
    mode        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- A reply's quote of the message it replies to, as it was then (JSON: senderId,
-- senderName, text).
ALTER TABLE messages ADD COLUMN quote TEXT;
