import { describe, expect, it } from 'vitest';
import { ok, start, T0 } from '../testing/domain.js';
import { accept, graceExpired } from './answer.js';
import { armHeartbeatExpiry, armLeaveGrace, resume } from './presence.js';

/** alice (a1) and bob (b1) in a connected call. */
const connected = () => ok(accept(start(['bob']), { userId: 'bob', deviceId: 'b1', now: T0 + 1000 })).call!;

describe('leave grace (a page that closed its socket)', () => {
  it('is armed for a member in the call on the device that closed, and for no one else', () => {
    const call = connected();
    expect(armLeaveGrace(call, 'bob', T0 + 5000, 'b1').effects).toEqual([
      { type: 'setTimer', kind: 'leave', userId: 'bob', dueAt: T0 + 5000 },
    ]);
    // Another device of bob's closed: the one he is in the call on is still there.
    expect(armLeaveGrace(call, 'bob', T0 + 5000, 'b2').effects).toEqual([]);
    // A ringing callee is left to the ring timeout.
    expect(armLeaveGrace(start(['bob']), 'bob', T0 + 5000, 'b1').effects).toEqual([]);
    expect(armLeaveGrace(call, 'carol', T0 + 5000, 'c1').effects).toEqual([]);
  });

  it('when it runs out the member hangs up: a 1-to-1 call ends NormalEnd with reason hangup', () => {
    const step = graceExpired(connected(), 'bob', T0 + 9000);
    expect(step.call).toBeUndefined();
    expect(step.effects).toContainEqual(
      expect.objectContaining({
        type: 'callback',
        command: 'Call.CallbackAfterMemberChanged',
        changedUserList: [{ User_Account: 'bob', ActionType: 'Hangup' }],
      }),
    );
    expect(step.effects).toContainEqual(
      expect.objectContaining({
        type: 'notify',
        userId: 'alice',
        event: 'onCallEnd',
        data: expect.objectContaining({ reason: 'hangup', userId: 'bob' }),
      }),
    );
    // Both of the member's absence timers go with them.
    expect(step.effects).toContainEqual({ type: 'cancelTimer', kind: 'leave', userId: 'bob' });
    expect(step.effects).toContainEqual({ type: 'cancelTimer', kind: 'offline', userId: 'bob' });
  });

  it('does nothing to someone no longer in the call', () => {
    const call = start(['bob']);
    expect(graceExpired(call, 'bob', T0 + 9000)).toEqual({ callId: 'c1', call, effects: [] });
  });

  it('a device that comes back disarms both the grace and the heartbeat expiry', () => {
    const call = connected();
    const effects = resume(call, 'bob', 'b1', false).effects;
    expect(effects).toContainEqual({ type: 'cancelTimer', kind: 'leave', userId: 'bob' });
    expect(effects).toContainEqual({ type: 'cancelTimer', kind: 'offline', userId: 'bob' });
    expect(armHeartbeatExpiry(call, 'bob', T0 + 31_000).effects).toEqual([
      { type: 'setTimer', kind: 'offline', userId: 'bob', dueAt: T0 + 31_000 },
    ]);
  });
});
