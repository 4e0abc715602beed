// Where the SDK's time goes when a burst of messages is handled back to back in the
// browser: a CPU profile (Chrome DevTools Protocol) of the page while it ingests them,
// printed as self time per function and per kind (wasm, JS glue, the browser itself).
//
//   npm run bench:profile-sdk [-- BURST]
//
// Profiles target/sdk-profiling/ (scripts/build-sdk-names.sh, run here every time: the
// release build with its function names, no wasm-opt), or $CHATIX_PROFILE_PKG as it is (to
// compare two versions). Chromium is driven like in bench/run.mjs (bench/cdp.mjs: a plain
// DevTools connection, no Network domain; Playwright's would copy every frame to the
// driver). Needs the `server` profile binaries (`npm run bench` builds them).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../tests/server.mjs';
import { track } from '../tests/children.mjs';
import { launch } from './cdp.mjs';

const BURST = Number(process.argv[2] ?? 3000);
const PKG = process.env.CHATIX_PROFILE_PKG ?? 'target/sdk-profiling';
if (!process.env.CHATIX_PROFILE_PKG) {
  const r = spawnSync('scripts/build-sdk-names.sh', [PKG], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/build-sdk-names.sh failed');
}
if (!existsSync(join(PKG, 'chatix_core_bg.wasm'))) throw new Error(`no ${PKG}/chatix_core_bg.wasm`);
const bin = (name) => `target/server/${name}`;
const server = await startServer({ port: 18850, binary: bin('chatix-server'), pkgDir: PKG });
const secret = JSON.parse(readFileSync(join(server.dir, 'demo.json'), 'utf8')).secretKey;
const publish = (count, roomId) => new Promise((resolve, reject) => {
  const c = track(spawn(bin('loadgen'), ['--target', 'chatix', '--mode', 'publish', '--url', server.url, '--secret', secret,
    '--room', roomId, '--messages', String(count), '--connections', '8'], { stdio: ['ignore', 'ignore', 'inherit'] }));
  c.on('exit', (code) => (code ? reject(new Error(`loadgen exited ${code}`)) : resolve()));
});
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/healthz`);
  const admin = async (path, body) => (await fetch(`${server.url}${path}`, {
    method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json' }, body: JSON.stringify(body),
  })).json();
  const reader = await admin('/v1/admin/tokens', { username: 'profiled-reader', ttlSeconds: 3600 });
  const room = await admin('/v1/chats/group', { name: 'profile', visibility: 'private', memberUsernames: ['profiled-reader'] });
  await page.evaluate(async ({ websiteId, token, chatId }) => {
    const mod = await import('/pkg/chatix_core.js');
    await mod.default();
    const core = new mod.ChatixCore(websiteId, { token });
    await core.start();
    await core.connectToChatroom(chatId);
    window.heard = { n: 0, first: 0, last: 0 };
    core.on('message', () => { const h = window.heard; const t = performance.now(); if (!h.n++) h.first = t; h.last = t; });
  }, { websiteId: server.demo.websiteId, token: reader.token, chatId: room.id });
  const cdp = page; // the page's DevTools session; Profiler is enabled only for this profile
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  // Hold the page's main thread while the burst is published, so it queues in the browser.
  const held = page.evaluate(() => { const end = performance.now() + 6000; while (performance.now() < end); });
  await publish(BURST, room.id);
  await cdp.send('Profiler.start');
  await held;
  await page.waitFor((n) => window.heard.n >= n, BURST, { timeout: 60_000 });
  const { profile } = await cdp.send('Profiler.stop');
  const h = await page.evaluate(() => window.heard);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const kinds = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = nodes.get(id).callFrame;
    const file = f.url.split('/').pop();
    const name = `${f.functionName || '(anonymous)'}${file ? `  [${file}]` : ''}`;
    const kind = file.endsWith('.wasm') ? 'SDK wasm' : file === 'chatix_core.js' ? 'SDK JS glue' : f.functionName || '(other)';
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    kinds.set(kind, (kinds.get(kind) ?? 0) + dt);
    total += dt;
  });
  const ms = (us) => (us / 1000).toFixed(1);
  console.log(`burst of ${BURST}: ${Math.round(BURST / ((h.last - h.first) / 1000))} msg/s; profile ${ms(total)} ms`);
  console.log('\nby kind (per message):');
  for (const [k, t] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${ms(t).padStart(8)} ms  ${(t / BURST).toFixed(1).padStart(7)} us  ${k}`);
  console.log('\nself time by function:');
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${ms(t).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
} finally {
  await browser.close();
  await server.stop();
}
