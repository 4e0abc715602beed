// The server's OpenAPI document as tools nobody here wrote see it:
// - every operation has an operationId, unique, named after its resource (`deleteMessage`,
//   `listChatrooms`: a verb and a noun, camelCase), and a summary that says what it does;
// - openapi-spec-validator (PyPI) accepts the document, and refuses it with a duplicate id;
// - openapi-typescript (npm) generates types from it, and a typed client that names the
//   operations by their ids compiles under `tsc --strict`; a client with a wrong body type
//   and an unknown id does not.
// Needs target/debug/chatix-server (npm test builds it before).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../server.mjs';

const out = 'target/ecosystem/openapi';
mkdirSync(out, { recursive: true });
const server = await startServer({ port: Number(process.env.CHATIX_TEST_PORT ?? 18791) });
let doc;
try {
  doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
} finally {
  await server.stop();
}

/** What is wrong with a document's operation ids and summaries (empty: nothing). */
export function problems(d) {
  const found = [];
  const seen = new Map();
  for (const [path, item] of Object.entries(d.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const id = op.operationId;
      if (!id) { found.push(`${where}: no operationId`); continue; }
      if (!/^[a-z]+(?:[A-Z][a-z0-9]*)+$/.test(id)) found.push(`${where}: operationId ${id} is not a camelCase verb + resource`);
      if (seen.has(id)) found.push(`${where}: operationId ${id} is also ${seen.get(id)}`);
      seen.set(id, where);
      if (!op.summary || /^`?(GET|POST|PUT|PATCH|DELETE) \//.test(op.summary)) found.push(`${where}: summary ${JSON.stringify(op.summary)} does not say what it does`);
    }
  }
  return found;
}

assert.deepEqual(problems(doc), [], 'operation ids and summaries');
const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId).filter(Boolean));
for (const id of ['deleteMessage', 'deleteChat', 'listChatrooms', 'listDeletedChatrooms', 'sendMessage', 'mintToken']) {
  assert.ok(ids.includes(id), `operationId ${id}`);
}
assert.equal(doc.paths['/v1/chatrooms/deleted'].get.summary, 'List deleted chatrooms (staff).');
// The checks above can fail: a copy with a bare, repeated id and a path as summary.
const bad = structuredClone(doc);
bad.paths['/v1/chats/{id}'].delete.operationId = 'deleteMessage';
bad.paths['/v1/chats/{id}'].get.operationId = 'get';
bad.paths['/v1/chats/{id}'].patch.summary = '`PATCH /v1/chats/{id}`.';
delete bad.paths['/v1/me'].get.operationId;
assert.equal(problems(bad).length, 4, `the checker finds each defect: ${problems(bad).join('; ')}`);

// openapi-spec-validator: the document passes; the copy with a duplicate id fails.
const file = join(out, 'openapi.json');
writeFileSync(file, JSON.stringify(doc, null, 2));
const validate = (f) => spawnSync('python3', ['-m', 'openapi_spec_validator', f], { encoding: 'utf8' });
const good = validate(file);
assert.equal(good.status, 0, `openapi-spec-validator:\n${good.stdout}${good.stderr}`);
const dupFile = join(out, 'duplicate-id.json');
const dup = structuredClone(doc);
dup.paths['/v1/chats/{id}'].delete.operationId = 'deleteMessage';
writeFileSync(dupFile, JSON.stringify(dup));
const refused = validate(dupFile);
assert.notEqual(refused.status, 0, 'openapi-spec-validator refuses a repeated operationId');
assert.match(refused.stdout + refused.stderr, /deleteMessage/);

// openapi-typescript, then tsc --strict on a typed client (compiles) and a broken one (must not).
execFileSync('node_modules/.bin/openapi-typescript', [file, '-o', join(out, 'api.d.ts')], { stdio: 'pipe' });
copyFileSync('tests/ecosystem/openapi/client.ts', join(out, 'client.ts'));
copyFileSync('tests/ecosystem/openapi/broken.ts', join(out, 'broken.ts'));
const tsc = (f) => spawnSync('node_modules/.bin/tsc', ['--strict', '--noEmit', '--target', 'es2022', '--module', 'esnext',
  '--moduleResolution', 'bundler', '--lib', 'es2022,dom', join(out, f)], { encoding: 'utf8' });
const typed = tsc('client.ts');
assert.equal(typed.status, 0, `the typed client compiles:\n${typed.stdout}`);
const broken = tsc('broken.ts');
assert.notEqual(broken.status, 0, 'the broken client must not compile');
assert.match(broken.stdout, /broken\.ts\(6,.*number.*string|broken\.ts\(6,/, `the wrong text type is refused:\n${broken.stdout}`);
assert.match(broken.stdout, /broken\.ts\(7,.*'delete'/, `the unknown operationId is refused:\n${broken.stdout}`);
console.log(`openapi: ${ids.length} operations, ids unique and named; openapi-spec-validator passes; the openapi-typescript client compiles under tsc --strict`);
