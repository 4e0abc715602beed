// The release package (pkg/, wasm-opt -Oz) loaded in a real page: wasm-opt damage shows
// only here (debug test builds skip it). Two SDK instances talk through a real server;
// TypeScript declarations are checked for the public names.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';

const dts = readFileSync('pkg/chatix_core.d.ts', 'utf8');
for (const sig of [
  'getChatrooms(pageId?: number, perPage?: number): Promise<ChatroomsPage>',
  'connectToChatroom(id: string): Promise<ChatData>',
  'sendMessage(options: SendMessageOptions): Promise<Message>',
  'on<K extends keyof ChatixEventMap>(event: K, listener: ChatixEventMap[K]): () => void',
  'onChatroomMessageReceived: ((chatroomId: string, message: Message) => void) | undefined;',
]) assert.ok(dts.includes(sig), `chatix_core.d.ts declares ${sig}`);

// The handler properties the declarations promise (from src/web/handlers.rs) are the ones
// src/web/handlers.js defines on each class's prototype.
const declaredHandlers = (cls) => dts.split(/^(?=export )/m)
  .filter((block) => block.startsWith(`export interface ${cls} {`))
  .flatMap((block) => [...block.matchAll(/^\s+(on[A-Z]\w*):/gm)].map((m) => m[1]));
const handlers = { ChatixCore: declaredHandlers('ChatixCore'), Chat: declaredHandlers('Chat') };
assert.equal(handlers.ChatixCore.length, 20, `ChatixCore's handler properties in the d.ts: ${handlers.ChatixCore}`);
assert.equal(handlers.Chat.length, 17, `Chat's handler properties in the d.ts: ${handlers.Chat}`);

// Every method and field the declarations promise on the two classes (the class blocks
// wasm-bindgen writes and the interfaces merged into them: src/web/types.rs, handlers.rs)
// is defined on the glue's class: the REST methods and Chat's fields are JavaScript
// (src/web/handlers.js), nothing checks them against the declarations but this.
const declared = (cls) => {
  const blocks = dts.split(/^(?=export )/m)
    .filter((b) => b.startsWith(`export interface ${cls} {`) || b.startsWith(`export class ${cls} {`));
  const names = (re) => [...new Set(blocks.flatMap((b) => [...b.matchAll(re)].map((m) => m[1])))];
  return {
    methods: names(/^ {4}(?!static )([a-z]\w*)(?:<[^>]*>)?\(/gm).filter((n) => n !== 'constructor'),
    fields: names(/^ {4}(?:readonly )?([a-z]\w*)[?]?:/gm).filter((n) => !/^on[A-Z]/.test(n)),
  };
};
const declaredApi = { ChatixCore: declared('ChatixCore'), Chat: declared('Chat') };
assert.ok(declaredApi.ChatixCore.methods.length >= 45, `ChatixCore's methods in the d.ts: ${declaredApi.ChatixCore.methods}`);
assert.ok(declaredApi.Chat.methods.includes('getMembers') && declaredApi.Chat.fields.includes('memberCount'), 'Chat declares getMembers and memberCount');

const server = await startServer({ port: Number(process.env.CHATIX_TEST_PORT ?? 18788) });
// The server sends the precompressed copies build.sh wrote (what the size budget counts),
// each decoding to the package's file.
for (const [file, encoding] of [['chatix_core_bg.wasm', 'br'], ['chatix_core_bg.wasm', 'gzip'], ['chatix_core.js', 'br']]) {
  const r = await fetch(`${server.url}/pkg/${file}`, { headers: { 'accept-encoding': encoding } });
  assert.equal(r.headers.get('content-encoding'), encoding, `${file} served with ${encoding}`);
  const sent = readFileSync(`pkg/${file}.${encoding === 'br' ? 'br' : 'gz'}`).length;
  assert.equal(Number(r.headers.get('content-length')), sent, `${file}: the ${encoding} copy's bytes`);
  assert.ok(Buffer.from(await r.arrayBuffer()).equals(readFileSync(`pkg/${file}`)), `${file} decodes to the package's file`);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A document served by the server itself (a page fulfilled by the test would count as a
  // foreign address space, and Chromium's local-network checks would block its socket).
  await page.goto(`${server.url}/healthz`);
  const result = await page.evaluate(async ({ websiteId, consultant, declaredApi }) => {
    // count the socket texts that held a `messages` frame (several messages of one chat)
    window.joinedTexts = 0;
    window.WebSocket = class extends WebSocket {
      constructor(...a) {
        super(...a);
        this.addEventListener('message', (e) => { if (String(e.data).includes('{"type":"messages",')) window.joinedTexts++; });
      }
    };
    const { default: init, ChatixCore, Chat } = await import('/pkg/chatix_core.js');
    const defined = (cls) => Object.getOwnPropertyNames(cls.prototype)
      .filter((n) => /^on[A-Z]/.test(n) && typeof Object.getOwnPropertyDescriptor(cls.prototype, n).set === 'function');
    const definedHandlers = { ChatixCore: defined(ChatixCore), Chat: defined(Chat) };
    const classes = { ChatixCore, Chat };
    const missing = Object.entries(declaredApi).flatMap(([cls, { methods, fields }]) => [
      ...methods.filter((m) => typeof classes[cls].prototype[m] !== 'function').map((m) => `${cls}.${m}()`),
      ...fields.filter((f) => !Object.getOwnPropertyDescriptor(classes[cls].prototype, f)?.get).map((f) => `${cls}.${f}`),
    ]);
    const t0 = performance.now();
    await init();
    const staff = new ChatixCore(websiteId, { consultant });
    await staff.start();
    const visitor = new ChatixCore(websiteId, { persistVisitor: false });
    await visitor.start();
    const connectedMs = performance.now() - t0;
    const room = await staff.groupChat({ name: 'release room', visibility: 'public' });
    const heard = [];
    visitor.onChatroomMessageReceived = (roomId, m) => heard.push([roomId, m.text]);
    const viaOn = [];
    const off = visitor.on('message', (m) => viaOn.push(m.text));
    await visitor.connectToChatroom(room.id);
    await room.sendMessage({ text: 'from the release build' });
    await room.sendMessage({ text: 'a whisper', whisper: true });
    const reply = await visitor.sendChatroomTextMessage(room.id, 'and back');
    const deadline = Date.now() + 5000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    off();
    visitor.onChatroomMessageReceived = null;
    // a burst: 300 sends at once reach the visitor in order, each once (the server joins
    // consecutive messages of the room into `messages` frames)
    const burst = [];
    const offBurst = visitor.on('message', (m) => { if (m.text.startsWith('burst ')) burst.push(m.text); });
    await Promise.all(Array.from({ length: 300 }, (_, i) => room.sendMessage({ text: `burst ${i}` })));
    const until = Date.now() + 20000;
    while (burst.length < 300 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    offBurst();
    const burstInOrder = burst.length === 300 && burst.every((t, i) => t === `burst ${i}`);
    let typedError = null;
    try { await visitor.fetchUser(42); } catch (e) { typedError = { name: e.name, code: e.code, isError: e instanceof Error }; }
    // the message methods handlers.js defines on Chat, through the release glue
    const reacted = await room.addReaction(reply.id, '\u{1F44D}');
    const pinnedMsg = await room.pinMessage(reply.id);
    const pins = await room.getPinnedMessages();
    let badReaction = null;
    try { await room.addReaction(reply.id, 42); } catch (e) { badReaction = { name: e.name, code: e.code }; }
    // the REST methods and fields handlers.js defines (ENDPOINTS, CHAT_FIELDS)
    const rejection = async (p) => { try { await p; return 'resolved'; } catch (e) { return `${e.name} ${e.code}: ${e.message}`; } };
    const rooms = await staff.getChatrooms(1, 5);
    const members = await room.getMembers(1, 2);
    const renamed = await room.setName('renamed room');
    const endpoints = {
      rooms: { listed: rooms.chatrooms.some((r) => r.id === room.id), perPage: rooms.chatrooms.length <= 5 },
      members: { total: members.total, perPage: members.perPage },
      renamed: renamed.name,
      fields: { kind: room.kind, name: room.name, visibility: room.visibility, memberCount: room.memberCount, isMember: room.isMember },
      fetched: (await visitor.fetchUserById(staff.me.id)).id === staff.me.id,
      badPage: await rejection(room.getMembers(0)),
      badId: await rejection(visitor.getChatroom(42)),
      badUsers: await rejection(staff.getUsers('not a list')),
      badVisibility: await rejection(room.setVisibility('secret')),
    };
    const messageMethods = { counts: reacted.reactions, own: reacted.ownReactions, pinnedBy: pinnedMsg.pinned?.by,
      pins: pins.map((m) => m.id), badReaction, replyId: reply.id, me: staff.me.id };
    // a handler property reads back what was set, refuses what is not a function, clears with null
    const f = () => {};
    room.onMessage = f;
    const readBack = room.onMessage === f;
    let badHandler = null;
    try { visitor.onChat = 'not a function'; } catch (e) { badHandler = { code: e.code, message: e.message }; }
    room.onMessage = null;
    const cleared = room.onMessage === undefined;
    staff.stop(); visitor.stop();
    return { heard, viaOn, replySeq: reply.seq, typedError, connectedMs, state: visitor.connectionState,
      definedHandlers, missing, endpoints, messageMethods, readBack, badHandler, cleared, burstInOrder, burstCount: burst.length, joinedTexts: window.joinedTexts };
  }, { websiteId: server.demo.websiteId, consultant: server.demo.consultant, declaredApi });
  assert.deepEqual(result.missing, [], 'every declared method and field is defined on the glue\'s classes');
  const ep = result.endpoints;
  assert.deepEqual(ep.rooms, { listed: true, perPage: true }, 'getChatrooms(1, 5) lists the public room');
  assert.deepEqual(ep.members, { total: 2, perPage: 2 }, 'getMembers(1, 2): the staff member and the visitor who joined');
  assert.equal(ep.renamed, 'renamed room', 'setName answers with the chat');
  assert.deepEqual(ep.fields, { kind: 'group', name: 'renamed room', visibility: 'public', memberCount: 2, isMember: true }, 'Chat fields follow its newest data');
  assert.ok(ep.fetched, 'fetchUserById');
  assert.match(ep.badPage, /^ChatixError invalid_argument: page /, 'a bad page rejects, naming it');
  assert.match(ep.badId, /^ChatixError invalid_argument: chatroomId /, 'a bad id rejects, naming it');
  assert.match(ep.badUsers, /^ChatixError invalid_argument: usernames /, 'a bad list rejects, naming it');
  assert.equal(ep.badVisibility, 'ChatixError invalid_argument: visibility must be "public" or "private"');
  assert.deepEqual(result.definedHandlers.ChatixCore.sort(), [...handlers.ChatixCore].sort(), 'ChatixCore defines the declared handlers');
  assert.deepEqual(result.definedHandlers.Chat.sort(), [...handlers.Chat].sort(), 'Chat defines the declared handlers');
  const mm = result.messageMethods;
  assert.deepEqual(mm.counts, { '\u{1F44D}': 1 }, 'addReaction counts');
  assert.deepEqual(mm.own, ['\u{1F44D}'], 'addReaction: your own reactions');
  assert.equal(mm.pinnedBy, mm.me, 'pinMessage: pinned by you');
  assert.deepEqual(mm.pins, [mm.replyId], 'getPinnedMessages lists it');
  assert.deepEqual(mm.badReaction, { name: 'ChatixError', code: 'invalid_argument' }, 'a bad reaction rejects with a ChatixError');
  assert.ok(result.readBack, 'a handler reads back');
  assert.deepEqual(result.badHandler, { code: 'invalid_argument', message: 'onChat must be a function or null' });
  assert.ok(result.cleared, 'null clears a handler');
  assert.ok(result.burstInOrder, `300 burst messages once each, in order (got ${result.burstCount})`);
  // 33-63 of them in runs here: the SDK read joined frames, not only single ones
  assert.ok(result.joinedTexts >= 1, 'the burst came (partly) as joined messages frames');
  assert.deepEqual(result.heard.map((h) => h[1]), ['from the release build', 'and back']);
  assert.deepEqual(result.viaOn, ['from the release build', 'and back']);
  assert.ok(result.replySeq >= 2);
  assert.deepEqual(result.typedError, { name: 'ChatixError', code: 'invalid_argument', isError: true });
  assert.equal(result.state, 'closed');
  assert.deepEqual(errors, []);
  console.log(`release package OK: init() to connected in ${result.connectedMs.toFixed(0)} ms; a 300-message burst in order, ${result.joinedTexts} socket texts held joined messages frames`);
} finally {
  await browser.close();
  await server.stop();
}
