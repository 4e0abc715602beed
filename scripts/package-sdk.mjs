// Writes pkg/package.json (the npm package `chatix-core`) and the bundler entry, after
// scripts/build.sh ran wasm-bindgen for the web target (pkg/) and the bundler target
// (pkg/bundler/). Fails when a file the package lists is missing.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

// What wasm-bindgen writes for each target (the bundler one also has its `_bg.js`).
const expected = [
  'chatix_core.js', 'chatix_core.d.ts', 'chatix_core_bg.wasm', 'chatix_core_bg.wasm.d.ts',
  'bundler/chatix_core.js', 'bundler/chatix_core.d.ts', 'bundler/chatix_core_bg.js',
  'bundler/chatix_core_bg.wasm', 'bundler/chatix_core_bg.wasm.d.ts',
];
const missing = expected.filter((f) => !existsSync(`pkg/${f}`));
if (missing.length) throw new Error(`package-sdk: wasm-bindgen did not write pkg/${missing.join(', pkg/')}`);

const cargo = readFileSync('Cargo.toml', 'utf8');

// wasm-bindgen names parameters after the Rust ones (snake_case) and cannot mark an
// argument optional when it is typed with `unchecked_param_type = "T | undefined"`.
// Make the declarations read as JavaScript callers expect: camelCase names, and trailing
// `| undefined` parameters optional (`getChatrooms(pageId?: number, perPage?: number)`).
function polishDts(path) {
  const camel = (n) => n.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  const out = readFileSync(path, 'utf8').split('\n').map((line) => {
    const m = /^(\s+(?:static\s+)?[A-Za-z_$][\w$]*)\((.*)\)((?:: .*)?;)$/.exec(line);
    if (!m || line.includes('=>') && !m[2]) return line;
    const params = [];
    let depth = 0, cur = '';
    for (const ch of m[2]) {
      if ('<({['.includes(ch)) depth++;
      if ('>)}]'.includes(ch)) depth--;
      if (ch === ',' && depth === 0) { params.push(cur.trim()); cur = ''; } else cur += ch;
    }
    if (cur.trim()) params.push(cur.trim());
    let optionalTail = true;
    for (let i = params.length - 1; i >= 0; i--) {
      const pm = /^([A-Za-z_$][\w$]*)(\??): (.*)$/s.exec(params[i]);
      if (!pm) { optionalTail = false; continue; }
      let [, name, q, type] = pm;
      name = camel(name);
      if (optionalTail && / \| undefined$/.test(type)) {
        q = '?';
        type = type.replace(/ \| undefined$/, '');
      } else {
        optionalTail = false;
      }
      params[i] = `${name}${q}: ${type}`;
    }
    return `${m[1]}(${params.join(', ')})${m[3]}`;
  });
  writeFileSync(path, out.join('\n'));
}
// wasm-bindgen declares `[Symbol.dispose]()` on each class, which only TypeScript's
// `esnext` lib knows: with `lib: ["es2020"|"es2022", "dom"]` and no `skipLibCheck`, a
// consumer failed inside these declarations. Declare the symbol for older libs (the same
// declaration as lib.esnext's, so both together are fine); and declare what
// src/web/handlers.js adds in JavaScript (`getInstance`, after the class it merges with).
const DISPOSE = `declare global {
    interface SymbolConstructor {
        /** Disposes of a resource (\`using\`); the SDK's classes free their wasm memory. */
        readonly dispose: unique symbol;
    }
}
`;
const GET_INSTANCE = `
export declare namespace ChatixCore {
    /**
     * The entry point of the users/conversations service this API ports (its
     * \`getInstance(API_KEY)\`): \`new ChatixCore(websiteId, options)\` once per website id;
     * a later call with the same id returns the same instance (with the first call's options).
     */
    function getInstance(websiteId: string, options?: string | ChatixOptions): ChatixCore;
}
/** \`ChatixCore.getInstance\`, as a function. */
export declare function getInstance(websiteId: string, options?: string | ChatixOptions): ChatixCore;
`;
for (const path of ['pkg/chatix_core.d.ts', 'pkg/bundler/chatix_core.d.ts']) {
  polishDts(path);
  writeFileSync(path, DISPOSE + readFileSync(path, 'utf8') + GET_INSTANCE);
}
const version = /\[package\][^[]*?version\s*=\s*"([^"]+)"/s.exec(cargo)[1];

// The bundler build initialises itself on import; a no-op default `init` keeps
// `import init, { ChatixCore } from 'chatix-core/bundler'; await init();` working unchanged.
writeFileSync('pkg/bundler/index.js',
  "export * from './chatix_core.js';\nexport default async function init() {}\n");
writeFileSync('pkg/bundler/index.d.ts',
  "export * from './chatix_core';\nexport default function init(): Promise<void>;\n");

// chatix-core/react: the React bindings (src/react/), as written: they are small, import
// only react, and are not part of what a page without React downloads.
copyFileSync('src/react/index.js', 'pkg/react.js');
copyFileSync('src/react/index.d.ts', 'pkg/react.d.ts');

const pkg = {
  name: 'chatix-core',
  version,
  description: 'Chatix browser SDK: the ChatixCore class (Rust compiled to WebAssembly)',
  license: 'MIT',
  type: 'module',
  main: 'chatix_core.js',
  module: 'chatix_core.js',
  types: 'chatix_core.d.ts',
  sideEffects: ['./bundler/chatix_core.js', './bundler/index.js'],
  files: [
    'chatix_core.js', 'chatix_core.d.ts', 'chatix_core_bg.wasm', 'chatix_core_bg.wasm.d.ts',
    // wasm-bindgen's copies of `inline_js` / `module = "…"` snippets, when the SDK has any
    ...(existsSync('pkg/snippets') ? ['snippets/'] : []),
    'bundler/', 'react.js', 'react.d.ts', 'README.md',
  ],
  peerDependencies: { react: '>=18' },
  peerDependenciesMeta: { react: { optional: true } },
  exports: {
    '.': { types: './chatix_core.d.ts', default: './chatix_core.js' },
    './bundler': { types: './bundler/index.d.ts', default: './bundler/index.js' },
    './react': { types: './react.d.ts', default: './react.js' },
    './chatix_core_bg.wasm': './chatix_core_bg.wasm',
    './package.json': './package.json',
  },
};
writeFileSync('pkg/package.json', JSON.stringify(pkg, null, 2) + '\n');
writeFileSync('pkg/README.md', `# chatix-core

The Chatix browser SDK. See the Chatix README for the server and the full API.

\`\`\`js
import init, { ChatixCore } from 'chatix-core';   // bundlers: 'chatix-core/bundler'
await init();
const core = new ChatixCore(websiteId, { serverUrl: 'https://chat.example.com' });
await core.start();
core.onChatroomMessageReceived = (roomId, message) => console.log(roomId, message.text);
const off = core.on('message', (message) => console.log(message.text));
\`\`\`

React: \`import { ChatixProvider, useChat, useChatrooms, useConnectionState } from 'chatix-core/react'\`.
`);
// Precompressed copies for servers that serve them (chatix-server does, for /pkg): brotli
// and gzip -9 of the .wasm and the glue of both targets. Not in the npm package (`files`
// lists the plain files only); a bundler's output is compressed by its own host.
for (const f of ['chatix_core_bg.wasm', 'chatix_core.js']) {
  const raw = readFileSync(`pkg/${f}`);
  writeFileSync(`pkg/${f}.br`, brotliCompressSync(raw, { params: {
    [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length,
  } }));
  writeFileSync(`pkg/${f}.gz`, gzipSync(raw, { level: 9 }));
}
// Keep the `files` list true: every entry it names is in pkg/.
const absent = pkg.files.filter((f) => !existsSync(`pkg/${f}`));
if (absent.length) throw new Error(`package-sdk: package.json lists missing files: ${absent.join(', ')}`);
