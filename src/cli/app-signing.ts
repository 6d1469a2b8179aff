/** What the server signs an app's callbacks with, read over REST (for `listen` and `trigger`). */
import { RestError, type RestClient } from './rest-client.js';

/** An app's SDKAppID, callback token (when enabled) and webhook secrets (current first). */
export interface AppSigning {
  sdkAppId: number;
  token?: string;
  secrets: string[];
}

/** Reads the app's token and webhook secrets; no token configured is not an error. */
export async function appSigning(client: RestClient): Promise<AppSigning> {
  const secret = await client.call<{ Secret: string; PreviousSecret?: string }>('call_config/get_webhook_secret');
  let token: string | undefined;
  try {
    const t = await client.call<{ Token: string; IsTokenEnable: boolean }>('call_config/get_callback_token');
    if (t.IsTokenEnable) token = t.Token;
  } catch (err) {
    if (!(err instanceof RestError && err.errorCode === 100301)) throw err;
  }
  return {
    sdkAppId: client.connection.sdkAppId,
    ...(token !== undefined ? { token } : {}),
    secrets: [secret.Secret, ...(secret.PreviousSecret ? [secret.PreviousSecret] : [])],
  };
}
