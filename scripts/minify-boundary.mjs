// Shortens the names on the wasm/JS boundary of the web target (scripts/build.sh runs this
// after wasm-bindgen and wasm-opt -Oz, before scripts/minify-glue.mjs):
//
// wasm-bindgen names each import after its JS function plus a 16-hex-digit hash
// (`__wbg_addEventListener_1a2b…`) and each export after its Rust path (closure shims run to
// 300 characters). Those names sit in the .wasm's import and export sections and again in
// the JS glue, and the hashes do not compress: about 8 KB of the .wasm and a tenth of the
// glue. Binaryen's `--minify-imports-and-exports-and-modules` pass renames every import and
// export to a one- or two-character name (all imports into one module, `a`) and prints the
// mapping; this script applies that mapping to the glue wasm-bindgen wrote:
// - `wasm.<export>` becomes `wasm.<short>`;
// - each import function `<name>: function(` of the glue's import object becomes
//   `<short>: function(`, and imports from an `inline_js` snippet module are re-exposed
//   under their short name;
// - the import object `{ "./chatix_core_bg.js": import0, "./snippets/…": import1 }` becomes
//   `{ a: … }`.
// Every name of the mapping must be found where expected, and no long name may be left:
// a wasm-bindgen upgrade that changes the glue's shape fails the build here, not in a
// browser. The declarations (`InitOutput`, `chatix_core_bg.wasm.d.ts`) describe the
// module's internals; they are rewritten to say so instead of listing names that no longer
// exist.
//
// The bundler target (`--exports-only`): its .wasm imports the glue's functions as ES
// modules by path (`./chatix_core_bg.js`), so module and import names stay; only the
// exports are renamed (`--minify-imports-and-exports`, which leaves imports of such modules
// alone), in `chatix_core_bg.js` and the entry `chatix_core.js`.
//
// Usage: node scripts/minify-boundary.mjs <dir> [--exports-only]
//   (<dir> holds chatix_core.js, chatix_core_bg.wasm, and for the bundler target chatix_core_bg.js)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const exportsOnly = process.argv.includes('--exports-only');
const dir = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!dir) throw new Error('usage: node scripts/minify-boundary.mjs <dir> [--exports-only]');
const wasmPath = join(dir, 'chatix_core_bg.wasm');
const gluePaths = (exportsOnly ? ['chatix_core_bg.js', 'chatix_core.js'] : ['chatix_core.js'])
  .map((f) => join(dir, f));
const fail = (msg) => {
  throw new Error(`minify-boundary: ${msg}`);
};

const FEATURES = [
  '--enable-multivalue', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types',
];
const out = execFileSync(
  'node_modules/.bin/wasm-opt',
  [exportsOnly ? '--minify-imports-and-exports' : '--minify-imports-and-exports-and-modules', ...FEATURES, wasmPath, '-o', wasmPath],
  { encoding: 'utf8', maxBuffer: 64 << 20 },
);
const json = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1);
let map;
try {
  map = JSON.parse(json);
} catch (e) {
  fail(`wasm-opt printed no mapping (${e.message}): ${out.slice(0, 200)}`);
}
if (!Array.isArray(map.imports) || !Array.isArray(map.exports)) fail('unexpected mapping shape');

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ident = /^[A-Za-z_$][\w$]*$/;
// The glue files, joined for the rewrite (split again on a marker no JS contains).
const SPLIT = '\n/*<<minify-boundary>>*/\n';
let glue = gluePaths.map((p) => readFileSync(p, 'utf8')).join(SPLIT);

const unused = [];
// Exports: `wasm.<name>` (followed by a non-identifier character).
for (const [old, short] of map.exports) {
  if (!ident.test(short)) fail(`export ${old} was given ${short}, not an identifier`);
  const re = new RegExp(`\\bwasm\\.${escape(old)}(?![\\w$])`, 'g');
  // A few exports are never called by the glue (`__abort_handler` of the immediate-abort
  // runtime): nothing to rename there.
  if (!re.test(glue)) unused.push(old);
  glue = glue.replace(re, () => `wasm.${short}`);
}

if (exportsOnly) {
  if (map.imports.length) fail(`--exports-only renamed ${map.imports.length} imports`);
} else {
  // Imports: the glue's own functions, and the snippet modules' exports.
  const snippet = new Map(); // module path → the glue's namespace variable
  for (const m of glue.matchAll(/^import \* as (import\d+) from "(\.\/snippets\/[^"]+)";?$/gm)) {
    snippet.set(m[2], m[1]);
  }
  const reexposed = [];
  for (const [module, old, short] of map.imports) {
    if (!ident.test(short)) fail(`import ${old} was given ${short}, not an identifier`);
    if (module === './chatix_core_bg.js') {
      const re = new RegExp(`^(\\s+)${escape(old)}: function\\(`, 'm');
      if (!re.test(glue)) fail(`import ${old} not found in the glue's import object`);
      glue = glue.replace(re, (_, indent) => `${indent}${short}: function(`);
    } else if (snippet.has(module)) {
      reexposed.push(`${short}: ${snippet.get(module)}.${old}`);
    } else {
      fail(`import ${old} comes from module ${module}, which the glue does not import`);
    }
  }
  const ret = /return \{\s*__proto__: null,\s*"\.\/chatix_core_bg\.js": import0,(\s*"[^"]+": import\d+,)*\s*\};/;
  if (!ret.test(glue)) fail("the glue's import object does not have the expected shape");
  glue = glue.replace(
    ret,
    `return { __proto__: null, a: Object.assign(import0, { ${reexposed.join(', ')} }) };`,
  );
}

// No long name may remain on the boundary.
for (const [old] of map.exports) {
  if (new RegExp(`\\bwasm\\.${escape(old)}(?![\\w$])`).test(glue)) fail(`export ${old} is still used`);
}
const left = !exportsOnly && glue.match(/\b__wbg_\w+_[0-9a-f]{16}\b/);
if (left) fail(`import ${left[0]} is still named in the glue`);
const parts = glue.split(SPLIT);
if (parts.length !== gluePaths.length) fail('a glue file was split wrongly');
gluePaths.forEach((p, i) => writeFileSync(p, parts[i]));

// Declarations: the exports are the module's internals now.
const INTERNALS = '    /** The compiled module\'s exports: internal to the SDK (names minified at build). */\n' +
  '    readonly [name: string]: unknown;\n';
if (!exportsOnly) {
  const dtsPath = join(dir, 'chatix_core.d.ts');
  const dts = readFileSync(dtsPath, 'utf8');
  const init = /export interface InitOutput \{\n[\s\S]*?\n\}/;
  if (!init.test(dts)) fail('chatix_core.d.ts has no InitOutput interface');
  writeFileSync(dtsPath, dts.replace(init, `export interface InitOutput {\n${INTERNALS}}`));
}
writeFileSync(
  join(dir, 'chatix_core_bg.wasm.d.ts'),
  '/* tslint:disable */\n/* eslint-disable */\n' +
    '// The compiled module\'s exports are internal to the SDK (names minified at build):\n' +
    '// import the classes from chatix_core.js.\nexport {};\n',
);
const count = map.imports.length + map.exports.length;
console.error(`[minify-boundary] ${dir}: ${map.imports.length} imports and ${map.exports.length} exports renamed (${count} names)${unused.length ? `; not used by the glue: ${unused.join(', ')}` : ''}`);
