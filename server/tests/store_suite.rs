//! One storage suite, run against every backend available: SQLite always, PostgreSQL when
//! `CHATIX_TEST_DATABASE_URL` is set (each run uses a fresh schema-less database: the
//! suite creates a uniquely named database on that server and drops it afterwards).

use chatix_protocol::{ChatKind, Message, MessageKind, Metadata, Role, Visibility};
use chatix_server::store::sql::SqlStore;
use chatix_server::store::*;
use std::sync::Arc;

fn site(id: &str) -> Website {
    Website {
        id: id.into(),
        secret: format!("sk_{id}"),
        name: id.into(),
        allowed_origins: vec![],
        created_at: 1,
    }
}

fn user(site: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        website_id: site.into(),
        username: name.into(),
        name: name.into(),
        avatar: None,
        email: None,
        metadata: Metadata::new(),
        role,
        password_hash: None,
        visitor_secret_hash: None,
        can_admin: false,
    }
}

fn msg(chat: &str, sender: &str, text: &str, whisper: bool, client: Option<&str>) -> NewMessage {
    NewMessage {
        chat_id: chat.into(),
        sender_id: sender.into(),
        sender_role: Role::User,
        sender_name: "n".into(),
        kind: MessageKind::Text,
        text: text.into(),
        file_id: None,
        metadata: Metadata::new(),
        whisper,
        client_id: client.map(str::to_owned),
        reply_to: None,
        quote: None,
        parent_id: None,
        show_in_chat: false,
        mentions: Vec::new(),
        created_at: 10,
    }
}

/// The suite itself: every store must pass it.
async fn suite(s: Arc<dyn Store>) {
    // websites are isolated
    s.create_website(&site("wa")).await.unwrap();
    s.create_website(&site("wb")).await.unwrap();
    assert_eq!(
        s.website_by_secret("sk_wb").await.unwrap().unwrap().id,
        "wb"
    );
    assert!(s.website("nope").await.unwrap().is_none());

    // users: idempotent create, per-website usernames, patch, delete with tombstone
    let (a, created) = s.create_user(user("wa", "ann", Role::User)).await.unwrap();
    assert!(created);
    let (a2, created) = s
        .create_user(user("wa", "ann", Role::Visitor))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(a.user.id, a2.user.id);
    let (b_other_site, _) = s.create_user(user("wb", "ann", Role::User)).await.unwrap();
    assert_ne!(b_other_site.user.id, a.user.id);
    assert!(
        s.user("wb", &a.user.id).await.unwrap().is_none(),
        "no cross-website reads"
    );
    let (b, _) = s.create_user(user("wa", "ben", Role::User)).await.unwrap();
    let (c, _) = s
        .create_user(user("wa", "cat", Role::Consultant))
        .await
        .unwrap();
    let many = s
        .users_by_usernames("wa", &["ben".into(), "ann".into(), "zed".into()])
        .await
        .unwrap();
    assert_eq!(
        many.iter()
            .map(|u| u.user.username.as_str())
            .collect::<Vec<_>>(),
        ["ann", "ben"]
    );
    let mut meta = Metadata::new();
    meta.insert("k".into(), chatix_protocol::MetaValue::Bool(true));
    let patched = s
        .update_user(
            "wa",
            &a.user.id,
            UserPatch {
                name: Some("Ann B".into()),
                avatar: Some("https://x/a.png".into()),
                email: None,
                metadata: Some(meta.clone()),
            },
            20,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            patched.user.name.as_str(),
            patched.user.avatar.as_deref(),
            patched.user.updated_at
        ),
        ("Ann B", Some("https://x/a.png"), 20)
    );
    assert_eq!(patched.user.metadata, meta);
    let cleared = s
        .update_user(
            "wa",
            &a.user.id,
            UserPatch {
                avatar: Some(String::new()),
                ..Default::default()
            },
            21,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (cleared.user.avatar, cleared.user.name.as_str()),
        (None, "Ann B")
    );
    assert_eq!(
        s.users_by_role("wa", Role::Consultant).await.unwrap().len(),
        1
    );

    // direct chats: one per pair, either order
    let (d1, created) = s
        .direct_chat("wa", &a.user.id, &b.user.id, 30)
        .await
        .unwrap();
    let (d2, created2) = s
        .direct_chat("wa", &b.user.id, &a.user.id, 31)
        .await
        .unwrap();
    assert!(created && !created2);
    assert_eq!(d1.id, d2.id);
    assert_eq!(
        (d1.kind, s.member_count(&d1.id).await.unwrap()),
        (ChatKind::Direct, 2)
    );
    // conversations: one per visitor
    let (v, _) = s
        .create_user(user("wa", "v_1", Role::Visitor))
        .await
        .unwrap();
    let (conv, _) = s.conversation("wa", &v.user.id, 32).await.unwrap();
    assert_eq!(
        s.conversation("wa", &v.user.id, 33).await.unwrap().0.id,
        conv.id
    );
    assert_eq!(s.conversations("wa", 0, 10).await.unwrap().1, 1);

    // groups and visibility of chatrooms
    let g = |name: &str, vis| NewGroup {
        website_id: "wa".into(),
        name: Some(name.into()),
        avatar: None,
        metadata: Metadata::new(),
        visibility: vis,
        created_by: Some(c.user.id.clone()),
        member_ids: vec![],
    };
    let public = s
        .create_group(g("pub", Visibility::Public), 40)
        .await
        .unwrap();
    let private = s
        .create_group(g("priv", Visibility::Private), 41)
        .await
        .unwrap();
    let ids = |v: Vec<ChatRecord>| v.into_iter().map(|c| c.id).collect::<Vec<String>>();
    assert_eq!(
        ids(s
            .chatrooms("wa", &v.user.id, false, false, 0, 10)
            .await
            .unwrap()
            .0),
        vec![public.id.clone()]
    );
    assert_eq!(
        s.chatrooms("wa", &c.user.id, true, false, 0, 10)
            .await
            .unwrap()
            .1,
        2
    );
    assert_eq!(
        s.add_members(&private.id, &[v.user.id.clone(), v.user.id.clone()], 42)
            .await
            .unwrap(),
        vec![v.user.id.clone()]
    );
    assert_eq!(
        s.chatrooms("wa", &v.user.id, false, false, 0, 10)
            .await
            .unwrap()
            .1,
        2
    );
    assert_eq!(
        ids(s
            .chatrooms("wa", &v.user.id, false, true, 0, 10)
            .await
            .unwrap()
            .0),
        vec![private.id.clone()]
    );
    assert_eq!(
        s.chatrooms("wb", &v.user.id, true, false, 0, 10)
            .await
            .unwrap()
            .1,
        0,
        "no cross-website rooms"
    );

    // messages: sequence, idempotency, whispers, edits and deletes bump rev
    let first = s
        .insert_message(msg(&public.id, &a.user.id, "one", false, Some("k1")))
        .await
        .unwrap();
    let Inserted::New(m1) = first else {
        panic!("new")
    };
    assert_eq!((m1.seq, m1.rev), (1, 1));
    let again = s
        .insert_message(msg(&public.id, &a.user.id, "one again", false, Some("k1")))
        .await
        .unwrap();
    assert_eq!(again, Inserted::Duplicate(m1.clone()));
    // A client id is one sender's in one chat: the same id from another sender or in
    // another chat is a new message; in one batch a stored one and a repeat are answered
    // with the original.
    let other = s
        .create_group(g("idem", Visibility::Public), 42)
        .await
        .unwrap();
    let mixed = s
        .insert_messages(vec![
            msg(&other.id, &a.user.id, "a in other", false, Some("k1")),
            msg(&public.id, &a.user.id, "a again", false, Some("k1")),
            msg(&other.id, &b.user.id, "b in other", false, Some("k1")),
            msg(&other.id, &b.user.id, "b repeated", false, Some("k1")),
        ])
        .await;
    let got: Vec<(bool, String, i64)> = mixed
        .iter()
        .map(|r| {
            let r = r.as_ref().unwrap();
            (
                matches!(r, Inserted::New(_)),
                r.message().text.clone(),
                r.message().seq,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (true, "a in other".into(), 1),
            (false, "one".into(), 1),
            (true, "b in other".into(), 2),
            (false, "b in other".into(), 2),
        ]
    );
    let batch = s
        .insert_messages(vec![
            msg(&public.id, &c.user.id, "whisper", true, None),
            msg(&public.id, &b.user.id, "three", false, None),
            msg("chat_missing", &b.user.id, "lost", false, None),
        ])
        .await;
    assert_eq!(batch[0].as_ref().unwrap().message().seq, 2);
    assert_eq!(batch[1].as_ref().unwrap().message().seq, 3);
    assert_eq!(
        batch[2].as_ref().unwrap_err().code(),
        chatix_protocol::ErrorCode::NotFound
    );
    let staff = Audience { whispers: true };
    let others = Audience { whispers: false };
    assert_eq!(
        s.messages_page(&public.id, staff, 0, 25).await.unwrap().1,
        3
    );
    let (page, total) = s.messages_page(&public.id, others, 0, 25).await.unwrap();
    assert_eq!(
        (
            total,
            page.iter().map(|m| m.text.as_str()).collect::<Vec<_>>()
        ),
        (2, vec!["one", "three"])
    );
    assert_eq!(s.last_rev(&public.id, staff, i64::MAX).await.unwrap(), 3);
    assert_eq!(
        s.last_rev(&public.id, others, 2).await.unwrap(),
        1,
        "capped, whisper-free"
    );
    assert_eq!(
        s.last_message(&public.id, others)
            .await
            .unwrap()
            .unwrap()
            .text,
        "three"
    );
    let edited = s
        .edit_message(&public.id, &m1.id, Some("uno".into()), None, 50)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            edited.seq,
            edited.rev,
            edited.text.as_str(),
            edited.edited_at
        ),
        (1, 4, "uno", Some(50))
    );
    let tomb = s
        .delete_message(&public.id, &m1.id, 51)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((tomb.rev, tomb.deleted, tomb.text.as_str()), (5, true, ""));
    assert!(
        s.delete_message(&public.id, &m1.id, 52)
            .await
            .unwrap()
            .is_none(),
        "already deleted"
    );
    let changes = s.changes_since(&public.id, others, 1, 100).await.unwrap();
    assert_eq!(
        changes.iter().map(|m| m.rev).collect::<Vec<_>>(),
        [3, 5],
        "edits and deletes replay; whispers do not"
    );
    let before = s
        .messages_before(&public.id, staff, Stream::Chat, Some(3), 10)
        .await
        .unwrap();
    assert_eq!(
        before.iter().map(|m| m.seq).collect::<Vec<_>>(),
        [2],
        "tombstones are not history"
    );

    // unread and seen marks
    s.add_members(&public.id, &[b.user.id.clone(), a.user.id.clone()], 60)
        .await
        .unwrap();
    let mark = s
        .member(&public.id, &a.user.id)
        .await
        .unwrap()
        .unwrap()
        .last_seen_seq;
    assert_eq!(mark, 5, "new members start with everything seen");
    // the access check's single query: chat + this user's membership, scoped to a website
    let (c, m, standing) = s
        .chat_and_member("wa", &public.id, Some(&a.user.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.id.as_str(), m.map(|m| m.last_seen_seq)),
        (public.id.as_str(), Some(5))
    );
    assert_eq!(standing, Standing::default(), "no mute, no ban");
    let (_, none, _) = s
        .chat_and_member("wa", &public.id, Some("usr_nobody"))
        .await
        .unwrap()
        .unwrap();
    assert!(none.is_none());
    let (_, anon, _) = s
        .chat_and_member("wa", &public.id, None)
        .await
        .unwrap()
        .unwrap();
    assert!(anon.is_none());
    assert!(
        s.chat_and_member("wb", &public.id, Some(&a.user.id))
            .await
            .unwrap()
            .is_none(),
        "another website's chat is not found"
    );
    let mut newer = msg(&public.id, &b.user.id, "new", false, None);
    newer.created_at = 65;
    s.insert_message(newer).await.unwrap();
    assert_eq!(
        s.unread_count(&public.id, &a.user.id, mark, others)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.unread_count(&public.id, &b.user.id, mark, others)
            .await
            .unwrap(),
        0,
        "own messages"
    );
    assert_eq!(s.mark_seen(&public.id, &a.user.id, 6).await.unwrap(), 6);
    assert_eq!(
        s.mark_seen(&public.id, &a.user.id, 2).await.unwrap(),
        6,
        "never lowered"
    );

    // user chats by activity; soft delete hides; restore shows
    let (mine, total) = s.user_chats("wa", &a.user.id, 0, 25).await.unwrap();
    assert_eq!((total, mine[0].id.as_str()), (2, public.id.as_str()));
    s.set_chat_deleted("wa", &public.id, Some(70))
        .await
        .unwrap();
    assert_eq!(s.user_chats("wa", &a.user.id, 0, 25).await.unwrap().1, 1);
    let err = s
        .insert_message(msg(&public.id, &a.user.id, "x", false, None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), chatix_protocol::ErrorCode::Gone);
    s.set_chat_deleted("wa", &public.id, None).await.unwrap();
    assert_eq!(s.user_chats("wa", &a.user.id, 0, 25).await.unwrap().1, 2);

    // members: remove and list
    assert_eq!(
        s.remove_members(&public.id, &[b.user.id.clone(), "nobody".into()])
            .await
            .unwrap(),
        vec![b.user.id.clone()]
    );
    let (members, total) = s.members("wa", &public.id, 0, 10).await.unwrap();
    assert_eq!((total, members.len()), (2, 2));

    // files
    let f = FileRecord {
        id: "f_1".into(),
        website_id: "wa".into(),
        uploader_id: a.user.id.clone(),
        name: "a.png".into(),
        mime: "image/png".into(),
        size: 3,
        kind: MessageKind::Image,
        has_thumbnail: true,
        created_at: 1,
    };
    s.insert_file(&f).await.unwrap();
    assert_eq!(s.file("f_1").await.unwrap().unwrap(), f);
    let mut with_file = msg(&private.id, &a.user.id, "", false, None);
    with_file.file_id = Some("f_1".into());
    with_file.kind = MessageKind::Image;
    let m = s.insert_message(with_file).await.unwrap();
    assert_eq!(
        m.message().file.as_ref().unwrap().thumbnail_url.as_deref(),
        Some("/v1/files/f_1/thumbnail")
    );
    let page = s.messages_page(&private.id, others, 0, 5).await.unwrap().0;
    assert_eq!(page[0].file.as_ref().unwrap().mime, "image/png");

    // deleting a user removes memberships and leaves a tombstone
    assert!(s.delete_user("wa", &a.user.id, 80).await.unwrap());
    assert!(s.member(&public.id, &a.user.id).await.unwrap().is_none());
    assert_eq!(s.user_tombstone("wa", "ann").await.unwrap(), Some(80));
    assert_eq!(s.user_tombstone("wb", "ann").await.unwrap(), None);
    assert!(!s.delete_user("wa", &a.user.id, 81).await.unwrap());

    search(&*s).await;
    reactions(&*s).await;
    moderation(&*s).await;
    threads(&*s).await;
    mentions(&*s).await;
    quotes(&*s).await;
}

/// Sanctions (mutes and bans per chat, website bans) and the reports queue.
async fn moderation(s: &dyn Store) {
    s.create_website(&site("wm")).await.unwrap();
    let (v, _) = s.create_user(user("wm", "v", Role::Visitor)).await.unwrap();
    let (w, _) = s.create_user(user("wm", "w", Role::Visitor)).await.unwrap();
    let room = s
        .create_group(
            NewGroup {
                website_id: "wm".into(),
                name: Some("mod".into()),
                avatar: None,
                metadata: Metadata::new(),
                visibility: Visibility::Public,
                created_by: None,
                member_ids: vec![v.user.id.clone()],
            },
            1,
        )
        .await
        .unwrap();
    let sanction = |chat: Option<&str>, user: &str, kind, until, at| SanctionRecord {
        website_id: "wm".into(),
        chat_id: chat.map(str::to_owned),
        user_id: user.to_owned(),
        kind,
        until,
        reason: format!("{kind:?} {user}"),
        created_by: Some("usr_mod".into()),
        created_at: at,
    };
    s.set_sanction(&sanction(
        Some(&room.id),
        &v.user.id,
        SanctionKind::Mute,
        Some(500),
        10,
    ))
    .await
    .unwrap();
    s.set_sanction(&sanction(
        Some(&room.id),
        &w.user.id,
        SanctionKind::Ban,
        None,
        11,
    ))
    .await
    .unwrap();
    // a reply keeps its quote
    let first = s
        .insert_message(msg(&room.id, &v.user.id, "the question", false, None))
        .await
        .unwrap()
        .message()
        .clone();
    let quote = chatix_protocol::Quote {
        sender_id: v.user.id.clone(),
        sender_name: "v".into(),
        text: "the question".into(),
    };
    let mut answer = msg(&room.id, &w.user.id, "the answer", false, None);
    answer.reply_to = Some(first.id.clone());
    answer.quote = Some(quote.clone());
    let stored = s.insert_message(answer).await.unwrap().message().clone();
    assert_eq!(stored.quote.as_ref(), Some(&quote));
    let all = Audience { whispers: true };
    let page = s.messages_page(&room.id, all, 0, 10).await.unwrap().0;
    assert_eq!(page[1].quote.as_ref(), Some(&quote));
    assert_eq!(page[1].reply_to.as_deref(), Some(first.id.as_str()));
    assert_eq!(page[0].quote, None);
    // slow mode is a chat setting
    let slowed = s
        .update_chat(
            "wm",
            &room.id,
            ChatPatch {
                slow_mode: Some(30),
                ..Default::default()
            },
            2,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((slowed.slow_mode, room.slow_mode), (30, 0));
    // the access query carries them, per user
    let (_, m, st) = s
        .chat_and_member("wm", &room.id, Some(&v.user.id))
        .await
        .unwrap()
        .unwrap();
    assert!(m.is_some());
    assert_eq!(
        st,
        Standing {
            muted: Some(Term {
                until: Some(500),
                reason: format!("Mute {}", v.user.id)
            }),
            banned: None
        }
    );
    let (_, _, st) = s
        .chat_and_member("wm", &room.id, Some(&w.user.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.banned.map(|t| t.until), Some(None));
    assert!(st.muted.is_none());
    // setting again replaces; listing skips expired ones, newest first
    s.set_sanction(&sanction(
        Some(&room.id),
        &v.user.id,
        SanctionKind::Mute,
        Some(900),
        12,
    ))
    .await
    .unwrap();
    let list = s.sanctions("wm", Some(&room.id), 600, 10).await.unwrap();
    assert_eq!(
        list.iter()
            .map(|x| (x.user_id.as_str(), x.until))
            .collect::<Vec<_>>(),
        vec![(v.user.id.as_str(), Some(900)), (w.user.id.as_str(), None)]
    );
    assert_eq!(
        s.sanctions("wm", Some(&room.id), 1_000, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.sanctions("wm", None, 0, 10).await.unwrap().is_empty(),
        "no website bans"
    );
    // a website ban is apart from the chat's
    s.set_sanction(&sanction(
        None,
        &v.user.id,
        SanctionKind::Ban,
        Some(2_000),
        13,
    ))
    .await
    .unwrap();
    let ban = s.website_ban("wm", &v.user.id).await.unwrap().unwrap();
    assert_eq!((ban.chat_id, ban.until), (None, Some(2_000)));
    assert!(s.website_ban("wm", &w.user.id).await.unwrap().is_none());
    assert!(
        s.website_ban("wa", &v.user.id).await.unwrap().is_none(),
        "per website"
    );
    // lifting: once
    assert!(s
        .lift_sanction("wm", Some(&room.id), &w.user.id, SanctionKind::Ban)
        .await
        .unwrap());
    assert!(!s
        .lift_sanction("wm", Some(&room.id), &w.user.id, SanctionKind::Ban)
        .await
        .unwrap());
    assert!(s
        .lift_sanction("wm", None, &v.user.id, SanctionKind::Ban)
        .await
        .unwrap());
    assert!(s.website_ban("wm", &v.user.id).await.unwrap().is_none());

    // a blocklist per website, replaced as a whole
    assert_eq!(s.blocklist("wm").await.unwrap(), None);
    s.set_blocklist("wm", &["darn".into(), "héck".into()], "reject", 5)
        .await
        .unwrap();
    s.set_blocklist("wm", &["darn".into()], "mask", 6)
        .await
        .unwrap();
    assert_eq!(
        s.blocklist("wm").await.unwrap(),
        Some((vec!["darn".to_string()], "mask".to_string()))
    );
    assert_eq!(s.blocklist("wa").await.unwrap(), None, "per website");
    // reports: open, found by reporter and subject, paged newest first, resolved once
    let report = |id: &str, kind: &str, subject: &str, at| ReportRecord {
        id: id.into(),
        website_id: "wm".into(),
        kind: kind.into(),
        subject: subject.into(),
        chat_id: (kind == "message").then(|| room.id.clone()),
        target_id: w.user.id.clone(),
        reporter_id: v.user.id.clone(),
        reason: "why".into(),
        excerpt: (kind == "message").then(|| "bad words".into()),
        created_at: at,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
    };
    s.insert_report(&report("rep_1", "message", "msg_1", 20))
        .await
        .unwrap();
    s.insert_report(&report("rep_2", "user", &w.user.id, 21))
        .await
        .unwrap();
    let open = s
        .open_report("wm", &v.user.id, "message", "msg_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(open, report("rep_1", "message", "msg_1", 20));
    assert!(s
        .open_report("wm", &w.user.id, "message", "msg_1")
        .await
        .unwrap()
        .is_none());
    let (page, total) = s.reports("wm", Some(true), 0, 10).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        page.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["rep_2", "rep_1"]
    );
    let (page, total) = s.reports("wm", None, 1, 1).await.unwrap();
    assert_eq!((total, page[0].id.as_str()), (2, "rep_1"));
    let (r, done) = s
        .resolve_report("wm", "rep_1", Some("usr_mod"), "warned", 30)
        .await
        .unwrap()
        .unwrap();
    assert!(done);
    assert_eq!(
        (
            r.resolved_at,
            r.resolved_by.as_deref(),
            r.resolution.as_deref()
        ),
        (Some(30), Some("usr_mod"), Some("warned"))
    );
    let (r, done) = s
        .resolve_report("wm", "rep_1", None, "again", 31)
        .await
        .unwrap()
        .unwrap();
    assert!(!done, "resolved once");
    assert_eq!(r.resolution.as_deref(), Some("warned"));
    assert!(s
        .resolve_report("wa", "rep_1", None, "x", 32)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .open_report("wm", &v.user.id, "message", "msg_1")
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.reports("wm", Some(false), 0, 10).await.unwrap().1, 1);
    assert_eq!(s.reports("wm", Some(true), 0, 10).await.unwrap().1, 1);
    assert_eq!(s.reports("wa", None, 0, 10).await.unwrap().1, 0);
}

/// Reactions: counted per user, idempotent, bounded, revisions of their message, gone
/// with it.
async fn reactions(s: &dyn Store) {
    s.create_website(&site("wr")).await.unwrap();
    let (x, _) = s.create_user(user("wr", "x", Role::User)).await.unwrap();
    let (y, _) = s.create_user(user("wr", "y", Role::User)).await.unwrap();
    let (chat, _) = s
        .direct_chat("wr", &x.user.id, &y.user.id, 1)
        .await
        .unwrap();
    let m = s
        .insert_message(msg(&chat.id, &x.user.id, "hi", false, None))
        .await
        .unwrap()
        .message()
        .clone();
    let (xi, yi) = (x.user.id.as_str(), y.user.id.as_str());
    let change = |user: &'static str, reaction: &'static str, add: bool| (user, reaction, add);
    let run = |(who, reaction, add): (&'static str, &'static str, bool), max_distinct: usize| {
        ReactionChange {
            chat: &chat.id,
            message: &m.id,
            user: if who == "x" { xi } else { yi },
            reaction,
            add,
            max_distinct,
            now: 5,
        }
    };
    let Reacted::Changed(r) = s.react(run(change("y", "👍", true), 3)).await.unwrap() else {
        panic!("a first reaction is a change")
    };
    assert_eq!(r.rev, m.rev + 1, "a reaction takes the chat's next rev");
    assert_eq!(r.reactions.get("👍"), Some(&1));
    assert_eq!(r.own_reactions, Some(vec!["👍".to_string()]));
    let Reacted::Unchanged(u) = s.react(run(change("y", "👍", true), 3)).await.unwrap() else {
        panic!("the same reaction twice changes nothing")
    };
    assert_eq!(u.rev, r.rev);
    for (who, reaction) in [("x", "👍"), ("x", "🎉"), ("x", "❤️")] {
        assert!(matches!(
            s.react(run(change(who, reaction, true), 3)).await.unwrap(),
            Reacted::Changed(_)
        ));
    }
    assert_eq!(
        s.react(run(change("y", "🦀", true), 3)).await.unwrap(),
        Reacted::TooMany,
        "a fourth distinct reaction beyond max_distinct 3"
    );
    let Reacted::Changed(r) = s.react(run(change("y", "🎉", true), 3)).await.unwrap() else {
        panic!("an existing reaction may still be added")
    };
    assert_eq!(
        r.reactions.into_iter().collect::<Vec<_>>(),
        vec![("❤️".into(), 1), ("🎉".into(), 2), ("👍".into(), 2)]
    );
    let Reacted::Changed(r) = s.react(run(change("x", "👍", false), 3)).await.unwrap() else {
        panic!("removing a given reaction is a change")
    };
    assert_eq!(r.reactions.get("👍"), Some(&1));
    assert_eq!(
        r.own_reactions,
        Some(vec!["❤️".to_string(), "🎉".to_string()]),
        "x's own, sorted"
    );
    assert!(matches!(
        s.react(run(change("x", "👍", false), 3)).await.unwrap(),
        Reacted::Unchanged(_)
    ));
    // stored: the message reads back with its counts; each user's own
    let stored = s.message(&chat.id, &m.id).await.unwrap().unwrap();
    assert_eq!(stored.reactions.get("🎉"), Some(&2));
    assert_eq!(stored.rev, r.rev);
    let mut own = s
        .own_reactions(yi, &[m.id.as_str(), "msg_none"])
        .await
        .unwrap();
    own.sort();
    assert_eq!(
        own,
        vec![
            (m.id.clone(), "🎉".to_string()),
            (m.id.clone(), "👍".to_string())
        ]
    );
    let changes = s
        .changes_since(&chat.id, Audience { whispers: false }, m.rev, 100)
        .await
        .unwrap();
    assert_eq!(changes.len(), 1, "one message, at its newest rev");
    assert_eq!(changes[0].rev, r.rev);
    // pins: a revision; listed newest pin first; whispers for staff only
    let w = s
        .insert_message(msg(&chat.id, &x.user.id, "secret", true, None))
        .await
        .unwrap()
        .message()
        .clone();
    let pin = |at: i64| {
        Some(chatix_protocol::Pin {
            by: xi.to_owned(),
            at,
        })
    };
    let p = s
        .set_pinned(&chat.id, &m.id, pin(20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.pinned, pin(20));
    assert!(p.rev > r.rev, "a pin takes the chat's next rev");
    s.set_pinned(&chat.id, &w.id, pin(21))
        .await
        .unwrap()
        .unwrap();
    let ids = |v: Vec<chatix_protocol::Message>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let staff = Audience { whispers: true };
    let others = Audience { whispers: false };
    assert_eq!(
        ids(s.pinned_messages(&chat.id, staff, 10).await.unwrap()),
        vec![w.id.clone(), m.id.clone()]
    );
    assert_eq!(
        ids(s.pinned_messages(&chat.id, others, 10).await.unwrap()),
        vec![m.id.clone()]
    );
    let u = s.set_pinned(&chat.id, &w.id, None).await.unwrap().unwrap();
    assert_eq!(u.pinned, None);
    assert_eq!(
        s.pinned_messages(&chat.id, staff, 10).await.unwrap().len(),
        1
    );
    let r = s.message(&chat.id, &m.id).await.unwrap().unwrap();
    // deleted: the counts and rows go with it; no reaction to a tombstone
    let _ = r;
    let tomb = s.delete_message(&chat.id, &m.id, 9).await.unwrap().unwrap();
    assert!(tomb.reactions.is_empty());
    assert_eq!(tomb.pinned, None, "a tombstone is not pinned");
    assert!(s
        .pinned_messages(&chat.id, staff, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .own_reactions(yi, &[m.id.as_str()])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.react(run(change("y", "👍", true), 3)).await.unwrap(),
        Reacted::Missing
    );
}

/// The texts a search finds (at most 50).
async fn found(s: &dyn Store, scope: SearchScope<'_>, aud: Audience, needle: &str) -> Vec<String> {
    s.search_messages("ws", scope, aud, needle, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect()
}

/// Message search, on a website of its own: scopes, whispers, case, literal `%` `_` `\`,
/// deleted messages and chats, and the cursor.
async fn search(s: &dyn Store) {
    s.create_website(&site("ws")).await.unwrap();
    let (x, _) = s.create_user(user("ws", "x", Role::User)).await.unwrap();
    let (y, _) = s.create_user(user("ws", "y", Role::User)).await.unwrap();
    let (z, _) = s
        .create_user(user("ws", "z", Role::Consultant))
        .await
        .unwrap();
    let group = |name: &str, members: Vec<String>| NewGroup {
        website_id: "ws".into(),
        name: Some(name.into()),
        avatar: None,
        metadata: Metadata::new(),
        visibility: Visibility::Public,
        created_by: None,
        member_ids: members,
    };
    let mine = s
        .create_group(group("mine", vec![x.user.id.clone()]), 1)
        .await
        .unwrap();
    let other = s.create_group(group("other", vec![]), 2).await.unwrap();
    let gone = s
        .create_group(group("gone", vec![x.user.id.clone()]), 3)
        .await
        .unwrap();
    let (direct, _) = s
        .direct_chat("ws", &x.user.id, &y.user.id, 4)
        .await
        .unwrap();
    let put = |chat: &str, text: &str, whisper: bool, at: i64| {
        let mut m = msg(chat, &y.user.id, text, whisper, None);
        m.created_at = at;
        m
    };
    for (chat, text, whisper, at) in [
        (&mine.id, "Find ME in mine", false, 10),
        (&mine.id, "find me, whispered", true, 11),
        (&other.id, "find me in other", false, 12),
        (&direct.id, "FIND me directly", false, 13),
        (&gone.id, "find me in a deleted chat", false, 14),
        (&mine.id, "100% sure", false, 15),
        (&mine.id, "1000 sure", false, 16),
        (&mine.id, "a_b and a\\b", false, 17),
        (&mine.id, "axb", false, 18),
    ] {
        s.insert_message(put(chat, text, whisper, at))
            .await
            .unwrap();
    }
    let Inserted::New(del) = s
        .insert_message(put(&mine.id, "find me, deleted", false, 19))
        .await
        .unwrap()
    else {
        panic!("new")
    };
    s.delete_message(&mine.id, &del.id, 20).await.unwrap();
    s.set_chat_deleted("ws", &gone.id, Some(21)).await.unwrap();
    let staff = Audience { whispers: true };
    let others = Audience { whispers: false };
    let (xid, zid, other_id) = (&*x.user.id, &*z.user.id, &*other.id);
    let find = |scope, aud, needle| found(s, scope, aud, needle);
    // newest first; case-insensitive for ASCII on both engines
    assert_eq!(
        find(SearchScope::Member(xid), others, "find me").await,
        ["FIND me directly", "Find ME in mine"]
    );
    assert_eq!(
        find(SearchScope::Staff(zid), staff, "FIND ME").await,
        ["find me in other", "find me, whispered", "Find ME in mine"]
    );
    assert_eq!(find(SearchScope::Website, staff, "find me").await.len(), 4);
    assert_eq!(
        find(SearchScope::Chat(other_id), others, "find").await,
        ["find me in other"]
    );
    // pattern characters are literal
    assert_eq!(
        find(SearchScope::Website, staff, "100%").await,
        ["100% sure"]
    );
    assert_eq!(
        find(SearchScope::Website, staff, "a_b").await,
        ["a_b and a\\b"]
    );
    assert_eq!(
        find(SearchScope::Website, staff, "a\\b").await,
        ["a_b and a\\b"]
    );
    // the cursor continues strictly after (createdAt, id)
    let first = s
        .search_messages("ws", SearchScope::Website, staff, "find", None, 2)
        .await
        .unwrap();
    let last = first.last().unwrap();
    let rest = s
        .search_messages(
            "ws",
            SearchScope::Website,
            staff,
            "find",
            Some((last.created_at, last.id.clone())),
            10,
        )
        .await
        .unwrap();
    let texts: Vec<_> = first.iter().chain(&rest).map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "FIND me directly",
            "find me in other",
            "find me, whispered",
            "Find ME in mine"
        ]
    );
    // another website sees nothing
    assert!(s
        .search_messages("wa", SearchScope::Website, staff, "find me", None, 10)
        .await
        .unwrap()
        .is_empty());
}

/// Threads: replies name their parent; the chat's own stream (history, count, last message,
/// unread) leaves out thread-only replies; the thread's page lists them; the parent's
/// recount follows the live replies and is a revision.
async fn threads(s: &dyn Store) {
    s.create_website(&site("wt")).await.unwrap();
    let (a, _) = s.create_user(user("wt", "a", Role::User)).await.unwrap();
    let (b, _) = s.create_user(user("wt", "b", Role::User)).await.unwrap();
    let (chat, _) = s
        .direct_chat("wt", &a.user.id, &b.user.id, 1)
        .await
        .unwrap();
    let put = |text: &str, parent: Option<&str>, shown: bool, at: i64| {
        let mut m = msg(&chat.id, &a.user.id, text, false, None);
        m.parent_id = parent.map(str::to_owned);
        m.show_in_chat = shown;
        m.created_at = at;
        m
    };
    let parent = s
        .insert_message(put("root", None, false, 10))
        .await
        .unwrap()
        .message()
        .clone();
    let r1 = s
        .insert_message(put("r1", Some(&parent.id), false, 20))
        .await
        .unwrap()
        .message()
        .clone();
    assert_eq!(
        (r1.parent_id.as_deref(), r1.show_in_chat),
        (Some(parent.id.as_str()), false)
    );
    let r2 = s
        .insert_messages(vec![
            put("r2", Some(&parent.id), true, 30),
            put("after", None, false, 40),
        ])
        .await
        .into_iter()
        .map(|r| r.unwrap().message().clone())
        .collect::<Vec<_>>();
    let all = Audience { whispers: true };
    let p = s
        .refresh_thread(&chat.id, &parent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.reply_count, p.last_reply_at), (2, Some(30)));
    assert!(
        p.rev > r2[1].seq,
        "a recount takes the chat's next revision"
    );
    let texts = |v: &[Message]| v.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
    let (page, total) = s.messages_page(&chat.id, all, 0, 10).await.unwrap();
    assert_eq!(
        (texts(&page), total),
        (vec!["root".into(), "r2".into(), "after".into()], 3)
    );
    assert_eq!(page[0].reply_count, 2);
    let before = s
        .messages_before(&chat.id, all, Stream::Chat, None, 10)
        .await
        .unwrap();
    assert_eq!(texts(&before), ["root", "r2", "after"]);
    let replies = s
        .messages_before(&chat.id, all, Stream::Thread(&parent.id), None, 10)
        .await
        .unwrap();
    assert_eq!(texts(&replies), ["r1", "r2"]);
    let older = s
        .messages_before(
            &chat.id,
            all,
            Stream::Thread(&parent.id),
            Some(r2[0].seq),
            10,
        )
        .await
        .unwrap();
    assert_eq!(texts(&older), ["r1"]);
    assert_eq!(
        s.unread_count(&chat.id, &b.user.id, 0, all).await.unwrap(),
        3
    );
    // the newest message of the chat's stream, not a thread-only reply
    s.insert_message(put("r3", Some(&parent.id), false, 50))
        .await
        .unwrap();
    let last = s.last_message(&chat.id, all).await.unwrap().unwrap();
    assert_eq!(last.text, "after");
    // a deleted reply leaves the count; a deleted parent is not recounted
    s.delete_message(&chat.id, &r2[0].id, 60).await.unwrap();
    let p = s
        .refresh_thread(&chat.id, &parent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.reply_count, p.last_reply_at), (2, Some(50)));
    let read = s.message(&chat.id, &parent.id).await.unwrap().unwrap();
    assert_eq!(
        (read.reply_count, read.last_reply_at, read.rev),
        (2, Some(50), p.rev)
    );
    s.delete_message(&chat.id, &parent.id, 70).await.unwrap();
    assert!(s
        .refresh_thread(&chat.id, &parent.id)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .refresh_thread(&chat.id, "msg_nope")
        .await
        .unwrap()
        .is_none());
}

/// Mentions: a message keeps its usernames (in a batch too); the mentioned user's count
/// follows their seen mark and deletions, and their list pages the messages that name them.
async fn mentions(s: &dyn Store) {
    s.create_website(&site("wmention")).await.unwrap();
    let (a, _) = s
        .create_user(user("wmention", "a", Role::User))
        .await
        .unwrap();
    let (b, _) = s
        .create_user(user("wmention", "b", Role::User))
        .await
        .unwrap();
    let (chat, _) = s
        .direct_chat("wmention", &a.user.id, &b.user.id, 1)
        .await
        .unwrap();
    let put = |text: &str, who: &[&UserRecord]| {
        let mut m = msg(&chat.id, &a.user.id, text, false, None);
        m.mentions = who
            .iter()
            .map(|u| (u.user.id.clone(), u.user.username.clone()))
            .collect();
        m
    };
    let batch = s
        .insert_messages(vec![
            put("hi @b", &[&b]),
            put("plain", &[]),
            put("again @b", &[&b]),
        ])
        .await
        .into_iter()
        .map(|r| r.unwrap().message().clone())
        .collect::<Vec<_>>();
    assert_eq!(batch[0].mentions, ["b"]);
    assert!(batch[1].mentions.is_empty());
    let read = s.message(&chat.id, &batch[2].id).await.unwrap().unwrap();
    assert_eq!(read.mentions, ["b"], "stored, and read back");
    assert_eq!(s.mention_count(&chat.id, &b.user.id, 0).await.unwrap(), 2);
    assert_eq!(
        s.mention_count(&chat.id, &b.user.id, batch[0].seq)
            .await
            .unwrap(),
        1,
        "after the seen mark only"
    );
    assert_eq!(s.mention_count(&chat.id, &a.user.id, 0).await.unwrap(), 0);
    let all = Audience { whispers: true };
    let texts = |v: &[Message]| v.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
    let listed = s
        .messages_before(&chat.id, all, Stream::MentionsOf(&b.user.id), None, 10)
        .await
        .unwrap();
    assert_eq!(texts(&listed), ["hi @b", "again @b"]);
    let older = s
        .messages_before(
            &chat.id,
            all,
            Stream::MentionsOf(&b.user.id),
            Some(batch[2].seq),
            10,
        )
        .await
        .unwrap();
    assert_eq!(texts(&older), ["hi @b"]);
    // a deleted message leaves the count and the list, and its tombstone names nobody
    let tomb = s
        .delete_message(&chat.id, &batch[0].id, 5)
        .await
        .unwrap()
        .unwrap();
    assert!(tomb.mentions.is_empty());
    assert_eq!(s.mention_count(&chat.id, &b.user.id, 0).await.unwrap(), 1);
    let listed = s
        .messages_before(&chat.id, all, Stream::MentionsOf(&b.user.id), None, 10)
        .await
        .unwrap();
    assert_eq!(texts(&listed), ["again @b"]);
}

/// Quotes: the replies to a message are found by it, and a quote replaced is a revision.
async fn quotes(s: &dyn Store) {
    s.create_website(&site("wquote")).await.unwrap();
    let (a, _) = s
        .create_user(user("wquote", "a", Role::User))
        .await
        .unwrap();
    let (b, _) = s
        .create_user(user("wquote", "b", Role::User))
        .await
        .unwrap();
    let (chat, _) = s
        .direct_chat("wquote", &a.user.id, &b.user.id, 1)
        .await
        .unwrap();
    let put = |text: &str, reply_to: Option<&str>| {
        let mut m = msg(&chat.id, &a.user.id, text, false, None);
        m.reply_to = reply_to.map(str::to_owned);
        m.quote = reply_to.map(|_| chatix_protocol::Quote {
            sender_id: a.user.id.clone(),
            sender_name: "A".into(),
            text: "first".into(),
        });
        m
    };
    let first = s
        .insert_message(put("first", None))
        .await
        .unwrap()
        .message()
        .clone();
    let r1 = s
        .insert_message(put("r1", Some(&first.id)))
        .await
        .unwrap()
        .message()
        .clone();
    let r2 = s
        .insert_message(put("r2", Some(&first.id)))
        .await
        .unwrap()
        .message()
        .clone();
    s.insert_message(put("other", None)).await.unwrap();
    assert_eq!(
        s.replies_to(&chat.id, &first.id).await.unwrap(),
        [r1.id.clone(), r2.id.clone()]
    );
    s.delete_message(&chat.id, &r2.id, 9).await.unwrap();
    assert_eq!(
        s.replies_to(&chat.id, &first.id).await.unwrap(),
        std::slice::from_ref(&r1.id),
        "live replies only"
    );
    let blank = chatix_protocol::Quote {
        text: String::new(),
        ..r1.quote.clone().unwrap()
    };
    let after = s
        .set_quote(&chat.id, &r1.id, &blank)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.quote.as_ref().map(|q| q.text.as_str()), Some(""));
    assert!(after.rev > r2.rev, "a new revision");
    assert!(s
        .set_quote(&chat.id, &r2.id, &blank)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/suite.db?mode=rwc", dir.path().display());
    let store = SqlStore::connect(&url).await.unwrap();
    suite(Arc::new(store.clone())).await;
    store.close().await;
}

#[tokio::test]
async fn postgres() {
    let Ok(base) = std::env::var("CHATIX_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED store suite on PostgreSQL: CHATIX_TEST_DATABASE_URL is not set");
        return;
    };
    let db = format!("chatix_suite_{}", chatix_server::util::random_hex(6));
    let admin = sqlx::PgPool::connect(&base)
        .await
        .expect("PostgreSQL reachable");
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&admin)
        .await
        .unwrap();
    let url = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap() + 2 => {
            format!("{}/{db}", &base[..i])
        }
        _ => format!("{base}/{db}"),
    };
    let store = SqlStore::connect(&url).await.unwrap();
    suite(Arc::new(store.clone())).await;
    store.close().await;
    // FORCE: a pooled connection may still be closing on the server side.
    sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .execute(&admin)
        .await
        .unwrap();
}
