// The bundler target: the .wasm is imported as a module; webpack 5 loads it with
// `experiments.asyncWebAssembly`. `init()` is a no-op kept for code written for the web target.
import init, { ChatixCore } from 'chatix-core/bundler';
import { exchange } from './exchange.js';

window.chatixResult = init().then(() => exchange(ChatixCore, 'webpack'));
