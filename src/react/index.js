// chatix-core/react: React bindings for the SDK. They take the ChatixCore object from a
// provider, so they work with either build (`chatix-core` or `chatix-core/bundler`), and
// import nothing of the SDK at run time. Each hook subscribes to the events it shows and
// nothing else (a message in one chat re-renders only the components showing that chat),
// and removes its listeners on unmount. A chat a hook connects stays followed by the core
// after unmount (the core may follow it anyway: an app user's recent chats, `onChat`);
// call `chat.disconnect()` yourself to stop its events.
import { createContext, createElement, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';

const CoreContext = createContext(null);

/** `<ChatixProvider core={core}>`: the ChatixCore the hooks below use. */
export function ChatixProvider({ core, children }) {
  if (!core) throw new TypeError('ChatixProvider needs a core: <ChatixProvider core={new ChatixCore(...)}>');
  return createElement(CoreContext.Provider, { value: core }, children);
}

/** The ChatixCore of the nearest ChatixProvider. */
export function useChatix() {
  const core = useContext(CoreContext);
  if (!core) throw new Error('useChatix: no <ChatixProvider core={…}> above this component');
  return core;
}

/** The connection state (`connecting`, `open`, `reconnecting`, `closed`), live. */
export function useConnectionState() {
  const core = useChatix();
  const subscribe = useCallback((changed) => core.on('connectionStateChanged', changed), [core]);
  return useSyncExternalStore(subscribe, () => core.connectionState);
}

function sameChats(a, b) {
  return a.length === b.length && a.every((c, i) => c.id === b[i].id && c.updatedAt === b[i].updatedAt
    && c.lastSeq === b[i].lastSeq && c.memberCount === b[i].memberCount && c.unread === b[i].unread);
}

/** The chatrooms the user may see: `{ chatrooms, loading, error, reload }`, kept current by chatroom events. */
export function useChatrooms() {
  const core = useChatix();
  const [state, setState] = useState({ chatrooms: [], loading: true, error: null });
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    core.getAllChatrooms().then(
      (chatrooms) => {
        if (generation.current !== mine) return;
        // an unchanged list (a reload after a reconnect, say) renders nothing
        setState((s) => (!s.loading && !s.error && sameChats(s.chatrooms, chatrooms) ? s : { chatrooms, loading: false, error: null }));
      },
      (error) => { if (generation.current === mine) setState((s) => ({ ...s, loading: false, error })); },
    );
  }, [core]);
  useEffect(() => {
    reload();
    const offs = ['chatCreated', 'chatUpdated', 'chatDeleted', 'chatRestored', 'connected']
      .map((event) => core.on(event, reload));
    return () => { generation.current++; offs.forEach((off) => off()); };
  }, [core, reload]);
  return { ...state, reload };
}

function upsert(list, m) {
  const i = list.findIndex((x) => x.id === m.id);
  if (i < 0) return [...list, m].sort((a, b) => a.seq - b.seq);
  const next = list.slice();
  next[i] = m;
  return next;
}

/**
 * One chat, live: `{ chat, messages, unread, typing, loading, error, send, startTyping,
 * stopTyping, markSeen, loadOlder }`. `messages` are oldest first (the last `history` on
 * mount, more with `loadOlder()`); `typing` lists the ids of users typing now.
 */
export function useChat(chatId, { history = 50 } = {}) {
  const core = useChatix();
  const [state, setState] = useState({ chat: null, messages: [], unread: 0, typing: [], loading: true, error: null });
  const chatRef = useRef(null);
  const messagesRef = useRef(state.messages);
  messagesRef.current = state.messages;
  useEffect(() => {
    if (!chatId) return undefined;
    let alive = true;
    let offs = [];
    let handle = null;
    setState({ chat: null, messages: [], unread: 0, typing: [], loading: true, error: null });
    const reload = async (chat) => {
      const messages = await chat.getMessagesBefore(undefined, history);
      if (alive) setState((s) => ({ ...s, messages, unread: chat.unread, loading: false }));
    };
    (async () => {
      const chat = await core.getChat(chatId);
      if (!alive) { chat.free(); return; }
      handle = chat;
      chatRef.current = chat;
      const set = (f) => { if (alive) setState(f); };
      offs = [
        chat.on('message', (m) => set((s) => ({ ...s, messages: upsert(s.messages, m) }))),
        chat.on('messageUpdated', (m) => set((s) => ({ ...s, messages: upsert(s.messages, m) }))),
        chat.on('messageDeleted', (m) => set((s) => ({ ...s, messages: upsert(s.messages, m) }))),
        chat.on('unreadChanged', (unread) => set((s) => ({ ...s, unread }))),
        chat.on('typingStarted', (t) => set((s) => (s.typing.includes(t.userId) ? s : { ...s, typing: [...s.typing, t.userId] }))),
        chat.on('typingStopped', (t) => set((s) => ({ ...s, typing: s.typing.filter((u) => u !== t.userId) }))),
        chat.on('updated', () => set((s) => ({ ...s, chat }))),
        chat.on('gap', () => { reload(chat).catch((error) => set((s) => ({ ...s, error }))); }),
      ];
      await chat.connect();
      set((s) => ({ ...s, chat }));
      await reload(chat);
    })().catch((error) => { if (alive) setState((s) => ({ ...s, loading: false, error })); });
    return () => {
      alive = false;
      offs.forEach((off) => off());
      chatRef.current = null;
      // the handle only: the chat's state stays in the core
      if (handle) handle.free();
    };
  }, [core, chatId, history]);

  const need = () => {
    if (!chatRef.current) return Promise.reject(Object.assign(new Error(`chat ${chatId} is not loaded yet`), { name: 'ChatixError', code: 'unavailable' }));
    return null;
  };
  const send = useCallback((message) => need() ?? chatRef.current.sendMessage(typeof message === 'string' ? { text: message } : message), [chatId]);
  const startTyping = useCallback(() => need() ?? chatRef.current.startTyping(), [chatId]);
  const stopTyping = useCallback(() => need() ?? chatRef.current.stopTyping(), [chatId]);
  const markSeen = useCallback((messageId) => need() ?? chatRef.current.setSeen(messageId), [chatId]);
  const loadOlder = useCallback(async (count = history) => {
    const waiting = need();
    if (waiting) return waiting;
    const chat = chatRef.current;
    const older = await chat.getMessagesBefore(messagesRef.current[0]?.id, count);
    setState((s) => ({ ...s, messages: older.reduce(upsert, s.messages) }));
    return older;
  }, [chatId, history]);
  return { ...state, send, startTyping, stopTyping, markSeen, loadOlder };
}
