/** Callback URL, command list and token per app, in SQLite. */
import type Database from 'better-sqlite3';
import type { CallbackConfig, CallbackConfigRepo, CallbackToken } from '../../app/ports.js';
import type { DeliveryPolicy } from '../../callbacks/policy.js';
import type { CallbackCommand } from '../../domain/types.js';

/** {@link CallbackConfigRepo} on SQLite. */
export class SqliteCallbackConfigRepo implements CallbackConfigRepo {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      get: db.prepare<[number], { url: string; commands: string }>('SELECT url, commands FROM callback_config WHERE sdkappid = ?'),
      set: db.prepare(
        `INSERT INTO callback_config (sdkappid, url, commands) VALUES (?, ?, ?)
         ON CONFLICT (sdkappid) DO UPDATE SET url = excluded.url, commands = excluded.commands`,
      ),
      delete: db.prepare('DELETE FROM callback_config WHERE sdkappid = ?'),
      getToken: db.prepare<[number], { token: string; enabled: number }>('SELECT token, enabled FROM callback_token WHERE sdkappid = ?'),
      setToken: db.prepare(
        `INSERT INTO callback_token (sdkappid, token, enabled) VALUES (?, ?, ?)
         ON CONFLICT (sdkappid) DO UPDATE SET token = excluded.token, enabled = excluded.enabled`,
      ),
      deleteToken: db.prepare('DELETE FROM callback_token WHERE sdkappid = ?'),
      getPolicy: db.prepare<[number], { data: string }>('SELECT data FROM delivery_policy WHERE sdkappid = ?'),
      setPolicy: db.prepare(
        `INSERT INTO delivery_policy (sdkappid, data) VALUES (?, ?) ON CONFLICT (sdkappid) DO UPDATE SET data = excluded.data`,
      ),
    };
  }

  async get(sdkAppId: number): Promise<CallbackConfig | undefined> {
    const row = this.stmts.get.get(sdkAppId);
    return row ? { url: row.url, commands: JSON.parse(row.commands) as CallbackCommand[] } : undefined;
  }

  async set(sdkAppId: number, config: CallbackConfig): Promise<void> {
    this.stmts.set.run(sdkAppId, config.url, JSON.stringify(config.commands));
  }

  async delete(sdkAppId: number): Promise<void> {
    this.stmts.delete.run(sdkAppId);
  }

  async getToken(sdkAppId: number): Promise<CallbackToken | undefined> {
    const row = this.stmts.getToken.get(sdkAppId);
    return row ? { token: row.token, enabled: row.enabled === 1 } : undefined;
  }

  async setToken(sdkAppId: number, token: CallbackToken): Promise<void> {
    this.stmts.setToken.run(sdkAppId, token.token, token.enabled ? 1 : 0);
  }

  async deleteToken(sdkAppId: number): Promise<void> {
    this.stmts.deleteToken.run(sdkAppId);
  }

  async getPolicy(sdkAppId: number): Promise<Partial<DeliveryPolicy> | undefined> {
    const row = this.stmts.getPolicy.get(sdkAppId);
    return row ? (JSON.parse(row.data) as Partial<DeliveryPolicy>) : undefined;
  }

  async setPolicy(sdkAppId: number, policy: Partial<DeliveryPolicy>): Promise<void> {
    this.stmts.setPolicy.run(sdkAppId, JSON.stringify(policy));
  }
}
