// The SDK's size budget (`npm test` runs this right after scripts/build.sh): gzip -9 (zlib
// level 9, the same figure as the bench's weight section) of
// pkg/chatix_core_bg.wasm + pkg/chatix_core.js must not exceed bench/sdk-size-budget.json's
// `gzipBytes`. Exit 1, naming both figures, when it does.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const budgetFile = 'bench/sdk-size-budget.json';
const { gzipBytes: budget } = JSON.parse(readFileSync(budgetFile, 'utf8'));
if (!Number.isInteger(budget) || budget <= 0) throw new Error(`${budgetFile}: gzipBytes must be a positive integer`);
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const wasm = gz('pkg/chatix_core_bg.wasm');
const js = gz('pkg/chatix_core.js');
const total = wasm + js;
const detail = `gzip -9: ${total.toLocaleString('en-US')} bytes (.wasm ${wasm.toLocaleString('en-US')} + JS glue ${js.toLocaleString('en-US')}), budget ${budget.toLocaleString('en-US')} bytes (${budgetFile})`;
if (total > budget) {
  console.error(`SDK size over budget by ${(total - budget).toLocaleString('en-US')} bytes: ${detail}`);
  process.exit(1);
}
console.log(`SDK size OK: ${detail}, ${(budget - total).toLocaleString('en-US')} bytes to spare`);
