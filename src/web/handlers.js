// The assignable `onX` handler properties of the SDK's classes (`core.onChat = fn`), defined
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
    'onMessage', 'onMessageUpdated', 'onMessageDeleted', 'onMessageSeen', 'onTypingStarted',
    'onTypingStopped', 'onMemberStatusChanged', 'onMemberConnected', 'onMemberDisconnected',
    'onPending', 'onSendFailed', 'onUnreadChanged',
  ],
};

/** Defines the handler properties on each class given (by its name in HANDLERS). */
export function defineHandlerProps(classes) {
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
