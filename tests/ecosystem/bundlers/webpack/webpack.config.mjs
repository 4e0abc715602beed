// What a webpack 5 project adds for a wasm-bindgen package: asyncWebAssembly.
import { resolve } from 'node:path';

export default {
  mode: 'production',
  context: import.meta.dirname,
  entry: './main.js',
  output: { path: resolve(import.meta.dirname, 'dist'), filename: 'main.js', clean: true },
  experiments: { asyncWebAssembly: true },
  performance: { hints: false },
};
