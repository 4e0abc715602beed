// The README's "Admin REST calls" block, run as written against a real server: each curl
// must succeed (a wrapper adds --fail-with-body), with the placeholders (`sk_…`, `chat_…`,
// `v_…`) replaced by the demo's secret key, the chatroom the first call created and a real
// visitor; then the state they leave is checked. Needs target/debug/chatix-server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startServer } from '../server.mjs';
import { demoSite } from './lib/demo.mjs';

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('### Admin REST calls'));
const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
assert.ok(block, 'README has the admin block');
const server = await startServer({ port: Number(process.env.CHATIX_TEST_PORT ?? 18797) });
try {
  const { demo } = demoSite(server);
  const visitor = await (await fetch(`${server.url}/v1/auth/visitor`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ websiteId: demo.websiteId }),
  })).json();
  const script = block
    .replace('CHATIX=http://127.0.0.1:8080', `CHATIX=${server.url}`)
    .replace('KEY=sk_…', `KEY=${demo.secretKey}`)
    // the chatroom id the create call answered
    .replace(/^ROOM=chat_….*$/m, 'ROOM=$(cat "$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)[\'id\'])")')
    .replace('v_…', visitor.user.username);
  assert.ok(!/…/.test(script.replace(/#.*$/gm, '')), `every placeholder replaced:\n${script}`);
  // each curl: fail on an HTTP error; keep the last answer in $OUT
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c',
    `OUT=$(mktemp); curl() { command curl --fail-with-body "$@" | tee "$OUT"; echo; }\n${script}\necho "ROOM=$ROOM"`], { encoding: 'utf8' });
  assert.equal(run.status, 0, `the README's admin calls:\n${run.stdout}\n${run.stderr}`);
  const room = /ROOM=(\S+)/.exec(run.stdout.split('\n').filter((l) => l.startsWith('ROOM=')).pop())[1];
  // the visitor is a member of the (restored) private chatroom; the consultant can log in
  const seen = await (await fetch(`${server.url}/v1/chats/${room}`, { headers: { authorization: `Bearer ${visitor.token}` } })).json();
  assert.equal(seen.id, room, `the visitor sees the restored private chatroom: ${JSON.stringify(seen)}`);
  assert.equal(seen.deleted, false);
  assert.equal(seen.visibility, 'private');
  const login = await fetch(`${server.url}/v1/auth/consultant`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ websiteId: demo.websiteId, username: 'maria', password: 'a long passphrase' }),
  });
  assert.equal(login.status, 200, `the consultant the README created logs in: ${await login.text()}`);
  console.log('readme-admin: the README\'s admin curl calls ran as written and left what they say');
} finally {
  await server.stop();
}
