/**
 * Lenient parsing: every body shape the reference pages show (tencent-call-notes §1.3–1.5),
 * typos and variants included, becomes the typed union; what cannot be read is refused as `body`.
 */
import { describe, expect, it } from 'vitest';
import { CallbackVerificationError } from './errors.js';
import { parseCallback } from './parse.js';

const CALL_ID = '055662e1-bc8a-469c-a334-1126c8c17d58';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof CallbackVerificationError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('Call.CallbackAfterStartCall', () => {
  // The CN sample: CallMediaType instead of MediaType, RoomId "", string user ids.
  const cnSample = `{
    "CallbackCommand": "Call.CallbackAfterStartCall",
    "CallInfo": { "CallId": "${CALL_ID}", "CallMediaType": "Audio", "ChatGroupId": "", "RoomId": "", "RoomIdType": 1 },
    "UserList": [ { "User_Account": "user1", "Status": "Calling" }, { "User_Account": "user2", "Status": "Waiting" } ],
    "EventTime": 1740464128807
  }`;

  it('reads the CN sample, taking CallMediaType as MediaType', () => {
    const cb = parseCallback(cnSample);
    expect(cb).toMatchObject({
      command: 'Call.CallbackAfterStartCall',
      callId: CALL_ID,
      callInfo: { CallId: CALL_ID, MediaType: 'Audio', ChatGroupId: '', RoomId: '', RoomIdType: 1 },
      userList: [
        { User_Account: 'user1', Status: 'Calling' },
        { User_Account: 'user2', Status: 'Waiting' },
      ],
      eventTime: 1740464128807,
      sdkAppId: 0,
      query: { SdkAppid: '', CallbackCommand: 'Call.CallbackAfterStartCall' },
    });
  });

  it('reads the EN sample whose User_Account is a bare number past 2^53, keeping every digit', () => {
    const enSample = `{"CallbackCommand":"Call.CallbackAfterStartCall","CallInfo":{"CallId":"${CALL_ID}","CallMediaType":"Video","ChatGroupId":"","RoomId":"","RoomIdType":1},"UserList":[{"User_Account":144115212830834855,"Status":"Calling"},{"User_Account":"user2","Status":"Waiting"}],"EventTime":1740464128807}`;
    const cb = parseCallback(enSample);
    if (cb.command !== 'Call.CallbackAfterStartCall') throw new Error('wrong command');
    expect(cb.userList[0]).toEqual({ User_Account: '144115212830834855', Status: 'Calling' });
    expect(cb.callInfo.MediaType).toBe('Video');
  });

  it('reads the table shape (MediaType), and prefers MediaType when both spellings are present', () => {
    const cb = parseCallback({
      CallbackCommand: 'Call.CallbackAfterStartCall',
      CallInfo: { CallId: 'c1', MediaType: 'Video', CallMediaType: 'Audio', ChatGroupId: 'g', RoomId: 'room-9', RoomIdType: 2 },
      UserList: [{ User_Account: 'alice', Status: 'Calling' }],
      EventTime: 5,
    });
    expect(cb).toMatchObject({ callInfo: { MediaType: 'Video', ChatGroupId: 'g', RoomId: 'room-9', RoomIdType: 2 } });
  });

  it('makes a numeric RoomId a string and accepts letter-case variants of MediaType and Status', () => {
    const cb = parseCallback({
      CallbackCommand: 'Call.CallbackAfterStartCall',
      CallInfo: { CallId: 'c1', MediaType: 'audio', RoomId: 4294967295, RoomIdType: 1 },
      UserList: [{ User_Account: 7, Status: 'CALLING' }],
      EventTime: '1740464128807',
    });
    expect(cb).toMatchObject({
      callInfo: { MediaType: 'Audio', RoomId: '4294967295', ChatGroupId: '' },
      userList: [{ User_Account: '7', Status: 'Calling' }],
      eventTime: 1740464128807,
    });
  });

  it('keeps unknown extra fields in raw', () => {
    const cb = parseCallback(cnSample.replace('"EventTime"', '"Future": {"x": 1}, "EventTime"'));
    expect(cb.raw).toMatchObject({ Future: { x: 1 }, CallInfo: { CallMediaType: 'Audio' } });
  });
});

describe('Call.CallbackAfterMemberChanged', () => {
  const body = (actionType: string, account: string | number = 'user2') =>
    JSON.stringify({
      CallbackCommand: 'Call.CallbackAfterMemberChanged',
      CallId: CALL_ID,
      UserList: [
        { User_Account: 'user1', Status: 'Calling' },
        { User_Account: 'user2', Status: 'Calling' },
      ],
      ChangedUserList: [{ User_Account: account, ActionType: actionType }],
      EventTime: 1740464128807,
    });

  it('reads the sample', () => {
    expect(parseCallback(body('Accept'))).toMatchObject({
      command: 'Call.CallbackAfterMemberChanged',
      callId: CALL_ID,
      userList: [
        { User_Account: 'user1', Status: 'Calling' },
        { User_Account: 'user2', Status: 'Calling' },
      ],
      changedUserList: [{ User_Account: 'user2', ActionType: 'Accept' }],
      eventTime: 1740464128807,
    });
  });

  it.each([
    // Canonical spellings (what Dialtone emits).
    ['Accept', 'Accept'],
    ['Reject', 'Reject'],
    ['NotAnswer', 'NotAnswer'],
    ['Hangup', 'Hangup'],
    ['Join', 'Join'],
    ['Offline', 'Offline'],
    ['Invite', 'Invite'],
    ['Cancel_Invite', 'Cancel_Invite'],
    // CN table, EN sample comment and EN table variants (tencent-call-notes §1.5).
    ['HangUp', 'Hangup'],
    ['Hang Up', 'Hangup'],
    ['Answer', 'Accept'],
    ['Invited', 'Invite'],
    ['Canncel_Invite', 'Cancel_Invite'],
    // Letter case and separators.
    ['notanswer', 'NotAnswer'],
    ['CANCEL INVITE', 'Cancel_Invite'],
  ])('normalises ActionType %j to %s', (given, expected) => {
    const cb = parseCallback(body(given));
    if (cb.command !== 'Call.CallbackAfterMemberChanged') throw new Error('wrong command');
    expect(cb.changedUserList[0]!.ActionType).toBe(expected);
  });

  it('makes a numeric User_Account in ChangedUserList a string', () => {
    const text = body('Accept').replace(
      '"ChangedUserList":[{"User_Account":"user2"',
      '"ChangedUserList":[{"User_Account":144115212830834855',
    );
    const cb = parseCallback(text);
    if (cb.command !== 'Call.CallbackAfterMemberChanged') throw new Error('wrong command');
    expect(cb.changedUserList[0]!.User_Account).toBe('144115212830834855');
  });

  it('refuses an ActionType it does not know', () => {
    expect(reasonOf(() => parseCallback(body('Teleport')))).toBe('body');
  });
});

describe('Call.CallbackAfterEndCall', () => {
  const record = {
    CallId: CALL_ID,
    Caller_Account: '10001',
    MediaType: 'Audio',
    CallType: 'SingleCall',
    StartTime: 1741231146,
    EndTime: 1741231296,
    AcceptTime: 0,
    CallResult: 'NotAnswer',
    CalleeList_Account: ['10001', 'user2'],
    RoomId: 'roomid-1434',
    RoomIdType: 2,
  };

  it('reads the sample (with the comma the official one lacks)', () => {
    const cb = parseCallback(
      JSON.stringify({ CallbackCommand: 'Call.CallbackAfterEndCall', CallRecord: record, EventTime: 1703589922780 }),
    );
    expect(cb).toEqual(
      expect.objectContaining({ command: 'Call.CallbackAfterEndCall', callId: CALL_ID, callRecord: record, eventTime: 1703589922780 }),
    );
  });

  it('makes numeric Caller_Account and CalleeList_Account entries strings with exact digits', () => {
    const text = `{"CallbackCommand":"Call.CallbackAfterEndCall","CallRecord":{"CallId":"c","Caller_Account":144115212830834855,"MediaType":"Video","CallType":"MultiCall","StartTime":1,"EndTime":3,"AcceptTime":2,"CallResult":"NormalEnd","CalleeList_Account":[144115212830834855, "user]2", 10002],"RoomId":123,"RoomIdType":1},"EventTime":3000}`;
    const cb = parseCallback(text);
    if (cb.command !== 'Call.CallbackAfterEndCall') throw new Error('wrong command');
    expect(cb.callRecord).toMatchObject({
      Caller_Account: '144115212830834855',
      CalleeList_Account: ['144115212830834855', 'user]2', '10002'],
      RoomId: '123',
      CallType: 'MultiCall',
    });
  });

  it.each([
    ['Cancel', 'Cancel'],
    ['reject', 'Reject'],
    ['NOTANSWER', 'NotAnswer'],
    ['normalend', 'NormalEnd'],
    ['CallBusy', 'CallBusy'],
    ['interrupt', 'Interrupt'],
    ['Offline', 'Offline'],
  ])('accepts CallResult %j as %s', (given, expected) => {
    const cb = parseCallback({ CallbackCommand: 'Call.CallbackAfterEndCall', CallRecord: { ...record, CallResult: given }, EventTime: 1 });
    if (cb.command !== 'Call.CallbackAfterEndCall') throw new Error('wrong command');
    expect(cb.callRecord.CallResult).toBe(expected);
  });

  it('refuses a CallResult given as an integer (the CN page types it so; the values are strings)', () => {
    expect(
      reasonOf(() =>
        parseCallback({ CallbackCommand: 'Call.CallbackAfterEndCall', CallRecord: { ...record, CallResult: 3 }, EventTime: 1 }),
      ),
    ).toBe('body');
  });
});

describe('command and context', () => {
  const start = {
    CallbackCommand: 'Call.CallbackAfterStartCall',
    CallInfo: { CallId: 'c', MediaType: 'Audio', RoomIdType: 2 },
    UserList: [],
    EventTime: 1,
  };

  it('takes sdkAppId, the query and webhookId from the context', () => {
    const cb = parseCallback(start, {
      query: { SdkAppid: '1400000000', CallbackCommand: 'Call.CallbackAfterStartCall', OptPlatform: 'Web' },
      webhookId: 'msg_1',
    });
    expect(cb).toMatchObject({
      sdkAppId: 1400000000,
      webhookId: 'msg_1',
      query: { SdkAppid: '1400000000', CallbackCommand: 'Call.CallbackAfterStartCall', OptPlatform: 'Web' },
    });
  });

  it("uses the query's command when the body has none", () => {
    const { CallbackCommand: _omitted, ...rest } = start;
    expect(parseCallback(rest, { query: { SdkAppid: '1', CallbackCommand: 'Call.CallbackAfterStartCall' } }).command).toBe(
      'Call.CallbackAfterStartCall',
    );
  });

  it.each([
    [
      'a body command differing from the query command',
      () => parseCallback(start, { query: { CallbackCommand: 'Call.CallbackAfterEndCall' } }),
    ],
    ['an unknown command', () => parseCallback({ ...start, CallbackCommand: 'Call.CallbackBeforeStartCall' })],
    ['no command at all', () => parseCallback({ ...start, CallbackCommand: undefined })],
    ['text that is not JSON (the official EndCall sample lacks a comma)', () => parseCallback('{"CallRecord": {} "EventTime": 1}')],
    ['bytes that are not UTF-8', () => parseCallback(new Uint8Array([0x7b, 0xff, 0x7d]))],
    ['a JSON array', () => parseCallback('[]')],
    ['a missing CallInfo', () => parseCallback({ ...start, CallInfo: undefined })],
    ['a missing EventTime', () => parseCallback({ ...start, EventTime: undefined })],
    ['an unknown MediaType', () => parseCallback({ ...start, CallInfo: { ...start.CallInfo, MediaType: 'Hologram' } })],
    ['a UserList entry without Status', () => parseCallback({ ...start, UserList: [{ User_Account: 'a' }] })],
  ])('refuses %s with reason body', (_name, fn) => {
    expect(reasonOf(fn)).toBe('body');
  });

  it('reads UTF-8 bytes', () => {
    expect(parseCallback(new TextEncoder().encode(JSON.stringify(start))).callId).toBe('c');
  });

  it('names the failing field in a one-line message', () => {
    expect(() => parseCallback({ ...start, CallInfo: { ...start.CallInfo, MediaType: 'Hologram' } })).toThrow(
      /^callback refused \(body\): CallInfo\.MediaType must be one of Audio, Video \(got "Hologram"\)$/,
    );
  });
});
