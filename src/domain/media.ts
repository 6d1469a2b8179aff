/**
 * Media inside a call (SPEC §4): each member's own camera and microphone (`setMediaState`), and
 * the media type of a connected 1-to-1 call (`switchMediaType`). Dialtone carries no media; it
 * keeps what members say so that the others can show an avatar instead of a black tile, and so
 * that a member who reconnects or joins learns it without anyone repeating themselves.
 */
import { ERR, detail, dialtoneError, field, type DialtoneError } from '../errors.js';
import { memberOf, membersIn } from './call-state.js';
import type { Effect, Step } from './effects.js';
import { toMember } from './members.js';
import type { Call, MediaType, Member } from './types.js';

/** Input of {@link setMediaState}: the member's own devices; a field left out is left as it was. */
export interface MediaStateInput {
  userId: string;
  camera?: boolean | undefined;
  microphone?: boolean | undefined;
}

/**
 * `setMediaState`: a member (in the call, or still ringing) says their camera and/or microphone
 * is on or off. Those in the call (`Calling`) but the sender hear `onUserVideoAvailable` for the
 * camera and `onUserAudioAvailable` for the microphone, only for the fields given, even when
 * unchanged. A ringing member learns the state from `onCallBegin` when they enter. When nothing
 * changes the call comes back as the same object (nothing to save).
 */
export function setMediaState(call: Call, input: MediaStateInput): Step | DialtoneError {
  const { userId, camera, microphone } = input;
  if (camera === undefined && microphone === undefined) {
    return dialtoneError(ERR.CLIENT_INVALID_PARAM, detail`give ${field('camera')}, ${field('microphone')} or both`);
  }
  const member = memberOf(call, userId);
  if (!member) return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'you are not a member of this call');
  const updated: Member = {
    ...member,
    ...(camera !== undefined ? { camera } : {}),
    ...(microphone !== undefined ? { microphone } : {}),
  };
  const changed = updated.camera !== member.camera || updated.microphone !== member.microphone;
  const after: Call = changed ? { ...call, members: call.members.map((m) => (m.userId === userId ? updated : m)) } : call;
  const effects: Effect[] = [];
  for (const m of membersIn(after, 'Calling')) {
    if (m.userId === userId) continue;
    if (camera !== undefined) effects.push(toMember(m, 'onUserVideoAvailable', { callId: call.callId, userId, available: camera }));
    if (microphone !== undefined) effects.push(toMember(m, 'onUserAudioAvailable', { callId: call.callId, userId, available: microphone }));
  }
  return { callId: call.callId, call: after, effects };
}

/** Input of {@link switchMediaType}. */
export interface SwitchMediaTypeInput {
  userId: string;
  mediaType: MediaType;
}

/**
 * `switchMediaType`: a member of a connected 1-to-1 call changes its media type; every member
 * hears `onCallMediaTypeChanged`, and the record and the EndCall callback carry the type the call
 * has when it ends. A group call, a call still ringing, or someone not in it: `-1203`. Switching
 * to the type the call already has changes nothing and tells nobody.
 */
export function switchMediaType(call: Call, input: SwitchMediaTypeInput): Step | DialtoneError {
  if (memberOf(call, input.userId)?.status !== 'Calling') return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'you are not in this call');
  if (call.callType !== 'SingleCall') return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'only a 1-to-1 call can switch its media type');
  if (call.acceptTime === 0) return dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'the call is not connected yet');
  if (input.mediaType === call.mediaType) return { callId: call.callId, call, effects: [] };
  const after: Call = { ...call, mediaType: input.mediaType };
  const data = { callId: call.callId, oldMediaType: call.mediaType, newMediaType: input.mediaType };
  return {
    callId: call.callId,
    call: after,
    effects: membersIn(after, 'Calling').map((m) => toMember(m, 'onCallMediaTypeChanged', data)),
  };
}
