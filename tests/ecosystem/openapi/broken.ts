// Must NOT compile: a send body with a number for `text`, and an operationId that does not
// exist (tests/ecosystem/openapi.mjs checks that tsc refuses both, so the check can fail).
import type { components, operations } from './api';

type SendBody = operations['sendMessage']['requestBody'] extends { content: { 'application/json': infer B } } ? B : never;
export const wrongText: SendBody = { text: 42 };
export type NoSuchOperation = operations['delete'];
export type Msg = components['schemas']['Message'];
