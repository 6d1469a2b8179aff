/**
 * Who may `join` a call by its id (SPEC §5.2): only a group call, only users it ever invited
 * unless the app's `OpenGroupJoin` policy is on, and that is decided before busy (-1204) and full
 * (-1202).
 */
import { describe, expect, it } from 'vitest';
import { isDialtoneError } from '../errors.js';
import { accept, reject, ringTimeout } from './answer.js';
import { invite, join, type JoinInput } from './invite-join.js';
import { hangup } from './hangup.js';
import { ok, start, T0 } from '../testing/domain.js';
import type { Call } from './types.js';

const codeOf = (r: unknown) => (isDialtoneError(r) ? r.code : 'ok');

const tryJoin = (call: Call, userId: string, over: Partial<JoinInput> = {}) =>
  join(call, { userId, deviceId: `${userId}-d`, busy: false, now: T0 + 5000, ...over });

/** A connected group call: alice called bob and carol, bob accepted, carol is still ringing. */
const group = () => ok(accept(start(['bob', 'carol']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;

describe('join of a 1-to-1 call: never', () => {
  const ringing = () => start(['bob']);
  const connected = () => ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;

  it.each([
    ['ringing, a stranger', () => tryJoin(ringing(), 'mallory')],
    ['ringing, a stranger, OpenGroupJoin on', () => tryJoin(ringing(), 'mallory', { openGroupJoin: true })],
    ['connected, a stranger', () => tryJoin(connected(), 'mallory')],
    ['connected, a stranger, OpenGroupJoin on', () => tryJoin(connected(), 'mallory', { openGroupJoin: true })],
    ['connected, a stranger who is busy elsewhere', () => tryJoin(connected(), 'mallory', { busy: true })],
    ['ringing, the callee (a member already)', () => tryJoin(ringing(), 'bob')],
  ])('%s: -1203', (_name, op) => {
    expect(codeOf(op())).toBe(-1203);
  });

  it('once a member invites a third user the call is a group call, and its former members may join it', () => {
    const grown = ok(invite(connected(), { userId: 'bob', userIdList: ['carol'], busy: new Set(), now: T0 + 2000 })).call!;
    const left = ok(hangup(grown, { userId: 'bob', deviceId: 'b1', now: T0 + 3000 })).call!;
    expect(codeOf(tryJoin(left, 'mallory'))).toBe(-1203);
    expect(ok(tryJoin(left, 'bob')).call?.members.map((m) => `${m.userId}:${m.status}`)).toEqual([
      'alice:Calling',
      'carol:Waiting',
      'bob:Calling',
    ]);
  });
});

describe('join of a group call by a former member', () => {
  it.each([
    ['who rejected', (call: Call) => ok(reject(call, { userId: 'carol', deviceId: 'c1', now: T0 + 2000 })).call!],
    ['who timed out', (call: Call) => ringTimeout(call, 'carol', T0 + 31_000).call!],
    [
      'who hung up',
      (call: Call) => {
        const inCall = ok(accept(call, { userId: 'carol', deviceId: 'c1', now: T0 + 2000 })).call!;
        return ok(hangup(inCall, { userId: 'carol', deviceId: 'c1', now: T0 + 3000 })).call!;
      },
    ],
  ])('%s: Join', (_name, leave) => {
    const call = leave(group());
    expect(call.members.map((m) => m.userId)).toEqual(['alice', 'bob']);
    const s = ok(tryJoin(call, 'carol'));
    expect(s.call?.members.map((m) => `${m.userId}:${m.status}`)).toEqual(['alice:Calling', 'bob:Calling', 'carol:Calling']);
    expect(s.call?.everMembers).toEqual(['alice', 'bob', 'carol']);
    expect(s.effects).toContainEqual(
      expect.objectContaining({ type: 'callback', changedUserList: [{ User_Account: 'carol', ActionType: 'Join' }] }),
    );
  });

  it('who was busy when invited at the start and never rang: Join', () => {
    const call = ok(accept(start(['bob', 'carol'], ['carol']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;
    expect(call.members.map((m) => m.userId)).toEqual(['alice', 'bob']);
    expect(codeOf(tryJoin(call, 'carol'))).toBe('ok');
  });

  it('who was busy when invited later and never rang: Join', () => {
    const s = ok(invite(group(), { userId: 'bob', userIdList: ['dave'], busy: new Set(['dave']), now: T0 + 2000 }));
    expect(s.invited).toEqual([]);
    expect(codeOf(tryJoin(s.call!, 'dave'))).toBe('ok');
  });

  it('who is busy in another call: -1204', () => {
    const call = ok(reject(group(), { userId: 'carol', deviceId: 'c1', now: T0 + 2000 })).call!;
    expect(codeOf(tryJoin(call, 'carol', { busy: true }))).toBe(-1204);
  });
});

describe('join of a group call by a user it never invited', () => {
  it('OpenGroupJoin off (the default): -1203', () => {
    expect(codeOf(tryJoin(group(), 'mallory'))).toBe(-1203);
    expect(codeOf(tryJoin(group(), 'mallory', { openGroupJoin: false }))).toBe(-1203);
  });

  it('OpenGroupJoin off, busy elsewhere too: -1203, refused before the busy check', () => {
    expect(codeOf(tryJoin(group(), 'mallory', { busy: true }))).toBe(-1203);
  });

  it('OpenGroupJoin on: Join, and from then on a former member', () => {
    const s = ok(tryJoin(group(), 'dave', { openGroupJoin: true }));
    expect(s.call?.members.map((m) => `${m.userId}:${m.status}`)).toEqual([
      'alice:Calling',
      'bob:Calling',
      'carol:Waiting',
      'dave:Calling',
    ]);
    expect(s.call?.everMembers).toEqual(['alice', 'bob', 'carol', 'dave']);
    const left = ok(hangup(s.call!, { userId: 'dave', deviceId: 'dave-d', now: T0 + 6000 })).call!;
    expect(codeOf(tryJoin(left, 'dave'))).toBe('ok');
  });

  it('OpenGroupJoin on, busy elsewhere: -1204', () => {
    expect(codeOf(tryJoin(group(), 'dave', { openGroupJoin: true, busy: true }))).toBe(-1204);
  });
});

describe('join of a full group call (9 members)', () => {
  /** Nine members, one of the first callees ('1') having rejected before the last invite. */
  function full(): Call {
    const eight = start(['1', '2', '3', '4', '5', '6', '7']);
    const seven = ok(reject(eight, { userId: '1', now: T0 + 1000 })).call!;
    const nine = ok(invite(seven, { userId: 'alice', userIdList: ['8', '9'], busy: new Set(), now: T0 + 2000 })).call!;
    expect(nine.members).toHaveLength(9);
    return nine;
  }

  it('a stranger: -1203, checked before the member limit', () => {
    expect(codeOf(tryJoin(full(), 'mallory'))).toBe(-1203);
  });

  it('a former member: -1202', () => {
    expect(codeOf(tryJoin(full(), '1'))).toBe(-1202);
  });

  it('a stranger with OpenGroupJoin on: -1202', () => {
    expect(codeOf(tryJoin(full(), 'mallory', { openGroupJoin: true }))).toBe(-1202);
  });
});
