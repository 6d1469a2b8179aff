/**
 * The client's picture of the call its user is in (`DialtoneClient.currentCall`), kept from the
 * events it receives and the ops it makes, so a page can draw members, their camera and
 * microphone, and the media type at any moment without keeping its own copy. Pure: a state and
 * what happened in, the next state out (never changed in place, so a reference a page holds is a
 * snapshot).
 */
import type { CallMember, CallsParams, ClientEventName, ClientEvents, CurrentCall } from './types.js';

/** Ring timeout the server uses when `calls` gives none, seconds. */
const DEFAULT_TIMEOUT_SECONDS = 30;

/** The call after `event` (with `data`) reached user `self` at `now` (unix ms). */
export function afterEvent<E extends ClientEventName>(
  current: CurrentCall | null,
  event: E,
  data: ClientEvents[E],
  self: string,
  now: number,
): CurrentCall | null {
  const d = data as ClientEvents[ClientEventName];
  if (event === 'onKickedOffline' || event === 'onUserSigExpired') return null;
  if (event === 'onCallState') return { ...(d as CurrentCall), members: [...(d as CurrentCall).members] };
  if (event === 'onCallReceived') {
    const r = d as ClientEvents['onCallReceived'];
    if (current && current.callId !== r.callId) return current;
    return {
      callId: r.callId,
      callerId: r.callerId,
      mediaType: r.mediaType,
      info: r.info,
      status: 'Waiting',
      members: [
        { userId: r.callerId, status: 'Calling' },
        ...r.calleeIdList.filter((u) => u !== r.callerId).map((userId) => ({ userId, status: 'Waiting' as const })),
      ],
      startTime: current?.startTime ?? now,
      acceptTime: current?.acceptTime ?? 0,
    };
  }
  if (event === 'onCallBegin') {
    const b = d as ClientEvents['onCallBegin'];
    if (current && current.callId !== b.callId) return current;
    const members = b.members ? [...b.members] : withMember(current?.members ?? [], { userId: self, status: 'Calling' });
    return {
      callId: b.callId,
      callerId: b.callerId ?? current?.callerId ?? '',
      mediaType: b.mediaType,
      info: b.info,
      status: 'Calling',
      members,
      startTime: current?.startTime ?? now,
      acceptTime: current?.acceptTime || now,
    };
  }
  const callId = (d as { callId?: unknown }).callId;
  if (!current || callId !== current.callId) return current;
  switch (event) {
    case 'onCallEnd':
    case 'onCallNotConnected':
      return null;
    case 'onUserJoin':
      return { ...current, members: withMember(current.members, { userId: (d as ClientEvents['onUserJoin']).userId, status: 'Calling' }) };
    case 'onUserInviting': {
      const userId = (d as ClientEvents['onUserInviting']).userId;
      return current.members.some((m) => m.userId === userId)
        ? current
        : { ...current, members: [...current.members, { userId, status: 'Waiting' }] };
    }
    case 'onUserReject':
    case 'onUserNoResponse':
    case 'onUserLineBusy':
    case 'onUserLeave': {
      const userId = (d as ClientEvents['onUserLeave']).userId;
      return { ...current, members: current.members.filter((m) => m.userId !== userId) };
    }
    case 'onUserVideoAvailable': {
      const e = d as ClientEvents['onUserVideoAvailable'];
      return withMediaState(current, e.userId, { camera: e.available });
    }
    case 'onUserAudioAvailable': {
      const e = d as ClientEvents['onUserAudioAvailable'];
      return withMediaState(current, e.userId, { microphone: e.available });
    }
    case 'onCallMediaTypeChanged':
      return { ...current, mediaType: (d as ClientEvents['onCallMediaTypeChanged']).newMediaType };
    default:
      return current;
  }
}

/** The call `self` just started with `calls` (answered with `callId` and its room) at `now`. */
export function started(
  self: string,
  params: CallsParams,
  answer: { callId: string; roomId: number | string; roomIdType: 1 | 2 },
  now: number,
): CurrentCall {
  return {
    callId: answer.callId,
    callerId: self,
    mediaType: params.mediaType,
    info: {
      roomId: answer.roomId,
      roomIdType: answer.roomIdType,
      userData: params.userData ?? '',
      chatGroupId: params.chatGroupId ?? '',
      timeout: params.timeout || DEFAULT_TIMEOUT_SECONDS,
    },
    status: 'Calling',
    members: [{ userId: self, status: 'Calling' }, ...params.userIdList.map((userId) => ({ userId, status: 'Waiting' as const }))],
    startTime: now,
    acceptTime: 0,
  };
}

/** `userId`'s camera and/or microphone as given, when they are a member of the call. */
export function withMediaState(current: CurrentCall, userId: string, state: Pick<CallMember, 'camera' | 'microphone'>): CurrentCall {
  if (!current.members.some((m) => m.userId === userId)) return current;
  const given = {
    ...(state.camera !== undefined ? { camera: state.camera } : {}),
    ...(state.microphone !== undefined ? { microphone: state.microphone } : {}),
  };
  return { ...current, members: current.members.map((m) => (m.userId === userId ? { ...m, ...given } : m)) };
}

/** `members` with `member` in the call: its status set (and media state kept), or added at the end. */
function withMember(members: CallMember[], member: CallMember): CallMember[] {
  return members.some((m) => m.userId === member.userId)
    ? members.map((m) => (m.userId === member.userId ? { ...m, status: member.status } : m))
    : [...members, member];
}
