/** `listen`: what the listener checks callbacks against, from the flags or read from the server. */
import { appSigning, type AppSigning } from '../app-signing.js';
import { clientFor, type ConnectionFlags } from '../connection.js';
import type { RestClient } from '../rest-client.js';

/** The flags that decide what is verified, and whether the server must be asked. */
export interface CheckFlags {
  verify: boolean;
  configure?: boolean;
  appId?: number;
  token?: string;
  webhookSecret?: string;
}

/**
 * The REST client (when the server is needed: to read the app's token and secrets, or for
 * `--configure`) and the checks (unless `--no-verify`). Flags win over what the server says; the
 * server is not asked when `--app-id` and a token or secret are given, unless to configure.
 */
export async function resolveChecks(flags: CheckFlags, connection: ConnectionFlags): Promise<{ client?: RestClient; checks?: AppSigning }> {
  if (!flags.verify && !flags.configure) return {};
  const explicit = flags.appId !== undefined && (flags.token !== undefined || flags.webhookSecret !== undefined);
  const client = !explicit || flags.configure ? await clientFor(connection) : undefined;
  const fromServer = explicit || !client ? undefined : await appSigning(client);
  if (!flags.verify) return client ? { client } : {};
  const sdkAppId = flags.appId ?? fromServer?.sdkAppId ?? client?.connection.sdkAppId;
  // `explicit` or a client is always there: the app id comes from the flag or the connection.
  if (sdkAppId === undefined) throw new Error('listen: no app to verify against');
  const token = flags.token ?? fromServer?.token;
  const checks: AppSigning = {
    sdkAppId,
    ...(token !== undefined ? { token } : {}),
    secrets: flags.webhookSecret !== undefined ? [flags.webhookSecret] : (fromServer?.secrets ?? []),
  };
  return client ? { client, checks } : { checks };
}

/** Says what is verified, for the ready line. */
export function describeChecks(checks: AppSigning | undefined): string {
  if (!checks) return 'not verifying';
  return `verifying SdkAppid ${checks.sdkAppId}${checks.token !== undefined ? ', Sign' : ''}${checks.secrets.length ? ', webhook-signature' : ''}`;
}
