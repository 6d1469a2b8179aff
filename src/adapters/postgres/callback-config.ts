/** Callback URL, command list, token and delivery policy per app, in PostgreSQL. */
import type { CallbackConfig, CallbackConfigRepo, CallbackToken } from '../../app/ports.js';
import type { DeliveryPolicy } from '../../callbacks/policy.js';
import type { CallbackCommand } from '../../domain/types.js';
import type { PgTx } from './tx.js';

const SQL = {
  get: 'SELECT url, commands FROM callback_config WHERE sdkappid = $1',
  set: `INSERT INTO callback_config (sdkappid, url, commands) VALUES ($1, $2, $3)
    ON CONFLICT (sdkappid) DO UPDATE SET url = excluded.url, commands = excluded.commands`,
  delete: 'DELETE FROM callback_config WHERE sdkappid = $1',
  getToken: 'SELECT token, enabled FROM callback_token WHERE sdkappid = $1',
  setToken: `INSERT INTO callback_token (sdkappid, token, enabled) VALUES ($1, $2, $3)
    ON CONFLICT (sdkappid) DO UPDATE SET token = excluded.token, enabled = excluded.enabled`,
  deleteToken: 'DELETE FROM callback_token WHERE sdkappid = $1',
  getPolicy: 'SELECT data FROM delivery_policy WHERE sdkappid = $1',
  setPolicy: 'INSERT INTO delivery_policy (sdkappid, data) VALUES ($1, $2) ON CONFLICT (sdkappid) DO UPDATE SET data = excluded.data',
} as const;

/**
 * {@link CallbackConfigRepo} on PostgreSQL. No held write of a step (see writes.ts) touches these tables, so their statements
 * go out beside the held writes, not after them.
 */
export class PgCallbackConfigRepo implements CallbackConfigRepo {
  constructor(private readonly db: PgTx) {}

  async get(sdkAppId: number): Promise<CallbackConfig | undefined> {
    const { rows } = await this.db.queryBeside<{ url: string; commands: string }>({
      name: 'dt_cbc_get',
      text: SQL.get,
      values: [sdkAppId],
    });
    const row = rows[0];
    return row ? { url: row.url, commands: JSON.parse(row.commands) as CallbackCommand[] } : undefined;
  }

  async set(sdkAppId: number, config: CallbackConfig): Promise<void> {
    await this.db.queryBeside({ name: 'dt_cbc_set', text: SQL.set, values: [sdkAppId, config.url, JSON.stringify(config.commands)] });
  }

  async delete(sdkAppId: number): Promise<void> {
    await this.db.queryBeside({ name: 'dt_cbc_delete', text: SQL.delete, values: [sdkAppId] });
  }

  async getToken(sdkAppId: number): Promise<CallbackToken | undefined> {
    const { rows } = await this.db.queryBeside<{ token: string; enabled: boolean }>({
      name: 'dt_cbc_get_token',
      text: SQL.getToken,
      values: [sdkAppId],
    });
    const row = rows[0];
    return row ? { token: row.token, enabled: row.enabled } : undefined;
  }

  async setToken(sdkAppId: number, token: CallbackToken): Promise<void> {
    await this.db.queryBeside({ name: 'dt_cbc_set_token', text: SQL.setToken, values: [sdkAppId, token.token, token.enabled] });
  }

  async deleteToken(sdkAppId: number): Promise<void> {
    await this.db.queryBeside({ name: 'dt_cbc_delete_token', text: SQL.deleteToken, values: [sdkAppId] });
  }

  async getPolicy(sdkAppId: number): Promise<Partial<DeliveryPolicy> | undefined> {
    const { rows } = await this.db.queryBeside<{ data: string }>({ name: 'dt_cbc_get_policy', text: SQL.getPolicy, values: [sdkAppId] });
    return rows[0] ? (JSON.parse(rows[0].data) as Partial<DeliveryPolicy>) : undefined;
  }

  async setPolicy(sdkAppId: number, policy: Partial<DeliveryPolicy>): Promise<void> {
    await this.db.queryBeside({ name: 'dt_cbc_set_policy', text: SQL.setPolicy, values: [sdkAppId, JSON.stringify(policy)] });
  }
}
