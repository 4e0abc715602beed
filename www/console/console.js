// Chatix consultant console: live visitor conversations (with the visitor's draft as they
// type), answers and whispers, chatroom management, who is online, moderation (delete,
// mute, ban on a message's sender; the chat's sanctions; the reports queue), mentions (an
// @username in the text, "Mention" on a message, the chat's mentions of you and a count per
// chat). Built on the same SDK
// as the widget; everything users typed is rendered as text, never as HTML.
import init, { ChatixCore } from '/pkg/chatix_core.js';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};

let core = null;
let me = null;
let current = null; // the open Chat object
const shown = new Map(); // message id -> node, for the open chat
const chats = new Map(); // chat id -> Chat object (conversations and joined rooms)
const names = new Map(); // user id -> name

function showError(e) {
  $('error').textContent = e ? `${e.code ? `[${e.code}] ` : ''}${e.message || e}` : '';
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${core.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw Object.assign(new Error(data?.error?.message || res.statusText), { code: data?.error?.code });
  return data;
}

async function nameOf(userId) {
  if (!names.has(userId)) {
    try { names.set(userId, (await core.fetchUserById(userId)).name); } catch { names.set(userId, userId); }
  }
  return names.get(userId);
}

// ------------------------------------------------------------------ messages
function render(m) {
  const mine = me && m.senderId === me.id;
  const mentionsMe = me && (m.mentions || []).includes(me.username);
  const node = el('div', { class: `msg${mine ? ' mine' : ''}${m.whisper ? ' whisper' : ''}${mentionsMe ? ' mentions-me' : ''}`, 'data-id': m.id });
  node.append(el('div', { class: 'who' }, m.senderName, m.senderRole === 'consultant' ? ' (staff)' : '',
    m.whisper ? el('span', { class: 'tag' }, 'whisper') : null,
    m.pinned ? el('span', { class: 'tag pin' }, 'pinned') : null,
    m.parentId && m.showInChat ? el('span', { class: 'tag' }, 'in a thread') : null,
    mentionsMe ? el('span', { class: 'tag pin' }, 'mentions you') : null,
    ' · ', new Date(m.createdAt).toLocaleTimeString()));
  if (m.deleted) node.append(el('em', {}, 'Message deleted'));
  // a quote without text: the quoted message was deleted
  if (m.quote) node.append(el('div', { class: 'quote' }, el('b', {}, m.quote.senderName), m.quote.text || el('em', {}, 'Message deleted')));
  if (m.text) node.append(el('div', { class: 'text' }, m.text));
  if (m.file) {
    node.append(m.file.kind === 'image'
      ? el('a', { href: m.file.url, target: '_blank', rel: 'noopener' }, el('img', { src: m.file.thumbnailUrl || m.file.url, alt: m.file.name }))
      : el('a', { href: m.file.url, target: '_blank', rel: 'noopener', download: m.file.name }, m.file.name));
  }
  if (!m.deleted && !m.pending) node.append(reactions(m));
  if (m.replyCount) {
    node.append(el('button', { type: 'button', class: 'link thread-open', onclick: () => openThread(m) },
      `${m.replyCount} repl${m.replyCount === 1 ? 'y' : 'ies'}, last ${new Date(m.lastReplyAt).toLocaleTimeString()}`));
  }
  return node;
}

// Reactions: each with its count (yours pressed: a click takes it back), and quick ones.
const QUICK = ['\u{1F44D}', '\u2764\uFE0F', '\u{1F602}', '\u{1F389}', '\u{1F440}'];
function reactions(m) {
  const own = m.ownReactions || [];
  const toggle = (r) => () => {
    if (!current) return;
    (own.includes(r) ? current.removeReaction(m.id, r) : current.addReaction(m.id, r))
      .then(show).catch(showError);
  };
  const bar = el('div', { class: 'reactions' });
  for (const [r, n] of Object.entries(m.reactions || {})) {
    bar.append(el('button', { type: 'button', class: `reaction${own.includes(r) ? ' own' : ''}`, 'aria-pressed': own.includes(r) ? 'true' : 'false', onclick: toggle(r) }, `${r} ${n}`));
  }
  const quick = el('span', { class: 'quick' });
  for (const r of QUICK.filter((q) => !(q in (m.reactions || {})))) {
    quick.append(el('button', { type: 'button', class: 'reaction add', title: `React with ${r}`, onclick: toggle(r) }, r));
  }
  bar.append(quick);
  // consultants pin in chatrooms and conversations (and a direct chat's members)
  bar.append(el('button', { type: 'button', class: 'link pin-toggle', onclick: () => {
    if (!current) return;
    (m.pinned ? current.unpinMessage(m.id) : current.pinMessage(m.id)).then(show).then(refreshPins).catch(showError);
  } }, m.pinned ? 'Unpin' : 'Pin'));
  bar.append(el('button', { type: 'button', class: 'link reply', onclick: () => setReply(m) }, 'Reply'));
  if (!me || m.senderId !== me.id) bar.append(el('button', { type: 'button', class: 'link mention', onclick: () => mention(m) }, 'Mention'));
  if (!m.parentId && !(thread && thread.id === m.id)) bar.append(el('button', { type: 'button', class: 'link thread-start', onclick: () => openThread(m) }, 'Thread'));
  bar.append(el('button', { type: 'button', class: 'link mod-delete', onclick: () => {
    if (current && confirm('Delete this message for everyone?')) current.deleteMessage(m.id).then(show).catch(showError);
  } }, 'Delete'));
  // moderation of the sender (visitors and app users; staff are never sanctioned)
  if (m.senderRole !== 'consultant' && current && current.kind !== 'direct') {
    const act = (what) => async () => {
      const chat = current;
      try {
        const username = (await core.fetchUserById(m.senderId)).username;
        const reason = prompt(`Reason to ${what} ${m.senderName}`, '');
        if (reason === null) return;
        const opts = { reason: reason || undefined };
        if (what === 'mute for 10 minutes in') await chat.muteUser(username, { ...opts, seconds: 600 });
        else if (what === 'ban from') await chat.banUser(username, opts);
        else await core.banUser(username, { ...opts, seconds: 24 * 3600 });
        showError(null);
        await refreshSanctions();
      } catch (e) { showError(e); }
    };
    bar.append(el('button', { type: 'button', class: 'link mod-mute', onclick: act('mute for 10 minutes in') }, 'Mute 10 min'));
    if (current.kind === 'group') bar.append(el('button', { type: 'button', class: 'link mod-ban', onclick: act('ban from') }, 'Ban here'));
    bar.append(el('button', { type: 'button', class: 'link mod-site-ban', onclick: act('ban for a day from the website:') }, 'Ban from site (1 day)'));
  }
  return bar;
}

// "Replying to …" above the composer: the next message quotes that one (a reply to a
// whisper goes as a whisper: the server refuses a public quote of one).
let replyTo = null;
function setReply(m) {
  replyTo = m || null;
  $('replying').hidden = !m;
  $('replying').replaceChildren(...(m ? [el('span', {}, `Replying to ${m.senderName}: ${m.text || (m.file ? m.file.name : '')}`),
    el('button', { type: 'button', class: 'link', onclick: () => setReply(null) }, 'Cancel')] : []));
  if (m) { if (m.whisper) $('whisper').checked = true; $('text').focus(); }
}

// The open chat's mutes and bans, with Lift buttons.
async function refreshSanctions() {
  const chat = current;
  if (!chat || chat.kind === 'direct') { $('sanctions-box').hidden = true; return; }
  try {
    const { sanctions } = await chat.getSanctions();
    if (chat !== current) return;
    $('sanctions').replaceChildren(...sanctions.map((x) => el('li', {},
      `${x.username}: ${x.kind === 'mute' ? 'muted' : 'banned'} ${x.until ? `until ${new Date(x.until).toLocaleString()}` : 'until lifted'}${x.reason ? ` (${x.reason})` : ''} `,
      el('button', { type: 'button', class: 'link lift', onclick: () => (x.kind === 'mute' ? chat.unmuteUser(x.username) : chat.unbanUser(x.username)).then(refreshSanctions).catch(showError) }, 'Lift'))));
    $('sanctions-box').hidden = sanctions.length === 0;
  } catch (e) { showError(e); }
}

// The reports queue (open reports), with Resolve; and the website's bans, with Lift.
async function refreshReports() {
  const { reports, total } = await core.getReports({ status: 'open' });
  $('reports').replaceChildren(...reports.map((r) => el('li', { 'data-id': r.id },
    el('div', {}, el('strong', {}, r.kind === 'message' ? `Message by ${r.username}` : `User ${r.username}`), ` — reported by ${r.reporter}: ${r.reason}`),
    r.excerpt ? el('div', { class: 'excerpt' }, `“${r.excerpt}”`) : null,
    el('button', { type: 'button', class: 'resolve', onclick: async () => {
      const resolution = prompt('What was done?', 'reviewed');
      if (resolution === null) return;
      try { await core.resolveReport(r.id, { resolution: resolution || undefined }); await refreshReports(); } catch (e) { showError(e); }
    } }, 'Resolve'))));
  if (!total) $('reports').append(el('li', {}, 'No open reports.'));
  const { sanctions } = await core.getSanctions();
  $('bans').replaceChildren(...sanctions.map((x) => el('li', {}, `${x.username} ${x.until ? `until ${new Date(x.until).toLocaleString()}` : ''} `,
    el('button', { type: 'button', class: 'link lift', onclick: () => core.unbanUser(x.username).then(refreshReports).catch(showError) }, 'Lift'))));
}

// "Mention" on a message: its sender's @username goes into the composer (the server turns
// it into a mention when they may read the message; a whisper mentions consultants only).
async function mention(m) {
  try {
    const { username } = await core.fetchUserById(m.senderId);
    const t = $('text');
    t.value = `${t.value && !t.value.endsWith(' ') ? `${t.value} ` : t.value}@${username} `;
    t.focus();
  } catch (e) { showError(e); }
}

// The open chat's messages that mention you (newest 20), above its log.
async function refreshMentions() {
  if (!current) return;
  const chat = current;
  try {
    const page = await chat.getMentions({ count: 20 });
    if (chat !== current) return;
    $('mentions').replaceChildren(...page.messages.map((m) => el('li', {}, el('span', { class: 'who' }, `${m.senderName}: `), m.text || (m.file ? m.file.name : ''))));
    $('mentions-box').hidden = page.messages.length === 0;
  } catch (e) { showError(e); }
}

// The open chat's pinned messages, above its log.
async function refreshPins() {
  if (!current) return;
  const chat = current;
  try {
    const pins = await chat.getPinnedMessages();
    if (chat !== current) return;
    $('pins').replaceChildren(...pins.map((m) => el('li', {}, el('span', { class: 'who' }, `${m.senderName}: `), m.text || (m.file ? m.file.name : ''))));
    $('pins-box').hidden = pins.length === 0;
  } catch (e) { showError(e); }
}

// A message in the open chat's log; a thread reply in the open thread (and in the log too
// only when it is shown in the chat); the thread's parent at the head of the thread.
function show(m) {
  if (!current || m.chatId !== current.id) return;
  if (thread && m.id === thread.id) { thread = m; $('thread-parent').replaceChildren(render(m)); }
  if (thread && m.parentId === thread.id) place(threadShown, $('thread-log'), m);
  if (m.parentId && !m.showInChat) return;
  place(shown, $('log'), m);
}

function place(nodes, log, m) {
  const fresh = render(m);
  const old = nodes.get(m.id) || (m.clientId && nodes.get(m.clientId));
  if (old) old.replaceWith(fresh); else log.append(fresh);
  nodes.set(m.id, fresh);
  if (m.clientId) nodes.set(m.clientId, fresh);
  log.scrollTop = log.scrollHeight;
}

// The thread panel: a message's replies (getThread), live, and a composer that sends into
// it (a whisper's thread holds whispers: its replies go as whispers).
let thread = null; // the parent message of the open thread
const threadShown = new Map();
async function openThread(m) {
  thread = m;
  threadShown.clear();
  $('thread').hidden = false;
  $('thread-parent').replaceChildren(render(m));
  $('thread-log').replaceChildren();
  if (shown.has(m.id)) place(shown, $('log'), m); // without its Thread button now
  try {
    const page = await current.getThread(m.id, { count: 50 });
    if (thread !== m) return;
    page.messages.forEach((r) => place(threadShown, $('thread-log'), r));
  } catch (e) { showError(e); }
  $('thread-text').focus();
}
function closeThread() {
  const m = thread;
  thread = null;
  $('thread').hidden = true;
  if (m && shown.get(m.id)) show(m);
}

// Staff have a seen mark only where they are members: in a visitor conversation, after
// their first answer. Elsewhere the server would refuse it (403), so it is not asked.
const answered = new Set();
function markSeen(chat) {
  if (chat.isMember || answered.has(chat.id)) chat.setSeen().catch(showError);
}

async function open(chat) {
  closeThread();
  current = chat;
  setReply(null);
  shown.clear();
  $('log').replaceChildren();
  $('draft').textContent = '';
  const kind = chat.kind;
  let title = chat.name || 'Chat';
  if (kind === 'conversation') title = `Conversation with ${chat.members[0]?.name || 'a visitor'}`;
  $('chat-title').textContent = title;
  $('room-tools').hidden = kind !== 'group';
  $('toggle-visibility').textContent = chat.visibility === 'private' ? 'Make public' : 'Make private';
  $('slow-mode').textContent = chat.data.slowMode ? `Slow mode: ${chat.data.slowMode} s` : 'Slow mode';
  $('composer').hidden = false;
  $('whisper').disabled = kind === 'direct';
  try {
    await chat.connect();
    const page = await chat.getMessages(1);
    page.messages.forEach(show);
    await refreshPins();
    await refreshMentions();
    await refreshSanctions();
  } catch (e) { showError(e); }
  markSeen(chat);
  document.querySelectorAll('.list li').forEach((li) => li.classList.toggle('active', li.dataset.id === chat.id));
  $('text').focus();
}

// ------------------------------------------------------------------ lists
async function refreshConversations() {
  const page = await core.getConversations(1);
  const list = $('conversations');
  list.replaceChildren(...page.chats.map((c) => {
    chats.set(c.id, c);
    c.connect().catch(() => {});
    const visitor = c.members[0];
    return el('li', { 'data-id': c.id, class: current?.id === c.id ? 'active' : '' },
      visitor && visitor.presence === 'online' ? el('span', { class: 'dot', title: 'online', 'aria-label': 'online' }) : null,
      el('button', { class: 'link', type: 'button', onclick: () => open(c) }, visitor ? visitor.name : 'Visitor'),
      core.getUnreadCount(c.id) ? el('span', { class: 'unread', 'aria-label': 'unread messages' }, String(core.getUnreadCount(c.id))) : null,
      c.mentionCount ? el('span', { class: 'mention-count', 'aria-label': 'unseen mentions of you' }, `@${c.mentionCount}`) : null);
  }));
  if (!page.chats.length) list.append(el('li', {}, 'No conversations yet.'));
}

async function refreshRooms() {
  const rooms = await core.getAllChatrooms();
  $('rooms').replaceChildren(...rooms.map((r) => el('li', { 'data-id': r.id, class: current?.id === r.id ? 'active' : '' },
    el('button', { class: 'link', type: 'button', onclick: async () => open(chats.get(r.id) || await roomChat(r.id)) },
      r.name || 'Untitled', r.visibility === 'private' ? ' (private)' : ''),
    el('span', {}, `${r.memberCount} member${r.memberCount === 1 ? '' : 's'}`),
    (chats.get(r.id)?.mentionCount ?? r.mentionCount) ? el('span', { class: 'mention-count', 'aria-label': 'unseen mentions of you' }, `@${chats.get(r.id)?.mentionCount ?? r.mentionCount}`) : null)));
  const deleted = await api('GET', '/v1/chatrooms/deleted');
  $('deleted').replaceChildren(...deleted.chats.map((r) => el('li', {},
    el('span', {}, r.name || 'Untitled'),
    el('button', { type: 'button', onclick: () => restore(r.id), 'aria-label': `Restore ${r.name || 'room'}` }, 'Restore'))));
}

async function roomChat(id) {
  const c = await core.getChat(id);
  chats.set(id, c);
  return c;
}

async function refreshOnline() {
  const { users } = await api('GET', '/v1/presence');
  $('online').replaceChildren(...users.map((u) => el('li', {}, el('span', { class: 'dot' }), `${u.name} (${u.role})`)));
  if (!users.length) $('online').append(el('li', {}, 'Nobody.'));
}

async function restore(id) {
  try { await api('POST', `/v1/chats/${encodeURIComponent(id)}/restore`); await refreshRooms(); } catch (e) { showError(e); }
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    Promise.all([refreshConversations(), refreshRooms(), refreshOnline(), refreshReports()]).catch(showError);
  }, 150);
}

// ------------------------------------------------------------------ start
async function start(websiteId, username, password) {
  await init();
  core = new ChatixCore(websiteId, { consultant: { username, password } });
  me = await core.start();
  localStorage.setItem('chatix-console:website', websiteId);
  $('login-screen').hidden = true;
  $('app').hidden = false;
  $('me').textContent = `${me.name} (${me.username})`;
  core.on('connectionStateChanged', (s) => { $('conn').textContent = s; });
  $('conn').textContent = core.connectionState;
  core.on('message', (m) => { show(m); if (current && m.chatId === current.id) markSeen(current); else refreshSoon(); });
  core.on('pending', show);
  core.on('messageUpdated', show);
  core.on('messageDeleted', show);
  core.on('messagePinned', (m) => { show(m); refreshPins(); });
  core.on('messageUnpinned', (m) => { show(m); refreshPins(); });
  core.on('reactionAdded', (e) => show(e.message));
  core.on('reactionRemoved', (e) => show(e.message));
  core.on('typingStarted', async (t) => {
    if (!current || t.chatId !== current.id) return;
    const who = await nameOf(t.userId);
    $('draft').textContent = t.draft ? `${who} is typing: ${t.draft}` : `${who} is typing…`;
  });
  core.on('typingStopped', (t) => { if (current && t.chatId === current.id) $('draft').textContent = ''; });
  core.on('chatCreated', refreshSoon);
  core.on('chatDeleted', refreshSoon);
  core.on('chatRestored', refreshSoon);
  core.on('chatUpdated', (c) => { if (current && c.id === current.id) $('chat-title').textContent = c.name || 'Chat'; refreshSoon(); });
  core.on('presence', refreshSoon);
  core.on('unreadChanged', refreshSoon);
  core.on('mentioned', (m) => { if (current && m.chatId === current.id) refreshMentions(); refreshSoon(); });
  await Promise.all([refreshConversations(), refreshRooms(), refreshOnline(), refreshReports()]);
  // reports have no live event: the queue is read again every 15 s
  setInterval(() => refreshReports().catch(() => {}), 15000);
}

$('website-id').value = new URLSearchParams(location.search).get('website') || localStorage.getItem('chatix-console:website') || '';
$('username').value = new URLSearchParams(location.search).get('username') || '';
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    await start($('website-id').value.trim(), $('username').value.trim(), $('password').value);
  } catch (err) {
    $('login-error').textContent = err.message || String(err);
    if (core) { core.stop(); core = null; }
  }
});
$('logout').addEventListener('click', () => { core?.stop(); location.reload(); });
$('refresh-reports').addEventListener('click', () => refreshReports().catch(showError));
$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text || !current) return;
  $('text').value = '';
  const chat = current;
  const quoted = replyTo && replyTo.chatId === chat.id ? replyTo.id : undefined;
  setReply(null);
  chat.sendMessage({ text, whisper: $('whisper').checked, replyTo: quoted }).then(() => { answered.add(chat.id); showError(null); }).catch(showError);
});
$('thread-close').addEventListener('click', closeThread);
$('thread-composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('thread-text').value.trim();
  if (!text || !current || !thread) return;
  $('thread-text').value = '';
  const chat = current;
  chat.sendMessage({ text, parentId: thread.id, showInChat: $('thread-show').checked, whisper: thread.whisper })
    .then(() => { answered.add(chat.id); showError(null); }).catch(showError);
});
$('thread-text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('thread-composer').requestSubmit(); } });
$('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('composer').requestSubmit(); } });
$('new-room').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const room = await core.groupChat({ name: $('room-name').value.trim(), visibility: $('room-private').checked ? 'private' : 'public' });
    chats.set(room.id, room);
    $('room-name').value = '';
    await refreshRooms();
    await open(room);
  } catch (err) { showError(err); }
});
$('rename').addEventListener('click', async () => {
  const name = prompt('New name', current?.name || '');
  if (!name || !current) return;
  try { await current.setName(name); $('chat-title').textContent = name; await refreshRooms(); } catch (e) { showError(e); }
});
$('toggle-visibility').addEventListener('click', async () => {
  if (!current) return;
  try {
    const next = current.visibility === 'private' ? 'public' : 'private';
    await current.setVisibility(next);
    $('toggle-visibility').textContent = next === 'private' ? 'Make public' : 'Make private';
    await refreshRooms();
  } catch (e) { showError(e); }
});
$('slow-mode').addEventListener('click', async () => {
  if (!current) return;
  const s = prompt('Seconds a visitor waits between two messages (0: off)', String(current.data.slowMode || 0));
  if (s === null) return;
  try { const c = await current.setSlowMode(Number(s)); $('slow-mode').textContent = c.slowMode ? `Slow mode: ${c.slowMode} s` : 'Slow mode'; showError(null); } catch (e) { showError(e); }
});
$('add-member').addEventListener('submit', async (e) => {
  e.preventDefault();
  try { await current.addMember($('member-name').value.trim()); $('member-name').value = ''; showError(null); await refreshRooms(); } catch (err) { showError(err); }
});
$('delete-room').addEventListener('click', async () => {
  if (!current || !confirm('Delete this chatroom? It can be restored.')) return;
  try {
    await current.delete();
    current = null;
    $('log').replaceChildren();
    $('chat-title').textContent = 'Select a conversation or a chatroom';
    $('room-tools').hidden = true;
    $('composer').hidden = true;
    await refreshRooms();
  } catch (e) { showError(e); }
});
