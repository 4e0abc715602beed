// The real SDK (release pkg/) in Chromium when the browser goes offline and comes back
// (Playwright's context.setOffline: navigator.onLine and the online/offline events), and
// when the page becomes visible again:
//  - offline: the state is `reconnecting` at once (not after a missed heartbeat), no socket
//    is tried while offline, sends made meanwhile are shown as pending;
//  - online: connected again at once (no backoff wait), the queued sends are stored once,
//    and what the peer sent meanwhile arrives once, in order (resume);
//  - visible: the socket is probed with a ping at once.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { startServer } from '../server.mjs';

const port = Number(process.env.CHATIX_NETWORK_PORT ?? 18793);
const server = await startServer({ port });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stamp = Date.now().toString(36);
const names = { a: `net-a-${stamp}`, b: `net-b-${stamp}` };

/** A page in its own context with a started SDK signed in as `me`, in a direct chat with `peer`. */
async function client(me, peer) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const sockets = [];
  page.on('websocket', (ws) => {
    const s = { sent: [] };
    sockets.push(s);
    ws.on('framesent', (f) => s.sent.push(String(f.payload)));
  });
  await page.goto(`${server.url}/healthz`);
  await page.evaluate(async ({ websiteId, token, peer }) => {
    const { default: init, ChatixCore } = await import('/pkg/chatix_core.js');
    await init();
    const core = new ChatixCore(websiteId, { token });
    const s = { core, states: [], heard: [], pending: 0 };
    window.t = s;
    core.on('connectionStateChanged', (state) => s.states.push([state, performance.now()]));
    core.on('pending', () => { s.pending++; });
    await core.start();
    s.chat = await core.chat(peer);
    s.chat.onMessage = (m) => { if (m.senderId !== core.me.id) s.heard.push(m.text); };
  }, { websiteId: server.demo.websiteId, token: tokens[me], peer });
  return { context, page, errors, sockets };
}

// Both users exist before either opens the chat with the other.
const tokens = {};
for (const name of Object.values(names)) {
  const r = await fetch(`${server.url}/v1/test/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name }),
  });
  tokens[name] = (await r.json()).token;
}

try {
  const b = await client(names.b, names.a);
  const a = await client(names.a, names.b);
  const state = (c) => c.page.evaluate(() => window.t.core.connectionState);

  // Offline: reconnecting at once.
  const before = a.sockets.length;
  const t0 = await a.page.evaluate(() => performance.now());
  await a.context.setOffline(true);
  await a.page.waitForFunction(() => window.t.core.connectionState === 'reconnecting', null, { timeout: 3000 });
  const noticed = await a.page.evaluate((t0) => window.t.states.find(([s, at]) => s === 'reconnecting' && at >= t0)[1] - t0, t0);
  assert.ok(noticed < 2000, `offline noticed after ${noticed} ms, not after a heartbeat (25 s)`);
  // Sends while offline are pending; the peer writes meanwhile.
  await a.page.evaluate(() => {
    window.t.sends = ['off1', 'off2', 'off3'].map((text) => window.t.chat.sendMessage({ text }).then((m) => m.id));
  });
  await b.page.evaluate(async () => {
    for (const text of ['while1', 'while2']) await window.t.chat.sendMessage({ text });
  });
  await sleep(2500); // a reconnect storm would show up as sockets opened now
  assert.equal(a.sockets.length, before, 'no socket tried while offline');
  assert.equal(await state(a), 'reconnecting');
  assert.equal(await a.page.evaluate(() => window.t.pending), 3, 'the offline sends are shown as pending');

  // Online: connected at once, sends stored once, the peer's messages resumed once.
  const t1 = await a.page.evaluate(() => performance.now());
  await a.context.setOffline(false);
  await a.page.waitForFunction(() => window.t.core.connectionState === 'open', null, { timeout: 5000 });
  const back = await a.page.evaluate((t1) => window.t.states.find(([s, at]) => s === 'open' && at >= t1)[1] - t1, t1);
  assert.ok(back < 3000, `open again ${back} ms after going online`);
  const ids = await a.page.evaluate(() => Promise.all(window.t.sends));
  assert.equal(new Set(ids).size, 3, 'three sends, three stored messages');
  await a.page.waitForFunction(() => window.t.heard.length >= 2, null, { timeout: 10000 });
  await b.page.waitForFunction(() => window.t.heard.length >= 3, null, { timeout: 10000 });
  await sleep(500); // anything doubled would arrive now
  assert.deepEqual(await a.page.evaluate(() => window.t.heard), ['while1', 'while2'], 'resumed once, in order');
  assert.deepEqual(await b.page.evaluate(() => window.t.heard), ['off1', 'off2', 'off3'], 'each offline send delivered once');
  const stored = await a.page.evaluate(async () => (await window.t.chat.getMessages()).totalMessages);
  assert.equal(stored, 5, 'stored once each');

  // Visible again: a ping at once.
  const sock = a.sockets[a.sockets.length - 1];
  const pingsBefore = sock.sent.filter((f) => f.includes('"ping"')).length;
  await a.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));
  await sleep(300);
  const pingsAfter = sock.sent.filter((f) => f.includes('"ping"')).length;
  assert.equal(pingsAfter, pingsBefore + 1, 'the socket is probed when the page becomes visible');
  assert.equal(await state(a), 'open');

  for (const c of [a, b]) {
    await c.page.evaluate(() => window.t.core.stop());
    assert.deepEqual(c.errors, [], 'no page errors');
  }
  console.log(`SDK offline and back: reconnecting after ${Math.round(noticed)} ms offline, no socket tried while offline, open ${Math.round(back)} ms after online, 3 offline sends stored once, 2 missed messages resumed once, a ping when visible`);
} finally {
  await browser.close();
  await server.stop();
}
