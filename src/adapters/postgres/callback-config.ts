/** Callback URL, command list, token and delivery policy per app, in PostgreSQL. */
import type { CallbackConfig, CallbackConfigRepo, CallbackToken } from '../../app/ports.js';
import type { DeliveryPolicy } from '../../callbacks/policy.js';
import type { CallbackCommand } from '../../domain/types.js';
import type { PgTx } from './tx.js';

/** An app's callback configuration and delivery policy, as {@link SETTINGS_COLUMNS} read them (null when not set). */
export interface SettingsRow {
  cfg_url: string | null;
  cfg_commands: string | null;
  cfg_policy: string | null;
}

/** The columns of a {@link SettingsRow}, from the joins {@link settingsJoins} adds to another statement. */
export const SETTINGS_COLUMNS = 'cfg.url AS cfg_url, cfg.commands AS cfg_commands, pol.data AS cfg_policy';

/** Left joins of the callback configuration and delivery policy of the app `app` (an SQL expression). */
export function settingsJoins(app: string): string {
  return `LEFT JOIN callback_config AS cfg ON cfg.sdkappid = ${app} LEFT JOIN delivery_policy AS pol ON pol.sdkappid = ${app}`;
}

const SQL = {
  settings: `SELECT ${SETTINGS_COLUMNS} FROM (SELECT) AS one ${settingsJoins('$1::bigint')}`,
  set: `INSERT INTO callback_config (sdkappid, url, commands) VALUES ($1, $2, $3)
    ON CONFLICT (sdkappid) DO UPDATE SET url = excluded.url, commands = excluded.commands`,
  delete: 'DELETE FROM callback_config WHERE sdkappid = $1',
  getToken: 'SELECT token, enabled FROM callback_token WHERE sdkappid = $1',
  setToken: `INSERT INTO callback_token (sdkappid, token, enabled) VALUES ($1, $2, $3)
    ON CONFLICT (sdkappid) DO UPDATE SET token = excluded.token, enabled = excluded.enabled`,
  deleteToken: 'DELETE FROM callback_token WHERE sdkappid = $1',
  setPolicy: 'INSERT INTO delivery_policy (sdkappid, data) VALUES ($1, $2) ON CONFLICT (sdkappid) DO UPDATE SET data = excluded.data',
} as const;

/**
 * {@link CallbackConfigRepo} on PostgreSQL. No held write of a step (see writes.ts) touches
 * these tables, so their statements go out beside the held writes, not after them.
 */
export class PgCallbackConfigRepo implements CallbackConfigRepo {
  constructor(private readonly db: PgTx) {}

  /** As read already in this transaction (see PgTx.settings), else read with the policy. */
  async get(sdkAppId: number): Promise<CallbackConfig | undefined> {
    const row = await this.settings(sdkAppId);
    return row.cfg_url !== null && row.cfg_commands !== null
      ? { url: row.cfg_url, commands: JSON.parse(row.cfg_commands) as CallbackCommand[] }
      : undefined;
  }

  async set(sdkAppId: number, config: CallbackConfig): Promise<void> {
    this.db.settings.delete(sdkAppId);
    await this.db.queryBeside({ name: 'dt_cbc_set', text: SQL.set, values: [sdkAppId, config.url, JSON.stringify(config.commands)] });
  }

  async delete(sdkAppId: number): Promise<void> {
    this.db.settings.delete(sdkAppId);
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

  /** As read already in this transaction (see PgTx.settings), else read with the configuration. */
  async getPolicy(sdkAppId: number): Promise<Partial<DeliveryPolicy> | undefined> {
    const row = await this.settings(sdkAppId);
    return row.cfg_policy !== null ? (JSON.parse(row.cfg_policy) as Partial<DeliveryPolicy>) : undefined;
  }

  async setPolicy(sdkAppId: number, policy: Partial<DeliveryPolicy>): Promise<void> {
    this.db.settings.delete(sdkAppId);
    await this.db.queryBeside({ name: 'dt_cbc_set_policy', text: SQL.setPolicy, values: [sdkAppId, JSON.stringify(policy)] });
  }

  /** The app's configuration and policy row: as read in this transaction, else read now (one statement for both). */
  private async settings(sdkAppId: number): Promise<SettingsRow> {
    const known = this.db.settings.get(sdkAppId);
    if (known) return known;
    const { rows } = await this.db.queryBeside<SettingsRow>({ name: 'dt_cbc_settings', text: SQL.settings, values: [sdkAppId] });
    this.db.settings.set(sdkAppId, rows[0]!);
    return rows[0]!;
  }
}
