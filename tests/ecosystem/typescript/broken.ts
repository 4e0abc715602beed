// Must NOT compile (tests/ecosystem/typescript.mjs checks that tsc refuses each line it
// marks): wrong argument types, an event that does not exist, a handler of the wrong shape.
import { ChatixCore } from 'chatix-core';

const core = new ChatixCore('wid_demo');
core.getChatrooms('1');                                          // BROKEN: a page is a number
core.on('messageReceived', () => {});                             // BROKEN: no such event
core.onChatroomMessageReceived = (roomId: number) => roomId;      // BROKEN: the room id is a string
export const n: number = core.websiteId;                          // BROKEN: websiteId is a string
