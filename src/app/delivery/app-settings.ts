/**
 * What the delivery worker knows of each app's callback configuration, token and policy (SPEC §6
 * "the current configuration decides"): read from the store, used for a second, read again ahead
 * of time while in use, and forgotten at once when a change is made through this process.
 */
import { CallbackTarget } from '../../callbacks/render.js';
import { defaultPolicy, type DeliveryPolicy } from '../../callbacks/policy.js';
import type { CallbackConfig, Clock, Storage, Tx } from '../ports.js';

/**
 * How long read settings are used, ms. A change made through this process takes effect at once
 * ({@link AppSettings.changed}); one made through another process of a cluster, within this.
 */
export const APP_CACHE_MS = 1000;

/** An app's callback configuration, token and policy as last read. */
export interface AppDelivery {
  /** Where its callbacks go now; undefined when it has no callback configuration. */
  target: CallbackTarget | undefined;
  commands: ReadonlySet<string>;
  token: string | undefined;
  policy: DeliveryPolicy;
  /** Unix ms until which they are used without reading them again. */
  until: number;
}

/** Reads and caches apps' delivery settings. */
export class AppSettings {
  private readonly cache = new Map<number, AppDelivery>();
  /** Reads under way, so that attempts of one app share one. */
  private readonly loads = new Map<number, Promise<AppDelivery>>();
  /** Counts configuration changes made through this process: a read that overlapped one is not cached. */
  private epoch = 0;

  /** `timeoutMs`: attempt timeout of apps without their own policy. */
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Forgets what was read of the app: the next attempt goes by what is stored now. */
  changed(sdkAppId: number): void {
    this.epoch++;
    this.cache.delete(sdkAppId);
  }

  /**
   * The app's settings: as cached while fresh (unless `reuse` is false), else read in `tx` (and
   * cached unless a change overlapped the read).
   */
  async inTx(tx: Tx, sdkAppId: number, now: number, reuse = true): Promise<AppDelivery> {
    const cached = this.cache.get(sdkAppId);
    if (reuse && cached && cached.until > now) return cached;
    const epoch = this.epoch;
    const [config, token, policy] = [
      await tx.callbackConfig.get(sdkAppId),
      await tx.callbackConfig.getToken(sdkAppId),
      await tx.callbackConfig.getPolicy(sdkAppId),
    ];
    const fresh = settingsOf(config, token?.enabled ? token.token : undefined, { ...defaultPolicy(this.timeoutMs), ...policy }, now);
    if (epoch === this.epoch) this.cache.set(sdkAppId, fresh);
    return fresh;
  }

  /**
   * The app's settings now, for an attempt about to start: cached while fresh, else read again.
   * Read again ahead of time, too, in the last half of their second: sending does not wait for
   * the read, and no value is used past its time.
   */
  async now(sdkAppId: number): Promise<AppDelivery> {
    const now = this.clock.now();
    const cached = this.cache.get(sdkAppId);
    if (cached && cached.until > now) {
      if (cached.until - now < APP_CACHE_MS / 2) this.load(sdkAppId).catch(() => undefined);
      return cached;
    }
    return this.load(sdkAppId);
  }

  /** Reads the app's settings (one read at a time per app) and caches them. */
  private load(sdkAppId: number): Promise<AppDelivery> {
    let load = this.loads.get(sdkAppId);
    if (!load) {
      load = (async () => {
        try {
          // A change committed while reading may not be in what was read: read again then.
          for (;;) {
            const epoch = this.epoch;
            const got = await this.storage.transaction((tx) => this.inTx(tx, sdkAppId, this.clock.now(), false));
            if (epoch === this.epoch) return got;
          }
        } finally {
          this.loads.delete(sdkAppId);
        }
      })();
      this.loads.set(sdkAppId, load);
    }
    return load;
  }
}

/** An app's settings as read, usable until `now` + {@link APP_CACHE_MS}. */
function settingsOf(config: CallbackConfig | undefined, token: string | undefined, policy: DeliveryPolicy, now: number): AppDelivery {
  return {
    target: config ? new CallbackTarget(config.url) : undefined,
    commands: new Set(config?.commands ?? []),
    token,
    policy,
    until: now + APP_CACHE_MS,
  };
}
