// A front-end file that uses every public method, property, handler and event of the SDK
// as its declarations describe them. tests/ecosystem/typescript.mjs compiles it with
// `tsc --strict --noEmit` under lib es2020, es2022 and esnext (no skipLibCheck), after
// installing the packed package, and checks that every name the d.ts declares is used here.
import init, {
  Chat, ChatixCore, getInstance,
  type ChatData, type ChatixError, type ChatixErrorCode, type ChatixOptions, type ConnectionState,
  type DisconnectInfo, type FileInfo, type Member, type MembersPage, type Message, type MessagesPage,
  type Metadata, type PendingSend, type Pin, type Quote, type ReactionEvent, type Report, type ReportsPage, type Sanction, type SanctionOptions, type PresenceEvent, type SearchResults, type SeenEvent,
  type SendFailure, type ThreadPage, type TypingEvent, type UnreadEvent, type UploadProgress, type User,
} from 'chatix-core';
import initBundler, { ChatixCore as BundlerCore } from 'chatix-core/bundler';

export async function everything(file: File): Promise<string[]> {
  await init();
  await initBundler();
  const log: string[] = [];
  const options: ChatixOptions = { serverUrl: 'http://127.0.0.1:8080', tokenProvider: async () => 'token', persistVisitor: false };
  const core = new ChatixCore('wid_demo', options);
  const visitor = new ChatixCore('wid_demo', 'visitor-1');
  const same: ChatixCore = ChatixCore.getInstance('wid_demo', { token: 't' });
  const alias: ChatixCore = getInstance('wid_demo');
  const bundled: BundlerCore = new BundlerCore('wid_demo');
  log.push(String(same === alias), bundled.websiteId, visitor.serverUrl);

  // properties
  const state: ConnectionState = core.connectionState;
  const me: User | null = core.me;
  const token: string | null = core.token;
  log.push(state, me?.username ?? '', token ?? '', core.websiteId, core.serverUrl);

  // handler properties
  core.onConnected = () => log.push('connected');
  core.onDisconnected = (info: DisconnectInfo) => log.push(`${info.code} ${info.reason} ${info.retrying}`);
  core.onError = (e: ChatixError) => { const c: ChatixErrorCode = e.code; log.push(c, e.message); };
  core.onChat = (chat: ChatData, m: Message) => log.push(chat.id, m.id);
  core.onChatroomMessageReceived = (roomId: string, m: Message) => log.push(roomId, m.text ?? '');
  core.onChatroomMessageUpdated = (roomId: string, m: Message) => log.push(roomId, m.id);
  core.onChatroomMessageDeleted = (roomId: string, m: Message) => log.push(roomId, m.id);
  core.onChatroomCreated = (room: ChatData) => log.push(room.id);
  core.onChatroomUpdated = (room: ChatData) => log.push(room.id);
  core.onChatroomDeleted = (roomId: string) => log.push(roomId);
  core.onChatroomRestored = (room: ChatData) => log.push(room.id);
  core.onMemberConnectedToChatroom = (roomId: string, u: User) => log.push(roomId, u.id);
  core.onMemberDisconnectedFromChatroom = (roomId: string, u: User) => log.push(roomId, u.id);
  core.onManagerConnectedToChatroom = (roomId: string, u: User) => log.push(roomId, u.id);
  core.onManagerDisconnectedFromChatroom = (roomId: string, u: User) => log.push(roomId, u.id);
  core.onConversationMessageReceived = (m: Message) => log.push(m.id);
  core.onConversationMessageUpdated = (m: Message) => log.push(m.id);
  core.onConversationMessageDeleted = (m: Message) => log.push(m.id);
  core.onManagerConnectedToConversation = (u: User) => log.push(u.id);
  core.onManagerDisconnectedFromConversation = (u: User) => log.push(u.id);
  core.onChat = undefined;

  // events
  const offs: Array<() => void> = [
    core.on('connectionStateChanged', (s: ConnectionState) => log.push(s)),
    core.on('connected', () => log.push('connected')),
    core.on('disconnected', (i: DisconnectInfo) => log.push(i.reason)),
    core.on('message', (m: Message) => log.push(m.chatId)),
    core.on('messageUpdated', (m: Message) => log.push(m.id)),
    core.on('messageDeleted', (m: Message) => log.push(m.id)),
    core.on('messagePinned', (m: Message) => log.push(m.id)),
    core.on('messageUnpinned', (m: Message) => log.push(m.id)),
    core.on('mentioned', (m: Message) => log.push(...(m.mentions ?? []))),
    core.on('reactionAdded', (r: ReactionEvent) => log.push(r.reaction)),
    core.on('reactionRemoved', (r: ReactionEvent) => log.push(r.reaction)),
    core.on('pending', (m: Message) => log.push(m.id)),
    core.on('sendFailed', (f: SendFailure) => log.push(f.clientId, f.error.code)),
    core.on('seen', (s: SeenEvent) => log.push(String(s.seq))),
    core.on('typingStarted', (t: TypingEvent) => log.push(t.userId)),
    core.on('typingStopped', (t: TypingEvent) => log.push(t.userId)),
    core.on('memberConnected', (chatId: string, u: User) => log.push(chatId, u.id)),
    core.on('memberDisconnected', (chatId: string, u: User) => log.push(chatId, u.id)),
    core.on('membersAdded', (chatId: string, users: User[]) => log.push(chatId, String(users.length))),
    core.on('membersRemoved', (chatId: string, ids: string[]) => log.push(chatId, ...ids)),
    core.on('chatCreated', (c: ChatData) => log.push(c.id)),
    core.on('chatUpdated', (c: ChatData) => log.push(c.id)),
    core.on('chatDeleted', (chatId: string) => log.push(chatId)),
    core.on('chatRestored', (c: ChatData) => log.push(c.id)),
    core.on('presence', (p: PresenceEvent) => log.push(p.userId, p.status)),
    core.on('userUpdated', (u: User) => log.push(u.id)),
    core.on('unreadChanged', (u: UnreadEvent) => log.push(String(u.total + u.mentions))),
    core.on('gap', (chatId: string) => log.push(chatId)),
    core.on('error', (e: ChatixError) => log.push(e.code)),
    core.on('uploadProgress', (p: UploadProgress) => log.push(`${p.loaded}/${p.total}`)),
    core.once('connected', () => log.push('once')),
  ];
  core.off('message');

  // methods
  const user: User = await core.start();
  await core.connectUser({ username: 'ann', name: 'Ann' });
  await core.createUser({ username: 'bob', name: 'Bob' });
  const fetched: User = await core.fetchUser('bob');
  await core.fetchUserById(fetched.id);
  const users: User[] = await core.getUsers(['ann', 'bob']);
  await core.updateUser('bob', { name: 'Bobby' });
  await core.updateUserById(fetched.id, { metadata: { plan: 'pro' } });
  await core.deleteUser('bob');
  await core.deleteUserById(fetched.id);
  const visitorUser: User = await core.getVisitor();
  await core.setVisitor({ name: 'V', email: 'v@example.com', fields: { vip: true } });
  await core.setName('Vee');
  await core.setEmail('vee@example.com');
  await core.setField('tier', 3);
  core.forgetVisitor();
  const managers: User[] = await core.getAllManagers();
  const online: User[] = await core.getConnectedManagers();
  log.push(user.id, visitorUser.id, String(users.length + managers.length + online.length));

  const rooms = await core.getChatrooms(1, 10);
  const mine = await core.getMyChatrooms();
  const all: ChatData[] = await core.getAllChatrooms();
  const room: ChatData = await core.getChatroom(all[0]?.id ?? 'x');
  await core.connectToChatroom(room.id);
  const roomMembers: MembersPage = await core.getChatroomMembers(room.id, 1, 50);
  const older: Message[] = await core.getChatroomMessages(room.id, undefined, 20);
  await core.sendChatroomTextMessage(room.id, 'hello', { lang: 'en' });
  await core.sendChatroomFileMessage(room.id, file, 'a file');
  await core.disconnectFromChatroom(room.id);
  log.push(String(rooms.total + mine.totalPages + roomMembers.total + older.length));

  const convo: Chat = await core.getConversation();
  await core.sendConversationTextMessage('hi');
  await core.sendConversationFileMessage(file);
  const convoMessages: Message[] = await core.getConversationMessages(undefined, 10);
  await core.visitorType('typing…');
  const convos = await core.getConversations(1);
  log.push(convo.id, String(convoMessages.length + convos.totalChats));

  const chats = await core.getChats();
  const direct: Chat = await core.chat('bob');
  const group: Chat = await core.groupChat({ name: 'Team', memberUsernames: ['ann', 'bob'], visibility: 'private' });
  const byId: Chat = await core.getChat(group.id);
  const found: SearchResults = await core.searchMessages('hello', { count: 10 });
  const uploaded: FileInfo = await core.uploadFile(file, { onProgress: (p: UploadProgress) => log.push(p.name) });
  const pending: PendingSend[] = core.getPendingMessages();
  const unread: number = core.getUnreadCount() + core.getUnreadCount(group.id);
  const bytes: number = core.cacheBytes();
  log.push(String(chats.totalPages + found.messages.length + pending.length + unread + bytes), direct.id, byId.id, uploaded.id);

  // a quoted reply
  const answer: Message = await group.sendMessage({ text: 'yes', replyTo: 'msg_1' });
  const quoted: Quote | undefined = answer.quote;
  log.push(quoted?.senderId ?? '', quoted?.senderName ?? '', quoted?.text ?? '');

  // a thread: a reply in it, the parent's count, a page of it
  const inThread: Message = await group.sendMessage({ text: 'me too', parentId: answer.id, showInChat: false });
  const thread: ThreadPage = await group.getThread(answer.id, { count: 20, cursor: inThread.id });
  const replies: number = answer.replyCount ?? 0;
  const lastReplyAt: number | undefined = thread.messages[0]?.lastReplyAt;
  log.push(inThread.parentId ?? '', String(inThread.showInChat === true), String(thread.hasMore), String(replies + (lastReplyAt ?? 0)));

  // mentions: named on a send (and @username in the text), listed, counted
  const hey: Message = await group.sendMessage({ text: 'hi @ann', mentions: ['bob'] });
  const mentionsOfMe: ThreadPage = await group.getMentions({ count: 10, cursor: hey.id });
  const seenNow: { lastSeenSeq: number; unread: number; mentionCount: number } = await group.setSeen();
  log.push(...(hey.mentions ?? []), String(mentionsOfMe.messages.length + group.mentionCount + seenNow.mentionCount + group.data.mentionCount));

  // moderation and reports
  const term: SanctionOptions = { seconds: 600, reason: 'spam' };
  const banned: Sanction = await core.banUser('troll', term);
  await core.unbanUser('troll');
  const bans: Sanction[] = (await core.getSanctions()).sanctions;
  const reported: Report = await core.reportUser('troll', 'rude');
  const queue: ReportsPage = await core.getReports({ status: 'open', page: 1 });
  const resolved: Report = await core.resolveReport(reported.id, { resolution: 'warned' });
  const muted: Sanction = await group.muteUser('troll', { until: Date.now() + 60_000 });
  await group.unmuteUser('troll');
  const chatBan: Sanction = await group.banUser('troll');
  await group.unbanUser('troll');
  const here: Sanction[] = (await group.getSanctions()).sanctions;
  const slowed: ChatData = await group.setSlowMode(30);
  log.push(String(slowed.slowMode));
  const flagged: Report = await group.flagMessage('msg_1', 'insult');
  log.push(banned.kind, String(banned.until ?? bans.length), reported.reporter, String(queue.total + queue.reports.length),
    resolved.resolution ?? '', muted.chatId ?? '', chatBan.by ?? '', String(here.length), flagged.excerpt ?? '', flagged.messageId ?? '');

  // a chat handle
  const c = group;
  const props: Array<string | number | boolean | undefined> = [c.id, c.kind, c.name, c.avatar, c.visibility,
    c.isMember, c.memberCount, c.unread, c.lastMessage?.id, c.cachedMessages.length, c.members.length,
    Object.keys(c.metadata as Metadata).length, c.data.id];
  log.push(props.join(','));
  c.onMessage = (m: Message) => log.push(m.id);
  c.onMessageUpdated = (m: Message) => log.push(m.id);
  c.onMessageDeleted = (m: Message) => log.push(m.id);
  c.onMessagePinned = (m: Message) => log.push(m.pinned?.by ?? '');
  c.onMessageUnpinned = (m: Message) => log.push(m.id);
  c.onMentioned = (m: Message) => log.push(m.id);
  c.onReactionAdded = (r: ReactionEvent) => log.push(r.reaction, r.userId, r.messageId, r.chatId, r.message.id);
  c.onReactionRemoved = (r: ReactionEvent) => log.push(r.reaction);
  c.onMessageSeen = (s: SeenEvent) => log.push(s.userId);
  c.onTypingStarted = (t: TypingEvent) => log.push(t.userId);
  c.onTypingStopped = (t: TypingEvent) => log.push(t.userId);
  c.onMemberStatusChanged = (p: PresenceEvent) => log.push(p.userId);
  c.onMemberConnected = (u: User) => log.push(u.id);
  c.onMemberDisconnected = (u: User) => log.push(u.id);
  c.onPending = (m: Message) => log.push(m.id);
  c.onSendFailed = (f: SendFailure) => log.push(f.clientId);
  c.onUnreadChanged = (n: number) => log.push(String(n));
  const chatOffs: Array<() => void> = [
    c.on('message', (m: Message) => log.push(m.id)),
    c.on('messageUpdated', (m: Message) => log.push(m.id)),
    c.on('messageDeleted', (m: Message) => log.push(m.id)),
    c.on('messagePinned', (m: Message) => log.push(m.id)),
    c.on('messageUnpinned', (m: Message) => log.push(m.id)),
    c.on('mentioned', (m: Message) => log.push(m.id)),
    c.on('reactionAdded', (r: ReactionEvent) => log.push(r.reaction)),
    c.on('reactionRemoved', (r: ReactionEvent) => log.push(r.reaction)),
    c.on('messageSeen', (s: SeenEvent) => log.push(s.userId)),
    c.on('typingStarted', (t: TypingEvent) => log.push(t.userId)),
    c.on('typingStopped', (t: TypingEvent) => log.push(t.userId)),
    c.on('memberStatusChanged', (p: PresenceEvent) => log.push(p.userId)),
    c.on('memberConnected', (u: User) => log.push(u.id)),
    c.on('memberDisconnected', (u: User) => log.push(u.id)),
    c.on('membersAdded', (us: User[]) => log.push(String(us.length))),
    c.on('membersRemoved', (ids: string[]) => log.push(...ids)),
    c.on('pending', (m: Message) => log.push(m.id)),
    c.on('sendFailed', (f: SendFailure) => log.push(f.clientId)),
    c.on('unreadChanged', (n: number) => log.push(String(n))),
    c.on('updated', (d: ChatData) => log.push(d.id)),
    c.on('deleted', () => log.push('deleted')),
    c.on('gap', () => log.push('gap')),
    c.once('message', (m: Message) => log.push(m.id)),
  ];
  c.off('message');
  await c.connect();
  const sent: Message = await c.sendMessage({ text: 'hi', metadata: { a: 1 }, replyTo: undefined });
  await c.sendMessage({ file, onProgress: (p: UploadProgress) => log.push(String(p.loaded)) });
  const page: MessagesPage = await c.getMessages(1);
  const before: Message[] = await c.getMessagesBefore(sent.id, 10);
  await c.updateMessage(sent.id, { text: 'edited' });
  const reacted: Message = await c.addReaction(sent.id, '\u{1F44D}');
  const counts: Record<string, number> = reacted.reactions;
  const own: string[] | null = reacted.ownReactions;
  log.push(String(counts['\u{1F44D}'] ?? 0), String(own?.length ?? 0));
  await c.removeReaction(sent.id, '\u{1F44D}');
  const pinned: Pin | null = (await c.pinMessage(sent.id)).pinned;
  log.push(pinned ? `${pinned.by}@${pinned.at}` : '');
  const pins: Message[] = await c.getPinnedMessages();
  log.push(String(pins.length));
  await c.unpinMessage(sent.id);
  await c.deleteMessage(sent.id);
  const seen: { lastSeenSeq: number; unread: number } = await c.setSeen(sent.id);
  await c.startTyping();
  await c.stopTyping();
  await c.addMember('carl');
  await c.addMembers(['dan', 'eve']);
  await c.removeMember('carl');
  await c.removeMembers(['dan']);
  const members: MembersPage = await c.getMembers(1, 20);
  const member: Member | undefined = members.members[0];
  await c.setName('Team 2');
  await c.setAvatar(file);
  await c.setMetadata({ topic: 'x' });
  await c.setVisibility('public');
  await c.disconnect();
  await c.leave();
  await c.delete();
  c.release();
  log.push(String(page.totalMessages + before.length + seen.unread), member?.user.id ?? '');
  chatOffs.forEach((off) => off());
  offs.forEach((off) => off());
  core.reconnect();
  core.stop();
  c.free();
  core.free();
  return log;
}
