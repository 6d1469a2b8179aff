/**
 * `dialtone/receiver`: verify and parse Dialtone's callbacks in an app backend.
 *
 * - {@link verifyCallback} / {@link verifyRequest}: check `SdkAppid`, the token `Sign`, the
 *   Standard Webhooks signature and the body, and return a typed {@link DialtoneCallback}.
 * - {@link nodeHandler}, {@link expressHandler}, {@link fastifyReceiver}, {@link fetchHandler}:
 *   ready-made endpoints that verify, call your `onCallback`, and answer the envelope Dialtone expects.
 *
 * Verification, parsing and the fetch handler use only WebCrypto and web globals (Node 20+,
 * Deno, Bun, Workers); the Node, Express and Fastify handlers import only types from Node and Fastify.
 */
export { CallbackVerificationError, type VerifyFailureReason } from './errors.js';
export { SUCCESS_ENVELOPE, successEnvelope, failureEnvelope, type CallbackEnvelope } from './envelope.js';
export type { CallbackInput, HeadersInput, QueryInput } from './input.js';
export { parseCallback, type ParseContext } from './parse.js';
export {
  verifyCallback,
  verifyRequest,
  REQUEST_TIME_TOLERANCE_SECONDS,
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
  type VerifyOptions,
} from './verify.js';
export { handleCallback, DEFAULT_MAX_BODY_BYTES, type ReceiverOptions, type ReceiverAnswer } from './handlers.js';
export { fetchHandler } from './fetch.js';
export { nodeHandler, expressHandler, type ExpressRequestLike, type ExpressResponseLike } from './node.js';
export { fastifyReceiver, type FastifyReceiverOptions } from './fastify.js';
export type {
  ActionType,
  CallbackCallRecord,
  CallbackCommand,
  CallbackCommon,
  CallbackQuery,
  CallbackUser,
  CallResult,
  DialtoneCallback,
  EndCallCallback,
  MemberChangedCallback,
  StartCallCallback,
} from './types.js';
