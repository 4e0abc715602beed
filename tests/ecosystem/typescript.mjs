// The SDK's declarations as a TypeScript project sees them: tests/ecosystem/typescript/
// consumer.ts, which uses every public method, property, handler and event, is compiled with
// `tsc --strict --noEmit` under lib es2020, es2022 and esnext (each with dom), without
// skipLibCheck, against the packed package installed as a dependency; broken.ts must fail on
// each line it marks. Every name the classes and event maps declare must appear in
// consumer.ts, so a new method cannot skip this check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { project } from './lib/install.mjs';

const { dir } = project('typescript');
for (const f of ['consumer.ts', 'broken.ts']) copyFileSync(`tests/ecosystem/typescript/${f}`, join(dir, f));
const tsc = resolve('node_modules/.bin/tsc');
const compile = (file, lib) => {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'es2020', module: 'esnext', moduleResolution: 'bundler',
      lib: [lib, 'dom'], types: [], skipLibCheck: false,
    },
    files: [file],
  }));
  return spawnSync(tsc, ['-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
};

// Every declared name is used.
const dts = readFileSync(join(dir, 'node_modules/chatix-core/chatix_core.d.ts'), 'utf8');
const consumer = readFileSync(join(dir, 'consumer.ts'), 'utf8');
// a class's members: its `export class` block and the interfaces merged into it (the
// methods and fields src/web/handlers.js defines in JavaScript are declared there)
const blocks = (head) => {
  const found = [];
  for (let start = dts.indexOf(head); start >= 0; start = dts.indexOf(head, start + 1)) {
    found.push(dts.slice(start, dts.indexOf('\n}', start)));
  }
  return found;
};
const block = (head) => {
  const [first] = blocks(head);
  assert.ok(first !== undefined, `the d.ts has ${head}`);
  return first;
};
const members = (head) => {
  const cls = head.match(/^export class (\w+) \{$/)?.[1];
  const all = [block(head), ...(cls ? blocks(`export interface ${cls} {`) : [])];
  return [...new Set(all.flatMap((b) => [...b.matchAll(/^ {4}(?:readonly )?([a-zA-Z]\w*)[(:<?]/gm)].map((m) => m[1])))]
    .filter((n) => n !== 'constructor' && !/^on[A-Z]/.test(n));
};
const names = {
  'ChatixCore methods and properties': members('export class ChatixCore {'),
  'Chat methods and properties': members('export class Chat {'),
  'ChatixCore events': members('export interface ChatixEventMap {'),
  'Chat events': members('export interface ChatEventMap {'),
};
for (const [what, list] of Object.entries(names)) {
  assert.ok(list.length > 10, `${what}: found ${list.length} in the d.ts`);
  const unused = list.filter((n) => !new RegExp(`[.'"]${n}\\b`).test(consumer));
  assert.deepEqual(unused, [], `${what} declared in the d.ts but not used by consumer.ts`);
}
for (const lib of ['es2020', 'es2022', 'esnext']) {
  const ok = compile('consumer.ts', lib);
  assert.equal(ok.status, 0, `tsc --strict, lib ${lib}:\n${ok.stdout}${ok.stderr}`);
  const bad = compile('broken.ts', lib);
  assert.notEqual(bad.status, 0, `broken.ts must not compile (lib ${lib})`);
  const marked = readFileSync(join(dir, 'broken.ts'), 'utf8').split('\n')
    .map((l, i) => (l.includes('// BROKEN') ? i + 1 : 0)).filter(Boolean);
  const failed = new Set([...bad.stdout.matchAll(/broken\.ts\((\d+),/g)].map((m) => Number(m[1])));
  assert.deepEqual(marked.filter((l) => !failed.has(l)), [], `each BROKEN line is refused (lib ${lib}):\n${bad.stdout}`);
  assert.deepEqual([...failed].filter((l) => !marked.includes(l)), [], `only the BROKEN lines fail (lib ${lib}):\n${bad.stdout}`);
}
const total = Object.values(names).reduce((n, l) => n + l.length, 0);
console.log(`typescript: consumer.ts uses all ${total} declared names and compiles under tsc --strict with lib es2020, es2022 and esnext; broken.ts fails on each marked line`);
