/**
 * The call use cases (client ops, REST live-call commands, timers). Each loads the call, takes
 * one domain step and saves it through {@link StepRunner}: state, timers, record and callbacks
 * commit together, and client events go out after commit.
 */
import { accept, graceExpired, heartbeatExpired, ignore, reject, ringTimeout } from '../domain/answer.js';
import { memberOf } from '../domain/call-state.js';
import type { Step, TimerKind } from '../domain/effects.js';
import { endByServer } from '../domain/end-by-server.js';
import { invite, join, type InviteStep } from '../domain/invite-join.js';
import { hangup } from '../domain/hangup.js';
import { setMediaState, switchMediaType } from '../domain/media.js';
import { startCall } from '../domain/start-call.js';
import type { Call, MediaType, Platform, RoomIdType } from '../domain/types.js';
import { ERR, dialtoneError, isDialtoneError, type DialtoneError, type ErrorDef } from '../errors.js';
import { callPolicyOf } from './call-policy-service.js';
import type { Ids } from './ids.js';
import type { Notifier } from './notifier.js';
import type { Clock, DueTimer, Storage, Tx } from './ports.js';
import { StepRunner } from './step-runner.js';

/** What each kind of timer does when it fires. */
const TIMER_STEPS: Record<TimerKind, (call: Call, userId: string, now: number) => Step> = {
  ring: ringTimeout,
  offline: heartbeatExpired,
  leave: graceExpired,
};

/** Who is acting, and from where: feeds `ClientIP`/`OptPlatform` of the callbacks it causes. */
export interface Actor {
  sdkAppId: number;
  userId: string;
  clientIp: string;
  platform: Platform;
  /** The acting device, for multi-device events. */
  deviceId?: string;
}

/** Arguments of `calls` (and of `start_call_by_robot`, mapped by the REST transport). */
export interface StartCallArgs {
  userIdList: string[];
  mediaType: MediaType;
  roomId?: number | string | undefined;
  roomIdType?: RoomIdType | undefined;
  /** Ring timeout, seconds. */
  timeout?: number;
  userData?: string | undefined;
  chatGroupId?: string;
}

/** The answer to `calls`. */
export interface StartedCall {
  callId: string;
  roomId: number | string;
  roomIdType: RoomIdType;
  /** False when the call ended at once because every callee was busy. */
  ringing: boolean;
  /** Callees that were busy in another call and were not rung. */
  busy: string[];
}

/** Dependencies of {@link CallService}. */
export interface CallServiceDeps {
  storage: Storage;
  runner: StepRunner;
  notifier: Notifier;
  clock: Clock;
  ids: Ids;
  /** Address put in `ClientIP` for events the server causes itself (timers). */
  serverIp: string;
  /** Most members per call, caller included. Default 9. */
  maxMembers?: number;
}

/** The call use cases. */
export class CallService {
  constructor(private readonly deps: CallServiceDeps) {}

  private cause(actor: Actor) {
    return { clientIp: actor.clientIp, platform: actor.platform };
  }

  /** `calls`: starts a call from `actor` (a robot caller with no connection when `robot`). */
  async startCall(actor: Actor, args: StartCallArgs, robot = false): Promise<StartedCall> {
    const { ids, clock } = this.deps;
    const callId = ids.callId();
    let busy = new Set<string>();
    const step = await this.deps.runner.run(actor.sdkAppId, this.cause(actor), async (tx) => {
      // The caller is looked up with the callees, in one statement and under the same locks.
      const checked = await tx.calls.busyUsers(actor.sdkAppId, robot ? args.userIdList : [...args.userIdList, actor.userId]);
      busy = new Set(args.userIdList.filter((id) => checked.has(id)));
      const callerBusy = !robot && checked.has(actor.userId);
      const step = orThrow(
        startCall({
          sdkAppId: actor.sdkAppId,
          callId,
          callerId: actor.userId,
          callerDeviceId: robot ? undefined : actor.deviceId,
          robotCaller: robot,
          calleeIds: args.userIdList,
          mediaType: args.mediaType,
          roomId: args.roomId,
          roomIdType: args.roomIdType,
          generatedStringRoomId: ids.stringRoomId(),
          generatedNumericRoomId: ids.numericRoomId(),
          timeoutSeconds: args.timeout,
          userData: args.userData,
          chatGroupId: args.chatGroupId,
          busy,
          callerBusy,
          maxMembers: this.deps.maxMembers,
          now: clock.now(),
        }),
      );
      await StepRunner.saveCall(tx, actor.sdkAppId, step, false);
      return step;
    });
    return { callId, ...step.room, ringing: step.call !== undefined, busy: args.userIdList.filter((id) => busy.has(id)) };
  }

  /** `accept`. */
  accept(actor: Actor, callId: string): Promise<void> {
    return this.apply(actor, callId, (call, now) => accept(call, { userId: actor.userId, deviceId: actor.deviceId, now }));
  }

  /** `reject`. */
  reject(actor: Actor, callId: string): Promise<void> {
    return this.apply(actor, callId, (call, now) => reject(call, { userId: actor.userId, deviceId: actor.deviceId, now }));
  }

  /** `ignore`. */
  ignore(actor: Actor, callId: string): Promise<void> {
    return this.apply(actor, callId, (call, now) => ignore(call, { userId: actor.userId, deviceId: actor.deviceId, now }));
  }

  /** `hangup`, with `interrupt` for `reason: "interrupt"`. */
  hangup(actor: Actor, callId: string, interrupt = false): Promise<void> {
    return this.apply(actor, callId, (call, now) => hangup(call, { userId: actor.userId, deviceId: actor.deviceId, interrupt, now }));
  }

  /** `inviteUser`: returns the users actually rung. */
  async invite(actor: Actor, callId: string, userIdList: string[], timeout?: number): Promise<string[]> {
    let invited: string[] = [];
    await this.deps.runner.run(actor.sdkAppId, this.cause(actor), async (tx) => {
      const call = await loadLive(tx, actor.sdkAppId, callId, ERR.CLIENT_NOT_ALLOWED);
      const busy = await tx.calls.busyUsers(actor.sdkAppId, userIdList);
      const step: InviteStep = orThrow(
        invite(call, {
          userId: actor.userId,
          userIdList,
          timeoutSeconds: timeout,
          busy,
          maxMembers: this.deps.maxMembers,
          now: this.deps.clock.now(),
        }),
      );
      invited = step.invited;
      await StepRunner.saveCall(tx, actor.sdkAppId, step, true);
      return step;
    });
    return invited;
  }

  /** `join`: only into a group call, and only for users it invited unless the app's call policy opens it (SPEC §5.2). */
  async join(actor: Actor, callId: string): Promise<void> {
    await this.deps.runner.run(actor.sdkAppId, this.cause(actor), async (tx) => {
      const call = await loadLive(tx, actor.sdkAppId, callId, ERR.CLIENT_NOT_ALLOWED);
      const elsewhere = (await tx.calls.liveCallIdsOf(actor.sdkAppId, actor.userId)).filter((id) => id !== callId);
      // Read in the join's own transaction: a policy switched off is in force for the next join.
      const policy = await callPolicyOf(tx.callPolicy, actor.sdkAppId);
      const step = orThrow(
        join(call, {
          userId: actor.userId,
          deviceId: actor.deviceId,
          busy: elsewhere.length > 0,
          openGroupJoin: policy.openGroupJoin,
          maxMembers: this.deps.maxMembers,
          now: this.deps.clock.now(),
        }),
      );
      await StepRunner.saveCall(tx, actor.sdkAppId, step, true);
      return step;
    });
  }

  /** `setMediaState`: the actor's own camera and/or microphone is on or off; the others in the call hear it. */
  setMediaState(actor: Actor, callId: string, state: { camera?: boolean | undefined; microphone?: boolean | undefined }): Promise<void> {
    return this.apply(actor, callId, (call) => setMediaState(call, { userId: actor.userId, ...state }));
  }

  /** `switchMediaType`: a connected 1-to-1 call becomes an audio or a video call. */
  switchMediaType(actor: Actor, callId: string, mediaType: MediaType): Promise<void> {
    return this.apply(actor, callId, (call) => switchMediaType(call, { userId: actor.userId, mediaType }));
  }

  /**
   * `signal`: relays opaque WebRTC data to another member of the same call (to the device they
   * are in the call on). Refused (`-1203`) unless both are current members.
   */
  async signal(actor: Actor, callId: string, toUserId: string, data: unknown): Promise<void> {
    const call = await this.deps.storage.transaction((tx) => tx.calls.get(actor.sdkAppId, callId));
    const from = call && memberOf(call, actor.userId);
    const to = call && memberOf(call, toUserId);
    if (!call || !from || !to || toUserId === actor.userId)
      throw dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'signal goes to another member of a call you are in');
    this.deps.notifier.notify(actor.sdkAppId, {
      type: 'notify',
      userId: toUserId,
      event: 'onSignal',
      data: { callId, fromUserId: actor.userId, data },
      ...(to.deviceId !== undefined ? { onlyDevice: to.deviceId } : {}),
    });
  }

  /** `end_call` (REST): ends the call for everyone; `101004` when it does not exist. */
  async endCall(actor: Actor, callId: string): Promise<void> {
    await this.deps.runner.run(actor.sdkAppId, this.cause(actor), async (tx) => {
      const call = await loadLive(tx, actor.sdkAppId, callId, ERR.CALL_NOT_FOUND);
      const step = endByServer(call, this.deps.clock.now());
      await StepRunner.saveCall(tx, actor.sdkAppId, step, true);
      return step;
    });
  }

  /** `get_call_info` (REST): the live call, or `101004`. */
  getCall(sdkAppId: number, callId: string): Promise<Call> {
    return this.deps.storage.transaction((tx) => loadLive(tx, sdkAppId, callId, ERR.CALL_NOT_FOUND));
  }

  /** Fires a claimed timer, once: a timer re-armed or cancelled meanwhile does nothing. */
  async fireTimer(timer: DueTimer): Promise<void> {
    const cause = { clientIp: this.deps.serverIp, platform: 'Unknown' as const };
    await this.deps.runner.run(timer.sdkAppId, cause, async (tx) => {
      const idle: Step = { callId: timer.callId, call: undefined, effects: [] };
      if (!(await tx.timers.take(timer))) return idle;
      const call = await tx.calls.get(timer.sdkAppId, timer.callId);
      if (!call) return idle;
      const now = this.deps.clock.now();
      const step = TIMER_STEPS[timer.kind](call, timer.userId, now);
      await StepRunner.saveCall(tx, timer.sdkAppId, step, true);
      return step;
    });
  }

  /**
   * Runs one op on a live call of the actor's app (`-1203` when it does not exist). A step that
   * hands back the very call it was given changed nothing, and nothing is written.
   */
  private async apply(actor: Actor, callId: string, op: (call: Call, now: number) => Step | DialtoneError): Promise<void> {
    await this.deps.runner.run(actor.sdkAppId, this.cause(actor), async (tx) => {
      const call = await loadLive(tx, actor.sdkAppId, callId, ERR.CLIENT_NOT_ALLOWED);
      const step = orThrow(op(call, this.deps.clock.now()));
      if (step.call !== call) await StepRunner.saveCall(tx, actor.sdkAppId, step, true);
      return step;
    });
  }
}

/** A live call of the app, or `missing` when it does not exist or has ended. */
async function loadLive(tx: Tx, sdkAppId: number, callId: string, missing: ErrorDef): Promise<Call> {
  const call = await tx.calls.get(sdkAppId, callId);
  if (!call) throw dialtoneError(missing, 'the call does not exist or has ended');
  return call;
}

function orThrow<S>(result: S | DialtoneError): S {
  if (isDialtoneError(result)) throw result;
  return result;
}
