// Makes wasm-bindgen's JS glue in pkg/ what a page should download (scripts/build.sh runs
// this after wasm-bindgen, before scripts/package-sdk.mjs):
// - minified: wasm-bindgen copies every `///` doc comment of the exported API into the glue
//   as JSDoc and writes it unminified, so about a third of the glue's gzip was comments. The
//   declarations (`.d.ts`) keep every comment; only the shipped JavaScript is minified, with
//   esbuild. Local names are not kept (esbuild's keepNames wrote every function's name a
//   second time, a sixth of the glue's gzip); the two classes get their names back
//   (`ChatixCore.name`, what a console shows), and the readable `--no-minify` build keeps
//   every name (stack traces and `bench:profile-sdk`'s function names).
// - one file: the SDK's `inline_js` snippets (wasm-bindgen writes each as a module under
//   `snippets/`, one more request before the SDK can start) are bundled into the web
//   target's glue, and its `snippets/` is removed. The bundler target keeps them as files:
//   its .wasm imports them by path, and the app's bundler bundles them anyway.
// - complete: src/web/handlers.js (the `onX` handler properties, defined in JavaScript on
//   the classes' prototypes, and `getInstance`) is bundled in and applied to the glue's
//   classes.
// `--no-minify`: the same, readable (scripts/build-sdk-names.sh, for profiles).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const minify = !process.argv.includes('--no-minify');
const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!files.length) throw new Error('usage: node scripts/minify-glue.mjs [--no-minify] <file.js>...');
const handlers = resolve('src/web/handlers.js');
for (const file of files) {
  // The glue as wasm-bindgen wrote it becomes a module of the bundle, under a new name.
  const raw = `${file.replace(/\.js$/, '')}.raw.js`;
  const bundlerTarget = basename(file) === 'chatix_core_bg.js';
  renameSync(file, raw);
  const entry = [
    `export * from './${basename(raw)}';`,
    // the web target's default export is its init()
    ...(basename(file) === 'chatix_core.js' ? [`export { default } from './${basename(raw)}';`] : []),
    `import { ChatixCore, Chat } from './${basename(raw)}';`,
    `import { defineHandlerProps, defineGetInstance } from ${JSON.stringify(handlers)};`,
    'defineHandlerProps({ ChatixCore, Chat });',
    "for (const [n, c] of [['ChatixCore', ChatixCore], ['Chat', Chat]]) Object.defineProperty(c, 'name', { value: n });",
    'export const getInstance = defineGetInstance(ChatixCore);',
  ].join('\n');
  const { outputFiles } = buildSync({
    stdin: { contents: entry, resolveDir: dirname(resolve(file)), sourcefile: basename(file), loader: 'js' },
    bundle: true,
    // the web target finds its .wasm with `new URL(..., import.meta.url)`, the bundler
    // target's entry imports it: neither is esbuild's to resolve
    // The bundler target's .wasm imports its snippets as modules by path
    // (`./snippets/…/inline0.js`): they stay files there, imported, not copied in.
    external: ['*.wasm', ...(bundlerTarget ? ['./snippets/*'] : [])],
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify,
    keepNames: !minify,
    legalComments: 'none',
    write: false,
  });
  writeFileSync(file, outputFiles[0].text);
  rmSync(raw);
  if (!bundlerTarget) rmSync(join(dirname(file), 'snippets'), { recursive: true, force: true });
}
