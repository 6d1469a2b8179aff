/**
 * The apps this server hosts, held in memory for the hot path (every REST call and socket
 * verifies a UserSig against its app's key) and persisted through {@link AppRepo}.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { generateWebhookSecret } from '../auth/callback-sign.js';
import type { App, AppRepo } from './ports.js';

/** The default administrator account. */
export const DEFAULT_ADMIN = 'administrator';
/** How long a rotated-out webhook secret keeps signing, ms (24 h). */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3600 * 1000;

/** What the environment asks for at start (`DIALTONE_SDKAPPID`, `DIALTONE_SECRET_KEY`, `DIALTONE_ADMIN`). */
export interface AppBootstrap {
  sdkAppId?: number | undefined;
  secretKey?: string | undefined;
  /** Comma-separated in the environment; default `administrator`. */
  admins?: string[] | undefined;
}

/** In-memory index of apps backed by storage. */
export class AppRegistry {
  private readonly apps = new Map<number, App>();
  private operator: number | undefined;
  /** Called after this process changed an app (cluster mode tells the other processes). */
  onChange: () => void = () => undefined;

  constructor(private readonly repo: AppRepo) {}

  /** Loads every app from storage. */
  async load(): Promise<void> {
    this.apps.clear();
    for (const app of await this.repo.list()) this.apps.set(app.sdkAppId, app);
  }

  get(sdkAppId: number): App | undefined {
    return this.apps.get(sdkAppId);
  }

  list(): App[] {
    return [...this.apps.values()];
  }

  /** The app's SecretKey, for UserSig verification. */
  secretKeyOf = (sdkAppId: number): string | undefined => this.apps.get(sdkAppId)?.secretKey;

  /**
   * The secrets that sign the app's callbacks at `now`: the current one, and the previous one
   * for 24 hours after a rotation (SPEC §3.2).
   */
  webhookSecretsOf = (sdkAppId: number, now: number): string[] => {
    const app = this.apps.get(sdkAppId);
    if (!app) return [];
    return app.previousWebhookSecret && now < app.previousWebhookSecretUntil
      ? [app.webhookSecret, app.previousWebhookSecret]
      : [app.webhookSecret];
  };

  /**
   * Rotates the app's webhook secret to `secret` (generated when absent). The old secret keeps
   * signing, beside the new one, for {@link WEBHOOK_SECRET_OVERLAP_MS}.
   */
  async rotateWebhookSecret(sdkAppId: number, secret: string | undefined, now: number): Promise<App> {
    const app = this.apps.get(sdkAppId);
    if (!app) throw new Error(`no app ${sdkAppId}`);
    const next: App = {
      ...app,
      webhookSecret: secret ?? generateWebhookSecret(),
      previousWebhookSecret: app.webhookSecret,
      previousWebhookSecretUntil: now + WEBHOOK_SECRET_OVERLAP_MS,
    };
    await this.repo.upsert(next);
    this.apps.set(sdkAppId, next);
    this.onChange();
    return next;
  }

  /**
   * The operator app: its administrators may create and list the server's apps. It is the app
   * the start-up configuration names, else the oldest one.
   */
  operatorId(): number | undefined {
    if (this.operator !== undefined && this.apps.has(this.operator)) return this.operator;
    let oldest: App | undefined;
    for (const app of this.apps.values()) {
      if (!oldest || app.createdAt < oldest.createdAt || (app.createdAt === oldest.createdAt && app.sdkAppId < oldest.sdkAppId))
        oldest = app;
    }
    return oldest?.sdkAppId;
  }

  /** Creates a new app (random SDKAppID and SecretKey unless given); undefined when the SDKAppID is taken. */
  async create(input: AppBootstrap, now: number): Promise<App | undefined> {
    let sdkAppId = input.sdkAppId;
    if (sdkAppId === undefined) {
      do sdkAppId = randomSdkAppId();
      while (this.apps.has(sdkAppId));
    } else if (this.apps.has(sdkAppId)) return undefined;
    const admins = input.admins && input.admins.length > 0 ? input.admins : [DEFAULT_ADMIN];
    return this.put({ sdkAppId, secretKey: input.secretKey ?? randomBytes(32).toString('hex'), admins }, now);
  }

  isAdmin(sdkAppId: number, userId: string): boolean {
    return this.apps.get(sdkAppId)?.admins.includes(userId) ?? false;
  }

  /** Creates or updates an app; a new app gets a fresh webhook secret. */
  async put(input: { sdkAppId: number; secretKey: string; admins: string[] }, now: number): Promise<App> {
    const existing = this.apps.get(input.sdkAppId);
    const app: App = {
      sdkAppId: input.sdkAppId,
      secretKey: input.secretKey,
      admins: input.admins,
      webhookSecret: existing?.webhookSecret ?? generateWebhookSecret(),
      ...(existing?.previousWebhookSecret ? { previousWebhookSecret: existing.previousWebhookSecret } : {}),
      previousWebhookSecretUntil: existing?.previousWebhookSecretUntil ?? 0,
      createdAt: existing?.createdAt ?? now,
    };
    await this.repo.upsert(app);
    this.apps.set(app.sdkAppId, app);
    this.onChange();
    return app;
  }

  /**
   * Applies the start-up configuration: defines or updates the configured app, or, when none is
   * configured and none exists, creates one. Returns the app it created, if any.
   */
  async bootstrap(config: AppBootstrap, now: number): Promise<{ created?: App }> {
    const admins = config.admins && config.admins.length > 0 ? config.admins : [DEFAULT_ADMIN];
    if (config.sdkAppId !== undefined && config.secretKey !== undefined) {
      this.operator = config.sdkAppId;
      const existed = this.apps.has(config.sdkAppId);
      const app = await this.put({ sdkAppId: config.sdkAppId, secretKey: config.secretKey, admins }, now);
      return existed ? {} : { created: app };
    }
    if (this.apps.size > 0) return {};
    return { created: (await this.create({ admins }, now))! };
  }
}

/** A random SDKAppID in the reference product's usual range (1400000000..1499999999). */
function randomSdkAppId(): number {
  return 1_400_000_000 + randomInt(100_000_000);
}
