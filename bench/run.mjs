// `npm run bench`: Chatix measured beside what users would pick instead, in one run on one
// machine, so every figure has a ratio next to it. Writes bench/RESULTS.md and prints the
// same tables. `--smoke` runs every section at tiny sizes in a few seconds (part of
// `npm test`, so the bench cannot rot); it writes test-artifacts/bench-smoke.md instead.
//
// Sections: 1 server fan-out (small rooms, one big room) vs a Socket.IO 4 server;
// 2 idle connections and resident memory per connection; 3 durable writes (SQLite, and
// PostgreSQL when CHATIX_TEST_DATABASE_URL is set); 4 the SDK in headless Chromium (driven
// over plain CDP, bench/cdp.mjs) vs a bare WebSocket page and socket.io-client; 5 gzip -9
// weight vs the registry packages of socket.io-client, centrifuge and stream-chat, and the
// SDK's .wasm by crate (twiggy). Loopback only, bounded sizes, every step stops by itself; a crash or Ctrl-C kills every
// server, browser and load generator it started (tests/children.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch } from './cdp.mjs';
import { startServer } from '../tests/server.mjs';
import { track } from '../tests/children.mjs';

const smoke = process.argv.includes('--smoke');
const TWIGGY_VERSION = '0.8.0'; // the one scripts/bench.sh installs
const profile = smoke ? 'debug' : 'server';
const bin = (name) => `target/${profile}/${name}`;
const PORT = smoke ? 18795 : 18700;
const SIO_PORT = PORT + 1;
const lines = [];
const say = (s = '') => { console.log(s); lines.push(s); };

// Workload sizes: the full bench and the smoke run.
const W = smoke ? {
  small: { rooms: 4, members: 3, rates: [20, 40], seconds: 1, p99Ms: 100 },
  big: { rooms: 1, members: 20, rates: [5, 10], seconds: 1, p99Ms: 200 },
  cluster: { rooms: 4, members: 3, rates: [20], seconds: 1 },
  soak: { rooms: 2, members: 3, rate: 10, steps: 3, seconds: 1 },
  conns: 50,
  writes: { connections: [4, 8], seconds: 1 },
  sdk: { messages: 200, burst: 200, wire: 50, connects: 1 },
} : {
  // rate steps x1.5 apart, so that the headline ratio means something
  small: { rooms: 200, members: 10, rates: [1000, 1500, 2250, 3400, 5000, 7500, 11000, 16000, 24000], seconds: 4, p99Ms: 100 },
  big: { rooms: 1, members: 2000, rates: [25, 40, 60, 90, 135, 200, 300, 450, 675], seconds: 4, p99Ms: 200 },
  cluster: { rooms: 100, members: 10, rates: [500, 1000, 2000, 4000], seconds: 4 },
  soak: { rooms: 150, members: 20, rate: 300, steps: 19, seconds: 30 },
  conns: 19500, // the sandbox's hard open-file limit is 20,000 per process
  // 4 sends in flight per socket: 256, 512 or 1,024 in all, never more than one batch
  // (MAX_BATCH, 1,024): every send of a cycle is in the same transaction, so the writer
  // waits for the acks' round trip; the rows show how far more senders lift that floor.
  writes: { connections: [64, 128, 256], seconds: 5 },
  // connects: cold connects per client, each on a fresh page; the median is reported
  sdk: { messages: 10000, burst: 3000, wire: 2000, connects: 11 },
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Runs the Rust load generator; returns its JSON result lines. */
function loadgen(args) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(bin('loadgen'), args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = ''; let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; process.stderr.write(d); });
    const kill = setTimeout(() => child.kill('SIGKILL'), 1_800_000); // a stuck run still ends
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) return reject(new Error(`loadgen ${args.join(' ')} exited ${code}:\n${err}`));
      resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    });
  });
}

async function chatixServer(port, extra = [], dataDir = undefined) {
  const s = await startServer({ port, binary: bin('chatix-server'), extra, dataDir });
  s.secret = JSON.parse(readFileSync(join(s.dir, 'demo.json'), 'utf8')).secretKey;
  // When it stops, say which shed refused sends (each logs at powers of two: the last line
  // of each kind has its total), so a refused step in the tables can be explained.
  const stop = s.stop.bind(s);
  s.stop = async (...args) => {
    const lines = s.log().replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    for (const kind of ['fan-out running late', 'writer over capacity']) {
      const seen = lines.filter((l) => l.includes(kind));
      if (seen.length) console.error(`[bench] chatix-server :${port} refused sends (${kind}): first ${seen[0].trim()}; last ${seen.at(-1).trim()}`);
    }
    return stop(...args);
  };
  return s;
}

async function socketioServer(port) {
  const child = track(spawn(process.execPath, ['bench/socketio/server.mjs', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] }));
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
const ratio = (a, b) => (b > 0 ? `${((a ?? 0) / b).toFixed(2)}x` : "–");

function table(head, rows) {
  say(`| ${head.join(' | ')} |`);
  say(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) say(`| ${r.join(' | ')} |`);
  say();
}

/**
 * The headline step: the highest publish rate at which every message was delivered (none
 * refused, none lost) and the p99 latency stayed within `p99Ms`. Undefined when no step did.
 */
function headline(steps, p99Ms) {
  let best;
  for (const s of steps) {
    if (s.delivered >= s.expectedDeliveries && s.p99Ms <= p99Ms && s.rate > (best?.rate ?? 0)) best = s;
  }
  return best;
}

const stepText = (s) => (s ? `${fmt(s.rate)} msg/s published (p50 ${fmt(s.p50Ms, 2)}, p99 ${fmt(s.p99Ms, 2)} ms)` : 'no step');

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
    say(`**${name}**: ${w.rooms} room(s) of ${w.members} members, each member its own WebSocket; one publisher per room (member 0, also a member), sending at an even interval, the rooms' first sends spread over one interval (a steady stream: started together they were bursts of one message per room); total publish rates ${w.rates.join(', ')} msg/s, ${w.seconds} s per step, after a warm-up step at ${w.rates[0]} msg/s that is not reported (the same for both servers); every message carries its send time, latency measured at every other member (HdrHistogram). Chatix stores each message (durable) before fanning it out; the Socket.IO server only broadcasts.`);
    say();
    const results = {};
    for (const target of ['chatix', 'socketio']) {
      const server = target === 'chatix' ? await chatixServer(PORT) : await socketioServer(SIO_PORT);
      try {
        // A warm-up step at the first rate, not reported: the first seconds after 2,000
        // sockets connect (caches, allocators, the kernel's buffers; the server's and the
        // load generator's) measured as a separate, worse step for both servers.
        const steps = await loadgen(['--target', target, '--mode', 'fanout', '--url', server.url, '--secret', server.secret ?? '',
          '--rooms', String(w.rooms), '--members', String(w.members), '--rates', [w.rates[0], ...w.rates].join(','), '--seconds', String(w.seconds), '--label', name]);
        results[target] = steps.slice(1);
      } finally { await server.stop(); }
    }
    const rows = [];
    for (const target of ['chatix', 'socketio']) {
      for (const s of results[target]) {
        rows.push([target, fmt(s.rate), fmt(s.sent), fmt(s.refused ?? 0), `${fmt(s.delivered)} / ${fmt(s.expectedDeliveries)}`, fmt(s.deliveredPerSec), fmt(s.p50Ms, 2), fmt(s.p99Ms, 2), fmt(s.p999Ms, 2)]);
      }
    }
    // refused: sends the server turned down at once (overload: `rate_limited`, retry later;
    // never stored, so never delivered) instead of queueing them.
    table(['server', 'publish msg/s', 'sent', 'refused', 'delivered / expected', 'delivered msg/s', 'p50 ms', 'p99 ms', 'p99.9 ms'], rows);
    const hc = headline(results.chatix, w.p99Ms); const ho = headline(results.socketio, w.p99Ms);
    say(`**Headline** (highest publish step with every message delivered and p99 <= ${w.p99Ms} ms): Chatix (durable) ${stepText(hc)}, Socket.IO (broadcast only) ${stepText(ho)}: **${ratio(hc?.rate, ho?.rate)}**.`);
    if (ho) {
      // the step nearest below half of Socket.IO's headline rate
      const half = results.chatix.filter((s) => s.rate <= ho.rate / 2).at(-1);
      say(`At half of Socket.IO's headline step (${fmt(ho.rate / 2)} msg/s; nearest step at or below: ${half ? fmt(half.rate) : 'none'}): Chatix p50 ${fmt(half?.p50Ms, 2)} ms, p99 ${fmt(half?.p99Ms, 2)} ms${half?.delivered < half?.expectedDeliveries ? ' (not everything delivered)' : ''}.`);
    }
    const c = saturation(results.chatix); const o = saturation(results.socketio);
    say(`For reference, the best step with >= 95% delivered, latency ignored: Chatix ${fmt(c?.deliveredPerSec)} delivered msg/s (p99 ${fmt(c?.p99Ms, 2)} ms), Socket.IO ${fmt(o?.deliveredPerSec)} (p99 ${fmt(o?.p99Ms, 2)} ms): ${ratio(c?.deliveredPerSec, o?.deliveredPerSec)}.`);
    say();
  }
}

/** Issue 5's figures: the small-room shape on one node vs three, all on PostgreSQL + Redis. */
async function cluster() {
  say('## 1b. One node vs three (PostgreSQL + Redis)');
  say();
  const pg = process.env.CHATIX_TEST_DATABASE_URL; const redis = process.env.CHATIX_TEST_REDIS_URL;
  if (!pg || !redis || spawnSync('psql', ['--version']).status !== 0) {
    say('Skipped: needs CHATIX_TEST_DATABASE_URL, CHATIX_TEST_REDIS_URL and `psql`.');
    say();
    return;
  }
  const w = W.cluster;
  say(`**Workload**: the small-room shape (${w.rooms} rooms of ${w.members}), publish rates ${w.rates.join(', ')} msg/s, ${w.seconds} s per step, sockets spread round-robin over the nodes; storage PostgreSQL, fan-out between nodes over Redis pub/sub. All nodes, PostgreSQL, Redis and the load generator share this machine's ${cpus().length} cores, so three nodes cannot add CPU here: this measures the cost of the cluster path, not its scaling.`);
  say();
  const rows = [];
  const best = {};
  const reads = {};
  const cpu = {};
  for (const count of [1, 3]) {
    const db = `chatix_bench_cluster_${process.pid}_${count}`;
    run('psql', [pg, '-qc', `CREATE DATABASE ${db}`]);
    const dataDir = mkdtempSync(join(tmpdir(), 'chatix-cluster-'));
    const nodes = [];
    try {
      for (let i = 0; i < count; i++) {
        nodes.push(await chatixServer(PORT + 10 + i, ['--database-url', pg.replace(/\/[^/]*$/, `/${db}`), '--redis-url', redis], dataDir));
      }
      // every node's /healthz fanoutReadsByKind, summed: {position, check, backfill}
      const fanoutReads = async () => {
        const n = { position: 0, check: 0, backfill: 0 };
        for (const node of nodes) {
          const k = (await (await fetch(`${node.url}/healthz`)).json()).fanoutReadsByKind;
          for (const kind of Object.keys(n)) n[kind] += k[kind];
        }
        return n;
      };
      // CPU seconds the server processes used (utime + stime of /proc/<pid>/stat, in ticks)
      const cpuSeconds = async () => {
        let t = 0;
        for (const node of nodes) {
          const { pid } = await (await fetch(`${node.url}/healthz`)).json();
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
          t += (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15, after pid and comm
        }
        return t;
      };
      const cpuBefore = await cpuSeconds();
      const readsBefore = await fanoutReads();
      const steps = await loadgen(['--target', 'chatix', '--mode', 'fanout', '--url', nodes.map((n) => n.url).join(','), '--secret', nodes[0].secret,
        '--rooms', String(w.rooms), '--members', String(w.members), '--rates', w.rates.join(','), '--seconds', String(w.seconds)]);
      const readsAfter = await fanoutReads();
      const sent = steps.reduce((a, s) => a + s.sent, 0);
      reads[count] = Object.fromEntries(Object.keys(readsAfter).map((k) => [k, readsAfter[k] - readsBefore[k]]));
      // A room's first position is read once per room and node, when its first subscriber
      // comes (before the first step here): per room, not per message.
      reads[count].perMessage = (reads[count].check + reads[count].backfill) / sent;
      reads[count].sent = sent;
      cpu[count] = ((await cpuSeconds()) - cpuBefore) / (steps.reduce((a, s) => a + s.delivered, 0) / 100_000);
      for (const s of steps) rows.push([`${count} node${count > 1 ? 's' : ''}`, fmt(s.rate), `${fmt(s.delivered)} / ${fmt(s.expectedDeliveries)}`, fmt(s.deliveredPerSec), fmt(s.p50Ms, 2), fmt(s.p99Ms, 2), fmt(s.p999Ms, 2)]);
      best[count] = headline(steps, 100);
    } finally {
      for (const n of nodes.reverse()) await n.stop({ keepData: true });
      rmSync(dataDir, { recursive: true, force: true });
      run('psql', [pg, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]);
    }
  }
  table(['cluster', 'publish msg/s', 'delivered / expected', 'delivered msg/s', 'p50 ms', 'p99 ms', 'p99.9 ms'], rows);
  say(`Highest publish step with every message delivered and p99 <= 100 ms: one node ${stepText(best[1])}, three nodes ${stepText(best[3])}.`);
  say();
  const readText = (r) => `**${fmt(r.perMessage, 3)}** (${fmt(r.check)} checks, ${fmt(r.backfill)} backfill pages for ${fmt(r.sent)} messages; besides, ${fmt(r.position)} first positions)`;
  say(`Database reads made to fan out, per published message (\`fanoutReadsByKind\` of every node's \`/healthz\`, summed): a check for missed changes (after a gap in a node's bus events, a bus reconnect, a cursor ahead of the room) or a backfill page after a gap; nothing polls. Not per message, and counted apart: a room's first position on a node, read once when its first subscriber comes. One node ${readText(reads[1])}, three nodes ${readText(reads[3])}. A message event on the bus carries the message.`);
  say();
  say(`Server CPU seconds per 100,000 deliveries (every node's utime + stime over the whole run): one node ${fmt(cpu[1], 2)}, three nodes ${fmt(cpu[3], 2)}: **${ratio(cpu[3], cpu[1])}**.`);
  say();
}

/** Issue 7's soak: thousands of connections with steady traffic for ten minutes. */
async function soak() {
  const w = W.soak;
  say('## 6. Soak');
  say();
  say(`**Workload**: ${fmt(w.rooms * w.members)} sockets in ${w.rooms} rooms of ${w.members}, ${w.rate} msg/s published (${fmt(w.rate * (w.members - 1))} deliveries/s), for ${fmt((w.steps * (w.seconds + 1.5)) / 60, 1)} minutes in ${w.steps} steps; the server's resident memory after each step. Chatix on the embedded default.`);
  say();
  const server = await chatixServer(PORT);
  let steps;
  try {
    steps = await loadgen(['--target', 'chatix', '--mode', 'fanout', '--url', server.url, '--secret', server.secret, '--pid', String(server.child.pid),
      '--rooms', String(w.rooms), '--members', String(w.members), '--rates', Array(w.steps).fill(w.rate).join(','), '--seconds', String(w.seconds)]);
  } finally { await server.stop(); }
  const rows = steps.map((s, i) => [String(i + 1), fmt(s.rssKb / 1024, 1), `${fmt(s.delivered)} / ${fmt(s.expectedDeliveries)}`, fmt(s.p50Ms, 2), fmt(s.p99Ms, 2)]);
  table(['step', 'RSS MiB', 'delivered / expected', 'p50 ms', 'p99 ms'], rows);
  const warm = steps[Math.min(1, steps.length - 1)].rssKb; const end = steps[steps.length - 1].rssKb;
  const lost = steps.reduce((a, s) => a + (s.expectedDeliveries - s.delivered), 0);
  say(`Resident memory after warm-up (step 2) ${fmt(warm / 1024, 1)} MiB, at the end ${fmt(end / 1024, 1)} MiB (${end >= warm ? '+' : ''}${fmt(((end - warm) / Math.max(warm, 1)) * 100, 1)}%); deliveries missing at the end of their step: ${fmt(lost)}.`);
  // Flat or growing: the least-squares slope of RSS over the second half of the run (after
  // caches have filled), as a share of the warm figure per ten minutes.
  const half = steps.slice(Math.floor(steps.length / 2));
  const xs = half.map((_, i) => i * (w.seconds + 1.5) / 60); const ys = half.map((s) => s.rssKb / 1024);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length; const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = sxx > 0 ? xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / sxx : 0; // MiB per minute
  const per10 = (slope * 10) / Math.max(warm / 1024, 1) * 100;
  say(`Second half of the run: RSS slope ${fmt(slope, 2)} MiB/min, ${fmt(per10, 1)}% of the warm figure per ten minutes: **${Math.abs(per10) < 5 ? 'flat' : 'GROWING'}** (flat = under 5% per ten minutes).`);
  say();
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
  const inFlight = W.writes.connections.map((c) => fmt(c * 4));
  say(`**Workload**: sockets in one chat (${W.writes.connections.join(' or ')}), each keeping 4 sends in flight (${inFlight.join(' or ')} in all) and sending the next when an \`ack\` comes back; Chatix acknowledges a send only after its transaction committed (group commit: one transaction per batch of at most 1,024, \`MAX_BATCH\` in server/src/store/batch.rs). With at most one batch in flight (every row here) every send of a cycle lands in the same transaction, so the writer sits idle while the acks travel and the senders answer them: such a row is bounded by the round trip, a floor under the store's throughput. ${W.writes.seconds} s each.`);
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
      for (const conns of W.writes.connections) {
        const [r] = await loadgen(['--target', 'chatix', '--mode', 'writes', '--url', server.url, '--secret', server.secret,
          '--connections', String(conns), '--seconds', String(W.writes.seconds)]);
        rows.push([name, fmt(conns * 4), fmt(r.acked), fmt(r.perSec)]);
      }
    } finally {
      await server.stop();
      if (db) run('psql', [pg, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]);
    }
  }
  table(['store', 'sends in flight', 'acknowledged', 'durable msg/s'], rows);
}

/** In the page: counts `message` events; `mark` splits the live phase from the burst. */
const LISTEN = `window.bench = Object.assign(window.bench || {}, { got: 0, first: 0, last: 0, mark: Infinity, burstFirst: 0 });
window.benchHear = () => { const b = window.bench; const t = performance.now(); b.got++; if (b.got === 1) b.first = t; if (b.got === b.mark + 1) b.burstFirst = t; b.last = t; };`;

/**
 * In the page, before any client exists: `window.WebSocket` becomes a subclass that adds
 * the size of every message event it receives to `window.wire` (one record per socket).
 * Only in the short wire-count runs, never in a timed one. Sizes are `data.length`
 * (UTF-16 units; the same as bytes for this ASCII traffic).
 */
const COUNT_WIRE = `window.wire = []; window.NativeWebSocket = window.WebSocket;
window.WebSocket = class CountingWebSocket extends window.NativeWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    const rec = { url: String(url), bytes: 0, frames: 0 };
    window.wire.push(rec);
    this.addEventListener('message', (e) => { rec.bytes += typeof e.data === 'string' ? e.data.length : (e.data.byteLength ?? e.data.size ?? 0); rec.frames++; });
  }
};`;

/**
 * Measures one client in `page`: a live phase (n messages published while the page
 * listens: bounded by the server), then a burst (the page's main thread is held busy
 * while `burst` more are published, so they queue in the browser and are then handled
 * back to back: the client's own ceiling), then memory after GC.
 */
async function measureClient(page, { publish, wasmBytes, n, burst }) {
  const wait = (want) => page.waitFor((w) => window.bench.got >= w, want, { timeout: 180_000 })
    .catch(async (e) => { throw new Error(`the page heard ${await page.evaluate(() => window.bench.got)} of ${want} messages: ${e.message}`); });
  const heap0 = await page.heapUsed(); const wasm0 = await wasmBytes();
  const [live] = await publish(n);
  await wait(n);
  const l = await page.evaluate(() => ({ first: window.bench.first, last: window.bench.last }));
  // Hold the main thread long enough for the publisher to finish at the live rate.
  const holdMs = Math.min(20_000, Math.max(1_000, (burst / live.perSec) * 1000 * 2 + 500));
  await page.evaluate((m) => { window.bench.mark = m; }, n);
  const held = page.evaluate((ms) => { const end = performance.now() + ms; while (performance.now() < end); }, holdMs);
  const [pub2] = await publish(burst);
  await held;
  await wait(n + burst);
  const b = await page.evaluate(() => ({ first: window.bench.burstFirst, last: window.bench.last }));
  const heap1 = await page.heapUsed(); const wasm1 = await wasmBytes();
  const total = n + burst;
  const bytesPerMsg = ((heap1 - heap0) + (wasm1 - wasm0)) / total;
  const textBytes = (live.textBytes + pub2.textBytes) / total;
  return {
    liveRate: n / ((l.last - l.first) / 1000),
    burstRate: burst / ((b.last - b.first) / 1000),
    burstComplete: pub2.seconds * 1000 < holdMs,
    published: live.perSec,
    bytesPerMsg, textBytes, beyondText: bytesPerMsg - textBytes,
    total,
  };
}

/** Totals of the page's wire records (see COUNT_WIRE): `mine` the bench's own extra socket, or the client's. */
const wireOf = (page, mine) => page.evaluate((m) => {
  const recs = window.wire.filter((r) => !!r.mine === m);
  return { bytes: recs.reduce((a, r) => a + r.bytes, 0), frames: recs.reduce((a, r) => a + r.frames, 0), urls: recs.map((r) => r.url) };
}, mine);

async function sdk() {
  say('## 4. SDK in the browser');
  say();
  const n = W.sdk.messages; const burst = W.sdk.burst; const wireN = W.sdk.wire;
  say(`**Workload**: headless ${chromiumVersion()}, one page per client. *Live*: ${fmt(n)} messages published into one chat by 8 sockets from Node as fast as the server takes them (Chatix: durable, acknowledged); the page counts them in a \`message\` listener; rate = messages / (last arrival - first arrival), so it is bounded by the server. *Burst*: the page's main thread is then held busy while ${fmt(burst)} more are published, so they wait in the browser and are handled back to back: the client's own ceiling (a burst stays under the server's per-connection queue of 4,096 frames). Chatix: the release \`pkg/\` SDK, which puts each message into its state (ordered, deduplicated, unread counted) before the event. *Bare page*: no SDK, the browser's own per-frame limit: a page opens a \`WebSocket\` to the same Chatix server (\`/v1/ws?website=…\`, batches not asked for), sends the reader's token in an \`auth\` frame and one \`subscribe\`, \`JSON.parse\`s each frame and pushes each message frame into an array. Socket.IO: \`socket.io-client\` on the reference server, the app keeping each message in an array. Memory: JS heap after GC + wasm linear memory, growth over all ${fmt(n + burst)} messages, per message, per 10,000, and beyond the message's text (bytes/msg - text bytes/msg). Connect: cold \`import\` of the glue + \`init()\` + \`start()\` until connected (Chatix SDK; the table's figure fetches the \`.wasm\` when \`init()\` asks for it, the summary also gives it fetched beside the import, as README shows), \`new WebSocket\` until open (bare page), script load + \`io()\` until \`connect\` (Socket.IO); the median of ${W.sdk.connects} cold connects per client, each on a fresh page whose files are fetched and compiled afresh (a query string the files are asked for with). Wire bytes/msg: the \`data.length\` of every WebSocket message event the page received, divided by the messages it heard: counted inline by the bare page; for the SDK and socket.io-client in a separate run of ${fmt(wireN)} messages with \`window.WebSocket\` replaced by a counting subclass before the client is loaded, so the count never slows a timed run.`);
  say();
  say(`**Driver**: Chromium is started by the bench itself (\`--headless --remote-debugging-port=0\`, a temporary profile) and driven over a plain DevTools Protocol WebSocket (\`bench/cdp.mjs\`, the \`ws\` package) that enables only the \`Runtime\`, \`Page\` and \`HeapProfiler\` domains: evaluate, navigate, GC + heap usage. Not Playwright: it enables the \`Network\` domain on every page, so Chromium copies every WebSocket frame to the driver, which cuts every client's rate here about 3×. The functional tests keep Playwright.`);
  say();
  const browser = await launch();
  const rows = [];
  const res = {};
  const row = (name, r, connectMs, cacheBytes, wire) => rows.push([name, fmt(r.liveRate), fmt(r.published), `${fmt(r.burstRate)}${r.burstComplete ? '' : ' (publisher outlasted the hold)'}`,
    fmt(r.bytesPerMsg), fmt((r.bytesPerMsg * 10000) / 2 ** 20, 1), fmt(r.textBytes), fmt(r.beyondText), cacheBytes === undefined ? '–' : fmt(cacheBytes), wire ?? '–', fmt(connectMs)]);
  const wireNotes = [];
  try {
    const server = await chatixServer(PORT);
    try {
      const admin = async (path, body) => (await fetch(`${server.url}${path}`, {
        method: 'POST', headers: { 'x-api-key': server.secret, 'content-type': 'application/json' }, body: JSON.stringify(body),
      })).json();
      const reader = await admin('/v1/admin/tokens', { username: 'sdk-reader', ttlSeconds: 3600 });
      const room = await admin('/v1/chats/group', { name: 'sdk bench', visibility: 'private', memberUsernames: ['sdk-reader'] });
      const publish = (count) => loadgen(['--target', 'chatix', '--mode', 'publish', '--url', server.url, '--secret', server.secret,
        '--room', room.id, '--messages', String(count), '--connections', '8']);
      // The token goes in the socket's first frame (`auth`), never in the URL.
      const wsUrl = `${server.url.replace('http://', 'ws://')}/v1/ws?website=${encodeURIComponent(server.demo.websiteId)}`;
      const authFrame = JSON.stringify({ type: 'auth', token: reader.token });
      const startSdk = async ({ websiteId, token, chatId, listen, countWire, bust, beside }) => {
        if (countWire) (0, eval)(countWire);
        (0, eval)(listen);
        const t0 = performance.now();
        // `bust`: a query that makes the browser fetch and compile both files afresh.
        const q = bust === undefined ? '' : `?cold=${bust}`;
        // `beside`: the .wasm fetched beside the glue's import (README "Using the SDK").
        const early = beside ? fetch(`/pkg/chatix_core_bg.wasm${q}`) : undefined;
        const mod = await import(`/pkg/chatix_core.js${q}`);
        const wasm = await mod.default(early ? { module_or_path: early } : q ? { module_or_path: `/pkg/chatix_core_bg.wasm${q}` } : undefined);
        const core = new mod.ChatixCore(websiteId, { token });
        await core.start();
        const connectMs = performance.now() - t0;
        await core.connectToChatroom(chatId);
        Object.assign(window.bench, { core, wasm });
        core.on('message', () => window.benchHear());
        return { connectMs };
      };
      const sdkArgs = { websiteId: server.demo.websiteId, token: reader.token, chatId: room.id, listen: LISTEN };

      // Chatix SDK, timed.
      let page = await browser.newPage();
      await page.goto(`${server.url}/healthz`);
      let ready = await page.evaluate(startSdk, sdkArgs);
      const r = await measureClient(page, {
        n, burst, publish,
        // The boundary names are minified (scripts/minify-boundary.mjs), so the memory export is found by type.
        wasmBytes: () => page.evaluate(() => Object.values(window.bench.wasm).find((v) => v instanceof WebAssembly.Memory).buffer.byteLength),
      });
      const cached = await page.evaluate(() => window.bench.core.cacheBytes());
      await page.evaluate(() => window.bench.core.stop());
      await page.close();
      const sdkConnect = await coldConnects(browser, server.url, startSdk, (bust) => ({ ...sdkArgs, bust }), ready.connectMs);
      const sdkConnectBeside = await coldConnects(browser, server.url, startSdk, (bust) => ({ ...sdkArgs, bust: `b${bust}`, beside: true }));

      // Chatix SDK, wire count (a separate short run), plus a bare socket asking for batches.
      page = await browser.newPage();
      await page.goto(`${server.url}/healthz`);
      await page.evaluate(startSdk, { ...sdkArgs, countWire: COUNT_WIRE });
      const batchedError = await page.evaluate(async ({ url, auth, chatId }) => {
        // Counted by the wrapper like any socket (its record marked `mine`); a frame may be
        // a JSON array of frames.
        window.batched = { got: 0, arrays: 0 };
        try {
          const ws = new WebSocket(`${url}&batch=1`);
          window.wire[window.wire.length - 1].mine = true;
          window.batched.ws = ws;
          await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('the socket failed to open')); });
          ws.send(auth);
          const subscribed = new Promise((res, rej) => {
            ws.onmessage = (e) => {
              const f = JSON.parse(e.data);
              const frames = Array.isArray(f) ? f : [f];
              if (Array.isArray(f)) window.batched.arrays++;
              for (const x of frames) {
                if (x.type === 'message') window.batched.got++;
                else if (x.type === 'messages') window.batched.got += x.messages.length;
                else if (x.id === 1) { if (x.type === 'ack') res(); else rej(new Error(JSON.stringify(x))); }
              }
            };
          });
          ws.send(JSON.stringify({ type: 'subscribe', id: 1, chats: [{ chatId }] }));
          await subscribed;
          return null;
        } catch (e) { window.batched.got = Infinity; return e.message; }
      }, { url: wsUrl, auth: authFrame, chatId: room.id });
      const before = { sdk: await wireOf(page, false), batched: await wireOf(page, true) };
      await publish(wireN);
      await page.waitFor((w) => window.bench.got >= w && window.batched.got >= w, wireN, { timeout: 120_000 });
      const after = { sdk: await wireOf(page, false), batched: await wireOf(page, true) };
      const arrays = await page.evaluate(() => window.batched.arrays);
      await page.evaluate(() => { window.bench.core.stop(); window.batched.ws?.close(); });
      await page.close();
      const sdkWire = (after.sdk.bytes - before.sdk.bytes) / wireN;
      const sdkBatched = after.sdk.urls.some((u) => /[?&]batch=1\b/.test(u));
      const batchedWire = (after.batched.bytes - before.batched.bytes) / wireN;
      const batchedFrames = after.batched.frames - before.batched.frames;
      res.chatix = { ...r, connectMs: sdkConnect, connectBesideMs: sdkConnectBeside, wire: sdkWire };
      row('Chatix SDK (wasm)', r, sdkConnect, cached / r.total, `${fmt(sdkWire)} (${sdkBatched ? 'batched' : 'unbatched'})`);
      wireNotes.push(`Chatix wire bytes/msg: the SDK's socket ${fmt(sdkWire)} (${sdkBatched ? 'it asks for batches' : 'it does not ask for batches'}); ${batchedError
        ? `a socket asking for batches (\`&batch=1\`) failed: ${batchedError}`
        : `a socket asking for batches (\`&batch=1\`) ${fmt(batchedWire)} (${fmt(batchedFrames)} WebSocket frames for ${fmt(wireN)} messages, ${fmt(arrays)} of them arrays${arrays ? '' : ': this server sent no batches'})`}; unbatched: the bare page's row.`);

      // Bare page: the browser's own per-frame limit on the same server.
      page = await browser.newPage();
      await page.goto(`${server.url}/healthz`);
      ready = await page.evaluate(async ({ url, auth, chatId, listen }) => {
        (0, eval)(listen);
        const b = window.bench;
        const kept = [];
        b.wire = 0;
        const t0 = performance.now();
        const ws = new WebSocket(url);
        await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('bare socket failed')); });
        const connectMs = performance.now() - t0;
        ws.send(auth);
        const subscribed = new Promise((res, rej) => {
          ws.onmessage = (e) => {
            b.wire += e.data.length;
            const f = JSON.parse(e.data);
            if (f.type === 'message') { kept.push(f); window.benchHear(); } else if (f.id === 1) { if (f.type === 'ack') res(); else rej(new Error(JSON.stringify(f))); }
          };
        });
        ws.send(JSON.stringify({ type: 'subscribe', id: 1, chats: [{ chatId }] }));
        await subscribed;
        Object.assign(b, { ws, kept });
        return { connectMs };
      }, { url: wsUrl, auth: authFrame, chatId: room.id, listen: LISTEN });
      await page.evaluate(() => { window.bench.wire = 0; });
      const bare = await measureClient(page, { n, burst, publish, wasmBytes: async () => 0 });
      const bareWire = await page.evaluate(() => window.bench.wire) / bare.total;
      await page.evaluate(() => window.bench.ws.close());
      await page.close();
      const bareConnect = await coldConnects(browser, server.url, async ({ url }) => {
        const t0 = performance.now();
        const ws = new WebSocket(url);
        await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('bare socket failed')); });
        const connectMs = performance.now() - t0;
        ws.close();
        return { connectMs };
      }, () => ({ url: wsUrl }), ready.connectMs);
      res.bare = { ...bare, connectMs: bareConnect, wire: bareWire };
      row('bare page (WebSocket + JSON.parse + array)', bare, bareConnect, undefined, `${fmt(bareWire)} (unbatched)`);
    } finally { await server.stop(); }

    const sio = await socketioServer(SIO_PORT);
    // A Chatix server only serves the page and the client script (Chromium's local-network
    // rules want a real origin), from a folder holding socket.io-client's browser build.
    const sioDir = mkdtempSync(join(tmpdir(), 'chatix-sio-'));
    writeFileSync(join(sioDir, 'sio-client.js'), readFileSync('node_modules/socket.io-client/dist/socket.io.min.js'));
    const helper = await startServer({ port: PORT, binary: bin('chatix-server'), pkgDir: sioDir });
    try {
      const publish = (count) => loadgen(['--target', 'socketio', '--mode', 'publish', '--url', sio.url, '--room', 'r0', '--messages', String(count), '--connections', '8']);
      const startSio = async ({ url, listen, countWire, bust }) => {
        if (countWire) (0, eval)(countWire);
        (0, eval)(listen);
        const t0 = performance.now();
        const q = bust === undefined ? '' : `?cold=${bust}`;
        await new Promise((resolve, reject) => { const s = document.createElement('script'); s.src = `/pkg/sio-client.js${q}`; s.onload = resolve; s.onerror = reject; document.head.append(s); });
        const socket = window.io(url, { transports: ['websocket'] });
        await new Promise((r) => socket.once('connect', r));
        const connectMs = performance.now() - t0;
        const kept = [];
        Object.assign(window.bench, { socket, kept });
        socket.on('msg', (m) => { kept.push(m); window.benchHear(); });
        socket.emit('join', 'r0');
        await new Promise((r) => setTimeout(r, 200));
        return { connectMs };
      };
      let page = await browser.newPage();
      await page.goto(`${helper.url}/healthz`);
      const ready = await page.evaluate(startSio, { url: sio.url, listen: LISTEN });
      const r = await measureClient(page, { n, burst, publish, wasmBytes: async () => 0 });
      await page.evaluate(() => window.bench.socket.close());
      await page.close();

      page = await browser.newPage();
      await page.goto(`${helper.url}/healthz`);
      await page.evaluate(startSio, { url: sio.url, listen: LISTEN, countWire: COUNT_WIRE });
      const before = await wireOf(page, false);
      await publish(wireN);
      await page.waitFor((w) => window.bench.got >= w, wireN, { timeout: 120_000 });
      const wire = ((await wireOf(page, false)).bytes - before.bytes) / wireN;
      await page.evaluate(() => window.bench.socket.close());
      await page.close();
      const sioConnect = await coldConnects(browser, helper.url, startSio, (bust) => ({ url: sio.url, listen: LISTEN, bust }), ready.connectMs);
      res.sio = { ...r, connectMs: sioConnect, wire };
      row('socket.io-client (messages kept in an array)', r, sioConnect, undefined, fmt(wire));
    } finally { await sio.stop(); await helper.stop(); rmSync(sioDir, { recursive: true, force: true }); }
  } finally { await browser.close(); }
  table(['client', 'live msg/s', 'server published msg/s', 'burst msg/s (client ceiling)', 'memory bytes/msg', 'MiB per 10,000 msgs', 'text bytes/msg', 'memory beyond text bytes/msg', 'SDK cacheBytes/msg', 'wire bytes/msg', 'connect ms'], rows);
  const { chatix: c, bare: b, sio: o } = res;
  say(`Chatix burst = **${ratio(c.burstRate, o.burstRate)}** socket.io-client, **${ratio(c.burstRate, b.burstRate)}** bare page; memory beyond text ${fmt(c.beyondText)} B/msg (socket.io ${fmt(o.beyondText)}, bare page ${fmt(b.beyondText)}); wire bytes/msg ${fmt(c.wire)} (socket.io ${fmt(o.wire)}, bare page ${fmt(b.wire)}); connect ${fmt(c.connectMs)} ms, ${fmt(c.connectBesideMs)} ms with the \`.wasm\` fetched beside the glue's import (README; the widget does so) (socket.io ${fmt(o.connectMs)}, bare socket ${fmt(b.connectMs)}).`);
  say();
  for (const note of wireNotes) { say(note); say(); }
}

/**
 * The median cold connect of a client: its first one (`firstMs`, the page the rates were
 * measured on) and `W.sdk.connects - 1` more, each on a fresh page with its files fetched
 * afresh (`bust`). One sample on this 2-core machine varied 2x from run to run.
 */
async function coldConnects(browser, origin, connect, argsOf, firstMs) {
  const ms = firstMs === undefined ? [] : [firstMs];
  for (let i = ms.length; i < W.sdk.connects; i++) {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/healthz`);
      ms.push((await page.evaluate(connect, argsOf(i))).connectMs);
    } finally { await page.close(); }
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
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
  // Each package's own browser bundle: the file its package.json points browsers at.
  const others = smoke ? [] : [
    ['socket.io-client@4.8.4', 'dist/socket.io.min.js', 'its standalone browser build (no dependencies needed)'],
    ['centrifuge@5.8.0', 'dist/centrifuge.js', 'its standalone browser build'],
    ['stream-chat@9.53.0', null, 'its browser entry (exports.browser); its dependencies (axios, linkifyjs, …) come on top'],
  ];
  let stream = 0;
  try {
    for (const [spec, file, what] of others) {
      const tgz = run('npm', ['pack', spec, '--silent', '--pack-destination', dir], { cwd: dir }).trim().split('\n').pop();
      const out = join(dir, spec.replace(/[@/.]/g, '_'));
      mkdirSync(out);
      run('tar', ['-xzf', join(dir, tgz), '-C', out]);
      const pkg = JSON.parse(readFileSync(join(out, 'package', 'package.json'), 'utf8'));
      const browser = pkg.exports?.['.']?.browser;
      const rel = file ?? (typeof browser === 'string' ? browser : browser?.require ?? browser?.import ?? pkg.main);
      const path = join(out, 'package', rel);
      const size = gz(path);
      if (spec.startsWith('stream-chat')) stream = size;
      rows.push([spec, `${rel.replace(/^\.\//, '')}: ${what}`, fmt(size)]);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  table(['bundle', 'file', 'bytes gzip -9'], rows);
  if (stream) say(`Chatix SDK + widget vs stream-chat's browser bundle: **${ratio(sdkWasm + sdkJs + widget, stream)}** of its size.`), say();
  const br = (file) => (existsSync(`${file}.br`) ? readFileSync(`${file}.br`).length : 0);
  const sdkBr = br('pkg/chatix_core_bg.wasm') + br('pkg/chatix_core.js');
  if (sdkBr) say(`Served by chatix-server to a browser that accepts brotli (the \`.br\` copies package-sdk.mjs writes): SDK ${fmt(sdkBr)} bytes; the table's figure is gzip -9, the same measure for every package.`), say();
  sdkByCrate();
}

/**
 * The crate a symbol's code belongs to: the first path segment of its demangled name
 * (`serde_json::de::…` → serde_json, `core[5f3e…]::fmt` → core); `<T as Trait>::f` → T's
 * crate (else the trait's); drop glue (`core::ptr::drop_in_place<T>`) → T's crate; std,
 * core and alloc together; the module's exports (wasm-bindgen's shims for the SDK's
 * classes) → chatix_core; data segments apart; unknown → other.
 */
function crateOf(name, exports) {
  const first = (path) => {
    const m = /^(?:&(?:mut )?|\*(?:const|mut) |dyn )*([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/.exec(path.trim());
    return m ? m[1] : null;
  };
  const norm = (c) => (['std', 'core', 'alloc', '__rustc'].includes(c) ? 'std/core/alloc' : c);
  const glue = /^core(?:\[[0-9a-f]+\])?::ptr::drop_in_place::?<(.+)>(?:::h[0-9a-f]+)?$/.exec(name);
  if (glue) return norm(first(glue[1]) ?? 'core');
  if (name.startsWith('<')) {
    // <Self as Trait>::method: split at the top-level " as "
    let depth = 0;
    for (let i = 1; i < name.length; i++) {
      const ch = name[i];
      if (ch === '<') depth++;
      else if (ch === '>') { if (depth === 0) break; depth--; } else if (depth === 0 && name.startsWith(' as ', i)) {
        const c = first(name.slice(1, i)) ?? first(name.slice(i + 4));
        return c ? norm(c) : 'other';
      }
    }
    const c = first(name.slice(1));
    if (c) return norm(c);
    // inherent methods of primitives and slices (`<str>::trim…`, `<[T]>::…`) live in core
    return /^<(?:&(?:mut )?)?(?:char|str|bool|[iuf](?:8|16|32|64|128|size)|\[)/.test(name) ? 'std/core/alloc' : 'other';
  }
  // wasm-bindgen's runtime, and the import/export entries that wire the module to its JS glue
  if (/^(__wbindgen|__wbg_|__externref|import |export ")| (externref|multivalue) shim$/.test(name)) return 'wasm_bindgen';
  // the allocator's and compiler-rt's symbols (__rdl_alloc, __multi3, …)
  if (/^(__rust_|__rdl_|__rg_|rust_begin_unwind|rust_panic|memcpy|memmove|memset|memcmp|bcmp)|^__[a-z]+[0-9]$/.test(name)) return 'std/core/alloc';
  if (/^data\[\d+\]$|^data segment /.test(name)) return '(data segments: constants, strings)';
  const c = first(name);
  if (c) return norm(c);
  if (exports.has(name)) return 'chatix_core';
  return 'other';
}

/** The names a .wasm module exports. */
function wasmExports(buf) {
  let p = 8;
  const leb = () => { let r = 0; let sh = 0; let x; do { x = buf[p++]; r += (x & 0x7f) * 2 ** sh; sh += 7; } while (x & 0x80); return r; };
  const names = new Set();
  while (p < buf.length) {
    const id = buf[p++]; const len = leb(); const end = p + len;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) { const l = leb(); names.add(buf.subarray(p, p + l).toString()); p += l; p++; leb(); }
    }
    p = end;
  }
  return names;
}

/** Top crates in the SDK's .wasm (twiggy on the release build with names, before wasm-opt). */
function sdkByCrate() {
  if (spawnSync('twiggy', ['--version']).status !== 0) {
    say(`Per-crate breakdown of the SDK's .wasm: skipped, \`twiggy\` is not installed (\`scripts/bench.sh\` installs it for a full run: \`cargo install twiggy --version ${TWIGGY_VERSION} --locked\`).`);
    say();
    return;
  }
  const dir = 'target/sdk-profiling';
  run('scripts/build-sdk-names.sh', [dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const wasm = join(dir, 'chatix_core_bg.wasm');
  const items = JSON.parse(run('twiggy', ['top', '-n', '100000', '--format', 'json', wasm]));
  const exports = wasmExports(readFileSync(wasm));
  const byCrate = new Map();
  let total = 0; let skipped = 0;
  for (const { name, shallow_size: size } of items) {
    // the name section and other custom sections: not in the shipped module (wasm-opt drops them)
    if (/^custom section |subsection$/.test(name)) { skipped += size; continue; }
    const c = crateOf(name, exports);
    byCrate.set(c, (byCrate.get(c) ?? 0) + size);
    total += size;
  }
  say(`**Where the SDK's bytes go**: \`twiggy top\` on the release build with its names (\`scripts/build-sdk-names.sh\`: the shipped code before \`wasm-opt -Oz\`, ${fmt(total)} bytes without its ${fmt(skipped)} bytes of custom sections; \`pkg/\` has ${fmt(readFileSync('pkg/chatix_core_bg.wasm').length)} after wasm-opt), symbol sizes summed by crate (the first path segment of the demangled name; \`<T as Trait>::f\` and drop glue go to T's crate; unknown → other).`);
  say();
  const sorted = [...byCrate].sort((a, b) => b[1] - a[1]);
  const top = sorted.slice(0, 12);
  const rest = sorted.slice(12).reduce((a, [, v]) => a + v, 0);
  const rows = top.map(([c, v]) => [c, fmt(v), `${fmt((100 * v) / total, 1)}%`]);
  if (rest) rows.push([`${sorted.length - 12} more crates`, fmt(rest), `${fmt((100 * rest) / total, 1)}%`]);
  table(['crate', 'bytes (before wasm-opt)', 'share'], rows);
}


const started = new Date();
say(`# Chatix benchmark results${smoke ? ' (smoke run, tiny sizes: not figures)' : ''}`);
say();
say(`Run ${started.toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB; ${run('rustc', ['--version']).trim()}; Node ${process.version}; socket.io ${JSON.parse(readFileSync('node_modules/socket.io/package.json', 'utf8')).version}. Server and load generator share the machine (the generator takes about half a core under load), so read ratios, not absolutes. Regenerate with \`npm run bench\`.`);
say();
// `--only fanout,sdk` runs some sections (for profiling one thing).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (name) => !only || only.includes(name);
if (want('fanout')) await fanout();
if (want('cluster')) await cluster();
if (want('conns')) await connections();
if (want('writes')) await writes();
if (want('sdk')) await sdk();
if (want('weight')) weight();
// The soak runs in a full run (ten minutes) and, tiny, in the smoke run; --no-soak skips it.
if (want('soak') && !process.argv.includes('--no-soak')) await soak();
// Only a full run replaces bench/RESULTS.md.
const out = smoke ? 'test-artifacts/bench-smoke.md' : only ? 'test-artifacts/bench-partial.md' : 'bench/RESULTS.md';
mkdirSync('test-artifacts', { recursive: true });
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`\nwritten to ${out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
