// What the ecosystem tests need of a started server (tests/server.mjs) and of Chromium: the
// demo website's credentials, an admin call with its secret key (as an app's backend makes
// it), and the test browser.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** `{ demo, admin }`: demo.json of `server`, and `admin(path, body)`: a POST with the secret key. */
export function demoSite(server) {
  const demo = JSON.parse(readFileSync(join(server.dir, 'demo.json'), 'utf8'));
  const admin = async (path, body) => {
    const r = await fetch(`${server.url}${path}`, {
      method: 'POST', headers: { 'x-api-key': demo.secretKey, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.ok(r.ok, `${path}: ${r.status}`);
    return r.json();
  };
  return { demo, admin };
}

/** Headless Chromium (Debian's, or $CHROMIUM). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}
