-- Chatix schema, one file for both backends: it is written in the SQL that SQLite and
-- PostgreSQL share (TEXT, BIGINT, ON CONFLICT, RETURNING). Times are ms since the epoch;
-- booleans are 0/1 BIGINTs, so one set of queries and one row decoder serve both.

CREATE TABLE websites (
    id              TEXT PRIMARY KEY,          -- public id (wid_…)
    secret          TEXT NOT NULL UNIQUE,      -- admin key and token-signing secret (sk_…)
    name            TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,             -- JSON array of origins
    created_at      BIGINT NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    website_id          TEXT NOT NULL REFERENCES websites(id),
    username            TEXT NOT NULL,
    name                TEXT NOT NULL,
    avatar              TEXT,
    email               TEXT,
    metadata            TEXT NOT NULL,         -- JSON object, flat
    role                TEXT NOT NULL,         -- visitor | user | consultant
    password_hash       TEXT,                  -- consultants: argon2id PHC string
    visitor_secret_hash TEXT,                  -- visitors: argon2id of their resume secret
    last_active         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (website_id, username)
);

-- A deleted username, so that tokens minted before the deletion stay refused.
CREATE TABLE user_tombstones (
    website_id TEXT NOT NULL,
    username   TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (website_id, username)
);

CREATE TABLE chats (
    id               TEXT PRIMARY KEY,
    website_id       TEXT NOT NULL REFERENCES websites(id),
    kind             TEXT NOT NULL,            -- direct | group | conversation
    name             TEXT,
    avatar           TEXT,
    metadata         TEXT NOT NULL,
    visibility       TEXT NOT NULL,            -- public | private
    unique_key       TEXT,                     -- direct: pair of user ids; conversation: visitor id
    last_seq         BIGINT NOT NULL DEFAULT 0,-- the chat's sequence counter (messages and edits)
    last_activity_at BIGINT NOT NULL,
    created_by       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    deleted_at       BIGINT,
    UNIQUE (website_id, unique_key)
);
CREATE INDEX chats_by_site ON chats (website_id, kind, last_activity_at);

CREATE TABLE members (
    chat_id       TEXT NOT NULL REFERENCES chats(id),
    user_id       TEXT NOT NULL,
    joined_at     BIGINT NOT NULL,
    last_seen_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE files (
    id            TEXT PRIMARY KEY,            -- random: the download URL is a capability
    website_id    TEXT NOT NULL,
    uploader_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    mime          TEXT NOT NULL,
    size          BIGINT NOT NULL,
    kind          TEXT NOT NULL,               -- image | file
    has_thumbnail BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    chat_id     TEXT NOT NULL REFERENCES chats(id),
    seq         BIGINT NOT NULL,               -- position, from chats.last_seq, never reused
    rev         BIGINT NOT NULL,               -- seq of the last change (send, edit, delete)
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    file_id     TEXT,
    metadata    TEXT NOT NULL,
    whisper     BIGINT NOT NULL,
    sender_id   TEXT NOT NULL,
    sender_role TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    client_id   TEXT,
    reply_to    TEXT,
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT,
    deleted_at  BIGINT,
    UNIQUE (chat_id, seq)
);
-- Idempotent sends: one message per (chat, sender, client id). NULL client ids never clash.
CREATE UNIQUE INDEX messages_by_client_id ON messages (chat_id, sender_id, client_id);
CREATE INDEX messages_by_rev ON messages (chat_id, rev);
