/** The op vocabulary: which names are ops, and the argument types the gateway's handlers receive. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { isOpName, OP_SCHEMAS, opArgs, type OpArgs, type OpName } from './frames.js';

describe('isOpName', () => {
  it('accepts every op that has a schema', () => {
    for (const op of Object.keys(OP_SCHEMAS)) expect(isOpName(op)).toBe(true);
  });

  it('refuses other names, those of Object.prototype included', () => {
    for (const op of ['', 'Calls', 'call', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(isOpName(op)).toBe(false);
  });
});

describe('opArgs', () => {
  it('passes checked arguments through as the op expects them', () => {
    const checked = opArgs.hangup({ callId: 'c1', reason: 'interrupt' });
    expect(checked).toEqual({ ok: true, value: { callId: 'c1', reason: 'interrupt' } });
    if (checked.ok) expectTypeOf(checked.value).toEqualTypeOf<OpArgs['hangup']>();
  });

  it('refuses arguments the schema does not accept, naming the field', () => {
    expect(opArgs.accept({})).toMatchObject({ ok: false, reason: expect.stringContaining('callId') });
    expect(opArgs.setMediaState({ callId: 'c1', camera: 'off' })).toEqual({ ok: false, reason: 'camera must be true or false' });
    expect(opArgs.switchMediaType({ callId: 'c1', mediaType: 'audio' })).toEqual({
      ok: false,
      reason: 'mediaType must be one of Audio, Video',
    });
    for (const limit of [0, 51, 2.5, '5']) {
      expect(opArgs.getRecentCalls({ limit })).toMatchObject({ ok: false, reason: expect.stringContaining('limit') });
    }
    expect(opArgs.getRecentCalls({})).toEqual({ ok: true, value: {} });
    expect(opArgs.getRecentCalls({ limit: 50 })).toEqual({ ok: true, value: { limit: 50 } });
  });
});

describe('OpArgs', () => {
  it('is the type each schema describes', () => {
    expectTypeOf<OpName>().toEqualTypeOf<
      | 'calls'
      | 'accept'
      | 'reject'
      | 'ignore'
      | 'hangup'
      | 'inviteUser'
      | 'join'
      | 'signal'
      | 'setMediaState'
      | 'switchMediaType'
      | 'ping'
      | 'getIceServers'
      | 'getRecentCalls'
    >();
    expectTypeOf<OpArgs['getRecentCalls']>().toEqualTypeOf<{ limit?: number }>();
    expectTypeOf<OpArgs['hangup']>().toEqualTypeOf<{ callId: string; reason?: 'interrupt' }>();
    expectTypeOf<OpArgs['inviteUser']>().toEqualTypeOf<{ callId: string; userIdList: string[]; timeout?: number }>();
    expectTypeOf<OpArgs['signal']>().toEqualTypeOf<{ callId: string; toUserId: string; data: unknown }>();
    expectTypeOf<OpArgs['calls']['roomIdType']>().toEqualTypeOf<1 | 2 | undefined>();
    expectTypeOf<OpArgs['setMediaState']>().toEqualTypeOf<{ callId: string; camera?: boolean; microphone?: boolean }>();
    expectTypeOf<OpArgs['switchMediaType']>().toEqualTypeOf<{ callId: string; mediaType: 'Audio' | 'Video' }>();
  });
});
