// What the SDK's classes get in JavaScript rather than in the wasm: `getInstance` and
// the assignable `onX` handler properties of the SDK's classes (`core.onChat = fn`), defined
// on each class's prototype. Each property stores and reads its function through the
// object's own registry in the wasm (`__setHandler` checks the value: a function, or null
// to remove it). scripts/minify-glue.mjs bundles this module into the glue and calls
// `defineHandlerProps` with the glue's classes. The names are those src/web/handlers.rs
// declares for each class (tests/release-package.mjs checks that both lists agree).
const HANDLERS = {
  ChatixCore: [
    'onConnected', 'onDisconnected', 'onError', 'onChat', 'onChatroomMessageReceived',
    'onChatroomMessageUpdated', 'onChatroomMessageDeleted', 'onChatroomCreated',
    'onChatroomUpdated', 'onChatroomDeleted', 'onChatroomRestored',
    'onMemberConnectedToChatroom', 'onMemberDisconnectedFromChatroom',
    'onManagerConnectedToChatroom', 'onManagerDisconnectedFromChatroom',
    'onConversationMessageReceived', 'onConversationMessageUpdated',
    'onConversationMessageDeleted', 'onManagerConnectedToConversation',
    'onManagerDisconnectedFromConversation',
  ],
  Chat: [
    'onMessage', 'onMessageUpdated', 'onMessageDeleted', 'onMessagePinned', 'onMessageUnpinned',
    'onReactionAdded', 'onReactionRemoved',
    'onMessageSeen', 'onTypingStarted',
    'onTypingStopped', 'onMemberStatusChanged', 'onMemberConnected', 'onMemberDisconnected',
    'onPending', 'onSendFailed', 'onUnreadChanged',
  ],
};

/**
 * The `Chat` methods on one message, each a call of the wasm's one `__message(method,
 * messageId, path, argName, arg)` (which checks the arguments and rejects with a
 * `ChatixError`): a line of JavaScript each instead of an exported wasm function and its
 * glue. Declared in the `.d.ts` by src/web/types.rs (`ChatMessageMethods`).
 */
const MESSAGE_METHODS = {
  addReaction(messageId, reaction) { return this.__message('PUT', messageId, '/reactions', 'reaction', reaction); },
  removeReaction(messageId, reaction) { return this.__message('DELETE', messageId, '/reactions', 'reaction', reaction); },
  pinMessage(messageId) { return this.__message('PUT', messageId, '/pin', '', undefined); },
  unpinMessage(messageId) { return this.__message('DELETE', messageId, '/pin', '', undefined); },
};

/** Defines the handler properties on each class given (by its name in HANDLERS), and the
 * message methods on `Chat`. */
export function defineHandlerProps(classes) {
  for (const [name, f] of Object.entries(MESSAGE_METHODS)) {
    Object.defineProperty(classes.Chat.prototype, name, { value: f, configurable: true, writable: true });
  }
  for (const [name, cls] of Object.entries(classes)) {
    for (const prop of HANDLERS[name]) {
      Object.defineProperty(cls.prototype, prop, {
        get() { return this.__getHandler(prop); },
        set(f) { this.__setHandler(prop, f); },
        configurable: true,
      });
    }
  }
}

/**
 * `ChatixCore.getInstance(websiteId, options?)` (also exported as `getInstance`): the
 * entry point of the users/conversations service this API ports (its `getInstance(API_KEY)`),
 * a thin alias for `new ChatixCore(websiteId, options)` that keeps one instance per website
 * id: a later call with the same id returns that instance (its options are the first call's).
 */
export function defineGetInstance(ChatixCore) {
  const instances = new Map();
  function getInstance(websiteId, options) {
    let core = instances.get(websiteId);
    if (!core) {
      core = new ChatixCore(websiteId, options);
      instances.set(websiteId, core);
    }
    return core;
  }
  Object.defineProperty(ChatixCore, 'getInstance', { value: getInstance, configurable: true, writable: true });
  return getInstance;
}
