// A chatroom list, a chat with live messages, a typing line and a send box, and the
// connection state: each part re-renders only when what it shows changes (window.renders
// counts the renders, for the test).
import React, { useState } from 'react';
import { useChat, useChatrooms, useConnectionState } from 'chatix-core/react';

window.renders = { state: 0, rooms: 0, chat: 0 };

function ConnectionBadge() {
  window.renders.state++;
  const state = useConnectionState();
  return <p data-testid="state">{state}</p>;
}

function Rooms({ onOpen }) {
  window.renders.rooms++;
  const { chatrooms, loading } = useChatrooms();
  if (loading) return <p>Loading chatrooms…</p>;
  return (
    <ul data-testid="rooms">
      {chatrooms.map((r) => <li key={r.id}><button onClick={() => onOpen(r.id)}>{r.name ?? r.id}</button></li>)}
    </ul>
  );
}

function ChatView({ chatId }) {
  window.renders.chat++;
  const { messages, typing, unread, loading, error, send, startTyping, stopTyping } = useChat(chatId);
  const [text, setText] = useState('');
  if (error) return <p role="alert">{error.code}: {error.message}</p>;
  if (loading) return <p>Loading…</p>;
  return (
    <section>
      <ol data-testid="messages">
        {messages.map((m) => <li key={m.id} data-seq={m.seq}>{m.deleted ? '(deleted)' : m.text}</li>)}
      </ol>
      <p data-testid="typing">{typing.length ? `${typing.length} typing…` : ''}</p>
      <p data-testid="unread">{unread}</p>
      <form onSubmit={(e) => {
        e.preventDefault();
        if (!text) return;
        send(text).then(() => { setText(''); stopTyping().catch(() => {}); });
      }}>
        <input aria-label="message" value={text} onChange={(e) => { setText(e.target.value); startTyping().catch(() => {}); }} />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}

export function App({ initialChat }) {
  const [chatId, setChatId] = useState(initialChat);
  return (
    <main>
      <ConnectionBadge />
      <Rooms onOpen={setChatId} />
      {chatId ? <><button onClick={() => setChatId(null)}>Close chat</button><ChatView chatId={chatId} /></> : null}
    </main>
  );
}
