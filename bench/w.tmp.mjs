import { startServer } from '../tests/server.mjs';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const server = await startServer({ binary: 'target/server/chatix-server', port: 18711 });
server.secret = JSON.parse(readFileSync(join(server.dir, 'demo.json'), 'utf8')).secretKey;
server.pid = server.child.pid;
const perf = process.argv[2] === 'perf';
const run = (args) => new Promise((res) => { const p = spawn('target/server/loadgen', args, { stdio: ['ignore', 'pipe', 'inherit'] }); let out = ''; p.stdout.on('data', (d) => out += d); p.on('exit', () => res(out)); });
let pr;
if (perf) pr = spawn('perf', ['record', '-F', '999', '-p', String(server.pid ?? server.child.pid), '-o', '/tmp/perf.data', '--', 'sleep', '6'], { stdio: 'inherit' });
for (const c of [128]) {
  const out = await run(['--target', 'chatix', '--mode', 'writes', '--url', server.url, '--secret', server.secret, '--connections', String(c), '--seconds', '5']);
  console.log(c, out.trim().slice(0, 300));
}
if (pr) await new Promise((r) => pr.on('exit', r));
await server.stop();
