// A typed REST client over the types openapi-typescript generates from /v1/openapi.json
// (written beside this file as api.d.ts by tests/ecosystem/openapi.mjs). It names
// operations by their operationIds, so a renamed or missing id fails to compile.
import type { components, operations, paths } from './api';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Body<Op> = Op extends { requestBody: infer R } ? Json<R> : never;
type Ok<Op> = Op extends { responses: { 200: infer R } } ? Json<R>
  : Op extends { responses: { 201: infer R } } ? Json<R> : never;

export type Message = components['schemas']['Message'];
export type Chat = components['schemas']['Chat'];

export async function call<Op>(base: string, token: string, method: string, path: string, body?: Body<Op>): Promise<Ok<Op>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
  return (await res.json()) as Ok<Op>;
}

export async function example(base: string, secret: string, token: string): Promise<string> {
  const room: Ok<operations['createGroupChat']> = await call<operations['createGroupChat']>(
    base, secret, 'POST', '/v1/chats/group', { name: 'typed', visibility: 'public' });
  const sent: Message = await call<operations['sendMessage']>(
    base, token, 'POST', `/v1/chats/${room.id}/messages`, { text: 'hello', clientId: 'c1' });
  const rooms = await call<operations['listChatrooms']>(base, token, 'GET', '/v1/chatrooms');
  const page = await call<operations['listMessages']>(base, token, 'GET', `/v1/chats/${room.id}/messages`);
  const edited = await call<operations['editMessage']>(
    base, token, 'PATCH', `/v1/chats/${room.id}/messages/${sent.id}`, { text: 'edited' });
  const gone = await call<operations['deleteMessage']>(base, token, 'DELETE', `/v1/chats/${room.id}/messages/${sent.id}`);
  const user = await call<operations['getMe']>(base, token, 'GET', '/v1/me');
  const minted = await call<operations['mintToken']>(base, secret, 'POST', '/v1/admin/tokens', { username: 'typed-user' });
  const seq: number = sent.seq;
  const path: keyof paths = '/v1/chats/{id}/messages';
  return [rooms.chatrooms.length, page.totalMessages, edited.text, gone.deleted, user.username, minted.token, seq, path].join(' ');
}
