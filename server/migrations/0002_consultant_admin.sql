-- Consultants with the `admin` permission (the website owner's console): they may restore
-- deleted chatrooms and make visitors members of private chatrooms, as the secret key may.
ALTER TABLE users ADD COLUMN can_admin BIGINT NOT NULL DEFAULT 0;
