// chatix-core/react in the example app (examples/react-chat), built for production with Vite
// against the packed package and run in Chromium: two users in two browser contexts; ann
// types and sends through the UI, bob sees the typing line and the message; bob's socket is
// dropped by the server and his page reconnects and shows what ann sent meanwhile, each
// message once; the chatroom list and the connection badge do not re-render for a message;
// closing the chat view removes its listeners (no render for later messages).
// Needs target/debug/chatix-server and pkg/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startServer } from '../server.mjs';
import { project } from './lib/install.mjs';
import { demoSite, launchChromium } from './lib/demo.mjs';
import { serve } from './lib/serve.mjs';

const port = Number(process.env.CHATIX_TEST_PORT ?? 18795);
const { dir } = project('react', 'examples/react-chat');
for (const d of ['dist', 'node_modules/.vite']) execFileSync('rm', ['-rf', join(dir, d)]);
execFileSync(resolve('node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: dir, stdio: 'inherit' });

const server = await startServer({ port });
const { demo, admin } = demoSite(server);
const site = await serve(join(dir, 'dist'), port + 1);
const browser = await launchChromium();
try {
  const ann = await admin('/v1/admin/tokens', { username: 'ann-react' });
  const bob = await admin('/v1/admin/tokens', { username: 'bob-react' });
  const chat = await admin('/v1/chats/group', { name: 'react room', memberUsernames: ['ann-react', 'bob-react'] });
  const open = async (who) => {
    const page = await (await browser.newContext()).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const q = new URLSearchParams({ server: server.url, website: demo.websiteId, token: who.token, chat: chat.id });
    await page.goto(`${site.url}/?${q}`);
    await page.getByTestId('state').filter({ hasText: 'open' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('messages').waitFor({ state: 'attached' });
    return { page, errors };
  };
  const a = await open(ann);
  const b = await open(bob);
  const texts = (p) => p.getByTestId('messages').locator('li').allTextContents();
  const renders = (p) => p.evaluate(() => ({ ...window.renders }));

  // typing, then a message, through the UI
  const bobBefore = await renders(b.page);
  await a.page.getByLabel('message').fill('hello bob');
  await b.page.getByTestId('typing').filter({ hasText: '1 typing' }).waitFor({ timeout: 10_000 });
  await a.page.getByRole('button', { name: 'Send' }).click();
  await b.page.getByTestId('messages').locator('li', { hasText: 'hello bob' }).waitFor({ timeout: 10_000 });
  assert.deepEqual(await texts(b.page), ['hello bob']);
  const afterFirst = await renders(b.page);
  assert.equal(afterFirst.rooms, bobBefore.rooms, `a message did not re-render the chatroom list: ${JSON.stringify([bobBefore, afterFirst])}`);
  assert.equal(afterFirst.state, bobBefore.state, 'nor the connection badge');
  assert.ok(afterFirst.chat > bobBefore.chat, 'the chat view re-rendered for its message');
  await a.page.getByLabel('message').and(a.page.locator('[value=""]')).waitFor();

  // the server drops bob's socket; ann sends twice meanwhile; bob's page reconnects and
  // shows each message once, in order
  const drop = await fetch(`${server.url}/v1/test/drop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: bob.user.id }) });
  assert.ok(drop.ok, `drop: ${drop.status}`);
  for (const text of ['while you were away', 'and one more']) {
    await a.page.getByLabel('message').fill(text);
    await a.page.getByRole('button', { name: 'Send' }).click();
    await a.page.getByTestId('messages').locator('li', { hasText: text }).waitFor();
  }
  await b.page.getByTestId('messages').locator('li', { hasText: 'and one more' }).waitFor({ timeout: 30_000 });
  await b.page.getByTestId('state').filter({ hasText: 'open' }).waitFor();
  assert.deepEqual(await texts(b.page), ['hello bob', 'while you were away', 'and one more']);
  const states = await b.page.evaluate(() => window.states);
  assert.ok(states.includes('reconnecting'), `bob's page went through reconnecting: ${states}`);
  assert.equal(states.at(-1), 'open');

  // across the reconnect: the list renders at most once more (it reloads on `connected`,
  // and the room's lastSeq changed), the badge once per state change
  const bobAfter = await renders(b.page);
  assert.ok(bobAfter.rooms - afterFirst.rooms <= 1, `the chatroom list: ${JSON.stringify([afterFirst, bobAfter])}`);
  assert.ok(bobAfter.state - afterFirst.state <= states.length, `the badge re-rendered for state changes only: ${JSON.stringify([afterFirst, bobAfter, states])}`);

  // closing the chat view cleans up: later messages render nothing on bob's page
  await b.page.getByRole('button', { name: 'Close chat' }).click();
  await b.page.getByTestId('messages').waitFor({ state: 'detached' });
  const closed = await renders(b.page);
  await a.page.getByLabel('message').fill('nobody is looking');
  await a.page.getByRole('button', { name: 'Send' }).click();
  await a.page.getByTestId('messages').locator('li', { hasText: 'nobody is looking' }).waitFor();
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await renders(b.page), closed, 'no render after the chat view unmounted');
  assert.deepEqual([...a.errors, ...b.errors], [], 'page errors');
  console.log('react: two users exchanged messages through the example app; one reconnected and missed nothing; renders stayed local; unmount cleaned up');
} finally {
  await browser.close();
  await site.close();
  await server.stop();
}
