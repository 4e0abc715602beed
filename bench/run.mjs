// `npm run bench`: Chatix measured beside what users would pick instead, in one run on one
// machine, so every figure has a ratio next to it. Writes bench/RESULTS.md and prints the
// same tables. `--smoke` runs every section at tiny sizes in a few seconds (part of
// `npm test`, so the bench cannot rot); it writes test-artifacts/bench-smoke.md instead.
//
// Sections: 1 server fan-out (small rooms, one big room) vs a Socket.IO 4 server;
// 2 idle connections and resident memory per connection; 3 durable writes (SQLite, and
// PostgreSQL when CHATIX_TEST_DATABASE_URL is set); 4 the SDK in headless Chromium vs
// socket.io-client; 5 gzip -9 weight vs the registry packages of socket.io-client,
// centrifuge and stream-chat. Loopback only, bounded sizes, every step stops by itself.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../tests/server.mjs';

const smoke = process.argv.includes('--smoke');
const profile = smoke ? 'debug' : 'server';
const bin = (name) => `target/${profile}/${name}`;
const PORT = smoke ? 18795 : 18700;
const SIO_PORT = PORT + 1;
const lines = [];
const say = (s = '') => { console.log(s); lines.push(s); };

// Workload sizes: the full bench and the smoke run.
const W = smoke ? {
  small: { rooms: 4, members: 3, rates: [20, 40], seconds: 1 },
  big: { rooms: 1, members: 20, rates: [5, 10], seconds: 1 },
  conns: 50,
  writes: { connections: 4, seconds: 1 },
  sdk: { messages: 200, cache: 200 },
} : {
  small: { rooms: 200, members: 10, rates: [1000, 2000, 4000, 8000, 16000], seconds: 4 },
  big: { rooms: 1, members: 2000, rates: [25, 50, 100, 200, 400], seconds: 4 },
  conns: 19500, // the sandbox's hard open-file limit is 20,000 per process
  writes: { connections: 64, seconds: 5 },
  sdk: { messages: 20000, cache: 10000 },
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Runs the Rust load generator; returns its JSON result lines. */
function loadgen(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin('loadgen'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = ''; let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; process.stderr.write(d); });
    const kill = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) return reject(new Error(`loadgen ${args.join(' ')} exited ${code}:\n${err}`));
      resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    });
  });
}

async function chatixServer(port, extra = []) {
  const s = await startServer({ port, binary: bin('chatix-server'), extra });
  s.secret = JSON.parse(readFileSync(join(s.dir, 'demo.json'), 'utf8')).secretKey;
  return s;
}

async function socketioServer(port) {
  const child = spawn(process.execPath, ['bench/socketio/server.mjs', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', (c) => reject(new Error(`socket.io server exited ${c}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`, child,
    async stop() { if (child.exitCode === null) { const d = new Promise((r) => child.once('exit', r)); child.kill(); await d; } },
  };
}

const fmt = (n, d = 0) => (n === undefined || n === null || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : '–');

function table(head, rows) {
  say(`| ${head.join(' | ')} |`);
  say(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) say(`| ${r.join(' | ')} |`);
  say();
}

/** The highest delivered rate at which (almost) everything sent arrived. */
function saturation(steps) {
  let best = steps[0];
  for (const s of steps) {
    if (s.delivered >= 0.95 * s.expectedDeliveries && s.deliveredPerSec > (best?.deliveredPerSec ?? 0)) best = s;
  }
  return best;
}

async function fanout() {
  say('## 1. Server fan-out');
  say();
  const shapes = [
    ['small rooms', W.small],
    ['one big room', W.big],
  ];
  for (const [name, w] of shapes) {
    say(`**${name}**: ${w.rooms} room(s) of ${w.members} members, each member its own WebSocket; one publisher per room (member 0, also a member); total publish rates ${w.rates.join(', ')} msg/s, ${w.seconds} s per step; every message carries its send time, latency measured at every other member (HdrHistogram). Chatix stores each message (durable) before fanning it out; the Socket.IO server only broadcasts.`);
    say();
    const results = {};
    for (const target of ['chatix', 'socketio']) {
      const server = target === 'chatix' ? await chatixServer(PORT) : await socketioServer(SIO_PORT);
      try {
        results[target] = await loadgen(['--target', target, '--mode', 'fanout', '--url', server.url, '--secret', server.secret ?? '',
          '--rooms', String(w.rooms), '--members', String(w.members), '--rates', w.rates.join(','), '--seconds', String(w.seconds), '--label', name]);
      } finally { await server.stop(); }
    }
    const rows = [];
    for (const target of ['chatix', 'socketio']) {
      for (const s of results[target]) {
        rows.push([target, fmt(s.rate), fmt(s.sent), `${fmt(s.delivered)} / ${fmt(s.expectedDeliveries)}`, fmt(s.deliveredPerSec), fmt(s.p50Ms, 2), fmt(s.p99Ms, 2), fmt(s.p999Ms, 2)]);
      }
    }
    table(['server', 'publish msg/s', 'sent', 'delivered / expected', 'delivered msg/s', 'p50 ms', 'p99 ms', 'p99.9 ms'], rows);
    const c = saturation(results.chatix); const o = saturation(results.socketio);
    say(`Best step with >= 95% delivered: Chatix ${fmt(c?.deliveredPerSec)} msg/s (p99 ${fmt(c?.p99Ms, 2)} ms), Socket.IO ${fmt(o?.deliveredPerSec)} msg/s (p99 ${fmt(o?.p99Ms, 2)} ms): **${ratio(c?.deliveredPerSec, o?.deliveredPerSec)}**.`);
    say();
  }
}

async function connections() {
  say('## 2. Idle connections');
  say();
  say(`**Workload**: ${fmt(W.conns)} WebSockets opened (500 at a time) to one node and held idle; resident memory (VmRSS) of the server process before and after, divided by the connections held. Chatix connections are authenticated (user token); Socket.IO ones have joined the default namespace.`);
  say();
  const rows = [];
  for (const target of ['chatix', 'socketio']) {
    const server = target === 'chatix' ? await chatixServer(PORT) : await socketioServer(SIO_PORT);
    try {
      const [r] = await loadgen(['--target', target, '--mode', 'conns', '--url', server.url, '--secret', server.secret ?? '',
        '--connections', String(W.conns), '--pid', String(server.child.pid)]);
      rows.push([target, fmt(r.open), fmt(r.failed), fmt(r.openSeconds, 2), fmt(r.rssBeforeKb / 1024, 1), fmt(r.rssAfterKb / 1024, 1), fmt(r.bytesPerConnection / 1024, 2)]);
    } finally { await server.stop(); }
  }
  table(['server', 'held', 'failed', 'open time s', 'RSS before MiB', 'RSS after MiB', 'KiB per connection'], rows);
}

async function writes() {
  say('## 3. Durable writes');
  say();
  say(`**Workload**: ${W.writes.connections} sockets in one chat, each keeping 4 sends in flight and sending the next when an \`ack\` comes back; Chatix acknowledges a send only after its transaction committed (group commit: one transaction per batch). ${W.writes.seconds} s.`);
  say();
  const rows = [];
  const backends = [['SQLite (embedded default)', []]];
  const pg = process.env.CHATIX_TEST_DATABASE_URL;
  const psql = spawnSync('psql', ['--version']).status === 0;
  if (pg && !psql) {
    say('PostgreSQL: skipped (CHATIX_TEST_DATABASE_URL set but no `psql` to create the bench database).');
    say();
  } else if (pg) {
    const db = `chatix_bench_${process.pid}`;
    run('psql', [pg, '-qc', `CREATE DATABASE ${db}`]);
    backends.push(['PostgreSQL', ['--database-url', pg.replace(/\/[^/]*$/, `/${db}`)], db]);
  } else {
    say('PostgreSQL: skipped (CHATIX_TEST_DATABASE_URL unset).');
    say();
  }
  for (const [name, extra, db] of backends) {
    const server = await chatixServer(PORT, extra);
    try {
      const [r] = await loadgen(['--target', 'chatix', '--mode', 'writes', '--url', server.url, '--secret', server.secret,
        '--connections', String(W.writes.connections), '--seconds', String(W.writes.seconds)]);
      rows.push([name, fmt(r.acked), fmt(r.perSec)]);
    } finally {
      await server.stop();
      if (db) run('psql', [pg, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]);
    }
  }
  table(['store', 'acknowledged', 'durable msg/s'], rows);
}

async function sdk() {
  say('## 4. SDK in the browser');
  say();
  const n = W.sdk.messages;
  say(`**Workload**: headless Chromium (${chromiumVersion()}), one page. Ingest: ${fmt(n)} messages published into one chat by 8 sockets from Node as fast as the server takes them; the page counts them in a \`message\` listener; rate = messages / (last arrival - first arrival). Chatix: the release \`pkg/\` SDK, which stores each in its state (ordered, deduplicated) before the event. Socket.IO: \`socket.io-client\` on the reference server (no state). Memory: JS heap (after GC) + wasm linear memory, before and after ${fmt(W.sdk.cache)} messages are cached, per message. Connect: \`init()\` + \`start()\` until connected.`);
  say();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--enable-precise-memory-info'],
  });
  const rows = [];
  try {
    // Chatix
    const server = await chatixServer(PORT);
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/healthz`);
      const mint = async (username) => (await (await fetch(`${server.url}/v1/admin/tokens`, {
        method: 'POST', headers: { 'x-api-key': server.secret, 'content-type': 'application/json' },
        body: JSON.stringify({ username, ttlSeconds: 3600 }),
      })).json());
      const reader = await mint('sdk-reader');
      const room = await (await fetch(`${server.url}/v1/chats/group`, {
        method: 'POST', headers: { 'x-api-key': server.secret, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'sdk bench', visibility: 'private', memberUsernames: ['sdk-reader'] }),
      })).json();
      const cdp = await page.context().newCDPSession(page);
      const heap = async () => { await cdp.send('HeapProfiler.collectGarbage'); return (await cdp.send('Runtime.getHeapUsage')).usedSize; };
      const ready = await page.evaluate(async ({ websiteId, token, chatId }) => {
        const t0 = performance.now();
        const mod = await import('/pkg/chatix_core.js');
        const wasm = await mod.default();
        const core = new mod.ChatixCore(websiteId, { token });
        await core.start();
        const connectMs = performance.now() - t0;
        await core.connectToChatroom(chatId);
        window.bench = { core, wasm, got: 0, first: 0, last: 0 };
        core.on('message', () => { const b = window.bench; const t = performance.now(); if (!b.got++) b.first = t; b.last = t; });
        return { connectMs };
      }, { websiteId: server.demo.websiteId, token: reader.token, chatId: room.id });
      const heap0 = await heap();
      const wasm0 = await page.evaluate(() => window.bench.wasm.memory.buffer.byteLength);
      const [pub] = await loadgen(['--target', 'chatix', '--mode', 'publish', '--url', server.url, '--secret', server.secret,
        '--room', room.id, '--messages', String(n), '--connections', '8']);
      const got = await page.waitForFunction((want) => window.bench.got >= want, n, { timeout: 120_000 })
        .then(() => page.evaluate(() => ({ got: window.bench.got, first: window.bench.first, last: window.bench.last })))
        .catch(async (e) => { throw new Error(`the SDK page heard ${await page.evaluate(() => window.bench.got)} of ${n} messages (publisher: ${JSON.stringify(pub)}): ${e.message}`); });
      const heap1 = await heap();
      const wasm1 = await page.evaluate(() => window.bench.wasm.memory.buffer.byteLength);
      const cached = await page.evaluate((chatId) => window.bench.core.cacheBytes(), room.id);
      const perMsg = ((heap1 - heap0) + (wasm1 - wasm0)) / n;
      const textBytes = pub.textBytes / n;
      rows.push(['Chatix SDK (wasm)', fmt(n / ((got.last - got.first) / 1000)), fmt(pub.perSec), fmt(perMsg), fmt(textBytes), fmt(cached / n), fmt(ready.connectMs)]);
      await page.evaluate(() => window.bench.core.stop());
      await page.close();
    } finally { await server.stop(); }

    // socket.io-client
    const sio = await socketioServer(SIO_PORT);
    const helper = await chatixServer(PORT); // serves the page (same-origin rule as above)
    try {
      const page = await browser.newPage();
      await page.route('**/sio-client.js', (route) => route.fulfill({ contentType: 'text/javascript', body: readFileSync('node_modules/socket.io-client/dist/socket.io.min.js') }));
      await page.goto(`${helper.url}/healthz`);
      const cdp = await page.context().newCDPSession(page);
      const heap = async () => { await cdp.send('HeapProfiler.collectGarbage'); return (await cdp.send('Runtime.getHeapUsage')).usedSize; };
      const ready = await page.evaluate(async (url) => {
        const t0 = performance.now();
        await new Promise((resolve, reject) => { const s = document.createElement('script'); s.src = '/sio-client.js'; s.onload = resolve; s.onerror = reject; document.head.append(s); });
        const socket = window.io(url, { transports: ['websocket'] });
        await new Promise((r) => socket.once('connect', r));
        const connectMs = performance.now() - t0;
        socket.emit('join', 'r0');
        window.bench = { socket, got: 0, first: 0, last: 0, kept: [] };
        socket.on('msg', (m) => { const b = window.bench; const t = performance.now(); b.kept.push(m); if (!b.got++) b.first = t; b.last = t; });
        await new Promise((r) => setTimeout(r, 200));
        return { connectMs };
      }, sio.url);
      const heap0 = await heap();
      const [pub] = await loadgen(['--target', 'socketio', '--mode', 'publish', '--url', sio.url, '--room', 'r0', '--messages', String(n), '--connections', '8']);
      const got = await page.waitForFunction((want) => window.bench.got >= want, n, { timeout: 120_000 })
        .then(() => page.evaluate(() => ({ got: window.bench.got, first: window.bench.first, last: window.bench.last })));
      const heap1 = await heap();
      rows.push(['socket.io-client (messages kept in an array)', fmt(n / ((got.last - got.first) / 1000)), fmt(pub.perSec), fmt((heap1 - heap0) / n), fmt(pub.textBytes / n), '–', fmt(ready.connectMs)]);
      await page.close();
    } finally { await sio.stop(); await helper.stop(); }
  } finally { await browser.close(); }
  table(['client', 'ingested msg/s', 'server published msg/s', 'memory bytes/msg', 'text bytes/msg', 'SDK cacheBytes/msg', 'connect ms'], rows);
}

function chromiumVersion() {
  try { return run(process.env.CHROMIUM ?? '/usr/bin/chromium', ['--version']).trim(); } catch { return 'Chromium'; }
}

function weight() {
  say('## 5. Weight (gzip -9)');
  say();
  const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
  const sdkWasm = gz('pkg/chatix_core_bg.wasm'); const sdkJs = gz('pkg/chatix_core.js'); const widget = gz('www/widget.js');
  const rows = [
    ['Chatix SDK (.wasm + JS glue)', 'pkg/', fmt(sdkWasm + sdkJs)],
    ['Chatix widget.js', 'www/', fmt(widget)],
    ['**Chatix SDK + widget**', '', `**${fmt(sdkWasm + sdkJs + widget)}**`],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'chatix-weight-'));
  const others = smoke ? [] : [
    ['socket.io-client@4.8.4', 'dist/socket.io.min.js'],
    ['centrifuge@5.8.0', 'dist/centrifuge.js'],
    ['stream-chat@9.53.0', 'dist/browser.full-bundle.min.js'],
  ];
  let stream = 0;
  try {
    for (const [spec, file] of others) {
      const tgz = run('npm', ['pack', spec, '--silent', '--pack-destination', dir], { cwd: dir }).trim().split('\n').pop();
      const out = join(dir, spec.replace(/[@/.]/g, '_'));
      mkdirSync(out);
      run('tar', ['-xzf', join(dir, tgz), '-C', out]);
      let path = join(out, 'package', file);
      try { statSync(path); } catch { path = biggestJs(join(out, 'package', 'dist')); }
      const size = gz(path);
      if (spec.startsWith('stream-chat')) stream = size;
      rows.push([spec, path.split('/package/')[1], fmt(size)]);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  table(['bundle', 'file', 'bytes gzip -9'], rows);
  if (stream) say(`Chatix SDK + widget vs stream-chat's browser bundle: **${ratio(sdkWasm + sdkJs + widget, stream)}** of its size.`), say();
}

function biggestJs(dir) {
  let best = null; let size = -1;
  for (const f of readdirSync(dir, { recursive: true })) {
    const p = join(dir, String(f));
    if (!/\.m?js$/.test(p)) continue;
    const s = statSync(p).size;
    if (s > size) { best = p; size = s; }
  }
  return best;
}

const started = new Date();
say(`# Chatix benchmark results${smoke ? ' (smoke run, tiny sizes: not figures)' : ''}`);
say();
say(`Run ${started.toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB; ${run('rustc', ['--version']).trim()}; Node ${process.version}; socket.io ${JSON.parse(readFileSync('node_modules/socket.io/package.json', 'utf8')).version}. Server and load generator share the machine (the generator takes a core of its own under load), so read ratios, not absolutes. Regenerate with \`npm run bench\`.`);
say();
// `--only fanout,sdk` runs some sections (for profiling one thing).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (name) => !only || only.includes(name);
if (want('fanout')) await fanout();
if (want('conns')) await connections();
if (want('writes')) await writes();
if (want('sdk')) await sdk();
if (want('weight')) weight();
const out = smoke ? 'test-artifacts/bench-smoke.md' : 'bench/RESULTS.md';
mkdirSync('test-artifacts', { recursive: true });
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`\nwritten to ${out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
