// Where a cold connect's time goes: the SDK's `import` of the glue, `init()` (the .wasm
// fetched and compiled), the constructor, and `start()` until connected, with the socket's
// own milestones (created, open, first frame = `ready`) and each file's fetch, on fresh
// pages whose files are fetched and compiled afresh (a query string), like the bench's
// connect row. Medians at the end; PROFILE=1 adds a CPU profile of each connect (self time
// per function; the profiler slows first calls, so read its shares, not its totals).
//
//   node bench/profile-connect.mjs [RUNS]     (needs target/server: npm run bench builds it)
//
// PKG=dir profiles another build (e.g. target/sdk-profiling from scripts/build-sdk-names.sh,
// which keeps function names); BIN=path another server binary; JSF='--flag' passes V8 flags.
import { readFileSync } from 'node:fs';
import { startServer } from '../tests/server.mjs';
import { launch } from './cdp.mjs';

const bin = process.env.BIN ?? 'target/server/chatix-server';
const server = await startServer({ port: 18851, binary: bin, pkgDir: process.env.PKG ?? 'pkg' });
const secret = JSON.parse(readFileSync(server.dir + '/demo.json', 'utf8')).secretKey;
const admin = async (path, body) => (await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
const reader = await admin('/v1/admin/tokens', { username: 'sdk-reader', ttlSeconds: 3600 });
await admin('/v1/chats/group', { name: 'b', visibility: 'private', memberUsernames: ['sdk-reader'] });
const browser = await launch({ args: process.env.JSF ? [`--js-flags=${process.env.JSF}`] : [] });
const all = [];
for (let i = 0; i < Number(process.argv[2] ?? 7); i++) {
  const page = await browser.newPage();
  await page.goto(`${server.url}/healthz`);
  if (process.env.PROFILE) { await page.send('Profiler.enable'); await page.send('Profiler.setSamplingInterval', { interval: 50 }); await page.send('Profiler.start'); }
  const r = await page.evaluate(async ({ websiteId, token, bust }) => {
    const m = {}; const t0 = performance.now(); const at = (k) => { m[k] = +(performance.now() - t0).toFixed(1); };
    const W = window.WebSocket;
    window.WebSocket = class extends W { constructor(...a) { super(...a); at('wsNew'); this.addEventListener('open', () => at('wsOpen')); let f = 0; this.addEventListener('message', () => { if (!f++) at('ws1stMsg'); if (f === 2) at('ws2ndMsg'); if (f === 3) at('ws3rdMsg'); }); } };
    const q = `?cold=${bust}`;
    const mod = await import(`/pkg/chatix_core.js${q}`); at('import');
    await mod.default({ module_or_path: `/pkg/chatix_core_bg.wasm${q}` }); at('init');
    const core = new mod.ChatixCore(websiteId, { token }); at('ctor');
    await core.start(); at('start');
    for (const e of performance.getEntriesByType('resource')) m[e.name.replace(location.origin, '').split('?')[0]] = [+(e.startTime - t0).toFixed(1), +(e.responseEnd - t0).toFixed(1)];
    return m;
  }, { websiteId: server.demo.websiteId, token: reader.token, bust: `${Date.now()}${i}` });
  all.push(r);
  if (process.env.VERBOSE) console.log(JSON.stringify(r));
  if (process.env.PROFILE) {
    const { profile } = await page.send('Profiler.stop');
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map(); let total = 0;
    profile.samples.forEach((id, i) => { const f = nodes.get(id).callFrame; const file = f.url.split('/').pop().split('?')[0];
      const name = `${f.functionName || '(anon)'} [${file}]`; const dt = profile.timeDeltas[i] ?? 0; self.set(name, (self.get(name) ?? 0) + dt); total += dt; });
    console.log('total', (total/1000).toFixed(1));
    for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(t/1000).toFixed(2).padStart(7)} ms  ${k}`);
  }
  await page.close();
}
await browser.close();
await server.stop();
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
console.log(`median of ${all.length} cold connects, ms from the import:`);
for (const k of ['import', 'init', 'ctor', 'wsNew', 'wsOpen', 'ws1stMsg', 'ws2ndMsg', 'start']) {
  const v = all.map((r) => r[k]).filter((x) => x !== undefined);
  if (v.length) console.log(`  ${k.padEnd(9)} ${med(v).toFixed(1)}`);
}
const reqs = new Set(all.flatMap((r) => Object.keys(r).filter((k) => k.startsWith('/'))));
for (const k of reqs) console.log(`  ${k}: fetched ${med(all.map((r) => r[k]?.[0] ?? NaN)).toFixed(1)} - ${med(all.map((r) => r[k]?.[1] ?? NaN)).toFixed(1)}`);
