// Starts a real chatix-server for the browser and end-to-end tests: a fresh data folder,
// test hooks on, rate limits out of the way (tests measure behaviour, not throttling).
// The server is killed if the script ends without stopping it (crash, Ctrl-C: see
// children.mjs), and a start fails clearly when another process answers on the port
// (`/healthz` carries the pid of the server that answers).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './children.mjs';

export async function startServer({ port = 18787, binary = 'target/debug/chatix-server', extra = [], dataDir, pkgDir = 'pkg' } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'chatix-test-'));
  const args = [
    '--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--enable-test-hooks',
    '--frames-per-second', '10000', '--frame-burst', '10000',
    '--ip-frames-per-second', '1000000', '--ip-frame-burst', '1000000',
    '--requests-per-second', '10000', '--request-burst', '10000',
    '--www-dir', 'www', '--pkg-dir', pkgDir, ...extra,
  ];
  const child = track(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CHATIX_LOG: process.env.CHATIX_LOG ?? 'warn' } }));
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  const fail = (why) => {
    child.kill('SIGKILL');
    if (!dataDir) rmSync(dir, { recursive: true, force: true });
    return new Error(`chatix-server on 127.0.0.1:${port}: ${why}`);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw fail(`exited (${child.exitCode ?? child.signalCode}) before answering /healthz:\n${log}`);
    let health = null;
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) health = await r.json();
    } catch { /* not listening yet */ }
    if (health) {
      if (health.pid === child.pid) break;
      throw fail(`another process holds the port: /healthz answered with pid ${health.pid ?? '(none: not a current chatix-server)'}, the server started here is pid ${child.pid}`);
    }
    if (Date.now() > deadline) throw fail(`no answer on /healthz after 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const demo = await (await fetch(`${url}/v1/test/demo`)).json();
  return {
    url, demo, dir, child,
    log: () => log,
    async stop({ keepData = false, signal = 'SIGTERM' } = {}) {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        // A test may have frozen the server (SIGSTOP): a SIGTERM stays pending until the
        // process runs again, so wake it; and never wait forever for a clean exit.
        if (signal !== 'SIGKILL') child.kill('SIGCONT');
        const late = setTimeout(() => child.kill('SIGKILL'), 15000);
        await done;
        clearTimeout(late);
      }
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}
