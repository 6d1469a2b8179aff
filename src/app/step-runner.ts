/**
 * Runs domain steps durably: one transaction holds the step and every durable effect (call
 * state, timers, record, outbox rows); client events go out only after commit.
 */
import type { Logger } from 'pino';
import { callbackBody, callbackUrl, type CallbackCause } from '../callbacks/render.js';
import type { Effect, NotifyEffect, Step } from '../domain/effects.js';
import type { Ids } from './ids.js';
import type { Notifier } from './notifier.js';
import type { CallObserver, Clock, Storage, Tx } from './ports.js';

/** Dependencies of {@link StepRunner}. */
export interface StepRunnerDeps {
  storage: Storage;
  notifier: Notifier;
  clock: Clock;
  ids: Ids;
  /** Called after a commit that wrote outbox rows. */
  onCallbacksQueued: () => void;
  /** Called after a commit that armed timers, with the earliest due time it armed (unix ms). */
  onTimersChanged: (earliestDueAt: number) => void;
  /** Where a call's start and end are logged (info); none: not logged. */
  log?: Pick<Logger, 'info'> | undefined;
  /** Told of each call's start and end (metrics). */
  observer?: CallObserver | undefined;
}

/** Executes steps: persist in one transaction, then publish. */
export class StepRunner {
  constructor(private readonly deps: StepRunnerDeps) {}

  /**
   * Runs `fn` in a transaction; `fn` takes the domain step and saves the call. The step's
   * timers, record and callbacks are written in the same transaction; after commit its client
   * events are pushed and the workers woken.
   */
  async run<S extends Step>(sdkAppId: number, cause: CallbackCause, fn: (tx: Tx) => Promise<S>): Promise<S> {
    let callbacks = 0;
    let earliest = Infinity;
    const step = await this.deps.storage.transaction(async (tx) => {
      const step = await fn(tx);
      ({ callbacks, earliest } = await this.persist(tx, sdkAppId, step, cause));
      return step;
    });
    this.publish(sdkAppId, step.effects);
    if (this.deps.log || this.deps.observer) this.lifecycle(sdkAppId, step.effects);
    if (callbacks > 0) this.deps.onCallbacksQueued();
    if (earliest < Infinity) this.deps.onTimersChanged(earliest);
    return step;
  }

  /** A committed step that started or ended a call: one log line each, for operators following calls, and the metrics. */
  private lifecycle(sdkAppId: number, effects: readonly Effect[]): void {
    const { log, observer } = this.deps;
    for (const e of effects) {
      if (e.type === 'callback' && e.command === 'Call.CallbackAfterStartCall') {
        const members = e.userList.map((u) => u.User_Account);
        log?.info({ sdkAppId, callId: e.callInfo.CallId, mediaType: e.callInfo.MediaType, members }, 'call started');
        // The caller and one callee: 1-to-1 (the record says the same once it ends).
        observer?.callStarted(members.length > 2 ? 'MultiCall' : 'SingleCall', e.callInfo.MediaType);
      } else if (e.type === 'record') {
        const r = e.record;
        // Seconds in the call: from the answer, or none for a call nobody answered.
        const durationSeconds = r.AcceptTime > 0 ? r.EndTime - r.AcceptTime : 0;
        log?.info({ sdkAppId, callId: r.CallId, result: r.CallResult, callType: r.CallType, durationSeconds }, 'call ended');
        observer?.callEnded(r);
      }
    }
  }

  /** Saves a step's call state: inserted, updated, or deleted once it ended. */
  static async saveCall(tx: Tx, sdkAppId: number, step: Step, existed: boolean): Promise<void> {
    if (step.call && existed) await tx.calls.update(step.call);
    else if (step.call) await tx.calls.insert(step.call);
    else if (existed) await tx.calls.delete(sdkAppId, step.callId);
  }

  /**
   * Pushes client events. Deferred a turn so that the reply to the request that caused them is
   * written first: a client learns the callId from its `calls` reply before any event about it.
   */
  publish(sdkAppId: number, effects: Effect[]): void {
    const notes = effects.filter((e): e is NotifyEffect => e.type === 'notify');
    if (notes.length > 0) setImmediate(() => notes.forEach((n) => this.deps.notifier.notify(sdkAppId, n)));
  }

  private async persist(tx: Tx, sdkAppId: number, step: Step, cause: CallbackCause): Promise<{ callbacks: number; earliest: number }> {
    let callbacks = 0;
    let earliest = Infinity;
    const hasCallbacks = step.effects.some((e) => e.type === 'callback');
    const config = hasCallbacks ? await tx.callbackConfig.get(sdkAppId) : undefined;
    const policy = config ? await tx.callbackConfig.getPolicy(sdkAppId) : undefined;
    for (const effect of step.effects) {
      switch (effect.type) {
        case 'setTimer':
          await tx.timers.set(sdkAppId, step.callId, effect.kind, effect.userId, effect.dueAt);
          earliest = Math.min(earliest, effect.dueAt);
          break;
        case 'cancelTimer':
          await tx.timers.cancel(sdkAppId, step.callId, effect.kind, effect.userId);
          break;
        case 'record':
          await tx.calls.insertRecord(sdkAppId, effect.record);
          break;
        case 'callback':
          if (!config || !config.commands.includes(effect.command)) break;
          await tx.outbox.add({
            id: this.deps.ids.callbackId(),
            sdkAppId,
            callId: step.callId,
            command: effect.command,
            url: callbackUrl(config.url, sdkAppId, effect.command, cause),
            body: callbackBody(effect, { emitCallMediaType: policy?.emitCallMediaType ?? false }),
            createdAt: this.deps.clock.now(),
            ordered: policy?.ordering ?? true,
          });
          callbacks++;
          break;
        case 'notify':
          break;
      }
    }
    return { callbacks, earliest };
  }
}
