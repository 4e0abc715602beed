// End-to-end tests of www/ (demo page + widget, consultant console) in Debian's Chromium,
// driven by playwright-core, against a real server. Screenshots of every screen go to
// test-artifacts/screenshots/.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { createServer } from 'node:http';
import { startServer } from '../server.mjs';

const SHOTS = 'test-artifacts/screenshots';
mkdirSync(SHOTS, { recursive: true });
const port = Number(process.env.CHATIX_E2E_PORT ?? 18790);
let server = await startServer({ port });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const step = (s) => console.log(`  - ${s}`);
const pageErrors = [];
const cspViolations = [];
// Every HTTP error a page meets is a defect unless listed here (none are expected).
const failedRequests = [];
const expectedFailures = [];

/** A small valid PNG (a 2-colour 64x48 gradient), made here so the test needs no fixture. */
function png(w = 64, h = 48) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { const o = y * (w * 3 + 1) + 1 + x * 3; raw[o] = x * 4; raw[o + 1] = y * 5; raw[o + 2] = 200; }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function newPage(viewport = { width: 1200, height: 800 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`    [${m.type()}] ${m.text()} ${m.location()?.url ?? ''}`); });
  page.on('response', (r) => { if (r.status() >= 400 && !expectedFailures.some((re) => re.test(r.url()))) failedRequests.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
  return page;
}

const widgetText = (page) => page.evaluate(() => document.getElementById('chatix-widget').shadowRoot.textContent);

try {
  // ---------------------------------------------------------------- visitor on the demo page
  const visitor = await newPage();
  await visitor.goto(`${server.url}/`);
  await visitor.waitForFunction(() => window.chatixWidget && window.chatixWidget.core && window.chatixWidget.core.connectionState === 'open', null, { timeout: 20000 });
  await visitor.screenshot({ path: `${SHOTS}/01-demo-page.png` });
  step('demo page shows the snippet with the demo website id and loads the widget');
  const snippet = await visitor.locator('#snippet').textContent();
  assert.ok(snippet.includes(server.demo.websiteId) && snippet.includes('/widget.js'), snippet);

  await visitor.getByRole('button', { name: /open chat/i }).click();
  const panel = visitor.getByRole('dialog', { name: 'Chatix demo' });
  await panel.waitFor();
  await visitor.screenshot({ path: `${SHOTS}/02-widget-open.png` });
  const box = visitor.getByRole('textbox', { name: 'Message' }).first();
  await box.fill('Hello, I need help with my order');
  await box.press('Enter');
  step('the visitor writes in the widget');

  // ---------------------------------------------------------------- consultant console
  const staff = await newPage();
  await staff.goto(`${server.url}/console/?website=${server.demo.websiteId}&username=${server.demo.consultant.username}`);
  await staff.screenshot({ path: `${SHOTS}/03-console-login.png` });
  await staff.fill('#password', server.demo.consultant.password);
  await staff.click('#login button[type=submit]');
  await staff.waitForSelector('#app:not([hidden])');
  await staff.waitForSelector('#conversations button');
  await staff.click('#conversations button');
  await staff.waitForSelector('.msg >> text=Hello, I need help with my order');
  step('the console sees the visitor conversation and its message');

  // the visitor's draft appears live in the console
  await box.pressSequentially('My order number is 4', { delay: 20 });
  await staff.waitForSelector('#draft >> text=My order number is 4', { timeout: 10000 });
  step("the console sees the visitor's draft as they type");
  await box.press('Enter');
  await staff.waitForSelector('.msg >> text=My order number is 4');

  await staff.fill('#text', 'Happy to help! Which product?');
  await staff.press('#text', 'Enter');
  await visitor.waitForFunction(() => document.getElementById('chatix-widget').shadowRoot.textContent.includes('Happy to help! Which product?'));
  step('the consultant answers and the widget shows it');

  await staff.check('#whisper');
  await staff.fill('#text', 'WHISPER: this customer is a VIP');
  await staff.press('#text', 'Enter');
  await staff.waitForSelector('.msg.whisper >> text=WHISPER: this customer is a VIP');
  await staff.uncheck('#whisper');
  await staff.fill('#text', 'after the whisper');
  await staff.press('#text', 'Enter');
  await visitor.waitForFunction(() => document.getElementById('chatix-widget').shadowRoot.textContent.includes('after the whisper'));
  assert.ok(!(await widgetText(visitor)).includes('WHISPER'), 'the whisper is not in the widget');
  assert.ok(!(await visitor.content()).includes('WHISPER'), 'nor anywhere in the page');
  step('a whisper shows in the console (marked) and never in the visitor page');

  // ---------------------------------------------------------------- reactions
  const staffMsg = staff.locator('.msg', { hasText: 'My order number is 4' });
  const visMsg = visitor.locator('#chatix-widget .msg', { hasText: 'My order number is 4' });
  await staffMsg.locator('button.reaction.add', { hasText: '\u{1F44D}' }).click();
  await staffMsg.locator('button.reaction.own', { hasText: '\u{1F44D} 1' }).waitFor();
  await visMsg.locator('button.reaction:not(.own)', { hasText: '\u{1F44D} 1' }).waitFor();
  step("a consultant's reaction shows in the console (pressed) and live in the widget");
  await visMsg.locator('button.reaction', { hasText: '\u{1F44D} 1' }).click();
  await visMsg.locator('button.reaction.own', { hasText: '\u{1F44D} 2' }).waitFor();
  await staffMsg.locator('button.reaction.own', { hasText: '\u{1F44D} 2' }).waitFor();
  await visMsg.locator('button.reaction.add').click();
  await visMsg.locator('.pick button', { hasText: '\u{1F389}' }).click();
  await staffMsg.locator('button.reaction:not(.own)', { hasText: '\u{1F389} 1' }).waitFor();
  step('the visitor adds the same and another from the widget: both sides count them, each pressing its own');
  // a reaction to the whisper stays with staff
  const whisperMsg = staff.locator('.msg.whisper', { hasText: 'WHISPER: this customer is a VIP' });
  await whisperMsg.locator('button.reaction.add', { hasText: '\u{1F440}' }).click();
  await whisperMsg.locator('button.reaction.own', { hasText: '\u{1F440} 1' }).waitFor();
  // a consultant pins the visitor's order number: tagged, listed above the log
  await staffMsg.locator('button.pin-toggle', { hasText: 'Pin' }).click();
  await staffMsg.locator('.tag.pin').waitFor();
  await staff.locator('#pins-box:not([hidden]) li', { hasText: 'My order number is 4' }).waitFor();
  step('a consultant pins a message: tagged in the log and listed in the pinned box');
  await staff.screenshot({ path: `${SHOTS}/04-console-conversation.png` });
  await visMsg.locator('button.reaction.own', { hasText: '\u{1F44D} 2' }).click();
  await staffMsg.locator('button.reaction.own', { hasText: '\u{1F44D} 1' }).waitFor();
  assert.ok(!(await widgetText(visitor)).includes('\u{1F440}'), "the whisper's reaction is not in the widget");
  step('the visitor takes theirs back; the reaction to a whisper never reaches the widget');

  // ---------------------------------------------------------------- quoted replies
  const answer = visitor.locator('#chatix-widget .msg', { hasText: 'Happy to help! Which product?' });
  await answer.locator('button.reply').click();
  await visitor.locator('#chatix-widget .replying:not([hidden])', { hasText: 'Replying to' }).waitFor();
  await box.fill('The blue one');
  await box.press('Enter');
  const quotedInConsole = staff.locator('.msg', { hasText: 'The blue one' });
  await quotedInConsole.locator('.quote', { hasText: 'Happy to help! Which product?' }).waitFor();
  await visitor.locator('#chatix-widget .msg', { hasText: 'The blue one' }).locator('.quote', { hasText: 'Happy to help!' }).waitFor();
  step('the visitor replies from the widget: the reply shows its quote in widget and console');
  await quotedInConsole.locator('button.reply').click();
  await staff.fill('#text', 'Noted, blue it is');
  await staff.press('#text', 'Enter');
  await visitor.locator('#chatix-widget .msg', { hasText: 'Noted, blue it is' }).locator('.quote', { hasText: 'The blue one' }).waitFor();
  // replying to the whisper goes as a whisper, and never reaches the widget
  await whisperMsg.locator('button.reply').click();
  assert.ok(await staff.isChecked('#whisper'), 'a reply to a whisper is a whisper');
  await staff.fill('#text', 'REPLY-TO-WHISPER: agreed');
  await staff.press('#text', 'Enter');
  await staff.locator('.msg.whisper', { hasText: 'REPLY-TO-WHISPER' }).locator('.quote', { hasText: 'WHISPER: this customer is a VIP' }).waitFor();
  await staff.uncheck('#whisper');
  await staff.fill('#text', 'after the whispered reply');
  await staff.press('#text', 'Enter');
  await visitor.waitForFunction(() => document.getElementById('chatix-widget').shadowRoot.textContent.includes('after the whispered reply'));
  assert.ok(!(await widgetText(visitor)).includes('REPLY-TO-WHISPER'), 'the whispered reply is not in the widget');
  step('the console replies with a quote; a reply to a whisper goes as a whisper and stays with staff');
  await staff.screenshot({ path: `${SHOTS}/04b-console-replies.png` });

  // ---------------------------------------------------------------- threads
  const blue = staff.locator('#log .msg', { has: staff.locator('.text', { hasText: /^The blue one$/ }) });
  await blue.locator('button.thread-start').click();
  await staff.locator('#thread:not([hidden]) #thread-parent', { hasText: 'The blue one' }).waitFor();
  await staff.fill('#thread-text', 'THREAD: blue ships tomorrow');
  await staff.press('#thread-text', 'Enter');
  await staff.locator('#thread-log .msg', { hasText: 'THREAD: blue ships tomorrow' }).waitFor();
  await blue.locator('button.thread-open', { hasText: '1 reply' }).waitFor();
  assert.equal(await staff.locator('#log .msg', { hasText: 'THREAD: blue ships' }).count(), 0, 'a thread-only reply is not in the chat log');
  const visThreadParent = visitor.locator('#chatix-widget .msg', { has: visitor.locator('.text', { hasText: /^The blue one$/ }) });
  await visThreadParent.locator('button.replies', { hasText: '1 reply' }).click();
  await visThreadParent.locator('.thread .msg', { hasText: 'THREAD: blue ships tomorrow' }).waitFor();
  step('the console opens a thread on a message and replies in it: the console log leaves it out, the parent counts it, and the widget shows it under its parent');
  await staff.check('#thread-show');
  await staff.fill('#thread-text', 'THREAD-AND-CHAT: tracking number follows');
  await staff.press('#thread-text', 'Enter');
  await staff.locator('#log .msg', { hasText: 'THREAD-AND-CHAT' }).locator('.tag', { hasText: 'in a thread' }).waitFor();
  await visThreadParent.locator('.thread .msg', { hasText: 'THREAD-AND-CHAT' }).waitFor();
  await visitor.waitForFunction(() => [...document.getElementById('chatix-widget').shadowRoot.querySelectorAll('.log > .msg, .msg')].filter((n) => n.textContent.includes('THREAD-AND-CHAT')).length >= 2);
  await staff.uncheck('#thread-show');
  await staff.screenshot({ path: `${SHOTS}/04c-console-thread.png` });
  await visitor.screenshot({ path: `${SHOTS}/04d-widget-thread.png` });
  await staff.click('#thread-close');
  step('a thread reply also sent to the chat shows in both places, tagged in the console');

  // ---------------------------------------------------------------- mentions
  const blueMsg = staff.locator('#log .msg', { hasText: 'The blue one' });
  await blueMsg.locator('button.mention').click();
  await staff.waitForFunction(() => document.getElementById('text').value.startsWith('@'));
  const mentionText = await staff.inputValue('#text');
  assert.match(mentionText, /^@\S+ $/, 'Mention puts the sender\'s @username in the composer');
  await staff.fill('#text', `${mentionText}your parcel is on its way`);
  await staff.press('#text', 'Enter');
  await visitor.locator('#chatix-widget .msg.mentions-me', { hasText: 'your parcel is on its way' }).waitFor();
  step("the console mentions the visitor with Mention: the widget marks the message as mentioning them");
  await box.fill(`thanks @${server.demo.consultant.username}!`);
  await box.press('Enter');
  const thanks = staff.locator('#log .msg.mentions-me', { hasText: 'thanks @' });
  await thanks.locator('.tag', { hasText: 'mentions you' }).waitFor();
  await staff.locator('#mentions-box:not([hidden]) li', { hasText: 'thanks @' }).waitFor();
  step('the visitor mentions the consultant by @username: the console tags the message and lists it under "Mentioning you"');
  await staff.screenshot({ path: `${SHOTS}/04e-console-mentions.png` });
  await visitor.screenshot({ path: `${SHOTS}/04f-widget-mention.png` });

  // ---------------------------------------------------------------- markup is inert text
  const evil = '<img src=x onerror="window.__pwned=1">';
  await box.fill(evil);
  await box.press('Enter');
  await staff.waitForFunction((t) => [...document.querySelectorAll('.msg .text')].some((n) => n.textContent === t), evil);
  await visitor.waitForFunction((t) => [...document.getElementById('chatix-widget').shadowRoot.querySelectorAll('.msg .text')].some((n) => n.textContent === t), evil);
  assert.equal(await visitor.evaluate(() => window.__pwned), undefined);
  assert.equal(await staff.evaluate(() => window.__pwned), undefined);
  assert.equal(await staff.locator('.msg img[src="x"]').count(), 0);
  step('a message with HTML is shown as text in widget and console, and runs nothing');

  // ---------------------------------------------------------------- image upload
  await visitor.setInputFiles('#chatix-widget input[type=file] >> nth=0', { name: 'photo.png', mimeType: 'image/png', buffer: png() });
  await visitor.waitForFunction(() => [...document.getElementById('chatix-widget').shadowRoot.querySelectorAll('.msg img')].some((i) => i.complete && i.naturalWidth > 0));
  await staff.waitForFunction(() => [...document.querySelectorAll('.msg img')].some((i) => i.alt === 'photo.png' && i.complete && i.naturalWidth > 0));
  step('an image upload is shown in both');
  await visitor.screenshot({ path: `${SHOTS}/05-widget-conversation.png` });

  // ---------------------------------------------------------------- private chatroom
  await staff.fill('#room-name', 'VIP lounge');
  await staff.check('#room-private');
  await staff.click('#new-room button[type=submit]');
  await staff.waitForSelector('#rooms >> text=VIP lounge');
  await visitor.getByRole('tab', { name: 'Chatrooms' }).click();
  await visitor.waitForFunction(() => document.getElementById('chatix-widget').shadowRoot.textContent.includes('Lobby'));
  assert.ok(!(await widgetText(visitor)).includes('VIP lounge'), 'a private room is not listed to a visitor');
  const visitorName = await visitor.evaluate(() => window.chatixWidget.core.me.username);
  const rooms = await (await fetch(`${server.url}/v1/test/admin`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'GET', path: '/v1/chatrooms?perPage=100' }) })).json();
  const vip = rooms.chatrooms.find((r) => r.name === 'VIP lounge');
  const added = await (await fetch(`${server.url}/v1/test/admin`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'POST', path: `/v1/chats/${vip.id}/members`, body: { usernames: [visitorName] } }) })).json();
  assert.equal(added.id, vip.id);
  await visitor.waitForFunction(() => document.getElementById('chatix-widget').shadowRoot.textContent.includes('VIP lounge'), null, { timeout: 10000 });
  step('a private chatroom appears for the visitor only after the admin API adds them');
  await visitor.screenshot({ path: `${SHOTS}/06-widget-rooms.png` });
  await visitor.getByRole('button', { name: /VIP lounge/ }).click();
  const roomBox = visitor.locator('#chatix-widget #view-rooms').getByRole('textbox', { name: 'Message' });
  await roomBox.fill('hello VIPs');
  await roomBox.press('Enter');
  await staff.click('#rooms button:has-text("VIP lounge")');
  await staff.waitForSelector('.msg >> text=hello VIPs');
  await staff.screenshot({ path: `${SHOTS}/07-console-room.png` });

  // ---------------------------------------------------------------- moderation
  const reported = await visitor.evaluate(() => window.chatixWidget.core.reportUser('consultant', 'too slow to answer').then((r) => r.reason, (e) => e.code));
  assert.equal(reported, 'too slow to answer');
  await staff.click('#refresh-reports');
  const report = staff.locator('#reports li', { hasText: 'too slow to answer' });
  await report.waitFor();
  const vipMsg = staff.locator('.msg', { hasText: 'hello VIPs' });
  staff.once('dialog', (d) => d.accept('cool down'));
  await vipMsg.locator('button.mod-mute').click();
  await staff.locator('#sanctions-box:not([hidden]) li', { hasText: 'muted' }).waitFor();
  const refused = await visitor.evaluate((id) => window.chatixWidget.core.sendChatroomTextMessage(id, 'let me speak').then(() => 'sent', (e) => `${e.code}: ${e.message}`), vip.id);
  assert.match(refused, /^forbidden: .*muted.*cool down/);
  step('a consultant mutes the visitor from their message: listed above the log; the visitor\'s send is refused, saying why');
  await staff.screenshot({ path: `${SHOTS}/07b-console-moderation.png` });
  await staff.locator('#sanctions li button.lift').click();
  await staff.locator('#sanctions-box[hidden]').waitFor({ state: 'attached' });
  const resent = await visitor.evaluate((id) => window.chatixWidget.core.sendChatroomTextMessage(id, 'thanks').then((m) => m.text, (e) => e.code), vip.id);
  assert.equal(resent, 'thanks');
  staff.once('dialog', (d) => d.accept('answered faster'));
  await report.locator('button.resolve').click();
  await staff.locator('#reports li', { hasText: 'too slow to answer' }).waitFor({ state: 'detached' });
  step('lifted, the visitor sends again; the report is resolved and leaves the queue');

  // ---------------------------------------------------------------- server restart
  await visitor.getByRole('tab', { name: 'Support' }).click();
  await staff.click('#conversations button');
  await staff.waitForSelector('.msg >> text=after the whisper');
  await server.stop({ keepData: true });
  await visitor.waitForFunction(() => window.chatixWidget.core.connectionState === 'reconnecting');
  await visitor.screenshot({ path: `${SHOTS}/08-widget-reconnecting.png` });
  const offlineBox = visitor.getByRole('textbox', { name: 'Message' }).first();
  await offlineBox.fill('sent while the server was down');
  await offlineBox.press('Enter');
  server = await startServer({ port, dataDir: server.dir });
  await visitor.waitForFunction(() => window.chatixWidget.core.connectionState === 'open', null, { timeout: 30000 });
  await staff.waitForFunction(() => document.getElementById('conn').textContent === 'open', null, { timeout: 30000 });
  await staff.waitForSelector('.msg >> text=sent while the server was down', { timeout: 15000 });
  await staff.fill('#text', 'back after the restart');
  await staff.press('#text', 'Enter');
  await visitor.waitForFunction(() => document.getElementById('chatix-widget').shadowRoot.textContent.includes('back after the restart'), null, { timeout: 15000 });
  const staffTexts = await staff.$$eval('.msg .text', (ns) => ns.map((n) => n.textContent));
  for (const t of ['Hello, I need help with my order', 'My order number is 4', 'Happy to help! Which product?', 'after the whisper', evil, 'sent while the server was down', 'back after the restart']) {
    assert.equal(staffTexts.filter((x) => x === t).length, 1, `exactly once in the console: ${t}`);
  }
  const widgetTexts = await visitor.evaluate(() => [...document.getElementById('chatix-widget').shadowRoot.querySelectorAll('.log')][0].textContent);
  for (const t of ['Happy to help! Which product?', 'sent while the server was down', 'back after the restart']) assert.ok(widgetTexts.includes(t), t);
  step('the server restarted mid-conversation: the widget recovered, nothing lost, nothing doubled');

  // ---------------------------------------------------------------- phone width, keyboard
  const phone = await newPage({ width: 375, height: 667 });
  await phone.goto(`${server.url}/`);
  await phone.waitForFunction(() => window.chatixWidget && window.chatixWidget.core && window.chatixWidget.core.connectionState === 'open', null, { timeout: 20000 });
  await phone.keyboard.press('Tab');
  for (let i = 0; i < 12 && !(await phone.evaluate(() => document.activeElement && document.activeElement.id === 'chatix-widget')); i++) await phone.keyboard.press('Tab');
  await phone.keyboard.press('Enter');
  await phone.getByRole('dialog').waitFor();
  const size = await phone.evaluate(() => { const r = document.getElementById('chatix-widget').shadowRoot.querySelector('.panel').getBoundingClientRect(); return [r.width, r.height]; });
  assert.deepEqual(size, [375, 667], 'the panel fills a phone screen');
  await phone.keyboard.press('Escape');
  assert.ok(await phone.getByRole('dialog').isHidden(), 'Escape closes the panel');
  await phone.keyboard.press('Enter');
  await phone.screenshot({ path: `${SHOTS}/09-widget-phone.png` });
  step('phone width: the panel fills the screen; keyboard opens and closes it');

  // ---------------------------------------------------------------- embedded on another site
  // A third-party page on another origin, with its own strict Content-Security-Policy (no
  // inline styles) and a hostile stylesheet: the one-tag snippet works there unchanged.
  const host = createServer((req, res) => {
    if (req.url === '/hostile.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      return res.end('* { color: red !important; font-size: 40px !important; } button { display: none !important; }');
    }
    const ws = server.url.replace('http://', 'ws://');
    res.writeHead(200, {
      'content-type': 'text/html',
      'content-security-policy': `default-src 'self'; script-src 'self' ${server.url} 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' ${server.url} ${ws}; img-src 'self' ${server.url} data: blob:`,
    });
    res.end(`<!doctype html><html lang="en"><head><title>Shop</title><link rel="stylesheet" href="/hostile.css"></head>
<body><h1>Some shop</h1><button>Buy</button>
<script src="${server.url}/widget.js" data-website-id="${server.demo.websiteId}" async></script></body></html>`);
  });
  await new Promise((r) => host.listen(port + 5, '127.0.0.1', r));
  try {
    const site = await newPage();
    const violations = [];
    site.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    // The visitor's conversation answers slowly here: the message below is typed and sent
    // before the widget knows its chat, and must wait for it, not be dropped.
    await site.route('**/v1/conversation', async (route) => { await new Promise((r) => setTimeout(r, 2500)); await route.continue(); });
    await site.goto(`http://127.0.0.1:${port + 5}/`);
    await site.waitForFunction(() => window.chatixWidget && window.chatixWidget.core && window.chatixWidget.core.connectionState === 'open', null, { timeout: 20000 });
    const inside = await site.evaluate(() => { const b = document.getElementById('chatix-widget').shadowRoot.querySelector('.bubble'); const s = getComputedStyle(b); return [s.display, s.fontSize, s.position]; });
    assert.notEqual(inside[0], 'none', "the host's `button { display: none }` does not reach the bubble");
    assert.notEqual(inside[1], '40px', "the host's font size does not reach the bubble");
    assert.equal(inside[2], 'fixed', "the widget's own styles apply under the host's CSP (no inline styles)");
    // the host page declares no charset: the widget's text must still read right
    const texts = await site.evaluate(() => { const r = document.getElementById('chatix-widget').shadowRoot; return [r.querySelector('button[aria-label="Close chat"]').textContent, r.querySelector('textarea').placeholder]; });
    assert.deepEqual(texts, ['\u00d7', 'Write a message\u2026'], 'no mojibake on a page without a charset');
    await site.getByRole('button', { name: /open chat/i }).click();
    const box = site.getByRole('textbox', { name: 'Message' }).first();
    await box.fill('hello from another site');
    await box.press('Enter');
    // stored by the server: the message loses its pending state and gets a sequence number
    await site.waitForFunction(() => [...document.getElementById('chatix-widget').shadowRoot.querySelectorAll('.msg:not(.pending)')]
      .some((n) => n.textContent.includes('hello from another site') && Number(n.dataset.seq) > 0), null, { timeout: 30000 })
      .catch(async (e) => {
        const state = await site.evaluate(() => ({
          connection: window.chatixWidget.core.connectionState,
          pending: window.chatixWidget.core.getPendingMessages(),
          widget: document.getElementById('chatix-widget').shadowRoot.textContent.slice(-400),
        }));
        console.log('    widget state when the wait ran out:', JSON.stringify(state), '\n    server log:', server.log().slice(-2000));
        throw e;
      });
    await site.screenshot({ path: `${SHOTS}/10-widget-on-another-site.png` });
    assert.deepEqual(violations, [], 'no CSP violations on the host page');
    step("embedded on another origin under a strict CSP and hostile CSS: the widget works and looks right");
  } finally { host.close(); }

  // our own pages carry security headers, and the demo page and console ran under them
  for (const path of ['/', '/console/', '/widget.js', '/pkg/chatix_core.js']) {
    const r = await fetch(`${server.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
    // The policy, directive by directive: nothing inline or eval'd, no framing, no plugins.
    const csp = Object.fromEntries((r.headers.get('content-security-policy') ?? '')
      .split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v.join(' ')]));
    assert.equal(csp['script-src'], "'self' 'wasm-unsafe-eval'", path);
    assert.equal(csp['style-src'], "'self'", path);
    assert.equal(csp['default-src'], "'self'", path);
    assert.equal(csp['object-src'], "'none'", path);
    assert.equal(csp['frame-ancestors'], "'none'", path);
    assert.equal(csp['base-uri'], "'none'", path);
    assert.doesNotMatch(Object.values(csp).join(' '), /'unsafe-inline'|'unsafe-eval'|\*/, path);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
    assert.equal(r.headers.get('access-control-allow-origin'), '*', path);
  }
  assert.deepEqual(cspViolations, [], 'no CSP violations on the demo page or the console');
  step('security headers on www/ and pkg/; the demo page and console run under their CSP');

  assert.deepEqual(pageErrors, [], 'no page errors');
  assert.deepEqual(failedRequests, [], 'no request of the demo page, widget or console failed');
  console.log(`www end-to-end OK; screenshots in ${SHOTS}/`);
} finally {
  await browser.close();
  await server.stop();
}
