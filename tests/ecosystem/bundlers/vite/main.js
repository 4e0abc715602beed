// The web target, as the README shows it: `init()` fetches the .wasm next to the module
// (Vite rewrites that URL to the hashed asset in a production build).
import init, { ChatixCore } from 'chatix-core';
import { exchange } from './exchange.js';

window.chatixResult = init().then(() => exchange(ChatixCore, 'vite'));
