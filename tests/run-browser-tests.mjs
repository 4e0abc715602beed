// Runs the SDK's browser tests (tests/browser.rs, wasm-bindgen-test in headless Chromium)
// against a real chatix-server that this script starts and stops.
import { spawnSync } from 'node:child_process';
import { startServer } from './server.mjs';

const port = Number(process.env.CHATIX_TEST_PORT ?? 18787);
const server = await startServer({ port });
console.error(`[browser tests] chatix-server at ${server.url}`);
let status = 1;
try {
  const r = spawnSync('wasm-pack', ['test', '--headless', '--chrome', '--test', 'browser'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      CHROMEDRIVER: process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver',
      WASM_BINDGEN_TEST_TIMEOUT: process.env.WASM_BINDGEN_TEST_TIMEOUT ?? '300',
      CHATIX_TEST_SERVER: server.url,
    },
  });
  status = r.status ?? 1;
} finally {
  if (status !== 0) console.error(server.log().split('\n').slice(-40).join('\n'));
  await server.stop();
}
process.exit(status);
