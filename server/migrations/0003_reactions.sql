-- Reactions: one row per (message, user, reaction). The message keeps its counts as a JSON
-- object (`{"👍": 2}`), written in the transaction that changes a row here, so history,
-- search and the socket's replay read them without a join.
CREATE TABLE reactions (
    chat_id     TEXT NOT NULL REFERENCES chats(id),
    message_id  TEXT NOT NULL REFERENCES messages(id),
    user_id     TEXT NOT NULL,
    reaction    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id, reaction)
);
ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '{}';
