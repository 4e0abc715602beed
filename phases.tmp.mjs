import { chromium } from 'playwright-core';
import { startServer } from './tests/server.mjs';
import { readFileSync } from 'node:fs';
const s = await startServer({ port: 18994, binary: 'target/server/chatix-server' });
const demo = JSON.parse(readFileSync(`${s.dir}/demo.json`));
const tok = (await (await fetch(s.url + '/v1/admin/tokens', { method: 'POST', headers: { 'x-api-key': demo.secretKey, 'content-type': 'application/json' }, body: '{"username":"r"}' })).json()).token;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
for (let i = 0; i < 6; i++) {
  const page = await browser.newPage();
  await page.goto(`${s.url}/healthz`);
  const r = await page.evaluate(async ({ websiteId, token }) => {
    const ev = []; const T0 = performance.now(); const mark = (w) => ev.push(`${w}@${(performance.now() - T0).toFixed(1)}`);
    const WS = window.WebSocket;
    window.WebSocket = class extends WS { constructor(...a) { super(...a); mark('ws-new'); this.addEventListener('open', () => mark('ws-open')); this.addEventListener('message', (e) => mark('ws-msg:' + String(e.data).slice(9, 20))); } send(d) { mark('ws-send:' + String(d).slice(9, 18)); super.send(d); } };
    const F = window.fetch; window.fetch = async (...a) => { mark('fetch:' + String(a[0]).replace(location.origin, '').slice(0, 30)); const r = await F(...a); mark('fetched:' + String(a[0]).replace(location.origin, '').slice(0, 20)); return r; };
    const t = [performance.now()];
    const mod = await import('/pkg/chatix_core.js?' + Math.random()); t.push(performance.now());
    await mod.default(); t.push(performance.now());
    const core = new mod.ChatixCore(websiteId, { token }); t.push(performance.now());
    let opened = 0;
    mark('start'); await core.start(); t.push(performance.now()); mark('started');
    core.stop();
    const ws0 = performance.now();
    const ws = new WebSocket(location.origin.replace('http', 'ws') + '/v1/ws?website=' + websiteId);
    await new Promise((r) => ws.onopen = r); const wsOpen = performance.now() - ws0;
    ws.close();
    window.WebSocket = WS; console.log(ev.join(' '));
    return { ev: ev.join(' '), import: t[1] - t[0], init: t[2] - t[1], new: t[3] - t[2], start: t[4] - t[3], total: t[4] - t[0], bareOpen: wsOpen };
  }, { websiteId: demo.websiteId, token: tok });
  console.log(r.ev); delete r.ev; console.log(Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('  '));
  await page.close();
}
await browser.close(); await s.stop();
