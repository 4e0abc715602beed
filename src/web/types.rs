//! TypeScript declarations of the data the SDK hands out, and the event maps that type
//! `on(event, listener)` (declared with the routing table, `core::routes`). wasm-bindgen writes the classes; this section adds the shapes
//! (they mirror `chatix-protocol`, which defines the JSON).

use wasm_bindgen::prelude::*;

pub use crate::core::routes::{CHAT_EVENTS, CORE_EVENTS};

// The event maps that type `on()`, from the core's routing table (one place for every name).
#[wasm_bindgen(typescript_custom_section)]
const CORE_EVENT_MAP: &'static str = crate::core::routes::CORE_EVENTS_TS;
#[wasm_bindgen(typescript_custom_section)]
const CHAT_EVENT_MAP: &'static str = crate::core::routes::CHAT_EVENTS_TS;

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = r#"
/** Flat metadata: string, number or boolean values only. */
export type Metadata = Record<string, string | number | boolean>;
export type Role = "visitor" | "user" | "consultant";
export type ChatKind = "direct" | "group" | "conversation";
export type Visibility = "public" | "private";
export type MessageKind = "text" | "file" | "image";
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";
export type ChatixErrorCode =
  | "unauthorized" | "forbidden" | "not_found" | "invalid_argument" | "conflict"
  | "rate_limited" | "payload_too_large" | "unsupported_media_type" | "gone"
  | "internal" | "unavailable" | "network" | "timeout";

/** Every rejected Promise carries one of these. */
export interface ChatixError extends Error {
  name: "ChatixError";
  code: ChatixErrorCode;
}

export interface ChatixOptions {
  /** Server base URL; default: the page's origin. */
  serverUrl?: string;
  /** A token your backend signed (HS256 JWT, see the README), or a consultant session token. */
  token?: string;
  /** Called for a fresh token when the current one expires or is refused. */
  tokenProvider?: () => string | Promise<string>;
  /** Sign in as a consultant. */
  consultant?: { username: string; password: string };
  /** Resume this visitor (with its secret); default: the one remembered in localStorage. */
  visitorId?: string;
  visitorSecret?: string;
  /** Remember the visitor in localStorage (default true). */
  persistVisitor?: boolean;
}

export interface User {
  id: string;
  username: string;
  name: string;
  avatar: string | null;
  email: string | null;
  metadata: Metadata;
  role: Role;
  presence: "online" | "offline";
  lastActive: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  username: string;
  name: string;
  avatar?: string | File;
  email?: string;
  metadata?: Metadata;
}

export interface UserUpdate {
  name?: string;
  avatar?: string | File;
  email?: string;
  metadata?: Metadata;
}

export interface FileInfo {
  id: string;
  url: string;
  name: string;
  size: number;
  mime: string;
  kind: MessageKind;
  thumbnailUrl: string | null;
}

/**
 * A message. The SDK hands out the objects it caches (the same object to every listener
 * and in `cachedMessages`): treat them as read-only. A message without metadata shares one
 * frozen empty `metadata` object.
 */
export interface Message {
  id: string;
  chatId: string;
  /** Position in the chat: strictly increasing, assigned by the server. */
  seq: number;
  /** Revision: the chat sequence number of the last change (edit, delete). */
  rev: number;
  kind: MessageKind;
  text: string;
  file: FileInfo | null;
  metadata: Metadata;
  whisper: boolean;
  senderId: string;
  senderRole: Role;
  senderName: string;
  /** The sender's idempotency key of the send: on your own messages (live on each of your
   * connections, in send results and history); `null` on others' live messages. */
  clientId: string | null;
  replyTo: string | null;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
  /** Reaction counts, e.g. `{ "👍": 2 }`; empty when nobody reacted. */
  reactions: Record<string, number>;
  /** Your own reactions to it. `null` where the SDK does not know them: a live message
   * nobody has reacted to, or one older than what it has heard. */
  ownReactions: string[] | null;
  /** Pinned: by whom (a user id) and when; `null` when not pinned. */
  pinned: Pin | null;
  /** A reply's quote of the message it replies to (`replyTo`), as it was then; absent on
   * messages that are not replies. */
  quote?: Quote;
  /** A thread reply's parent: the message whose thread it is in (threads are one level
   * deep); absent on messages that are not thread replies. Thread replies arrive in the
   * same `message` / `messageUpdated` / `messageDeleted` events as the chat's messages;
   * those without `showInChat` are in the thread only: not in the chat's `cachedMessages`,
   * history, unread count or last message. `getThread` pages a thread. */
  parentId?: string;
  /** A thread reply also shown in the chat; absent (false) otherwise. */
  showInChat?: true;
  /** A thread parent's live replies; absent while it has none. Each reply or deletion of
   * one updates the parent (a `messageUpdated` event). */
  replyCount?: number;
  /** A thread parent's newest live reply's send time, ms; absent while it has none. */
  lastReplyAt?: number;
  /** The usernames it mentions (its send's `mentions` and the `@username`s of its text that
   * name someone who may read it); absent when it mentions nobody. */
  mentions?: string[];
  /** Only on optimistic copies of your own sends (`pending` events). */
  pending?: true;
}

/** A chat's data (chatrooms are group chats). */
export interface ChatData {
  id: string;
  kind: ChatKind;
  name: string | null;
  avatar: string | null;
  metadata: Metadata;
  visibility: Visibility;
  deleted: boolean;
  memberCount: number;
  members: User[];
  lastSeq: number;
  lastMessage: Message | null;
  unread: number;
  /** Unseen messages that mention you (after your seen mark, thread replies included). */
  mentionCount: number;
  isMember: boolean;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
  /** Slow mode of a chatroom: seconds a visitor or app user waits between two messages
   * (0: off). */
  slowMode: number;
}

export interface ChatsPage { chats: Chat[]; page: number; totalChats: number; totalPages: number; }
export interface ChatroomsPage { chatrooms: ChatData[]; page: number; perPage: number; total: number; totalPages: number; }
export interface MessagesPage { messages: Message[]; page: number; totalMessages: number; totalPages: number; }
/** Options of `searchMessages`. */
export interface SearchOptions {
  /** Search this chat only (any chat you may read, a public chatroom you have not joined
   *  too); absent = all your chats (consultants: the website's chatrooms and conversations). */
  chatId?: string;
  /** `nextCursor` of the previous results, for older ones. */
  cursor?: string;
  /** 1-100, default 25. */
  count?: number;
}
/** Results of `searchMessages`: newest first. */
export interface SearchResults {
  messages: Message[];
  /** Pass as `cursor` for older results; absent when there are no more. */
  nextCursor?: string;
}
export interface Member { user: User; joinedAt: number; lastSeenSeq: number; }
export interface MembersPage { members: Member[]; page: number; perPage: number; total: number; totalPages: number; }

export interface GroupChatOptions {
  name?: string;
  memberUsernames?: string[];
  avatar?: string | File;
  metadata?: Metadata;
  visibility?: Visibility;
}

export interface SendMessageOptions {
  text?: string;
  file?: File | Blob;
  metadata?: Metadata;
  /** Replies to (quotes) a message of this chat you may see; the reply carries its `quote`.
   * A reply to a whisper must be a whisper. */
  replyTo?: string;
  /** Sends the message as a reply in this message's thread (a message of this chat you may
   * see, not itself a thread reply). A thread is as visible as its parent: replies in a
   * whisper's thread must be whispers, and a whisper cannot go in another message's thread. */
  parentId?: string;
  /** With `parentId`: shown in the chat too, not only in the thread. */
  showInChat?: boolean;
  /** Usernames to mention (at most 25, with the text's `@username`s), each someone who may
   * read the message: a member, anyone for a public chatroom, consultants only for a
   * whisper. A name that is not is refused (`invalid_argument`); an `@word` in the text
   * that names no such person stays plain text. Each hears `mentioned`. */
  mentions?: string[];
  /** Consultants only: delivered to consultants only. */
  whisper?: boolean;
  onProgress?: (p: UploadProgress) => void;
}

/** `getThread`'s and `getMentions`' answer: a page of messages, oldest first. */
export interface ThreadPage {
  messages: Message[];
  /** Whether older replies exist before the first one returned (pass its id as `cursor`). */
  hasMore: boolean;
}

export interface UploadProgress { loaded: number; total: number; name: string; chatId: string | null; }
export interface DisconnectInfo { code: number; reason: string; retrying: boolean; }
export interface SeenEvent { chatId: string; userId: string; seq: number; messageId: string | null; }
export interface TypingEvent { chatId: string; userId: string; draft?: string | null; }
export interface PresenceEvent { userId: string; online: boolean; status: "online" | "offline"; }
export interface SendFailure { chatId: string; clientId: string; error: ChatixError; }
/** A chat's unread count, the total across chats, and the chat's unseen mentions of you. */
export interface UnreadEvent { chatId: string; count: number; total: number; mentions: number; }
/** What a reply shows of the message it replies to: its sender and the start of its text
 * (at most 200 characters; a file's name when it had no text). `text` is `""` once that
 * message was deleted (the reply then arrives as a `messageUpdated`). */
export interface Quote { senderId: string; senderName: string; text: string; }
/** Who pinned a message, and when (ms). */
export interface Pin { by: string; at: number; }
/** How long a mute or ban lasts (`until`, ms since the epoch, or `seconds` from now; neither:
 * until lifted) and why (shown to the user; at most 500 characters). */
export interface SanctionOptions { until?: number; seconds?: number; reason?: string; }
/** A mute or ban in force. */
export interface Sanction {
  kind: "mute" | "ban";
  /** The chat (null: a ban from the whole website). */
  chatId: string | null;
  username: string;
  /** End, ms (null: until lifted). */
  until: number | null;
  reason: string;
  /** The consultant who set it (null: the secret key). */
  by: string | null;
  createdAt: number;
}
/** A flagged message (`kind: "message"`) or a reported user, in the consultants' queue. */
export interface Report {
  id: string;
  kind: "message" | "user";
  chatId: string | null;
  messageId: string | null;
  /** The flagged message's text when it was flagged. */
  excerpt: string | null;
  /** Who is reported (a flagged message's sender). */
  username: string;
  reporter: string;
  reason: string;
  createdAt: number;
  /** null while open. */
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolution: string | null;
}
export interface ReportsPage { reports: Report[]; page: number; perPage: number; total: number; totalPages: number; }
/** `Chat`'s REST methods and read-only fields (defined in JavaScript on the class:
 * src/web/handlers.js). */
export interface Chat {
  /** `direct`, `group` or `conversation`. */
  readonly kind: ChatKind;
  /** The group's name. */
  readonly name: string | undefined;
  /** The avatar URL. */
  readonly avatar: string | undefined;
  /** Flat metadata. */
  readonly metadata: Metadata;
  /** `public` or `private`. */
  readonly visibility: Visibility;
  /** Members (direct chats and conversations; empty for groups: use `getMembers`). */
  readonly members: User[];
  /** Number of members. */
  readonly memberCount: number;
  /** Whether the signed-in user is a member. */
  readonly isMember: boolean;
  /** `getMessages(page?)`: 25 per page, page 1 the newest; oldest first within a page. */
  getMessages(page?: number): Promise<MessagesPage>;
  /** `setSeen(messageId?)`: marks messages seen up to one (default: the newest). */
  setSeen(messageId?: string): Promise<{ lastSeenSeq: number; unread: number; mentionCount: number }>;
  /** `startTyping()`. */
  startTyping(): Promise<void>;
  /** `stopTyping()`. */
  stopTyping(): Promise<void>;
  /** `getPinnedMessages()`: the chat's pinned messages you may see, newest pin first. */
  getPinnedMessages(): Promise<Message[]>;
  /** `getThread(parentId, {cursor?, count?})`: the newest `count` (1-100, default 50)
   * replies in a message's thread before the reply `cursor` (absent: the newest), oldest
   * first. A deleted parent's thread stays readable. */
  getThread(parentId: string, options?: { cursor?: string; count?: number }): Promise<ThreadPage>;
  /** `getMentions({cursor?, count?})`: the newest `count` (1-100, default 50) live messages
   * of this chat that mention you, before the message `cursor`, oldest first (thread
   * replies included; seen or not). */
  getMentions(options?: { cursor?: string; count?: number }): Promise<ThreadPage>;
  /** `updateMessage(id, {text?, metadata?})`: your own message. */
  updateMessage(messageId: string, update: { text?: string; metadata?: Metadata }): Promise<Message>;
  /** `deleteMessage(id)`: yours (consultants: any, in rooms and conversations). */
  deleteMessage(messageId: string): Promise<Message>;
  /** Your reaction (an emoji or a symbol such as `"👍"`: 1-16 characters, no spaces, not
   * plain ASCII text; at most 25 different ones per message) to a message; resolves with the
   * message, its `reactions` counts and your `ownReactions`. Adding it twice changes
   * nothing. */
  addReaction(messageId: string, reaction: string): Promise<Message>;
  /** Takes your reaction back (one you never gave: nothing changes). */
  removeReaction(messageId: string, reaction: string): Promise<Message>;
  /** Pins a message (consultants in chatrooms and conversations, a chatroom's owner, either
   * member of a direct chat; at most 50 per chat). */
  pinMessage(messageId: string): Promise<Message>;
  /** Unpins a message. */
  unpinMessage(messageId: string): Promise<Message>;
  /** Flags a message you may read (not your own) for the consultants, with a reason
   * (1-500 characters). Flagging it again while that report is open returns it. */
  flagMessage(messageId: string, reason: string): Promise<Report>;
  /** Consultants: mutes a visitor or app user here (they read, but cannot send, react or
   * edit: refused with `forbidden`, saying until when and why). Chatrooms and
   * conversations. Muting again replaces the end and reason. */
  muteUser(username: string, options?: SanctionOptions): Promise<Sanction>;
  /** Consultants: lifts a mute. */
  unmuteUser(username: string): Promise<void>;
  /** Consultants: bans a visitor or app user from this chatroom: removed at once (their
   * subscription dropped on every node) and refused the chatroom (`forbidden`) until the
   * end. */
  banUser(username: string, options?: SanctionOptions): Promise<Sanction>;
  /** Consultants: lifts a ban from this chatroom. */
  unbanUser(username: string): Promise<void>;
  /** Consultants: this chat's mutes and bans in force, newest first. */
  getSanctions(): Promise<{ sanctions: Sanction[] }>;
  /** `setName(name)`: saved on the server and announced to members. */
  setName(name: string): Promise<ChatData>;
  /** `setAvatar(url | File)`: a File is uploaded first. */
  setAvatar(avatar: string | File): Promise<ChatData>;
  /** `setMetadata(metadata)`: replaces the chat's flat metadata. */
  setMetadata(metadata: Metadata): Promise<ChatData>;
  /** `setVisibility("public" | "private")` (consultants). */
  setVisibility(visibility: Visibility): Promise<ChatData>;
  /** Consultants: slow mode of a chatroom, `seconds` (0: off, at most 3600) a visitor or
   * app user waits between two messages; a send too soon rejects with `rate_limited`,
   * saying how many seconds are left. */
  setSlowMode(seconds: number): Promise<ChatData>;
  /** `getMembers(page = 1, perPage = 10)`. */
  getMembers(page?: number, perPage?: number): Promise<MembersPage>;
  /** `addMember(username)`. */
  addMember(username: string): Promise<ChatData>;
  /** `addMembers(usernames)`. */
  addMembers(usernames: string[]): Promise<ChatData>;
  /** `removeMember(username)`. */
  removeMember(username: string): Promise<ChatData>;
  /** `removeMembers(usernames)`. */
  removeMembers(usernames: string[]): Promise<ChatData>;
  /** `leave()`: leave a group chat. */
  leave(): Promise<void>;
  /** Deletes the chat (consultants, or the group's creator); restorable by the backend. */
  delete(): Promise<void>;
}

/** `ChatixCore`'s REST methods, sends and cursor history (defined in JavaScript on the
 * class: src/web/handlers.js). */
export interface ChatixCore {
  /** `getChats(page?)`: 25 per page, newest activity first, as `Chat` objects. */
  getChats(page?: number): Promise<ChatsPage>;
  /** `getChat(id)`: a chat as a `Chat` object (not followed until you listen or connect). */
  getChat(id: string): Promise<Chat>;
  /** `chat(username)`: the one-to-one chat with an existing user (followed). */
  chat(username: string): Promise<Chat>;
  /** `groupChat({name?, memberUsernames, avatar?, metadata?, visibility?})` (followed).
   * Avatar: a URL or a File (uploaded first). */
  groupChat(options: GroupChatOptions): Promise<Chat>;
  /** `createUser({username, name, avatar?, email?, metadata?})`: an existing username
   * returns that user (idempotent). Avatar: a URL or a File (JPEG/PNG/WebP). */
  createUser(user: NewUser): Promise<User>;
  /** `updateUser(username, {name?, avatar?, email?, metadata?})`: the user themself. */
  updateUser(username: string, patch: UserUpdate): Promise<User>;
  /** `updateUserById(id, {name?, avatar?, email?, metadata?})`. */
  updateUserById(id: string, patch: UserUpdate): Promise<User>;
  /** `setVisitor({name, email, fields})`: fields are flat metadata. */
  setVisitor(visitor: { name?: string; email?: string; fields?: Metadata }): Promise<User>;
  /** Staff: visitor conversations, newest activity first, as `Chat` objects. */
  getConversations(page?: number): Promise<ChatsPage>;
  /** `getChatrooms(pageId = 1, perPage = 10)`: the chatrooms this user may see. */
  getChatrooms(pageId?: number, perPage?: number): Promise<ChatroomsPage>;
  /** `getMyChatrooms(pageId?, perPage?)`: chatrooms this user is a member of. */
  getMyChatrooms(pageId?: number, perPage?: number): Promise<ChatroomsPage>;
  /** `getChatroom(id)`: one chatroom's data. */
  getChatroom(id: string): Promise<ChatData>;
  /** `getChatroomMembers(id, page = 1, perPage = 10)`. */
  getChatroomMembers(id: string, page?: number, perPage?: number): Promise<MembersPage>;
  /** `fetchUser(username)`. */
  fetchUser(username: string): Promise<User>;
  /** `fetchUserById(id)`. */
  fetchUserById(id: string): Promise<User>;
  /** `getUsers(usernames)`: unknown usernames are left out. */
  getUsers(usernames: string[]): Promise<User[]>;
  /** `deleteUser(username)`: needs the secret key, so from a browser it rejects with
   * `unauthorized`/`forbidden` (delete users from your backend). */
  deleteUser(username: string): Promise<void>;
  /** `deleteUserById(id)`: see `deleteUser`. */
  deleteUserById(id: string): Promise<void>;
  /** The chat-rooms service's `getVisitor()`: the signed-in user, fresh from the server. */
  getVisitor(): Promise<User>;
  /** `setField(key, value)`: one flat field (string, number or boolean). */
  setField(key: string, value: string | number | boolean): Promise<User>;
  /** `setName(name)`. */
  setName(name: string): Promise<User>;
  /** `setEmail(email)`. */
  setEmail(email: string): Promise<User>;
  /** `searchMessages(query, { chatId?, cursor?, count? })`: the messages whose text
   * contains `query` (1-200 characters, case-insensitive), newest first, in the chats
   * the caller may read. Whispers only for consultants. */
  searchMessages(query: string, options?: SearchOptions): Promise<SearchResults>;
  /** `getAllManagers()`: the website's consultants. */
  getAllManagers(): Promise<User[]>;
  /** `getConnectedManagers()`: consultants online now. */
  getConnectedManagers(): Promise<User[]>;
  /** Consultants: bans a visitor or app user from the whole website: their sockets close
   * on every node (close code 4003: their SDK ends its session, with an `error` event, and
   * does not reconnect) and their tokens and visitor sessions are refused (`forbidden`,
   * saying until when and why) until the end. */
  banUser(username: string, options?: SanctionOptions): Promise<Sanction>;
  /** Consultants: lifts a website ban. */
  unbanUser(username: string): Promise<void>;
  /** Consultants: the website's bans in force, newest first. */
  getSanctions(): Promise<{ sanctions: Sanction[] }>;
  /** Reports a user (not yourself) to the consultants, with a reason (1-500 characters). */
  reportUser(username: string, reason: string): Promise<Report>;
  /** Consultants: the reports queue, newest first, 50 per page; `status` `open` (default),
   * `resolved` or `all`. */
  getReports(options?: { status?: "open" | "resolved" | "all"; page?: number }): Promise<ReportsPage>;
  /** Consultants: resolves an open report (`conflict` if it was resolved already). */
  resolveReport(reportId: string, options?: { resolution?: string }): Promise<Report>;
  /** `sendChatroomTextMessage(id, text, metadata?)`. */
  sendChatroomTextMessage(id: string, text: string, metadata?: Metadata): Promise<Message>;
  /** `sendChatroomFileMessage(id, file, text?)`: uploads (with `uploadProgress` events),
   * then sends. */
  sendChatroomFileMessage(id: string, file: File | Blob, text?: string): Promise<Message>;
  /** `getChatroomMessages(id, lastMessageId?, count = 50)`: the `count` (1-100) messages
   * before `lastMessageId` (or the newest), oldest first; empty = start of history. */
  getChatroomMessages(id: string, lastMessageId?: string, count?: number): Promise<Message[]>;
  /** `sendConversationTextMessage(text, metadata?)`. */
  sendConversationTextMessage(text: string, metadata?: Metadata): Promise<Message>;
  /** `sendConversationFileMessage(file, text?)`. */
  sendConversationFileMessage(file: File | Blob, text?: string): Promise<Message>;
  /** `getConversationMessages(lastMessageId?, count = 50)`. */
  getConversationMessages(lastMessageId?: string, count?: number): Promise<Message[]>;
  /** `connectToChatroom(id)`: receive the room's traffic (a visitor joins a public room;
   * private rooms need membership). Kept across reconnects, with nothing missed. */
  connectToChatroom(id: string): Promise<ChatData>;
  /** `disconnectFromChatroom(id)`: stop receiving the room's traffic. */
  disconnectFromChatroom(id: string): Promise<void>;
  /** `getAllChatrooms()`: every chatroom this user may see (all pages). */
  getAllChatrooms(): Promise<ChatData[]>;
}
/** `reactionAdded` / `reactionRemoved`: who reacted to which message, and the message with
 * its new counts. */
export interface ReactionEvent { chatId: string; messageId: string; reaction: string; userId: string; message: Message; }
export interface PendingSend { chatId: string; clientId: string; text: string | null; }

export interface ChatixCore {
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ChatixEventMap>(event: K, listener: ChatixEventMap[K]): () => void;
  /** Adds a listener that is called once. */
  once<K extends keyof ChatixEventMap>(event: K, listener: ChatixEventMap[K]): () => void;
  /** Removes a listener, or every listener of the event. */
  off<K extends keyof ChatixEventMap>(event: K, listener?: ChatixEventMap[K]): void;
}

export interface Chat {
  on<K extends keyof ChatEventMap>(event: K, listener: ChatEventMap[K]): () => void;
  once<K extends keyof ChatEventMap>(event: K, listener: ChatEventMap[K]): () => void;
  off<K extends keyof ChatEventMap>(event: K, listener?: ChatEventMap[K]): void;
}
"#;
