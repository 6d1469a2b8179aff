/**
 * The `call_config` use cases: an app's callback URL, command list and token (SPEC §2.2). The
 * configuration as it is when a callback is sent decides where it goes (SPEC §6): a change
 * cancels the pending callbacks it no longer covers, and the dispatcher is told of every change.
 */
import type { Logger } from 'pino';
import type { DestinationPolicy } from '../callbacks/destination.js';
import { CALLBACK_COMMANDS } from '../domain/types.js';
import { ERR, dialtoneError } from '../errors.js';
import type { CallbackConfig, CallbackToken, Clock, Storage } from './ports.js';

/** Dependencies of {@link CallbackConfigService}. */
export interface CallbackConfigServiceDeps {
  storage: Storage;
  clock: Clock;
  /** Called after a change of the app's configuration or token is committed. */
  changed: (sdkAppId: number) => void;
}

/** Reads and writes callback configuration, one per app. */
export class CallbackConfigService {
  private readonly storage: Storage;

  constructor(private readonly deps: CallbackConfigServiceDeps) {
    this.storage = deps.storage;
  }

  /**
   * Creates or replaces the app's configuration, and cancels its pending callbacks of the
   * commands it leaves out. Pending callbacks of the others go to the new URL.
   */
  async set(sdkAppId: number, config: CallbackConfig): Promise<void> {
    await this.storage.transaction(async (tx) => {
      await tx.callbackConfig.set(sdkAppId, config);
      for (const command of CALLBACK_COMMANDS.filter((c) => !config.commands.includes(c))) {
        await tx.outbox.cancelPending(sdkAppId, [command], `cancelled: set_callback switched ${command} off`, this.deps.clock.now());
      }
    });
    this.deps.changed(sdkAppId);
  }

  /** The app's configuration, or `100301` when none is set. */
  async get(sdkAppId: number): Promise<CallbackConfig> {
    const config = await this.storage.transaction((tx) => tx.callbackConfig.get(sdkAppId));
    if (!config) throw dialtoneError(ERR.CONFIG_NOT_FOUND);
    return config;
  }

  /** Removes the configuration and cancels the app's pending callbacks; idempotent. */
  async delete(sdkAppId: number): Promise<void> {
    await this.storage.transaction(async (tx) => {
      await tx.callbackConfig.delete(sdkAppId);
      await tx.outbox.cancelPending(sdkAppId, CALLBACK_COMMANDS, 'cancelled by delete_callback', this.deps.clock.now());
    });
    this.deps.changed(sdkAppId);
  }

  async setToken(sdkAppId: number, token: CallbackToken): Promise<void> {
    await this.storage.transaction((tx) => tx.callbackConfig.setToken(sdkAppId, token));
    this.deps.changed(sdkAppId);
  }

  /** The app's token, or `100301` when none is set. */
  async getToken(sdkAppId: number): Promise<CallbackToken> {
    const token = await this.storage.transaction((tx) => tx.callbackConfig.getToken(sdkAppId));
    if (!token) throw dialtoneError(ERR.CONFIG_NOT_FOUND, 'no callback token is set');
    return token;
  }

  async deleteToken(sdkAppId: number): Promise<void> {
    await this.storage.transaction((tx) => tx.callbackConfig.deleteToken(sdkAppId));
    this.deps.changed(sdkAppId);
  }

  /**
   * Logs one warning per app whose stored callback URL `destinations` now refuses (the policy
   * changed since it was set, or it predates the policy): its callbacks will fail. Only the URL's
   * origin is logged, without user-info, since query strings and user-info may hold secrets.
   */
  async warnRefusedUrls(sdkAppIds: readonly number[], destinations: DestinationPolicy, log: Logger): Promise<void> {
    const configs = await this.storage.transaction(async (tx) => {
      const found: { sdkAppId: number; url: string }[] = [];
      for (const sdkAppId of sdkAppIds) {
        const config = await tx.callbackConfig.get(sdkAppId);
        if (config) found.push({ sdkAppId, url: config.url });
      }
      return found;
    });
    for (const { sdkAppId, url } of configs) {
      const reason = destinations.refuseUrl(url);
      if (reason === undefined) continue;
      const origin = URL.canParse(url) ? new URL(url).origin : '(not a URL)';
      log.warn({ sdkAppId, origin }, `the callback URL of app ${sdkAppId} (${origin}) is refused, so its callbacks will fail: ${reason}`);
    }
  }
}
