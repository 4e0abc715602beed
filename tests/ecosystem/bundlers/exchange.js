// The app code both bundler projects share: two users of one page, each with their own
// ChatixCore, exchange a message through the real server. Parameters come from the page's
// query string (the test passes the server URL, website id, tokens and chat id).
export async function exchange(ChatixCore, target) {
  const q = new URLSearchParams(location.search);
  const serverUrl = q.get('server');
  const websiteId = q.get('website');
  const ann = new ChatixCore(websiteId, { serverUrl, token: q.get('ann') });
  const bob = new ChatixCore(websiteId, { serverUrl, token: q.get('bob') });
  await ann.start();
  await bob.start();
  const chatId = q.get('chat');
  const annChat = await ann.getChat(chatId);
  const bobChat = await bob.getChat(chatId);
  await annChat.connect();
  await bobChat.connect();
  const text = `hello from the ${target} build`;
  const heard = new Promise((resolve) => {
    bobChat.on('message', (m) => { if (m.text === text) resolve(m); });
  });
  const sent = await annChat.sendMessage({ text });
  const got = await heard;
  ann.stop();
  bob.stop();
  return { target, sentId: sent.id, gotId: got.id, text: got.text, from: got.senderId };
}
