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
  isMember: boolean;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
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
  replyTo?: string;
  /** Consultants only: delivered to consultants only. */
  whisper?: boolean;
  onProgress?: (p: UploadProgress) => void;
}

export interface UploadProgress { loaded: number; total: number; name: string; chatId: string | null; }
export interface DisconnectInfo { code: number; reason: string; retrying: boolean; }
export interface SeenEvent { chatId: string; userId: string; seq: number; messageId: string | null; }
export interface TypingEvent { chatId: string; userId: string; draft?: string | null; }
export interface PresenceEvent { userId: string; online: boolean; status: "online" | "offline"; }
export interface SendFailure { chatId: string; clientId: string; error: ChatixError; }
export interface UnreadEvent { chatId: string; count: number; total: number; }
/** Who pinned a message, and when (ms). */
export interface Pin { by: string; at: number; }
/** The `Chat` methods on one message (defined in JavaScript on the class). */
export interface Chat {
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
