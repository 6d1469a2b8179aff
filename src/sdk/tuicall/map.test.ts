/**
 * The field mapping between Dialtone's client events and TUICallEngine's: every field the UI
 * reads, media types, rooms, end reasons and error codes.
 */
import { describe, expect, it } from 'vitest';
import { CallEndReason, TUIErrorCode } from './constants.js';
import {
  availability,
  deviceError,
  deviceKind,
  endReasonCode,
  errorCode,
  mapCallBegin,
  mapCallEnd,
  mapCallReceived,
  mapMediaTypeChanged,
  mapNoResponse,
  mapNotConnected,
  mapUser,
  roomFields,
  roomRequest,
  toCallType,
  toMediaType,
  toTUIError,
  TUICallError,
} from './map.js';

const info = { roomId: 42, roomIdType: 1 as const, userData: 'u', chatGroupId: '', timeout: 30 };

describe('media types and rooms', () => {
  it('maps Audio/Video to 1/2 and back, refusing anything else', () => {
    expect(toCallType('Audio')).toBe(1);
    expect(toCallType('Video')).toBe(2);
    expect(toMediaType(1)).toBe('Audio');
    expect(toMediaType(2)).toBe('Video');
    expect(toMediaType(0)).toBeUndefined();
    expect(toMediaType('2')).toBeUndefined();
  });

  it('puts a numeric room in roomID and a string room in strRoomID with roomID 0', () => {
    expect(roomFields(42, 1)).toEqual({ roomID: 42, strRoomID: '' });
    expect(roomFields('blue', 2)).toEqual({ roomID: 0, strRoomID: 'blue' });
  });

  it('reads a requested room from strRoomID first, then a positive roomID, else leaves it to the server', () => {
    expect(roomRequest({ strRoomID: 'blue', roomID: 7 })).toEqual({ roomId: 'blue', roomIdType: 2 });
    expect(roomRequest({ roomID: 7 })).toEqual({ roomId: 7, roomIdType: 1 });
    expect(roomRequest({ roomID: 0, strRoomID: '' })).toEqual({});
  });
});

describe('events', () => {
  it('ON_CALL_RECEIVED carries what the UI reads: callerId, calleeIdList, callMediaType, groupID, roomID/strRoomID', () => {
    const e = mapCallReceived({
      callId: 'c1',
      callerId: 'alice',
      calleeIdList: ['bob', 'carol'],
      mediaType: 'Video',
      info: { ...info, roomId: 'blue', roomIdType: 2, chatGroupId: 'g1' },
    });
    expect(e).toEqual({
      callId: 'c1',
      callerId: 'alice',
      calleeIdList: ['bob', 'carol'],
      isGroupCall: true,
      groupID: 'g1',
      chatGroupID: 'g1',
      callMediaType: 2,
      callType: 2,
      roomID: 0,
      strRoomID: 'blue',
      userData: 'u',
      timeout: 30,
      inviteData: { callType: 2, roomID: 'blue', userData: 'u' },
    });
    const oneToOne = mapCallReceived({ callId: 'c2', callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Audio', info });
    expect(oneToOne).toMatchObject({ isGroupCall: false, groupID: '', callMediaType: 1, roomID: 42, strRoomID: '' });
  });

  it('ON_CALL_BEGIN names the media type, the role and the room', () => {
    expect(mapCallBegin({ callId: 'c1', mediaType: 'Video', info }, 'caller')).toEqual({
      callId: 'c1',
      callMediaType: 2,
      callRole: 1,
      roomID: 42,
      strRoomID: '',
    });
    expect(mapCallBegin({ callId: 'c1', mediaType: 'Audio', info }, 'callee')).toMatchObject({ callMediaType: 1, callRole: 2 });
  });

  it('CALLING_END and ON_CALL_NOT_CONNECTED carry userID, a numeric reason and the call context', () => {
    const ctx = { role: 'callee' as const, roomId: 'blue', roomIdType: 2 as const, chatGroupId: 'g1' };
    expect(mapCallEnd({ callId: 'c1', mediaType: 'Video', reason: 'hangup', userId: 'alice', totalTime: 12.5 }, ctx)).toEqual({
      callId: 'c1',
      callMediaType: 2,
      callRole: 2,
      roomID: 0,
      strRoomID: 'blue',
      groupID: 'g1',
      totalTime: 12.5,
      userID: 'alice',
      reason: CallEndReason.Hangup,
    });
    expect(mapNotConnected({ callId: 'c1', mediaType: 'Audio', reason: 'noResponse', userId: 'bob' }, ctx)).toEqual({
      callId: 'c1',
      callMediaType: 1,
      callRole: 2,
      roomID: 0,
      strRoomID: 'blue',
      groupID: 'g1',
      userID: 'bob',
      reason: CallEndReason.NoResponse,
    });
  });

  it('user events become { userID }, NO_RESP also { userIDList }', () => {
    expect(mapUser({ callId: 'c1', userId: 'bob' })).toEqual({ callId: 'c1', userID: 'bob' });
    expect(mapNoResponse({ callId: 'c1', userId: 'bob' })).toEqual({ callId: 'c1', userID: 'bob', userIDList: ['bob'] });
  });

  it('CALL_TYPE_CHANGED gives old and new as numbers', () => {
    expect(mapMediaTypeChanged({ callId: 'c1', oldMediaType: 'Video', newMediaType: 'Audio' })).toEqual({
      callId: 'c1',
      oldCallType: 2,
      newCallType: 1,
      type: 1,
    });
  });

  it('maps every Dialtone end reason to its CallEndReason, unknown ones to UnKnown', () => {
    const pairs: [string, number][] = [
      ['unknown', 0],
      ['hangup', 1],
      ['reject', 2],
      ['noResponse', 3],
      ['offline', 4],
      ['lineBusy', 5],
      ['canceled', 6],
      ['otherDeviceAccepted', 7],
      ['otherDeviceReject', 8],
      ['endByServer', 9],
      ['somethingNew', 0],
    ];
    for (const [reason, code] of pairs) expect(endReasonCode(reason), reason).toBe(code);
  });
});

describe('availability of a remote member', () => {
  it('video needs a video call, a video track and a camera not turned off; audio a track and a microphone not muted', () => {
    const all = { hasVideoTrack: true, hasAudioTrack: true };
    expect(availability(all, 'Video')).toEqual({ video: true, audio: true });
    expect(availability(all, 'Audio')).toEqual({ video: false, audio: true });
    expect(availability({ ...all, camera: false, microphone: false }, 'Video')).toEqual({ video: false, audio: false });
    expect(availability({ ...all, camera: true }, 'Video')).toEqual({ video: true, audio: true });
    expect(availability({ hasVideoTrack: false, hasAudioTrack: false, camera: true, microphone: true }, 'Video')).toEqual({
      video: false,
      audio: false,
    });
  });
});

describe('errors', () => {
  it('maps Dialtone client codes to TUIErrorCode and passes server codes through', () => {
    expect(errorCode(-1202)).toBe(TUIErrorCode.ERR_INVALID_PARAMETER);
    expect(errorCode(-1201)).toBe(TUIErrorCode.ERR_SDK_NOT_INITIALIZED);
    expect(errorCode(-1203)).toBe(TUIErrorCode.ERR_FAILED);
    expect(errorCode(-1204)).toBe(TUIErrorCode.ERR_FAILED);
    expect(errorCode(-1406)).toBe(TUIErrorCode.ERR_FAILED);
    expect(errorCode(70001)).toBe(70001);
  });

  it('wraps a coded failure with the op, the original code and a string message', () => {
    const e = toTUIError({ code: -1204, message: 'already in a call' }, 'calls');
    expect(e).toBeInstanceOf(TUICallError);
    expect(e).toMatchObject({ code: -1, dialtoneCode: -1204, message: 'calls failed: already in a call (Dialtone -1204)' });
    const plain = toTUIError(new Error('boom'), 'join');
    expect(plain).toMatchObject({ code: -1, message: 'join failed: boom' });
    const same = new TUICallError(-1001, 'bad');
    expect(toTUIError(same, 'x')).toBe(same);
  });

  it('maps getUserMedia failures to the camera or microphone codes, keeping "<name>: <message>" for the UI', () => {
    const denied = Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
    expect(deviceError(denied, 'microphone')).toMatchObject({ code: -1105, message: 'NotAllowedError: Permission denied' });
    expect(deviceError(denied, 'camera').code).toBe(-1101);
    const busy = Object.assign(new Error('in use'), { name: 'NotReadableError' });
    expect(deviceError(busy, 'camera').code).toBe(-1102);
    expect(deviceError(busy, 'microphone').code).toBe(-1106);
    const none = Object.assign(new Error('none'), { name: 'NotFoundError' });
    expect(deviceError(none, 'camera').code).toBe(-1103);
    expect(deviceError(none, 'microphone').code).toBe(-1107);
    expect(deviceError(new Error('odd'), 'camera').code).toBe(-1100);
    expect(deviceError(new Error('odd'), 'microphone').code).toBe(-1104);
  });

  it('knows the device type names of getDeviceList and switchDevice', () => {
    expect(deviceKind('camera')).toBe('videoinput');
    expect(deviceKind('video')).toBe('videoinput');
    expect(deviceKind('microphone')).toBe('audioinput');
    expect(deviceKind('microphones')).toBe('audioinput');
    expect(deviceKind('audio')).toBe('audioinput');
    expect(deviceKind('speaker')).toBe('audiooutput');
    expect(deviceKind('printer')).toBeUndefined();
  });
});
