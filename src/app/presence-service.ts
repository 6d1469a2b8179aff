/**
 * Members' connections and the heartbeat expiry of SPEC §4: a member whose connections are all
 * gone (or silent) for longer than the expiry leaves the call as `Offline`; one who comes back
 * in time keeps their place and is told the call's state.
 */
import { memberOf } from '../domain/call-state.js';
import { armHeartbeatExpiry, armLeaveGrace, resume } from '../domain/presence.js';
import type { Actor } from './call-service.js';
import type { Clock, Storage } from './ports.js';
import { StepRunner } from './step-runner.js';

/** Default heartbeat expiry, ms. */
export const DEFAULT_HEARTBEAT_EXPIRY_MS = 30_000;

/** Dependencies of {@link PresenceService}. */
export interface PresenceDeps {
  storage: Storage;
  runner: StepRunner;
  clock: Clock;
  /** Heartbeat expiry, ms. */
  expiryMs: number;
  /** How long a member whose page closed its socket has to come back before they hang up, ms (SPEC §4; 0: no grace, the heartbeat expiry decides). */
  leaveGraceMs: number;
  /** Whether a device of a user has a connection right now (to any process, in cluster mode). */
  isOnline: (sdkAppId: number, userId: string, deviceId: string) => boolean | Promise<boolean>;
}

/** Connect, disconnect and restart handling. */
export class PresenceService {
  constructor(private readonly deps: PresenceDeps) {}

  /** A device connected: resume every live call the user is a member of on it. */
  async connected(actor: Actor & { deviceId: string }): Promise<void> {
    const callIds = await this.deps.storage.transaction((tx) => tx.calls.liveCallIdsOf(actor.sdkAppId, actor.userId));
    for (const callId of callIds) {
      await this.deps.runner.run(actor.sdkAppId, { clientIp: actor.clientIp, platform: actor.platform }, async (tx) => {
        const call = await tx.calls.get(actor.sdkAppId, callId);
        if (!call) return { callId, call: undefined, effects: [] };
        const previous = memberOf(call, actor.userId)?.deviceId;
        const previousOnline =
          previous !== undefined && previous !== actor.deviceId && (await this.deps.isOnline(actor.sdkAppId, actor.userId, previous));
        const step = resume(call, actor.userId, actor.deviceId, previousOnline);
        if (step.call !== call) await StepRunner.saveCall(tx, actor.sdkAppId, step, true);
        return step;
      });
    }
  }

  /**
   * A device's connection is gone; `lastSeen` is when it last showed life (unix ms). The expiry
   * is armed for each call the user is in on that device, or in any call when it was their last
   * connection. When the client closed it (`closedByClient`: a reload or a closed page) and it
   * was their last connection, the leave grace is armed too: the sooner of the two decides.
   */
  async disconnected(actor: Actor & { deviceId: string }, lastSeen: number, lastDevice: boolean, closedByClient = false): Promise<void> {
    const dueAt = lastSeen + this.deps.expiryMs;
    const graceDueAt =
      closedByClient && lastDevice && this.deps.leaveGraceMs > 0 ? this.deps.clock.now() + this.deps.leaveGraceMs : undefined;
    const callIds = await this.deps.storage.transaction((tx) => tx.calls.liveCallIdsOf(actor.sdkAppId, actor.userId));
    for (const callId of callIds) {
      await this.deps.runner.run(actor.sdkAppId, { clientIp: actor.clientIp, platform: actor.platform }, async (tx) => {
        const call = await tx.calls.get(actor.sdkAppId, callId);
        if (!call) return { callId, call: undefined, effects: [] };
        const expiry = armHeartbeatExpiry(call, actor.userId, dueAt, lastDevice ? undefined : actor.deviceId);
        if (graceDueAt === undefined) return expiry;
        return { ...expiry, effects: [...expiry.effects, ...armLeaveGrace(call, actor.userId, graceDueAt, actor.deviceId).effects] };
      });
    }
  }

  /**
   * After a restart no socket is connected: give every member in a live call (but robot callers,
   * who never connect) one expiry period to come back.
   */
  async rearmAfterRestart(): Promise<number> {
    const calls = await this.deps.storage.transaction((tx) => tx.calls.listLive());
    const dueAt = this.deps.clock.now() + this.deps.expiryMs;
    let armed = 0;
    for (const call of calls) {
      for (const m of call.members) {
        if (m.status !== 'Calling' || (call.robotCaller && m.userId === call.callerId)) continue;
        await this.deps.runner.run(call.sdkAppId, { clientIp: '', platform: 'Unknown' }, async () =>
          armHeartbeatExpiry(call, m.userId, dueAt),
        );
        armed++;
      }
    }
    return armed;
  }
}
