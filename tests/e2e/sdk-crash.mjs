// The real SDK (release pkg/) in Chromium while the server is killed with SIGKILL mid-stream
// and restarted on the same port and data: every sendMessage() Promise resolves, each
// message is stored exactly once (the outbox retries unacknowledged sends with their client
// id), and another SDK instance following the room gets every message once, in send order.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../server.mjs';

const port = Number(process.env.CHATIX_CRASH_PORT ?? 18791);
const N = 300;
let server = await startServer({ port });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/healthz`);
  const roomId = await page.evaluate(async ({ websiteId, consultant, n }) => {
    const { default: init, ChatixCore } = await import('/pkg/chatix_core.js');
    await init();
    const staff = new ChatixCore(websiteId, { consultant });
    await staff.start();
    const room = await staff.groupChat({ name: 'crash room', visibility: 'public' });
    staff.stop();
    const writer = new ChatixCore(websiteId, { persistVisitor: false });
    const reader = new ChatixCore(websiteId, { persistVisitor: false });
    await writer.start();
    await reader.start();
    await writer.connectToChatroom(room.id);
    await reader.connectToChatroom(room.id);
    // The writer pauses after 60 and after 180 sends until the test has frozen the server
    // (gates), so that the sends after each pause are certainly unacknowledged at the kill.
    const gates = [60, 180].map((at) => { const g = { at }; g.opened = new Promise((r) => { g.open = r; }); return g; });
    const s = { sent: 0, acked: 0, failed: [], heard: [], done: false, writer, reader, gates };
    window.crash = s;
    reader.on('message', (m) => { if (m.chatId === room.id) s.heard.push(m.text); });
    // Fire the sends without waiting for each ack, a few at a time, so that some are in
    // flight whenever the server dies.
    (async () => {
      const all = [];
      for (let i = 0; i < n; i++) {
        const gate = gates.find((g) => g.at === i);
        if (gate) { gate.reached = true; await gate.opened; }
        const text = `m${String(i).padStart(4, '0')}`;
        all.push(writer.sendChatroomTextMessage(room.id, text).then(() => { s.acked++; }, (e) => { s.failed.push(`${text}: ${e.code} ${e.message}`); }));
        s.sent++;
        if (i % 5 === 4) await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(all);
      s.done = true;
    })();
    return room.id;
  }, { websiteId: server.demo.websiteId, consultant: server.demo.consultant, n: N });

  const state = () => page.evaluate(() => ({ sent: crash.sent, acked: crash.acked, heard: crash.heard.length, done: crash.done }));
  // Kill twice: once early, once later in the stream.
  const kills = [];
  for (const [g, at] of [60, 180].entries()) {
    // The writer waits at its gate; freeze the server, then let the writer go on (5 sends
    // every 10 ms): a frozen server can neither store nor ack them, so sends are in flight
    // at the kill whatever the machine's speed. (Sampling acked vs sent without the freeze
    // raced the acks; freezing without the gate raced the end of the stream.)
    await page.waitForFunction((i) => window.crash.gates[i].reached === true, g, { timeout: 30000 });
    server.child.kill('SIGSTOP');
    await page.evaluate((i) => window.crash.gates[i].open(), g);
    await page.waitForFunction((k) => window.crash.sent - window.crash.acked >= 5 && window.crash.sent >= k + 5, at, { timeout: 10000 });
    const before = await state();
    await server.stop({ keepData: true, signal: 'SIGKILL' });
    kills.push(before);
    await new Promise((r) => setTimeout(r, 300));
    server = await startServer({ port, dataDir: server.dir });
  }
  await page.waitForFunction(() => window.crash.done, null, { timeout: 60000 });
  await page.waitForFunction((n) => window.crash.heard.length >= n, N, { timeout: 30000 });
  await new Promise((r) => setTimeout(r, 500)); // anything doubled would arrive now
  const result = await page.evaluate(() => {
    const { acked, failed, heard, writer, reader } = window.crash;
    const out = { acked, failed, heard, pending: writer.getPendingMessages().length };
    writer.stop(); reader.stop();
    return out;
  });
  const want = Array.from({ length: N }, (_, i) => `m${String(i).padStart(4, '0')}`);
  assert.deepEqual(result.failed, [], 'no send was rejected');
  assert.equal(result.acked, N, 'every sendMessage() resolved');
  assert.equal(result.pending, 0, 'the outbox is empty');
  assert.deepEqual(result.heard, want, 'the reader got every message once, in send order');
  const page1 = await (await fetch(`${server.url}/v1/chats/${roomId}/messages?page=1`, {
    headers: { authorization: `Bearer ${JSON.parse(readFileSync(join(server.dir, 'demo.json'), 'utf8')).secretKey}` },
  })).json();
  assert.equal(page1.totalMessages, N, `stored exactly once each: ${JSON.stringify(page1).slice(0, 200)}`);
  assert.deepEqual(errors, [], 'no page errors');
  const inFlight = kills.map((k) => k.sent - k.acked);
  console.log(`SDK across 2 SIGKILLs: ${N} sends resolved, ${inFlight.join(' and ')} unacknowledged at the kills, stored once each, ${result.heard.length} delivered once in order`);
  assert.ok(inFlight.every((k) => k >= 5), 'sends really were in flight at each kill');
} finally {
  await browser.close();
  await server.stop();
}
