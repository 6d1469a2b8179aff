/** Fixtures of the domain's unit tests: a started call and a step that must have succeeded. */
import { isDialtoneError, type DialtoneError } from '../errors.js';
import type { Step } from '../domain/effects.js';
import { startCall } from '../domain/start-call.js';
import type { Call } from '../domain/types.js';

/** The time every fixture call starts at, unix ms. */
export const T0 = 1_800_000_000_000;

/** The step, or the thrown error when the domain refused it. */
export function ok<S extends Step>(r: S | DialtoneError): S {
  if (isDialtoneError(r)) throw r;
  return r;
}

/** Call `c1` of app 1: alice (device a1) calls `callees`, a video call at {@link T0}; `busy` are busy elsewhere. */
export function start(callees: string[], busy: string[] = []): Call {
  return ok(
    startCall({
      sdkAppId: 1,
      callId: 'c1',
      callerId: 'alice',
      callerDeviceId: 'a1',
      robotCaller: false,
      calleeIds: callees,
      mediaType: 'Video',
      generatedStringRoomId: 'room',
      generatedNumericRoomId: 1,
      busy: new Set(busy),
      callerBusy: false,
      now: T0,
    }),
  ).call!;
}
