// Minifies wasm-bindgen's JS glue in pkg/ (scripts/build.sh runs this after
// scripts/package-sdk.mjs). wasm-bindgen copies every `///` doc comment of the exported API
// into the glue as JSDoc and writes it unminified: about a third of what a page downloads
// for the glue is comments. The declarations (`.d.ts`) keep every comment; only the
// shipped JavaScript is minified, with esbuild (ES module in, ES module out; names kept, so
// `ChatixCore.name`, stack traces and `bench:profile-sdk`'s function names stay readable).
import { readFileSync, writeFileSync } from 'node:fs';
import { transformSync } from 'esbuild';

const files = process.argv.slice(2);
if (!files.length) throw new Error('usage: node scripts/minify-glue.mjs <file.js>...');
for (const file of files) {
  const src = readFileSync(file, 'utf8');
  const { code } = transformSync(src, {
    loader: 'js',
    format: 'esm',
    target: 'es2020',
    minify: true,
    keepNames: true,
    legalComments: 'none',
  });
  writeFileSync(file, code);
}
