/** `end_call`: the app backend ends a call for everyone (client reason `endByServer`). */
import { endEffects, membersIn } from './call-state.js';
import type { Effect, Step } from './effects.js';
import { toMember, totalTime } from './members.js';
import { presenceTimersOff } from './presence.js';
import type { Call } from './types.js';

/** Ends `call` now: `NormalEnd` if it ever connected, otherwise `Cancel`. */
export function endByServer(call: Call, now: number): Step {
  const connected = call.acceptTime > 0;
  const base = { callId: call.callId, mediaType: call.mediaType, reason: 'endByServer', userId: '' };
  const effects: Effect[] = [];
  for (const m of membersIn(call, 'Calling')) {
    effects.push(
      connected ? toMember(m, 'onCallEnd', { ...base, totalTime: totalTime(call, now) }) : toMember(m, 'onCallNotConnected', base),
    );
    effects.push(...presenceTimersOff(m.userId));
  }
  for (const m of membersIn(call, 'Waiting')) effects.push(toMember(m, 'onCallNotConnected', base));
  effects.push(...endEffects(call, now, connected ? 'NormalEnd' : 'Cancel'));
  return { callId: call.callId, call: undefined, effects };
}
