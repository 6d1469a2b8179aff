/**
 * The call use cases. Each runs one storage transaction: load the call, take one domain step,
 * save the call with its outbox rows, timers and record, commit; then push the client events
 * and wake the callback dispatcher. Nothing is sent before the change is durable.
 */
import { ERR, dialtoneError, isDialtoneError } from '../errors.js';
import type { Effect, NotifyEffect, Step } from '../domain/effects.js';
import { hangup } from '../domain/hangup.js';
import { startCall } from '../domain/start-call.js';
import type { Call, MediaType, Platform, RoomIdType } from '../domain/types.js';
import { callbackBody, callbackUrl, type CallbackCause } from '../callbacks/render.js';
import type { Ids } from './ids.js';
import type { Notifier } from './notifier.js';
import type { Clock, Storage, Tx } from './ports.js';

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
  roomId?: number | string;
  roomIdType?: RoomIdType;
  /** Ring timeout, seconds. */
  timeout?: number;
  userData?: string;
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
  notifier: Notifier;
  clock: Clock;
  ids: Ids;
  /** Woken after each commit that wrote outbox rows. */
  onCallbacksQueued: () => void;
  /** Woken after each commit that armed a timer. */
  onTimersChanged?: () => void;
  /** Most members per call, caller included. Default 9. */
  maxMembers?: number;
}

/** The call use cases. */
export class CallService {
  constructor(private readonly deps: CallServiceDeps) {}

  /** `calls`: starts a call from `actor` (a robot caller when `robot` is true). */
  async startCall(actor: Actor, args: StartCallArgs, robot = false): Promise<StartedCall> {
    const { ids, clock } = this.deps;
    const callId = ids.callId();
    let busy = new Set<string>();
    const result = await this.transact(actor, async (tx) => {
      const now = clock.now();
      busy = await tx.calls.busyUsers(actor.sdkAppId, args.userIdList);
      const callerBusy = robot ? false : (await tx.calls.liveCallIdsOf(actor.sdkAppId, actor.userId)).length > 0;
      const step = startCall({
        sdkAppId: actor.sdkAppId,
        callId,
        callerId: actor.userId,
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
        now,
      });
      if (isDialtoneError(step)) throw step;
      if (step.call) await tx.calls.insert(step.call);
      return step;
    });
    return { callId, ...result.room, ringing: result.call !== undefined, busy: args.userIdList.filter((id) => busy.has(id)) };
  }

  /** `hangup`: `actor` leaves the call (or cancels it, as the caller before anyone answered). */
  async hangup(actor: Actor, callId: string): Promise<void> {
    await this.transact(actor, async (tx) => {
      const call = await this.loadLive(tx, actor.sdkAppId, callId);
      const step = hangup(call, { userId: actor.userId, now: this.deps.clock.now() });
      if (isDialtoneError(step)) throw step;
      await this.saveStep(tx, call, step);
      return step;
    });
  }

  /** A live call of the app, or `-1203` when it does not exist or has ended. */
  private async loadLive(tx: Tx, sdkAppId: number, callId: string): Promise<Call> {
    const call = await tx.calls.get(sdkAppId, callId);
    if (!call) throw dialtoneError(ERR.CLIENT_NOT_ALLOWED, 'the call does not exist or has ended');
    return call;
  }

  private async saveStep(tx: Tx, before: Call, step: Step): Promise<void> {
    if (step.call) await tx.calls.update(step.call);
    else await tx.calls.delete(before.sdkAppId, before.callId);
  }

  /**
   * Runs `fn` in a transaction, writes the step's durable effects in the same transaction, and
   * after commit pushes its client events.
   */
  private async transact<S extends Step>(actor: Actor, fn: (tx: Tx) => Promise<S>): Promise<S> {
    const cause: CallbackCause = { clientIp: actor.clientIp, platform: actor.platform };
    let queued = 0;
    let timers = 0;
    const step = await this.deps.storage.transaction(async (tx) => {
      const step = await fn(tx);
      const counts = await this.persistEffects(tx, actor.sdkAppId, step.callId, step.effects, cause);
      queued = counts.callbacks;
      timers = counts.timers;
      return step;
    });
    const notes = step.effects.filter((e): e is NotifyEffect => e.type === 'notify');
    // Deferred a turn so that the reply to the request that caused them is written first: a
    // client learns the callId from its `calls` reply before any event about that call.
    if (notes.length > 0) setImmediate(() => notes.forEach((n) => this.deps.notifier.notify(actor.sdkAppId, n)));
    if (queued > 0) this.deps.onCallbacksQueued();
    if (timers > 0) this.deps.onTimersChanged?.();
    return step;
  }

  private async persistEffects(
    tx: Tx,
    sdkAppId: number,
    callId: string,
    effects: Effect[],
    cause: CallbackCause,
  ): Promise<{ callbacks: number; timers: number }> {
    let callbacks = 0;
    let timers = 0;
    const config = effects.some((e) => e.type === 'callback') ? await tx.callbackConfig.get(sdkAppId) : undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'setTimer':
          await tx.timers.set(sdkAppId, callId, effect.kind, effect.userId, effect.dueAt);
          timers++;
          break;
        case 'cancelTimer':
          await tx.timers.cancel(sdkAppId, callId, effect.kind, effect.userId);
          break;
        case 'record':
          await tx.calls.insertRecord(sdkAppId, effect.record);
          break;
        case 'callback':
          if (!config || !config.commands.includes(effect.command)) break;
          await tx.outbox.add({
            id: this.deps.ids.callbackId(),
            sdkAppId,
            callId,
            command: effect.command,
            url: callbackUrl(config.url, sdkAppId, effect.command, cause),
            body: callbackBody(effect),
            createdAt: this.deps.clock.now(),
          });
          callbacks++;
          break;
        case 'notify':
          break;
      }
    }
    return { callbacks, timers };
  }
}
