-- Idempotent sends: one message per (chat, sender, client id), as before, keyed by the
-- client id first. Keyed by chat first, every chat in a write batch had its own index page
-- written (a batch across 200 chats wrote about 200 pages of this index); the SDK's client
-- ids begin with their time, so new ones now land on the index's last pages. Partial:
-- sends without a client id (server-side senders) pay no index write.
DROP INDEX messages_by_client_id;
CREATE UNIQUE INDEX messages_by_client_id ON messages (client_id, chat_id, sender_id)
    WHERE client_id IS NOT NULL;
