// The example's entry: one ChatixCore for the page, given to the React tree by
// ChatixProvider. Query string: `server` (default: this page's origin), `website` (the
// website id), `token` (an app user's token; without one the page is an anonymous
// visitor) and `chat` (a chat to open at once).
import React from 'react';
import { createRoot } from 'react-dom/client';
import init, { ChatixCore } from 'chatix-core';
import { ChatixProvider } from 'chatix-core/react';
import { App } from './App.jsx';

async function main() {
  await init();
  const q = new URLSearchParams(location.search);
  const core = new ChatixCore(q.get('website') ?? '', {
    serverUrl: q.get('server') ?? location.origin,
    ...(q.get('token') ? { token: q.get('token') } : {}),
  });
  window.chatixCore = core;
  window.states = [];
  core.on('connectionStateChanged', (s) => window.states.push(s));
  await core.start();
  createRoot(document.getElementById('root')).render(
    <ChatixProvider core={core}>
      <App initialChat={q.get('chat')} />
    </ChatixProvider>,
  );
}
main().catch((e) => { document.body.textContent = `${e.code ?? ''} ${e.message}`; });
