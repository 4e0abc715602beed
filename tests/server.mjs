// Starts a real chatix-server for the browser and end-to-end tests: a fresh data folder,
// test hooks on, rate limits out of the way (tests measure behaviour, not throttling).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startServer({ port = 18787, binary = 'target/debug/chatix-server', extra = [], dataDir, pkgDir = 'pkg' } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'chatix-test-'));
  const args = [
    '--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--enable-test-hooks',
    '--frames-per-second', '10000', '--frame-burst', '10000',
    '--ip-frames-per-second', '1000000', '--ip-frame-burst', '1000000',
    '--requests-per-second', '10000', '--request-burst', '10000',
    '--www-dir', 'www', '--pkg-dir', pkgDir, ...extra,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CHATIX_LOG: process.env.CHATIX_LOG ?? 'warn' } });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`chatix-server exited:\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch { /* not yet */ }
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
        await done;
      }
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}
