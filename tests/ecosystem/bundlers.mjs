// The packed SDK as a dependency of two front-end projects, each built for production by
// its bundler, served as static files, and run in Chromium against the real server:
// - Vite, the web target (`import init, { ChatixCore } from 'chatix-core'`);
// - webpack 5, the bundler target (`'chatix-core/bundler'`, experiments.asyncWebAssembly).
// In each, two users of the page exchange a message; the page must have loaded the .wasm
// from the build's own output. Needs target/debug/chatix-server and pkg/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import webpack from 'webpack';
import { startServer } from '../server.mjs';
import { project } from './lib/install.mjs';
import { demoSite, launchChromium } from './lib/demo.mjs';
import { serve } from './lib/serve.mjs';

const port = Number(process.env.CHATIX_TEST_PORT ?? 18792);
const bin = (name) => resolve('node_modules/.bin', name);

async function build(name) {
  const { dir } = project(name, `tests/ecosystem/bundlers/${name}`);
  copyFileSync('tests/ecosystem/bundlers/exchange.js', join(dir, 'exchange.js'));
  if (name === 'vite') {
    execFileSync(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: dir, stdio: 'inherit' });
  } else {
    // webpack's Node API with the project's own config (the CLI is another package).
    const config = (await import(pathToFileURL(join(dir, 'webpack.config.mjs')))).default;
    await new Promise((ok, fail) => webpack(config, (err, stats) => (err || stats.hasErrors()
      ? fail(err ?? new Error(stats.toString('errors-only'))) : ok())));
    copyFileSync(join(dir, 'index.html'), join(dir, 'dist/index.html'));
  }
  const files = readdirSync(join(dir, 'dist'), { recursive: true }).map(String);
  assert.ok(files.some((f) => f.endsWith('.wasm')), `${name}: the production build has the .wasm: ${files}`);
  return join(dir, 'dist');
}

const dists = { vite: await build('vite'), webpack: await build('webpack') };
const server = await startServer({ port });
const { demo, admin } = demoSite(server);
const browser = await launchChromium();
try {
  let n = 0;
  for (const [name, dist] of Object.entries(dists)) {
    const site = await serve(dist, port + 1 + n++);
    try {
      const ann = await admin('/v1/admin/tokens', { username: `ann-${name}` });
      const bob = await admin('/v1/admin/tokens', { username: `bob-${name}` });
      const chat = await admin('/v1/chats/group', { name: `built with ${name}`, memberUsernames: [`ann-${name}`, `bob-${name}`] });
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const wasm = [];
      page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(`${r.status()} ${r.url()}`); });
      const q = new URLSearchParams({ server: server.url, website: demo.websiteId, ann: ann.token, bob: bob.token, chat: chat.id });
      await page.goto(`${site.url}/?${q}`);
      // webpack's entry is an async module (it awaits the .wasm): it sets chatixResult once
      // the .wasm is loaded, which may be after the page's load event
      await page.waitForFunction(() => window.chatixResult !== undefined, null, { timeout: 30_000 });
      const result = await page.evaluate(() => window.chatixResult);
      assert.deepEqual(errors, [], `${name}: page errors`);
      assert.equal(result.text, `hello from the ${name} build`, `${name}: bob heard ann`);
      assert.equal(result.gotId, result.sentId, `${name}: the message bob heard is the one ann sent`);
      assert.equal(result.from, ann.user.id, `${name}: from ann`);
      assert.ok(wasm.length === 1 && wasm[0].startsWith(`200 ${site.url}/`), `${name}: the .wasm came from the build: ${wasm}`);
      const stored = await (await fetch(`${server.url}/v1/chats/${chat.id}/messages`, { headers: { authorization: `Bearer ${bob.token}` } })).json();
      assert.equal(stored.totalMessages, 1, `${name}: stored once`);
      await page.close();
      console.log(`bundlers: ${name} production build (${wasm[0].split('/').pop()}) connected and exchanged a message`);
    } finally {
      await site.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
