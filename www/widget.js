/*
 * Chatix drop-in widget.
 *
 *   <script src="https://CHAT-HOST/widget.js" data-website-id="wid_…" async></script>
 *
 * Attributes: data-website-id (required), data-title (panel title, default "Chat with us"),
 * data-position ("right" | "left"), data-open ("true" opens the panel at load).
 *
 * It loads the wasm SDK from the same server, opens a visitor session (remembered across
 * reloads), and draws a chat bubble with a panel: the conversation with the website's
 * consultants, and the chatrooms this visitor may see. Everything lives in a Shadow DOM, so
 * the page's styles cannot break it and its styles cannot leak. Everything users type is
 * rendered with textContent, never parsed as HTML.
 *
 * window.chatixWidget: { core, ready, onConnect, setVisitor(v), open(), close() }
 */
(function () {
  'use strict';
  const script = document.currentScript;
  if (!script || window.chatixWidget) return;
  const base = new URL(script.src, location.href).origin;
  const websiteId = script.dataset.websiteId;
  const title = script.dataset.title || 'Chat with us';
  const left = script.dataset.position === 'left';

  let resolveReady;
  const widget = {
    core: null,
    ready: new Promise((r) => { resolveReady = r; }),
    onConnect: null,
    setVisitor: (v) => widget.ready.then((core) => core.setVisitor(v)),
    open: () => openPanel(true),
    close: () => openPanel(false),
  };
  window.chatixWidget = widget;

  // ------------------------------------------------------------------ DOM helpers
  // Code holds ASCII only (\u escapes for '…' and '×'): host pages that do not declare
  // UTF-8 decode this script in their own charset.
  const QUICK_REACTIONS = ['\u{1F44D}', '\u2764\uFE0F', '\u{1F602}', '\u{1F389}', '\u{1F62E}'];

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  const CSS = `
  :host { all: initial; }
  * { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  .bubble { position: fixed; bottom: 20px; ${left ? 'left' : 'right'}: 20px; width: 60px; height: 60px; border-radius: 50%;
    border: none; background: #3d5afe; color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25);
    display: flex; align-items: center; justify-content: center; z-index: 2147483646; }
  .bubble:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible { outline: 3px solid #ffab00; outline-offset: 2px; }
  .bubble svg { width: 28px; height: 28px; fill: currentColor; }
  .badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; border-radius: 11px; background: #d50000;
    color: #fff; font-size: 12px; font-weight: 700; display: flex; align-items: center; justify-content: center; padding: 0 6px; }
  .badge[hidden] { display: none; }
  .panel { position: fixed; bottom: 92px; ${left ? 'left' : 'right'}: 20px; width: 370px; height: min(600px, calc(100vh - 120px));
    background: #fff; color: #1a1a1a; border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.3); display: flex; flex-direction: column;
    overflow: hidden; z-index: 2147483647; font-size: 14px; }
  .panel[hidden] { display: none; }
  @media (max-width: 480px) { .panel { inset: 0; width: 100%; height: 100%; bottom: 0; left: 0; right: 0; border-radius: 0; } }
  header { background: #3d5afe; color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 8px; }
  header h2 { font-size: 16px; margin: 0; flex: 1; }
  header .status { font-size: 12px; opacity: .9; }
  header button { background: transparent; border: none; color: #fff; font-size: 22px; cursor: pointer; line-height: 1; padding: 2px 6px; }
  .banner { background: #fff3e0; color: #7a4a00; padding: 6px 12px; font-size: 12px; }
  .banner[hidden] { display: none; }
  [role=tablist] { display: flex; border-bottom: 1px solid #e0e0e0; }
  [role=tab] { flex: 1; padding: 10px; border: none; background: #fafafa; cursor: pointer; font-size: 14px; color: #333; }
  [role=tab][aria-selected=true] { background: #fff; border-bottom: 3px solid #3d5afe; font-weight: 600; }
  .view { flex: 1; display: flex; flex-direction: column; min-height: 0; }
  .view[hidden] { display: none; }
  .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f5f6fa; }
  .msg { max-width: 80%; padding: 8px 10px; border-radius: 10px; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); word-wrap: break-word; white-space: pre-wrap; }
  .msg.mine { align-self: flex-end; background: #e3e8ff; }
  .msg.pending { opacity: .6; }
  .msg.failed { border: 1px solid #d50000; }
  .msg .who { font-size: 11px; color: #555; margin-bottom: 2px; }
  .msg .when { font-size: 10px; color: #777; text-align: right; margin-top: 2px; }
  .msg .reactions { display: flex; flex-wrap: wrap; gap: 3px; margin-top: 3px; }
  .msg .reaction { font: inherit; font-size: 12px; border: 1px solid #ccd; border-radius: 10px; background: #fff; padding: 0 6px; cursor: pointer; }
  .msg .reaction.own { background: #dde8ff; border-color: #6b8cff; }
  .msg .reaction.add { color: #667; }
  .msg img { max-width: 100%; border-radius: 6px; display: block; margin-top: 4px; }
  .msg a { color: #1a3ad6; }
  .msg .quote, .replying { border-left: 3px solid #9fa8da; padding: 2px 8px; margin-bottom: 4px; font-size: 12px; color: #444; background: rgba(0,0,0,.03); white-space: normal; }
  .msg.mentions-me { box-shadow: inset 3px 0 0 #3949ab; }
  .msg.mentions-me .who::after { content: ' · mentions you'; color: #3949ab; font-weight: 600; }
  .msg .replies { border: 0; background: none; color: #3949ab; font-size: 12px; padding: 0; cursor: pointer; }
  .msg .thread { border-left: 2px solid #c5cae9; margin: 4px 0 0 6px; padding-left: 6px; display: flex; flex-direction: column; gap: 4px; }
  .msg .quote b, .replying b { display: block; font-size: 11px; color: #555; }
  .msg .reply { font: inherit; font-size: 11px; border: none; background: none; color: #3d5afe; cursor: pointer; padding: 0 4px; }
  .replying { margin: 0 8px; display: flex; align-items: center; gap: 6px; }
  .replying[hidden] { display: none; }
  .replying span { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .replying button { border: none; background: none; cursor: pointer; font-size: 14px; color: #555; }
  .typing { font-size: 12px; color: #555; padding: 2px 12px; min-height: 18px; }
  .older { align-self: center; font-size: 12px; color: #555; }
  form.composer { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #e0e0e0; align-items: flex-end; }
  form.composer textarea { flex: 1; resize: none; height: 40px; max-height: 120px; padding: 9px; border: 1px solid #ccc; border-radius: 8px; font-size: 14px; }
  form.composer button, .attach { border: none; background: #3d5afe; color: #fff; border-radius: 8px; padding: 0 12px; height: 40px; cursor: pointer; font-size: 14px; display: inline-flex; align-items: center; }
  .attach { background: #eceff1; color: #333; }
  .attach input { position: absolute; width: 1px; height: 1px; opacity: 0; }
  progress { width: calc(100% - 16px); margin: 0 8px; height: 6px; }
  progress[hidden] { display: none; }
  .rooms { list-style: none; margin: 0; padding: 8px; overflow-y: auto; flex: 1; }
  .rooms li { display: flex; align-items: center; gap: 8px; padding: 8px; border-bottom: 1px solid #eee; }
  .rooms li span { flex: 1; }
  .rooms button { border: 1px solid #3d5afe; background: #fff; color: #3d5afe; border-radius: 6px; padding: 4px 10px; cursor: pointer; }
  .roomhead { display: flex; align-items: center; gap: 8px; padding: 6px 10px; border-bottom: 1px solid #eee; }
  .roomhead button { border: none; background: transparent; color: #3d5afe; cursor: pointer; font-size: 14px; }
  .empty { color: #666; padding: 16px; text-align: center; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  `;

  // ------------------------------------------------------------------ skeleton
  const host = el('div', { id: 'chatix-widget' });
  const root = host.attachShadow({ mode: 'open' });
  // A constructed stylesheet is not inline CSS, so the widget also works on host pages whose
  // Content-Security-Policy forbids 'unsafe-inline' styles; a <style> element is the fallback
  // for browsers without constructable stylesheets.
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el('style', {}, CSS));
  }
  const badge = el('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const bubbleLabel = el('span', { class: 'sr' }, 'Open chat');
  const bubble = el('button', { class: 'bubble', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'chatix-panel', onclick: () => openPanel(panel.hidden) });
  bubble.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  bubble.append(bubbleLabel, badge);
  const status = el('span', { class: 'status', role: 'status' }, 'Connecting\u2026');
  const banner = el('div', { class: 'banner', hidden: true, role: 'alert' }, 'Reconnecting\u2026 your messages will be sent when the connection is back.');
  const closeBtn = el('button', { type: 'button', 'aria-label': 'Close chat', onclick: () => openPanel(false) }, '\u00d7');
  const tabSupport = el('button', { role: 'tab', id: 'tab-support', 'aria-selected': 'true', 'aria-controls': 'view-support', type: 'button', onclick: () => showTab('support') }, 'Support');
  const tabRooms = el('button', { role: 'tab', id: 'tab-rooms', 'aria-selected': 'false', 'aria-controls': 'view-rooms', type: 'button', tabindex: '-1', onclick: () => showTab('rooms') }, 'Chatrooms');
  const tabs = el('div', { role: 'tablist', 'aria-label': 'Chat sections', onkeydown: (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') { const next = tabSupport.getAttribute('aria-selected') === 'true' ? 'rooms' : 'support'; showTab(next); (next === 'rooms' ? tabRooms : tabSupport).focus(); }
  } }, tabSupport, tabRooms);

  const supportView = el('div', { class: 'view', id: 'view-support', role: 'tabpanel', 'aria-labelledby': 'tab-support' });
  const roomsView = el('div', { class: 'view', id: 'view-rooms', role: 'tabpanel', 'aria-labelledby': 'tab-rooms', hidden: true });
  const panel = el('section', { class: 'panel', id: 'chatix-panel', role: 'dialog', 'aria-label': title, hidden: true,
    onkeydown: (e) => { if (e.key === 'Escape') { openPanel(false); bubble.focus(); } } },
  el('header', {}, el('h2', {}, title), status, closeBtn), banner, tabs, supportView, roomsView);
  root.append(bubble, panel);

  function openPanel(open) {
    panel.hidden = !open;
    bubble.setAttribute('aria-expanded', String(open));
    bubbleLabel.textContent = open ? 'Close chat' : 'Open chat';
    if (open) {
      const t = panel.querySelector('.view:not([hidden]) textarea');
      (t || closeBtn).focus();
      if (current) current.markSeen();
    }
  }
  function showTab(which) {
    const support = which === 'support';
    tabSupport.setAttribute('aria-selected', String(support));
    tabRooms.setAttribute('aria-selected', String(!support));
    tabSupport.tabIndex = support ? 0 : -1;
    tabRooms.tabIndex = support ? -1 : 0;
    supportView.hidden = !support;
    roomsView.hidden = support;
    current = support ? conversationView : (openRoom || null);
    if (!support) refreshRooms();
    if (current) current.markSeen();
  }

  // ------------------------------------------------------------------ a chat view
  let core = null;
  let me = null;
  let current = null;
  let openRoom = null;
  const views = new Map(); // chatId -> view

  function chatView(container, label) {
    const log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': label, tabindex: '0' });
    const older = el('div', { class: 'older', hidden: true }, 'Loading older messages\u2026');
    log.append(older);
    const typing = el('div', { class: 'typing', 'aria-live': 'polite' });
    const progress = el('progress', { max: '100', value: '0', hidden: true, 'aria-label': 'Upload progress' });
    const text = el('textarea', { 'aria-label': 'Message', placeholder: 'Write a message\u2026', rows: '1' });
    const file = el('input', { type: 'file', 'aria-label': 'Attach a file or image' });
    const attach = el('label', { class: 'attach', title: 'Attach a file' }, el('span', { class: 'sr' }, 'Attach a file'), file);
    attach.insertAdjacentHTML('afterbegin', '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>');
    const send = el('button', { type: 'submit' }, 'Send');
    const form = el('form', { class: 'composer' }, attach, text, send);
    // "Replying to …" above the composer: the next message quotes that one
    const replying = el('div', { class: 'replying', hidden: true });
    let replyTo = null;
    const setReply = (m) => {
      replyTo = m ? m.id : null;
      replying.hidden = !m;
      replying.replaceChildren(...(m ? [el('span', {}, el('b', {}, `Replying to ${m.senderName}`), m.text || (m.file ? m.file.name : '')),
        el('button', { type: 'button', 'aria-label': 'Cancel the reply', onclick: () => setReply(null) }, '\u00d7')] : []));
      if (m) text.focus();
    };
    container.append(log, typing, progress, replying, form);

    // Sends typed before the chat is known (the widget is still fetching the visitor's
    // conversation) wait for it instead of being dropped.
    let chatBound;
    const chatReady = new Promise((resolve) => { chatBound = resolve; });
    const v = {
      chat: null, chatId: null, byId: new Map(), byClient: new Map(), oldestId: null, reachedStart: false, loading: false,
      openThreads: new Set(), // parent ids whose replies are shown under them
      typingUsers: new Map(),
      log, text,
      async bind(chat) {
        v.chat = chat; v.chatId = chat.id; views.set(chat.id, v);
        chatBound(chat);
        const page = await chat.getMessages(1);
        page.messages.forEach((m) => v.add(m, false));
        v.reachedStart = page.totalPages <= 1;
        v.scrollDown();
      },
      add(m, live = true) {
        // a reply in a thread only (not also sent to the chat) shows under its parent, when open
        if (m.parentId && !m.showInChat) {
          const list = v.byId.get(m.parentId)?.querySelector('.thread');
          if (list && !m.pending) { list.querySelector(`[data-id="${CSS.escape(m.id)}"]`)?.remove(); list.append(render(m)); }
          return;
        }
        const key = m.pending ? null : m.id;
        let node = (key && v.byId.get(key)) || (m.clientId && v.byClient.get(m.clientId));
        const fresh = render(m);
        if (node) { node.replaceWith(fresh); } else if (live) { log.append(fresh); } else { insertSorted(fresh, m); }
        if (key) v.byId.set(key, fresh);
        if (m.clientId) v.byClient.set(m.clientId, fresh);
        if (!v.oldestId || (m.seq && m.seq < (v.oldestSeq ?? Infinity))) { if (m.seq) { v.oldestSeq = m.seq; v.oldestId = m.id; } }
        if (live) v.scrollDown();
      },
      remove(m) {
        const node = v.byId.get(m.id);
        if (node) { node.replaceWith(el('div', { class: 'msg', 'data-seq': m.seq }, el('em', {}, 'Message deleted'))); }
      },
      failed(clientId) { const n = v.byClient.get(clientId); if (n) { n.classList.add('failed'); n.append(el('div', { class: 'when' }, 'Not sent')); } },
      scrollDown() { log.scrollTop = log.scrollHeight; },
      async loadOlder() {
        if (v.loading || v.reachedStart || !v.chat || !v.oldestId) return;
        v.loading = true; older.hidden = false;
        try {
          const before = log.scrollHeight;
          const list = await v.chat.getMessagesBefore(v.oldestId, 25);
          if (list.length === 0) v.reachedStart = true;
          list.forEach((m) => v.add(m, false));
          log.scrollTop += log.scrollHeight - before;
        } catch (e) { console.warn('chatix: older messages', e); }
        finally { v.loading = false; older.hidden = true; }
      },
      markSeen() {
        if (!v.chat || panel.hidden) return;
        v.chat.setSeen().catch(() => {});
      },
      showTyping() {
        const names = [...v.typingUsers.values()];
        typing.textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing\u2026` : '';
      },
    };

    function insertSorted(node, m) {
      const seq = m.seq || Infinity;
      const after = [...log.querySelectorAll('.msg[data-seq]')].find((n) => Number(n.dataset.seq) > seq);
      if (after) log.insertBefore(node, after); else log.append(node);
    }

    function render(m) {
      const mine = me && m.senderId === me.id;
      const mentionsMe = me && (m.mentions || []).includes(me.username);
      const node = el('div', { class: `msg${mine ? ' mine' : ''}${m.pending ? ' pending' : ''}${mentionsMe ? ' mentions-me' : ''}`, 'data-seq': m.seq || '', 'data-id': m.id });
      if (!mine) node.append(el('div', { class: 'who' }, m.senderRole === 'consultant' ? `${m.senderName} (staff)` : m.senderName));
      // a quote without text: the quoted message was deleted
      if (m.quote) node.append(el('div', { class: 'quote' }, el('b', {}, m.quote.senderName), m.quote.text || el('em', {}, 'Message deleted')));
      if (m.text) node.append(el('div', { class: 'text' }, m.text));
      if (m.file) {
        if (m.file.kind === 'image') {
          node.append(el('a', { href: m.file.url, target: '_blank', rel: 'noopener' },
            el('img', { src: m.file.thumbnailUrl || m.file.url, alt: m.file.name, loading: 'lazy' })));
        } else {
          node.append(el('a', { href: m.file.url, target: '_blank', rel: 'noopener', download: m.file.name }, `File: ${m.file.name}`));
        }
      }
      if (!m.pending && !m.deleted) node.append(reactionBar(m));
      node.append(el('div', { class: 'when' }, m.pending ? 'Sending\u2026' : time(m.createdAt)));
      if (m.replyCount) {
        const v = viewFor(m.chatId);
        const list = el('div', { class: 'thread' });
        const load = () => v.chat.getThread(m.id, { count: 50 }).then((p) => list.replaceChildren(...p.messages.map(render)))
          .catch((e) => console.warn('chatix: thread', e.code, e.message));
        const toggle = el('button', { type: 'button', class: 'replies', 'aria-expanded': String(v.openThreads.has(m.id)), onclick: () => {
          if (v.openThreads.delete(m.id)) { list.replaceChildren(); toggle.setAttribute('aria-expanded', 'false'); } else { v.openThreads.add(m.id); toggle.setAttribute('aria-expanded', 'true'); load(); }
        } }, `${m.replyCount} repl${m.replyCount === 1 ? 'y' : 'ies'}`);
        node.append(toggle, list);
        if (v && v.openThreads.has(m.id)) load();
      }
      return node;
    }

    // Reactions: a button per reaction with its count (pressed when it is one of yours:
    // a click takes it back), and a few quick ones to add.
    function reactionBar(m) {
      const own = m.ownReactions || [];
      const toggle = (r) => () => {
        if (!v.chat) return;
        const p = own.includes(r) ? v.chat.removeReaction(m.id, r) : v.chat.addReaction(m.id, r);
        p.then((u) => v.add(u, false)).catch((e) => console.warn('chatix: reaction', e.code, e.message));
      };
      const bar = el('div', { class: 'reactions' });
      for (const [r, n] of Object.entries(m.reactions || {})) {
        bar.append(el('button', { type: 'button', class: `reaction${own.includes(r) ? ' own' : ''}`, title: own.includes(r) ? 'Take back' : 'React', onclick: toggle(r) }, `${r} ${n}`));
      }
      const pick = el('span', { class: 'pick', hidden: true });
      for (const r of QUICK_REACTIONS) pick.append(el('button', { type: 'button', class: 'reaction', onclick: toggle(r) }, r));
      bar.append(el('button', { type: 'button', class: 'reaction add', title: 'Add a reaction', 'aria-label': 'Add a reaction', onclick: () => { pick.hidden = !pick.hidden; } }, '+'), pick);
      bar.append(el('button', { type: 'button', class: 'reply', onclick: () => setReply(m) }, 'Reply'));
      return bar;
    }

    log.addEventListener('scroll', () => { if (log.scrollTop < 40) v.loadOlder(); });
    // Typing: the latest draft at most every 300 ms (trailing edge, so the last keystroke
    // is always sent), and "stopped" after 3 s without input.
    let draftTimer = null;
    let stopTimer = null;
    const sendTyping = (typing) => {
      if (!v.chat) return;
      const p = v.chat.kind === 'conversation' ? core.visitorType(typing ? text.value : '') : (typing ? v.chat.startTyping() : v.chat.stopTyping());
      p.catch(() => {});
    };
    text.addEventListener('input', () => {
      if (!draftTimer) draftTimer = setTimeout(() => { draftTimer = null; sendTyping(text.value.length > 0); }, 300);
      clearTimeout(stopTimer);
      stopTimer = setTimeout(() => sendTyping(false), 3000);
    });
    text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = text.value.trim();
      if (!body) return;
      text.value = '';
      clearTimeout(stopTimer);
      clearTimeout(draftTimer);
      draftTimer = null;
      sendTyping(false);
      const quoted = replyTo || undefined;
      setReply(null);
      chatReady.then((chat) => chat.sendMessage({ text: body, replyTo: quoted }))
        .catch((err) => console.warn('chatix: send failed', err.code, err.message));
    });
    file.addEventListener('change', () => {
      const f = file.files && file.files[0];
      file.value = '';
      if (!f) return;
      progress.hidden = false; progress.value = 0;
      chatReady.then((chat) => chat.sendMessage({ file: f, text: text.value.trim() || undefined, onProgress: (p) => { progress.value = p.total ? (100 * p.loaded) / p.total : 0; } }))
        .then(() => { text.value = ''; })
        .catch((err) => { status.textContent = `Upload failed: ${err.message}`; })
        .finally(() => { progress.hidden = true; });
    });
    return v;
  }

  const conversationView = chatView(supportView, 'Conversation with our team');
  current = conversationView;

  // ------------------------------------------------------------------ rooms
  const roomList = el('ul', { class: 'rooms', 'aria-label': 'Chatrooms' });
  const roomBody = el('div', { class: 'view', hidden: true });
  const backBtn = el('button', { type: 'button', onclick: () => { roomBody.hidden = true; roomList.hidden = false; openRoom = null; current = null; } }, '\u2190 All rooms');
  const roomTitle = el('strong', {});
  roomBody.append(el('div', { class: 'roomhead' }, backBtn, roomTitle));
  roomsView.append(roomList, roomBody);
  const roomViews = new Map();

  async function refreshRooms() {
    if (!core) return;
    try {
      const rooms = await core.getAllChatrooms();
      roomList.replaceChildren(...(rooms.length ? rooms.map((r) => el('li', {},
        el('span', {}, r.name || 'Untitled room', r.visibility === 'private' ? ' (private)' : ''),
        el('button', { type: 'button', onclick: () => enterRoom(r), 'aria-label': `${r.isMember ? 'Open' : 'Join'} ${r.name || 'room'}` }, r.isMember ? 'Open' : 'Join'))) :
        [el('li', { class: 'empty' }, 'No chatrooms yet.')]));
    } catch (e) { roomList.replaceChildren(el('li', { class: 'empty' }, `Could not load chatrooms: ${e.message}`)); }
  }

  async function enterRoom(r) {
    await core.connectToChatroom(r.id);
    let v = roomViews.get(r.id);
    if (!v) {
      const box = el('div', { class: 'view' });
      v = chatView(box, `Chatroom ${r.name || ''}`);
      v.box = box;
      roomViews.set(r.id, v);
      roomBody.append(box);
      await v.bind(await core.getChat(r.id));
    }
    for (const other of roomViews.values()) other.box.hidden = other !== v;
    roomTitle.textContent = r.name || 'Room';
    roomList.hidden = true; roomBody.hidden = false;
    openRoom = v; current = v; v.markSeen(); v.text.focus();
    refreshRooms();
  }

  // ------------------------------------------------------------------ start
  function setStatus(state) {
    const labels = { connecting: 'Connecting\u2026', open: 'Online', reconnecting: 'Reconnecting\u2026', closed: 'Offline' };
    status.textContent = labels[state] || state;
    banner.hidden = state !== 'reconnecting';
  }

  function viewFor(chatId) { return views.get(chatId); }

  async function start() {
    if (!websiteId) throw new Error('chatix widget: data-website-id is missing on the script tag');
    // The .wasm is fetched beside the glue's import, not after it (about 10 ms sooner).
    const wasm = fetch(`${base}/pkg/chatix_core_bg.wasm`);
    const sdk = await import(`${base}/pkg/chatix_core.js`);
    await sdk.default({ module_or_path: wasm });
    core = new sdk.ChatixCore(websiteId, { serverUrl: base });
    widget.core = core;
    core.on('connectionStateChanged', setStatus);
    core.on('message', (m) => {
      const v = viewFor(m.chatId);
      if (v) { v.add(m); v.typingUsers.delete(m.senderId); v.showTyping(); if (v === current && !panel.hidden) v.markSeen(); }
    });
    core.on('pending', (m) => { const v = viewFor(m.chatId); if (v) v.add(m); });
    core.on('sendFailed', (f) => { const v = viewFor(f.chatId); if (v) v.failed(f.clientId); });
    core.on('messageUpdated', (m) => { const v = viewFor(m.chatId); if (v) v.add(m); });
    core.on('messageDeleted', (m) => { const v = viewFor(m.chatId); if (v) v.remove(m); });
    const reacted = (e) => { const v = viewFor(e.chatId); if (v) v.add(e.message, false); };
    core.on('reactionAdded', reacted);
    core.on('reactionRemoved', reacted);
    core.on('typingStarted', async (t) => {
      const v = viewFor(t.chatId);
      if (!v) return;
      let name = 'Someone';
      try { name = (await core.fetchUserById(t.userId)).name; } catch { /* keep the default */ }
      v.typingUsers.set(t.userId, name); v.showTyping();
    });
    core.on('typingStopped', (t) => { const v = viewFor(t.chatId); if (v) { v.typingUsers.delete(t.userId); v.showTyping(); } });
    core.on('unreadChanged', (u) => {
      badge.hidden = u.total === 0;
      badge.textContent = u.total > 99 ? '99+' : String(u.total);
      bubble.setAttribute('aria-label', u.total ? `Open chat, ${u.total} unread` : 'Open chat');
    });
    core.on('chatCreated', () => refreshRooms());
    core.on('membersAdded', () => refreshRooms());
    me = await core.start();
    setStatus(core.connectionState);
    await conversationView.bind(await core.getConversation());
    resolveReady(core);
    if (typeof widget.onConnect === 'function') widget.onConnect(core);
    core.on('connected', () => { if (typeof widget.onConnect === 'function') widget.onConnect(core); });
    if (script.dataset.open === 'true') openPanel(true);
  }

  function mount() {
    document.body.append(host);
    start().catch((e) => {
      status.textContent = 'Unavailable';
      console.error('chatix widget:', e && e.message ? e.message : e);
    });
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
