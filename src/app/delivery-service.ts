/**
 * The delivery log, replay and per-app delivery policy (SPEC §6): what was sent, what failed,
 * sending it again, and how an app's callbacks are delivered and signed.
 */
import type { Logger } from 'pino';
import { defaultPolicy, type DeliveryPolicy } from '../callbacks/policy.js';
import { ERR, dialtoneError } from '../errors.js';
import type { AppRegistry } from './app-registry.js';
import type { AttemptRecord, Clock, OutboxFilter, OutboxRecord, Storage } from './ports.js';

/** Dependencies of {@link DeliveryService}. */
export interface DeliveryServiceDeps {
  storage: Storage;
  apps: AppRegistry;
  clock: Clock;
  log: Logger;
  /** Attempt timeout of apps without their own, ms. */
  defaultTimeoutMs: number;
  /** Wakes the dispatcher after callbacks were made due. */
  wake: () => void;
  /** Called after a change of the app's delivery policy is committed. */
  changed: (sdkAppId: number) => void;
}

/** Callbacks resent per transaction by {@link DeliveryService.resendFailed}. */
const RESEND_CHUNK = 500;

/** Delivery log, replay, policy and webhook secret use cases. */
export class DeliveryService {
  constructor(private readonly deps: DeliveryServiceDeps) {}

  list(sdkAppId: number, filter: OutboxFilter, page: number, perPage: number): Promise<{ total: number; entries: OutboxRecord[] }> {
    return this.deps.storage.transaction((tx) => tx.outbox.list(sdkAppId, filter, (page - 1) * perPage, perPage));
  }

  /** One callback with all its attempts, or `100002` naming the unknown id. */
  async get(sdkAppId: number, id: string): Promise<{ entry: OutboxRecord; attempts: AttemptRecord[] }> {
    const found = await this.deps.storage.transaction((tx) => tx.outbox.get(sdkAppId, id));
    if (!found) throw dialtoneError(ERR.CONFIG_INVALID_PARAM, `there is no callback ${id}`);
    return found;
  }

  /**
   * Sends one callback again now, with a fresh retry schedule, to the URL configured now.
   * `100002` when it is unknown, or when the callback configuration does not cover its command
   * (it would be cancelled unsent).
   */
  async resend(sdkAppId: number, id: string): Promise<void> {
    await this.deps.storage.transaction(async (tx) => {
      const found = await tx.outbox.get(sdkAppId, id);
      if (!found) throw dialtoneError(ERR.CONFIG_INVALID_PARAM, `there is no callback ${id}`);
      const config = await tx.callbackConfig.get(sdkAppId);
      const command = found.entry.command;
      if (!config?.commands.includes(command)) {
        const why = config ? `${command} is not in CallbackCommandList` : 'no callback configuration is set';
        throw dialtoneError(ERR.CONFIG_INVALID_PARAM, `callback ${id} (${command}) cannot be resent: ${why}`);
      }
      // False for a quarantined callback: it cannot be addressed, so it is never sent again.
      if (!(await tx.outbox.resend(sdkAppId, id, this.deps.clock.now())))
        throw dialtoneError(ERR.CONFIG_INVALID_PARAM, `there is no callback ${id}`);
    });
    this.deps.wake();
  }

  /**
   * Resends every failed callback created since `since` (unix ms). Answers at once with how many
   * there are; the resending runs in the background in small transactions.
   */
  async resendFailed(sdkAppId: number, since: number): Promise<number> {
    const ids = await this.deps.storage.transaction((tx) => tx.outbox.failedSince(sdkAppId, since));
    void this.resendInBackground(sdkAppId, ids);
    return ids.length;
  }

  private async resendInBackground(sdkAppId: number, ids: string[]): Promise<void> {
    const log = this.deps.log.child({ sdkAppId, total: ids.length });
    try {
      for (let i = 0; i < ids.length; i += RESEND_CHUNK) {
        const chunk = ids.slice(i, i + RESEND_CHUNK);
        await this.deps.storage.transaction(async (tx) => {
          const now = this.deps.clock.now();
          for (const id of chunk) await tx.outbox.resend(sdkAppId, id, now);
        });
        this.deps.wake();
        log.info({ done: Math.min(i + RESEND_CHUNK, ids.length) }, 'resending failed callbacks');
      }
    } catch (err) {
      log.error({ err }, 'resending failed callbacks stopped');
    }
  }

  /** The app's effective delivery policy. */
  async policy(sdkAppId: number): Promise<DeliveryPolicy> {
    const set = await this.deps.storage.transaction((tx) => tx.callbackConfig.getPolicy(sdkAppId));
    return { ...defaultPolicy(this.deps.defaultTimeoutMs), ...set };
  }

  /** Changes some fields of the app's delivery policy; returns the effective policy. */
  async setPolicy(sdkAppId: number, change: Partial<DeliveryPolicy>): Promise<DeliveryPolicy> {
    const next = await this.deps.storage.transaction(async (tx) => {
      const merged = { ...(await tx.callbackConfig.getPolicy(sdkAppId)), ...change };
      await tx.callbackConfig.setPolicy(sdkAppId, merged);
      return merged;
    });
    this.deps.changed(sdkAppId);
    return { ...defaultPolicy(this.deps.defaultTimeoutMs), ...next };
  }

  /** The app's webhook secrets (the previous one while it still signs). */
  secrets(sdkAppId: number): { secret: string; previous?: string; previousUntil?: number } {
    const app = this.deps.apps.get(sdkAppId)!;
    const now = this.deps.clock.now();
    if (app.previousWebhookSecret && now < app.previousWebhookSecretUntil) {
      return { secret: app.webhookSecret, previous: app.previousWebhookSecret, previousUntil: app.previousWebhookSecretUntil };
    }
    return { secret: app.webhookSecret };
  }

  /** Rotates to `secret` (generated when absent); the old one signs too for 24 h. */
  async rotateSecret(sdkAppId: number, secret: string | undefined): Promise<string> {
    return (await this.deps.apps.rotateWebhookSecret(sdkAppId, secret, this.deps.clock.now())).webhookSecret;
  }
}
