// A neutral browser driver for the benchmarks: headless Chromium over a plain Chrome
// DevTools Protocol connection (the `ws` package), enabling only the domains the bench
// needs (Runtime, HeapProfiler, Page). Playwright enables the Network domain on every
// page it controls, so Chromium then copies every WebSocket frame to the driver; that
// cuts a page's message rate about 3× (see TOOLCHAIN.md). Functional tests keep Playwright.
//
//   const browser = await launch();
//   const page = await browser.newPage();
//   await page.goto(url);
//   const x = await page.evaluate((arg) => …, arg);   // awaited, returned by value
//   await page.heapUsed();                            // JS heap after a forced GC
//   await browser.close();
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { track } from '../tests/children.mjs';

const ARGS = ['--headless', '--remote-debugging-port=0', '--no-sandbox', '--disable-gpu',
  '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Starts Chromium (its own process group, killed if the script dies) and connects. */
export async function launch({ executable = process.env.CHROMIUM ?? '/usr/bin/chromium', args = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'chatix-cdp-'));
  const child = track(spawn(executable, [...ARGS, `--user-data-dir=${profile}`, ...args, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true }), { group: true });
  let stderr = '';
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools URL in 30 s:\n${stderr}`)), 30_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Chromium exited (${code}):\n${stderr}`)); });
  });
  child.stderr.resume(); // keep draining; its chatter is not ours to print
  const conn = await connect(endpoint);
  return {
    conn,
    async newPage() {
      const { targetId } = await conn.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await conn.send('Target.attachToTarget', { targetId, flatten: true });
      const page = new Page(conn, sessionId, targetId);
      for (const domain of ['Runtime', 'Page', 'HeapProfiler']) await page.send(`${domain}.enable`);
      return page;
    },
    async close() {
      try { await Promise.race([conn.send('Browser.close'), new Promise((r) => setTimeout(r, 5000))]); } catch { /* gone */ }
      conn.ws.close();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** One CDP WebSocket: numbered commands, answers matched by id, events by session. */
async function connect(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let next = 1;
  const pending = new Map();
  const listeners = new Set();
  ws.on('message', (data) => {
    const msg = JSON.parse(data);
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (!p) return;
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}${msg.error.data ? ` (${msg.error.data})` : ''}`));
      else p.resolve(msg.result);
    } else {
      for (const l of listeners) l(msg);
    }
  });
  ws.on('close', () => {
    for (const p of pending.values()) p.reject(new Error(`${p.method}: the DevTools connection closed`));
    pending.clear();
  });
  return {
    ws,
    send(method, params = {}, sessionId = undefined) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
    },
    /** `fn({ method, params, sessionId })` for every event; returns the unsubscribe. */
    onEvent(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  };
}

class Page {
  constructor(conn, sessionId, targetId) {
    Object.assign(this, { conn, sessionId, targetId, errors: [] });
    conn.onEvent((e) => {
      if (e.sessionId === sessionId && e.method === 'Runtime.exceptionThrown') {
        this.errors.push(e.params.exceptionDetails.exception?.description ?? e.params.exceptionDetails.text);
      }
    });
  }

  send(method, params = {}) { return this.conn.send(method, params, this.sessionId); }

  /** Resolves on the next `method` event of this page. */
  once(method) {
    return new Promise((resolve) => {
      const off = this.conn.onEvent((e) => {
        if (e.sessionId === this.sessionId && e.method === method) { off(); resolve(e.params); }
      });
    });
  }

  async goto(url) {
    const loaded = this.once('Page.loadEventFired');
    const r = await this.send('Page.navigate', { url });
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
    await loaded;
  }

  /**
   * Runs `fn(arg)` in the page (arg: JSON), awaits its Promise, returns its value as JSON
   * (undefined when it has none, e.g. a cyclic object a method returned by the way).
   */
  async evaluate(fn, arg) {
    // `fn`: a function, or the source text of one
    const call = `(${fn.toString()})(${arg === undefined ? '' : JSON.stringify(arg)})`;
    const expression = `(async () => { const v = await ${call};
      if (v === null || typeof v !== 'object') return v;
      try { return JSON.parse(JSON.stringify(v)); } catch { return undefined; } })()`;
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true, userGesture: true });
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new Error(`in the page: ${d.exception?.description ?? d.exception?.value ?? d.text}`);
    }
    return r.result.value;
  }

  /** Waits in the page (no polling over the connection) until `fn(arg)` is truthy. */
  waitFor(fn, arg, { timeout = 60_000, poll = 20 } = {}) {
    return this.evaluate(`async (a) => {
      const f = (${fn.toString()}); const end = performance.now() + ${timeout};
      for (;;) {
        const v = f(a); if (v) return v;
        if (performance.now() > end) throw new Error('waitFor timed out after ${timeout} ms');
        await new Promise((r) => setTimeout(r, ${poll}));
      }
    }`, arg);
  }

  /** JS heap in use after a forced garbage collection, bytes. */
  async heapUsed() {
    await this.send('HeapProfiler.collectGarbage');
    return (await this.send('Runtime.getHeapUsage')).usedSize;
  }

  async close() { await this.conn.send('Target.closeTarget', { targetId: this.targetId }); }
}
