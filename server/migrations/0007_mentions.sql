-- Mentions. A message keeps the usernames it mentions as a JSON array (NULL when none), so
-- history, search and the socket's replay read them without a join; one row per mentioned
-- user here, written in the message's own insert, serves the mentioned user's count of
-- unseen mentions per chat and their list of the messages that mention them.
ALTER TABLE messages ADD COLUMN mentions TEXT;
CREATE TABLE mentions (
    user_id TEXT NOT NULL,
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq     BIGINT NOT NULL,
    PRIMARY KEY (user_id, chat_id, seq)
);
