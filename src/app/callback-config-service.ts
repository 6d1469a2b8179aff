/** The `call_config` use cases: an app's callback URL, command list and token (SPEC §2.2). */
import { ERR, dialtoneError } from '../errors.js';
import type { CallbackConfig, CallbackToken, Storage } from './ports.js';

/** Reads and writes callback configuration, one per app. */
export class CallbackConfigService {
  constructor(private readonly storage: Storage) {}

  /** Creates or replaces the app's configuration. */
  set(sdkAppId: number, config: CallbackConfig): Promise<void> {
    return this.storage.transaction((tx) => tx.callbackConfig.set(sdkAppId, config));
  }

  /** The app's configuration, or `100301` when none is set. */
  async get(sdkAppId: number): Promise<CallbackConfig> {
    const config = await this.storage.transaction((tx) => tx.callbackConfig.get(sdkAppId));
    if (!config) throw dialtoneError(ERR.CONFIG_NOT_FOUND);
    return config;
  }

  /** Removes the configuration; idempotent. */
  delete(sdkAppId: number): Promise<void> {
    return this.storage.transaction((tx) => tx.callbackConfig.delete(sdkAppId));
  }

  setToken(sdkAppId: number, token: CallbackToken): Promise<void> {
    return this.storage.transaction((tx) => tx.callbackConfig.setToken(sdkAppId, token));
  }

  /** The app's token, or `100301` when none is set. */
  async getToken(sdkAppId: number): Promise<CallbackToken> {
    const token = await this.storage.transaction((tx) => tx.callbackConfig.getToken(sdkAppId));
    if (!token) throw dialtoneError(ERR.CONFIG_NOT_FOUND, 'no callback token is set');
    return token;
  }

  deleteToken(sdkAppId: number): Promise<void> {
    return this.storage.transaction((tx) => tx.callbackConfig.deleteToken(sdkAppId));
  }
}
