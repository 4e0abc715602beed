// Makes wasm-bindgen's JS glue in pkg/ what a page should download (scripts/build.sh runs
// this after wasm-bindgen, before scripts/package-sdk.mjs):
// - minified: wasm-bindgen copies every `///` doc comment of the exported API into the glue
//   as JSDoc and writes it unminified, so about a third of the glue's gzip was comments. The
//   declarations (`.d.ts`) keep every comment; only the shipped JavaScript is minified, with
//   esbuild (names kept, so `ChatixCore.name`, stack traces and `bench:profile-sdk`'s
//   function names stay readable);
// - one file: the SDK's `inline_js` snippets (wasm-bindgen writes each as a module under
//   `snippets/`, one more request before the SDK can start) are bundled into the glue, and
//   `snippets/` is removed.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';

const files = process.argv.slice(2);
if (!files.length) throw new Error('usage: node scripts/minify-glue.mjs <file.js>...');
for (const file of files) {
  const { outputFiles } = buildSync({
    entryPoints: [file],
    bundle: true,
    // the web target finds its .wasm with `new URL(..., import.meta.url)`, the bundler
    // target's entry imports it: neither is esbuild's to resolve
    external: ['*.wasm'],
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    write: false,
  });
  writeFileSync(file, outputFiles[0].text);
  rmSync(join(dirname(file), 'snippets'), { recursive: true, force: true });
}
