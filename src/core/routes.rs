//! Event routing: which `on(name)` listeners, which assignable `onX` handler of
//! `ChatixCore` and which handler of the chat's `Chat` objects hear a core [`Event`],
//! chosen by the chat's kind and the member's role, and with which arguments.
//!
//! Every event and handler name is written once, here: [`route`] picks them, the lists
//! below declare them with their TypeScript signatures (the `.d.ts` event maps and handler
//! properties are these strings), and the tests check that the two agree: every name a route
//! can pick is declared, and every declared name is picked by some route.
//!
//! | core event | `on(name)` | `ChatixCore` handler | `Chat` handler |
//! |---|---|---|---|
//! | Message | `message` | `onChatroomMessageReceived(chatId, m)` (group), `onConversationMessageReceived(m)` (conversation), `onChat(chat, m)` (any) | `onMessage(m)` |
//! | MessageUpdated / Deleted | `messageUpdated` / `messageDeleted` | `onChatroom…` / `onConversation…` | `onMessageUpdated` / `onMessageDeleted` |
//! | Pinned / unpinned | `messagePinned` / `messageUnpinned` | | `onMessagePinned` / `onMessageUnpinned` |
//! | Mentioned (us) | `mentioned` | | `onMentioned` |
//! | Reaction added / removed | `reactionAdded` / `reactionRemoved` | | `onReactionAdded` / `onReactionRemoved` |
//! | Member | `memberConnected` / `memberDisconnected` | `onMemberConnectedToChatroom`, `onManagerConnectedToChatroom` (staff), `onManagerConnectedToConversation`, … | `onMemberConnected` / … |
//! | Chat created/updated/restored, deleted | `chatCreated` … `chatDeleted` | `onChatroomCreated` … (groups) | `onUpdated`, `onDeleted` |
//! | Connected / Disconnected / Error | `connected` / `disconnected` / `error` | `onConnected` / `onDisconnected` / `onError` | |
//! | the others | their name | | the chat's own, if any |

use chatix_protocol::{ChatKind, Role};

use super::events::Event;
use super::model::Types;
use super::ChatChange;

/// What a listener is called with, made from the event's chat id and its value (the
/// message, user, chat object or event object the driver builds for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// Nothing.
    None,
    /// The event's value.
    Value,
    /// The chat id.
    ChatId,
    /// The chat id, then the value.
    ChatIdValue,
    /// The chat's object, then the value (`onChat`).
    ChatValue,
    /// The chat's unread count (`Chat.onUnreadChanged`).
    Count,
}

/// A handler property and its arguments.
pub type Handler = (&'static str, Args);

/// Where one event goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The `ChatixCore.on(name)` event and its arguments.
    pub on: Handler,
    /// The `ChatixCore` handler property, if one hears it.
    pub handler: Option<Handler>,
    /// Also `ChatixCore.onChat(chat, message)` (new messages).
    pub on_chat: bool,
    /// The handler of the chat's `Chat` objects (and their `on(name)` listeners, named
    /// without the `on`), if they hear it.
    pub chat: Option<Handler>,
}

const fn to_core(on: Handler) -> Route {
    Route {
        on,
        handler: None,
        on_chat: false,
        chat: None,
    }
}

/// `on(name)` and the `Chat` handler `chat`, both with the event's value.
const fn with_chat(name: &'static str, chat: &'static str) -> Route {
    Route {
        chat: Some((chat, Args::Value)),
        ..to_core((name, Args::Value))
    }
}

/// The route of `ev`, given the kind of its chat (when the core knows it).
pub fn route<T: Types>(ev: &Event<T>, kind: Option<ChatKind>) -> Route {
    use Args::*;
    let group = kind == Some(ChatKind::Group);
    let conversation = kind == Some(ChatKind::Conversation);
    let by_kind = |room: &'static str, conv: &'static str| -> Option<Handler> {
        if group {
            Some((room, ChatIdValue))
        } else if conversation {
            Some((conv, Value))
        } else {
            Option::None
        }
    };
    match ev {
        Event::State(_) => to_core(("connectionStateChanged", Value)),
        Event::Connected => Route {
            handler: Some(("onConnected", None)),
            ..to_core(("connected", None))
        },
        Event::Disconnected { .. } => Route {
            handler: Some(("onDisconnected", Value)),
            ..to_core(("disconnected", Value))
        },
        Event::Message(_) => Route {
            on: ("message", Value),
            handler: by_kind("onChatroomMessageReceived", "onConversationMessageReceived"),
            on_chat: true,
            chat: Some(("onMessage", Value)),
        },
        Event::MessageUpdated(_) => Route {
            handler: by_kind("onChatroomMessageUpdated", "onConversationMessageUpdated"),
            chat: Some(("onMessageUpdated", Value)),
            ..to_core(("messageUpdated", Value))
        },
        Event::MessageDeleted(_) => Route {
            handler: by_kind("onChatroomMessageDeleted", "onConversationMessageDeleted"),
            chat: Some(("onMessageDeleted", Value)),
            ..to_core(("messageDeleted", Value))
        },
        Event::Pin(_, true) => with_chat("messagePinned", "onMessagePinned"),
        Event::Pin(_, false) => with_chat("messageUnpinned", "onMessageUnpinned"),
        Event::Mentioned(_) => with_chat("mentioned", "onMentioned"),
        Event::Reaction { added: true, .. } => with_chat("reactionAdded", "onReactionAdded"),
        Event::Reaction { .. } => with_chat("reactionRemoved", "onReactionRemoved"),
        Event::Pending(_) => with_chat("pending", "onPending"),
        Event::SendFailed { .. } => with_chat("sendFailed", "onSendFailed"),
        Event::Seen { .. } => with_chat("seen", "onMessageSeen"),
        Event::TypingStarted { .. } => with_chat("typingStarted", "onTypingStarted"),
        Event::TypingStopped { .. } => with_chat("typingStopped", "onTypingStopped"),
        Event::Member {
            role, connected, ..
        } => {
            let staff = *role == Role::Consultant;
            let handler = match (group, conversation, staff, *connected) {
                (true, _, true, true) => Some(("onManagerConnectedToChatroom", ChatIdValue)),
                (true, _, true, false) => Some(("onManagerDisconnectedFromChatroom", ChatIdValue)),
                (true, _, false, true) => Some(("onMemberConnectedToChatroom", ChatIdValue)),
                (true, _, false, false) => Some(("onMemberDisconnectedFromChatroom", ChatIdValue)),
                (_, true, true, true) => Some(("onManagerConnectedToConversation", Value)),
                (_, true, true, false) => Some(("onManagerDisconnectedFromConversation", Value)),
                _ => Option::None,
            };
            let (on, chat) = if *connected {
                ("memberConnected", "onMemberConnected")
            } else {
                ("memberDisconnected", "onMemberDisconnected")
            };
            Route {
                handler,
                chat: Some((chat, Value)),
                ..to_core((on, ChatIdValue))
            }
        }
        Event::MembersAdded { .. } => Route {
            chat: Some(("onMembersAdded", Value)),
            ..to_core(("membersAdded", ChatIdValue))
        },
        Event::MembersRemoved { .. } => Route {
            chat: Some(("onMembersRemoved", Value)),
            ..to_core(("membersRemoved", ChatIdValue))
        },
        Event::Chat {
            change,
            kind: chat_kind,
            ..
        } => {
            let (on, room) = match change {
                ChatChange::Created => ("chatCreated", "onChatroomCreated"),
                ChatChange::Updated => ("chatUpdated", "onChatroomUpdated"),
                ChatChange::Restored => ("chatRestored", "onChatroomRestored"),
            };
            Route {
                handler: (*chat_kind == ChatKind::Group).then_some((room, Value)),
                chat: (*change == ChatChange::Updated).then_some(("onUpdated", Value)),
                ..to_core((on, Value))
            }
        }
        Event::ChatDeleted(_) => Route {
            // a chat the core never saw is announced as a chatroom (the hosted service's
            // model: only chatrooms are deleted under their users' eyes)
            handler: kind
                .is_none_or(|k| k == ChatKind::Group)
                .then_some(("onChatroomDeleted", ChatId)),
            chat: Some(("onDeleted", None)),
            ..to_core(("chatDeleted", ChatId))
        },
        // `Chat` objects of every chat listing the member hear it (the driver finds them)
        Event::Presence { .. } => with_chat("presence", "onMemberStatusChanged"),
        Event::UserUpdated(_) => to_core(("userUpdated", Value)),
        Event::Unread { .. } => Route {
            chat: Some(("onUnreadChanged", Count)),
            ..to_core(("unreadChanged", Value))
        },
        Event::Gap { .. } => Route {
            chat: Some(("onGap", None)),
            ..to_core(("gap", ChatId))
        },
        Event::Error(_) => Route {
            handler: Some(("onError", Value)),
            ..to_core(("error", Value))
        },
    }
}

/// The `on(name)` event a `Chat` handler property stands for (`onMessageSeen` →
/// `messageSeen`).
pub fn chat_event(handler: &str) -> String {
    let mut event = handler.strip_prefix("on").unwrap_or(handler).to_owned();
    if let Some(first) = event.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    event
}

/// Declares a list of names with their TypeScript types: the names as a constant, and a
/// TypeScript interface listing them as its members.
macro_rules! declared {
    // handler properties: each member says what it is
    (handlers $(#[$doc:meta])* $names:ident, $ts:ident = $iface:literal, $what:literal {
        $( $name:ident : $sig:literal ),* $(,)?
    }) => {
        $(#[$doc])*
        pub const $names: &[&str] = &[$(stringify!($name)),*];
        #[doc = concat!("The TypeScript interface `", $iface, "` of [`", stringify!($names), "`].")]
        pub const $ts: &str = concat!(
            "/** ", $what, " */\nexport interface ", $iface, " {\n",
            $( "  /** The `", stringify!($name), "` handler: a function, or null to remove it. */\n  ",
               stringify!($name), ": ", $sig, ";\n", )*
            "}\n"
        );
    };
    ($(#[$doc:meta])* $names:ident, $ts:ident = $iface:literal, $what:literal {
        $( $name:ident : $sig:literal ),* $(,)?
    }) => {
        $(#[$doc])*
        pub const $names: &[&str] = &[$(stringify!($name)),*];
        #[doc = concat!("The TypeScript interface `", $iface, "` of [`", stringify!($names), "`].")]
        pub const $ts: &str = concat!(
            "/** ", $what, " */\nexport interface ", $iface, " {\n",
            $( "  ", stringify!($name), ": ", $sig, ";\n", )*
            "}\n"
        );
    };
}

declared! {
    /// Events of `ChatixCore.on` (`uploadProgress` comes from uploads, not from the core).
    CORE_EVENTS, CORE_EVENTS_TS = "ChatixEventMap", "Listener signatures of `ChatixCore.on`." {
        connectionStateChanged: "(state: ConnectionState) => void",
        connected: "() => void",
        disconnected: "(info: DisconnectInfo) => void",
        message: "(message: Message) => void",
        messageUpdated: "(message: Message) => void",
        messageDeleted: "(message: Message) => void",
        messagePinned: "(message: Message) => void",
        messageUnpinned: "(message: Message) => void",
        mentioned: "(message: Message) => void",
        reactionAdded: "(reaction: ReactionEvent) => void",
        reactionRemoved: "(reaction: ReactionEvent) => void",
        pending: "(message: Message) => void",
        sendFailed: "(failure: SendFailure) => void",
        seen: "(seen: SeenEvent) => void",
        typingStarted: "(typing: TypingEvent) => void",
        typingStopped: "(typing: TypingEvent) => void",
        memberConnected: "(chatId: string, user: User) => void",
        memberDisconnected: "(chatId: string, user: User) => void",
        membersAdded: "(chatId: string, users: User[]) => void",
        membersRemoved: "(chatId: string, userIds: string[]) => void",
        chatCreated: "(chat: ChatData) => void",
        chatUpdated: "(chat: ChatData) => void",
        chatDeleted: "(chatId: string) => void",
        chatRestored: "(chat: ChatData) => void",
        presence: "(presence: PresenceEvent) => void",
        userUpdated: "(user: User) => void",
        unreadChanged: "(unread: UnreadEvent) => void",
        gap: "(chatId: string) => void",
        error: "(error: ChatixError) => void",
        uploadProgress: "(progress: UploadProgress) => void",
    }
}

declared! {
    /// Events of `Chat.on`: its handler properties' names without the `on`, plus `updated`,
    /// `deleted`, `gap`, `membersAdded` and `membersRemoved`, which have no property.
    CHAT_EVENTS, CHAT_EVENTS_TS = "ChatEventMap", "Listener signatures of `Chat.on`." {
        message: "(message: Message) => void",
        messageUpdated: "(message: Message) => void",
        messageDeleted: "(message: Message) => void",
        messagePinned: "(message: Message) => void",
        messageUnpinned: "(message: Message) => void",
        mentioned: "(message: Message) => void",
        reactionAdded: "(reaction: ReactionEvent) => void",
        reactionRemoved: "(reaction: ReactionEvent) => void",
        messageSeen: "(seen: SeenEvent) => void",
        typingStarted: "(typing: TypingEvent) => void",
        typingStopped: "(typing: TypingEvent) => void",
        memberStatusChanged: "(presence: PresenceEvent) => void",
        memberConnected: "(member: User) => void",
        memberDisconnected: "(member: User) => void",
        membersAdded: "(users: User[]) => void",
        membersRemoved: "(userIds: string[]) => void",
        pending: "(message: Message) => void",
        sendFailed: "(failure: SendFailure) => void",
        unreadChanged: "(count: number) => void",
        updated: "(chat: ChatData) => void",
        deleted: "() => void",
        gap: "() => void",
    }
}

declared! {
    handlers
    /// The assignable handler properties of `ChatixCore` (`core.onChat = fn`).
    CORE_HANDLERS, CORE_HANDLERS_TS = "ChatixCore", "The assignable handlers of `ChatixCore`." {
        onConnected: "(() => void) | undefined",
        onDisconnected: "((info: DisconnectInfo) => void) | undefined",
        onError: "((error: ChatixError) => void) | undefined",
        onChat: "((chat: ChatData, message: Message) => void) | undefined",
        onChatroomMessageReceived: "((chatroomId: string, message: Message) => void) | undefined",
        onChatroomMessageUpdated: "((chatroomId: string, message: Message) => void) | undefined",
        onChatroomMessageDeleted: "((chatroomId: string, message: Message) => void) | undefined",
        onChatroomCreated: "((chatroom: ChatData) => void) | undefined",
        onChatroomUpdated: "((chatroom: ChatData) => void) | undefined",
        onChatroomDeleted: "((chatroomId: string) => void) | undefined",
        onChatroomRestored: "((chatroom: ChatData) => void) | undefined",
        onMemberConnectedToChatroom: "((chatroomId: string, member: User) => void) | undefined",
        onMemberDisconnectedFromChatroom: "((chatroomId: string, member: User) => void) | undefined",
        onManagerConnectedToChatroom: "((chatroomId: string, manager: User) => void) | undefined",
        onManagerDisconnectedFromChatroom: "((chatroomId: string, manager: User) => void) | undefined",
        onConversationMessageReceived: "((message: Message) => void) | undefined",
        onConversationMessageUpdated: "((message: Message) => void) | undefined",
        onConversationMessageDeleted: "((message: Message) => void) | undefined",
        onManagerConnectedToConversation: "((manager: User) => void) | undefined",
        onManagerDisconnectedFromConversation: "((manager: User) => void) | undefined",
    }
}

declared! {
    handlers
    /// The assignable handler properties of `Chat` (`chat.onMessage = fn`).
    CHAT_HANDLERS, CHAT_HANDLERS_TS = "Chat", "The assignable handlers of `Chat`." {
        onMessage: "((message: Message) => void) | undefined",
        onMessageUpdated: "((message: Message) => void) | undefined",
        onMessageDeleted: "((message: Message) => void) | undefined",
        onMessagePinned: "((message: Message) => void) | undefined",
        onMessageUnpinned: "((message: Message) => void) | undefined",
        onMentioned: "((message: Message) => void) | undefined",
        onReactionAdded: "((reaction: ReactionEvent) => void) | undefined",
        onReactionRemoved: "((reaction: ReactionEvent) => void) | undefined",
        onMessageSeen: "((seen: SeenEvent) => void) | undefined",
        onTypingStarted: "((typing: TypingEvent) => void) | undefined",
        onTypingStopped: "((typing: TypingEvent) => void) | undefined",
        onMemberStatusChanged: "((presence: PresenceEvent) => void) | undefined",
        onMemberConnected: "((member: User) => void) | undefined",
        onMemberDisconnected: "((member: User) => void) | undefined",
        onPending: "((message: Message) => void) | undefined",
        onSendFailed: "((failure: SendFailure) => void) | undefined",
        onUnreadChanged: "((count: number) => void) | undefined",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ConnState, Native};
    use chatix_protocol::{ApiError, ErrorCode, Message};
    use std::collections::BTreeSet;

    fn m() -> Message {
        crate::core::log::tests::msg("m", 1, 1, "hi")
    }

    /// One event of every kind (and every variant that routes differently).
    fn every_event() -> Vec<Event<Native>> {
        let s = String::new;
        let mut all = vec![
            Event::State(ConnState::Open),
            Event::Connected,
            Event::Disconnected {
                code: 1006,
                reason: s(),
                retrying: true,
            },
            Event::Message(m()),
            Event::MessageUpdated(m()),
            Event::MessageDeleted(m()),
            Event::Pin(m(), true),
            Event::Pin(m(), false),
            Event::Reaction {
                message: m(),
                reaction: "👍".into(),
                user_id: s(),
                added: true,
            },
            Event::Reaction {
                message: m(),
                reaction: "👍".into(),
                user_id: s(),
                added: false,
            },
            Event::Pending(m()),
            Event::SendFailed {
                chat_id: s(),
                client_id: s(),
                error: ApiError::new(ErrorCode::Internal, "x"),
            },
            Event::Seen {
                chat_id: s(),
                user_id: s(),
                seq: 1,
                message_id: None,
            },
            Event::TypingStarted {
                chat_id: s(),
                user_id: s(),
                draft: None,
            },
            Event::TypingStopped {
                chat_id: s(),
                user_id: s(),
            },
            Event::MembersAdded {
                chat_id: s(),
                users: vec![],
            },
            Event::MembersRemoved {
                chat_id: s(),
                user_ids: vec![],
            },
            Event::ChatDeleted(s()),
            Event::Presence {
                user_id: s(),
                online: true,
            },
            Event::UserUpdated(crate::core::tests::user("u", Role::User)),
            Event::Unread {
                chat_id: s(),
                count: 1,
                total: 1,
                mentions: 0,
            },
            Event::Mentioned(m()),
            Event::Gap { chat_id: s() },
            Event::Error(ApiError::new(ErrorCode::Internal, "x")),
        ];
        for role in [Role::User, Role::Consultant] {
            for connected in [true, false] {
                all.push(Event::Member {
                    chat_id: s(),
                    role,
                    connected,
                    user: crate::core::tests::user("u", Role::User),
                });
            }
        }
        for change in [
            ChatChange::Created,
            ChatChange::Updated,
            ChatChange::Restored,
        ] {
            for kind in [ChatKind::Group, ChatKind::Direct, ChatKind::Conversation] {
                all.push(Event::Chat {
                    chat_id: s(),
                    change,
                    kind,
                    chat: crate::core::tests::chat("c", kind, 0, 0),
                });
            }
        }
        all
    }

    const KINDS: [Option<ChatKind>; 4] = [
        None,
        Some(ChatKind::Group),
        Some(ChatKind::Direct),
        Some(ChatKind::Conversation),
    ];

    #[test]
    fn every_routed_name_is_declared_and_every_declared_name_is_routed() {
        let (mut on, mut handlers, mut chat_handlers, mut chat_on) = (
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
        );
        for ev in every_event() {
            for kind in KINDS {
                let r = route(&ev, kind);
                on.insert(r.on.0);
                if let Some((h, _)) = r.handler {
                    handlers.insert(h);
                }
                if r.on_chat {
                    handlers.insert("onChat");
                }
                if let Some((h, _)) = r.chat {
                    chat_on.insert(chat_event(h));
                    if CHAT_HANDLERS.contains(&h) {
                        chat_handlers.insert(h);
                    }
                }
            }
        }
        on.insert("uploadProgress"); // from uploads, not from the core
        let set = |l: &[&'static str]| l.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(on, set(CORE_EVENTS), "ChatixCore.on events");
        assert_eq!(
            handlers,
            set(CORE_HANDLERS),
            "ChatixCore handler properties"
        );
        assert_eq!(chat_handlers, set(CHAT_HANDLERS), "Chat handler properties");
        let chat_events: BTreeSet<String> = CHAT_EVENTS.iter().map(|s| s.to_string()).collect();
        assert_eq!(chat_on, chat_events, "Chat.on events");
        for h in CHAT_HANDLERS {
            assert!(
                chat_events.contains(&chat_event(h)),
                "{h} has its Chat.on event"
            );
        }
    }

    #[test]
    fn handlers_follow_the_chat_kind_and_the_members_role() {
        let msg = Event::<Native>::Message(m());
        let group = route(&msg, Some(ChatKind::Group));
        assert_eq!(
            group.handler,
            Some(("onChatroomMessageReceived", Args::ChatIdValue))
        );
        assert!(group.on_chat);
        let conv = route(&msg, Some(ChatKind::Conversation));
        assert_eq!(
            conv.handler,
            Some(("onConversationMessageReceived", Args::Value))
        );
        assert_eq!(route(&msg, Some(ChatKind::Direct)).handler, None);
        let member = |role, connected| Event::<Native>::Member {
            chat_id: "c".into(),
            role,
            connected,
            user: crate::core::tests::user("u", Role::User),
        };
        let r = route(&member(Role::Consultant, true), Some(ChatKind::Group));
        assert_eq!(
            r.handler,
            Some(("onManagerConnectedToChatroom", Args::ChatIdValue))
        );
        assert_eq!(r.on, ("memberConnected", Args::ChatIdValue));
        assert_eq!(r.chat, Some(("onMemberConnected", Args::Value)));
        let r = route(&member(Role::User, false), Some(ChatKind::Group));
        assert_eq!(
            r.handler,
            Some(("onMemberDisconnectedFromChatroom", Args::ChatIdValue))
        );
        let r = route(
            &member(Role::Consultant, false),
            Some(ChatKind::Conversation),
        );
        assert_eq!(
            r.handler,
            Some(("onManagerDisconnectedFromConversation", Args::Value))
        );
        // a visitor joining a conversation is not announced to the visitor's handlers
        let r = route(&member(Role::User, true), Some(ChatKind::Conversation));
        assert_eq!(r.handler, None);
        let deleted = Event::<Native>::ChatDeleted("c".into());
        assert_eq!(
            route(&deleted, None).handler,
            Some(("onChatroomDeleted", Args::ChatId))
        );
        assert_eq!(route(&deleted, Some(ChatKind::Direct)).handler, None);
        let unread = Event::<Native>::Unread {
            chat_id: "c".into(),
            count: 2,
            total: 3,
            mentions: 0,
        };
        assert_eq!(
            route(&unread, None).chat,
            Some(("onUnreadChanged", Args::Count))
        );
    }

    #[test]
    fn the_typescript_interfaces_list_every_name_with_its_signature() {
        assert!(CORE_EVENTS_TS.starts_with(
            "/** Listener signatures of `ChatixCore.on`. */\nexport interface ChatixEventMap {\n"
        ));
        assert!(
            CORE_EVENTS_TS.contains("\n  memberConnected: (chatId: string, user: User) => void;\n")
        );
        assert!(CHAT_EVENTS_TS.contains("\n  unreadChanged: (count: number) => void;\n"));
        assert!(CORE_HANDLERS_TS
            .contains("\n  onChat: ((chat: ChatData, message: Message) => void) | undefined;\n"));
        assert!(CHAT_HANDLERS_TS.ends_with(";\n}\n"));
        assert_eq!(chat_event("onMessageSeen"), "messageSeen");
        for (names, ts) in [
            (CORE_EVENTS, CORE_EVENTS_TS),
            (CHAT_EVENTS, CHAT_EVENTS_TS),
            (CORE_HANDLERS, CORE_HANDLERS_TS),
            (CHAT_HANDLERS, CHAT_HANDLERS_TS),
        ] {
            assert_eq!(ts.matches(") => void").count(), names.len());
            for n in names {
                assert!(ts.contains(&format!("\n  {n}: ")), "{n} in {ts}");
            }
        }
    }
}
