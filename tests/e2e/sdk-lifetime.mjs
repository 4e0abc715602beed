// A started ChatixCore that the page no longer references keeps its connection and keeps
// delivering events until stop(): garbage collection must not end a live client. (The
// page forces GC: Chromium runs with --expose-gc.)
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { startServer } from '../server.mjs';

const server = await startServer({ port: Number(process.env.CHATIX_LIFETIME_PORT ?? 18792) });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--js-flags=--expose-gc'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/healthz`);
  const result = await page.evaluate(async ({ websiteId, consultant }) => {
    const { default: init, ChatixCore } = await import('/pkg/chatix_core.js');
    await init();
    const staff = new ChatixCore(websiteId, { consultant });
    await staff.start();
    const room = await staff.groupChat({ name: 'lifetime', visibility: 'public' });
    const heard = [];
    // Only the listener survives this block: the client object itself is unreferenced.
    await (async () => {
      const reader = new ChatixCore(websiteId, { persistVisitor: false });
      await reader.start();
      await reader.connectToChatroom(room.id);
      reader.on('message', (m) => heard.push(m.text));
    })();
    for (let i = 0; i < 5; i++) { window.gc(); await new Promise((r) => setTimeout(r, 50)); }
    for (let i = 0; i < 3; i++) await room.sendMessage({ text: `after gc ${i}` });
    const deadline = Date.now() + 5000;
    while (heard.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    staff.stop();
    return heard;
  }, { websiteId: server.demo.websiteId, consultant: server.demo.consultant });
  assert.deepEqual(result, ['after gc 0', 'after gc 1', 'after gc 2'], 'an unreferenced started client still delivers');
  assert.deepEqual(errors, []);
  console.log('a started client survives garbage collection until stop()');
} finally {
  await browser.close();
  await server.stop();
}
