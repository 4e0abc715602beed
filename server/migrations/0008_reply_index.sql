-- The replies that quote a message, found when it is deleted (its text then leaves their
-- quotes). Partial: messages that are not replies pay no index write.
CREATE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to IS NOT NULL;
