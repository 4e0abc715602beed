// Runs the SDK's browser tests (tests/browser.rs, wasm-bindgen-test in headless Chromium)
// against a real chatix-server that this script starts and stops. Cargo runs the test
// binary through wasm-bindgen-test-runner (installed with wasm-bindgen-cli, the same pinned
// version), which starts chromedriver ($CHROMEDRIVER), headless unless NO_HEADLESS is set;
// Chrome's extra arguments come from webdriver.json in the crate root.
import { spawnSync } from 'node:child_process';
import { startServer } from './server.mjs';

const port = Number(process.env.CHATIX_TEST_PORT ?? 18787);
const server = await startServer({ port });
console.error(`[browser tests] chatix-server at ${server.url}`);
let status = 1;
try {
  const r = spawnSync('cargo', ['test', '--target', 'wasm32-unknown-unknown', '-p', 'chatix-core', '--test', 'browser'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER: 'wasm-bindgen-test-runner',
      CHROMEDRIVER: process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver',
      WASM_BINDGEN_TEST_TIMEOUT: process.env.WASM_BINDGEN_TEST_TIMEOUT ?? '300',
      // read at compile time by tests/browser.rs (option_env!)
      CHATIX_TEST_SERVER: server.url,
    },
  });
  if (r.error) console.error(`[browser tests] could not run cargo: ${r.error.message}`);
  status = r.status ?? 1;
} finally {
  if (status !== 0) console.error(server.log().split('\n').slice(-40).join('\n'));
  await server.stop();
}
process.exit(status);
