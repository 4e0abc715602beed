// What the SDK's classes get in JavaScript rather than in the wasm, defined on each class's
// prototype: `getInstance`; the assignable `onX` handler properties (`core.onChat = fn`),
// each storing and reading its function through the object's own registry in the wasm
// (`__setHandler` checks the value: a function, or null to remove it); the methods that are
// one REST call each (ENDPOINTS, over the wasm's one `__rest`); `ChatixCore`'s sends and
// cursor history and `getAllChatrooms` (CORE_METHODS, over `__send`, `__history` and
// `getChatrooms`), `Chat`'s typing (CHAT_METHODS, over `__typing`), `on` and `once`
// (LISTEN_METHODS, over `__listen`); and `Chat`'s read-only
// fields (CHAT_FIELDS, over `chat.data`). scripts/minify-glue.mjs bundles this module into
// the glue and calls `defineHandlerProps` with the glue's classes. The handler names are
// those src/web/handlers.rs declares for each class (tests/release-package.mjs checks that
// both lists agree, and calls every ENDPOINTS method).
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
    'onMentioned', 'onReactionAdded', 'onReactionRemoved',
    'onMessageSeen', 'onTypingStarted',
    'onTypingStopped', 'onMemberStatusChanged', 'onMemberConnected', 'onMemberDisconnected',
    'onPending', 'onSendFailed', 'onUnreadChanged',
  ],
};

/**
 * The SDK's methods that are one REST call each, described as data: `name: spec`, and the
 * method is `function (...args) { return this.__rest(spec, args); }`. The wasm's one
 * `__rest` (src/web/endpoints.rs) checks the arguments by the spec, builds the path and the
 * body, runs the call and turns the answer into the result; a bad argument rejects with a
 * `ChatixError` (`invalid_argument`, naming it). A spec is `METHOD PATH [THEN]
 * [!OBJ] [FIELD=KIND:NAME]...`: `{KIND:NAME}` in the path and each body field take the
 * next argument (`s` a string, `u` a username, `p` a page, `n` a page size, `t` an optional
 * whole number (a time in ms, or seconds), `z` a whole number (0 too), `m` metadata,
 * `v` a visibility, `U`/`F` usernames, `1` one username sent as a list, `A` an avatar URL
 * or File; `o`, `r`, `M`, `V`, `L`, `a` optional ones), or with a NAME `OBJ.KEY` the key KEY
 * of an options object (`!OBJ`: it must set one); `{chat}` is the chat's own path; THEN
 * says what the answer becomes (src/web/endpoints.rs has the details). A line each instead of an exported wasm
 * function and its glue each. Declared in the `.d.ts` by src/web/types.rs.
 */
const ENDPOINTS = {
  ChatixCore: {
    getChats: 'GET /v1/chats?page={p:page} chats',
    getChat: 'GET /v1/chats/{s:id} wrap',
    chat: 'POST /v1/chats/direct open username=u:username',
    groupChat: 'POST /v1/chats/group open name=o:options.name memberUsernames=L:options.memberUsernames avatar=a:options.avatar metadata=M:options.metadata visibility=V:options.visibility',
    getConversations: 'GET /v1/conversations?page={p:page} page',
    getChatrooms: 'GET /v1/chatrooms?pageId={p:pageId}&perPage={n:perPage} rooms',
    getMyChatrooms: 'GET /v1/chatrooms/mine?pageId={p:pageId}&perPage={n:perPage} rooms',
    getChatroom: 'GET /v1/chats/{s:chatroomId} chat',
    getChatroomMembers: 'GET /v1/chats/{s:chatroomId}/members?page={p:page}&perPage={n:perPage} members',
    createUser: 'POST /v1/users user username=u:user.username name=s:user.name avatar=a:user.avatar email=r:user.email metadata=M:user.metadata',
    updateUser: 'PATCH /v1/users/by-username/{u:username} user name=o:patch.name avatar=a:patch.avatar email=r:patch.email metadata=M:patch.metadata',
    updateUserById: 'PATCH /v1/users/{s:id} user name=o:patch.name avatar=a:patch.avatar email=r:patch.email metadata=M:patch.metadata',
    fetchUser: 'GET /v1/users/by-username/{u:username} user',
    fetchUserById: 'GET /v1/users/{s:id} user',
    getUsers: 'POST /v1/users/batch users usernames=F:usernames',
    deleteUser: 'DELETE /v1/users/by-username/{u:username} none',
    deleteUserById: 'DELETE /v1/users/{s:id} none',
    getVisitor: 'GET /v1/me user',
    setVisitor: 'PATCH /v1/me user name=o:visitor.name email=r:visitor.email metadata=M:visitor.fields',
    setField: 'PATCH /v1/me user metadata=f:fields',
    setName: 'PATCH /v1/me user name=s:name',
    setEmail: 'PATCH /v1/me user email=s:email',
    searchMessages: 'GET /v1/messages/search?q={q:query}{&chatId=o:options.chatId}{&cursor=o:options.cursor}{&count=c:options.count} found',
    getAllManagers: 'GET /v1/consultants users',
    getConnectedManagers: 'GET /v1/consultants?online=true users',
    banUser: 'PUT /v1/bans/{u:username} until=t:options.until seconds=t:options.seconds reason=o:options.reason',
    unbanUser: 'DELETE /v1/bans/{u:username} none',
    getSanctions: 'GET /v1/bans',
    reportUser: 'POST /v1/users/by-username/{u:username}/report reason=s:reason',
    getReports: 'GET /v1/reports?page={p:options.page}{&status=o:options.status}',
    resolveReport: 'POST /v1/reports/{s:reportId}/resolve resolution=o:options.resolution',
  },
  Chat: {
    getMessages: 'GET {chat}/messages?page={p:page} history',
    getPinnedMessages: 'GET {chat}/pins messages',
    getThread: 'GET {chat}/messages/{s:parentId}/thread?{&count=c:options.count}{&lastMessageId=o:options.cursor} found',
    getMentions: 'GET {chat}/mentions?{&count=c:options.count}{&lastMessageId=o:options.cursor} found',
    setSeen: 'POST {chat}/seen seen messageId=o:messageId',
    updateMessage: 'PATCH {chat}/messages/{s:messageId} message !update text=r:update.text metadata=M:update.metadata',
    deleteMessage: 'DELETE {chat}/messages/{s:messageId} message',
    addReaction: 'PUT {chat}/messages/{s:messageId}/reactions/{s:reaction} message',
    removeReaction: 'DELETE {chat}/messages/{s:messageId}/reactions/{s:reaction} message',
    pinMessage: 'PUT {chat}/messages/{s:messageId}/pin message',
    unpinMessage: 'DELETE {chat}/messages/{s:messageId}/pin message',
    flagMessage: 'POST {chat}/messages/{s:messageId}/flag reason=s:reason',
    muteUser: 'PUT {chat}/mutes/{u:username} until=t:options.until seconds=t:options.seconds reason=o:options.reason',
    unmuteUser: 'DELETE {chat}/mutes/{u:username} none',
    banUser: 'PUT {chat}/bans/{u:username} until=t:options.until seconds=t:options.seconds reason=o:options.reason',
    unbanUser: 'DELETE {chat}/bans/{u:username} none',
    getSanctions: 'GET {chat}/sanctions',
    setName: 'PATCH {chat} chat name=s:name',
    setAvatar: 'PATCH {chat} chat avatar=A:avatar',
    setMetadata: 'PATCH {chat} chat metadata=m:metadata',
    setVisibility: 'PATCH {chat} chat visibility=v:visibility',
    setSlowMode: 'PATCH {chat} chat slowMode=z:seconds',
    getMembers: 'GET {chat}/members?page={p:page}&perPage={n:perPage} members',
    addMember: 'POST {chat}/members chat usernames=1:username',
    addMembers: 'POST {chat}/members chat usernames=U:usernames',
    removeMember: 'POST {chat}/members/remove chat usernames=1:username',
    removeMembers: 'POST {chat}/members/remove chat usernames=U:usernames',
    leave: 'POST {chat}/leave leave',
    delete: 'DELETE {chat} none',
  },
};

/** The spec of `cls`'s REST method `method` (for tests/browser.rs, which calls `__rest`
 * from Rust; the glue's bundle leaves it out). */
export function endpointSpec(cls, method) {
  return ENDPOINTS[cls]?.[method];
}

/**
 * `ChatixCore`'s sends and cursor history of a chatroom or of the visitor's conversation,
 * over the wasm's `__send(conversation, needsFile, id, options)` (options as
 * `Chat.sendMessage`'s) and `__history(conversation, id, lastMessageId, count)`; and
 * `getAllChatrooms()`, every page of `getChatrooms` (at most 50 of 100);
 * `connectToChatroom(id)`: the room checked (a visitor may see it), followed over the
 * wasm's `__follow(id, follow)`, and its data read again (with the visitor as a member).
 */
const CORE_METHODS = {
  sendChatroomTextMessage(id, text, metadata) { return this.__send(false, false, id, { text, metadata }); },
  sendChatroomFileMessage(id, file, text) { return this.__send(false, true, id, { file, text }); },
  sendConversationTextMessage(text, metadata) { return this.__send(true, false, undefined, { text, metadata }); },
  sendConversationFileMessage(file, text) { return this.__send(true, true, undefined, { file, text }); },
  getChatroomMessages(id, lastMessageId, count) { return this.__history(false, id, lastMessageId, count); },
  getConversationMessages(lastMessageId, count) { return this.__history(true, undefined, lastMessageId, count); },
  async connectToChatroom(id) {
    await this.getChatroom(id);
    await this.__follow(id, true);
    return this.getChatroom(id);
  },
  disconnectFromChatroom(id) { return this.__follow(id, false); },
  async getAllChatrooms() {
    const all = [];
    for (let page = 1; page <= 50; page++) {
      const { chatrooms, totalPages } = await this.getChatrooms(page, 100);
      all.push(...chatrooms);
      if (page >= totalPages) break;
    }
    return all;
  },
};

/** `on` and `once` on both classes, over the wasm's `__listen(event, listener, once)`. */
const LISTEN_METHODS = {
  on(event, listener) { return this.__listen(event, listener, false); },
  once(event, listener) { return this.__listen(event, listener, true); },
};

/** `Chat`'s typing signals, over the wasm's `__typing(typing)`. */
const CHAT_METHODS = {
  startTyping() { return this.__typing(true); },
  stopTyping() { return this.__typing(false); },
};

/**
 * `Chat`'s read-only fields, read from its newest data (`chat.data`, which the wasm keeps
 * current from live events), with the value a field takes when the data has none.
 */
const CHAT_FIELDS = {
  kind: '', name: undefined, avatar: undefined, metadata: undefined, visibility: '',
  members: undefined, memberCount: 0, isMember: false,
};

/** Defines the handler properties on each class given (by its name in HANDLERS), the
 * REST methods (ENDPOINTS), the methods over other exports (CORE_METHODS, CHAT_METHODS)
 * and `Chat`'s fields (CHAT_FIELDS). */
export function defineHandlerProps(classes) {
  for (const [name, cls] of Object.entries(classes)) {
    for (const [method, spec] of Object.entries(ENDPOINTS[name])) {
      const f = { [method](...args) { return this.__rest(spec, args); } }[method];
      Object.defineProperty(cls.prototype, method, { value: f, configurable: true, writable: true });
    }
  }
  for (const [cls, methods] of [[classes.ChatixCore, CORE_METHODS], [classes.Chat, CHAT_METHODS],
    [classes.ChatixCore, LISTEN_METHODS], [classes.Chat, LISTEN_METHODS]]) {
    for (const [method, f] of Object.entries(methods)) {
      Object.defineProperty(cls.prototype, method, { value: f, configurable: true, writable: true });
    }
  }
  for (const [field, absent] of Object.entries(CHAT_FIELDS)) {
    Object.defineProperty(classes.Chat.prototype, field, {
      get() { return this.data[field] ?? absent; },
      configurable: true,
    });
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
