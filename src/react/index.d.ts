// chatix-core/react: React bindings for the SDK (see react.js). Types only from the SDK.
import type { ReactNode } from 'react';
import type { Chat, ChatData, ChatixCore, ChatixError, ConnectionState, Message, SendMessageOptions } from './chatix_core.js';

/** The ChatixCore the hooks use (either build's). */
export function ChatixProvider(props: { core: ChatixCore; children?: ReactNode }): ReactNode;

/** The ChatixCore of the nearest ChatixProvider (throws without one). */
export function useChatix(): ChatixCore;

/** The connection state, live. */
export function useConnectionState(): ConnectionState;

export interface ChatroomsState {
  chatrooms: ChatData[];
  loading: boolean;
  error: ChatixError | null;
  /** Loads the list again. */
  reload(): void;
}

/** The chatrooms the user may see, kept current by chatroom events. */
export function useChatrooms(): ChatroomsState;

export interface ChatState {
  /** The chat handle, once loaded and connected. */
  chat: Chat | null;
  /** Oldest first: the last `history` on mount, live messages, edits and deletions applied. */
  messages: Message[];
  unread: number;
  /** Ids of the users typing now. */
  typing: string[];
  loading: boolean;
  error: ChatixError | null;
  /** Sends a text, or a message with options. */
  send(message: string | SendMessageOptions): Promise<Message>;
  startTyping(): Promise<void>;
  stopTyping(): Promise<void>;
  markSeen(messageId?: string): Promise<{ lastSeenSeq: number; unread: number }>;
  /** Loads `count` (default: `history`) messages before the oldest shown; returns them. */
  loadOlder(count?: number): Promise<Message[]>;
}

/** One chat, live: connected on mount (and left followed by the core); listeners removed on unmount. */
export function useChat(chatId: string | null | undefined, options?: { history?: number }): ChatState;
