/**
 * How a CLI command finds its server and credentials: flags, else the environment
 * (`DIALTONE_URL`, `DIALTONE_SDKAPPID`, `DIALTONE_SECRET_KEY`, `DIALTONE_ADMIN`), else a saved
 * profile (`--profile`, `DIALTONE_PROFILE`, or the default one), else the local data directory.
 */
import type { Command } from 'commander';
import { DEFAULT_ADMIN } from '../app/app-registry.js';
import { configFromEnv, splitList } from '../config.js';
import { readProfiles } from './profiles.js';
import { CliError, RestClient, type Connection } from './rest-client.js';
import { intArg } from './args.js';
import { localApp } from './usersig.js';

/** The connection flags every server command takes. */
export interface ConnectionFlags {
  url?: string | undefined;
  sdkappid?: number;
  secretKey?: string;
  admin?: string;
  profile?: string;
  dataDir?: string;
}

/** Adds the connection flags to `cmd`; `urlFlag` names the server URL flag (default `--url`). */
export function withConnection(cmd: Command, urlFlag = '--url'): Command {
  return cmd
    .option(`${urlFlag} <url>`, 'server base URL (DIALTONE_URL, default http://127.0.0.1:8080)')
    .option('--sdkappid <id>', 'the app (DIALTONE_SDKAPPID)', intArg(1, 0xffffffff))
    .option('--secret-key <key>', "the app's SecretKey (DIALTONE_SECRET_KEY)")
    .option('--admin <userId>', 'administrator to act as (DIALTONE_ADMIN, default administrator)')
    .option('--profile <name>', 'a profile saved by `dialtone login` (DIALTONE_PROFILE)')
    .option('--data-dir <dir>', 'read the app from this local data directory when no key is given (DIALTONE_DATA_DIR)');
}

/** Resolves the connection for a command; rejects with a one-line {@link CliError} when it cannot. */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const envAdmin = env.DIALTONE_ADMIN ? splitList(env.DIALTONE_ADMIN)[0] : undefined;
  const envSdkAppId = env.DIALTONE_SDKAPPID ? Number(env.DIALTONE_SDKAPPID) : undefined;
  if (envSdkAppId !== undefined && !(Number.isInteger(envSdkAppId) && envSdkAppId > 0)) {
    throw new CliError(`DIALTONE_SDKAPPID must be an unsigned integer, got "${env.DIALTONE_SDKAPPID}"`);
  }
  const profileName = flags.profile ?? env.DIALTONE_PROFILE;
  const file = readProfiles();
  const profile = profileName !== undefined ? file.profiles[profileName] : file.default ? file.profiles[file.default] : undefined;
  if (profileName !== undefined && !profile)
    throw new CliError(`no profile "${profileName}"; create it with \`dialtone login --profile ${profileName}\``);

  let sdkAppId = flags.sdkappid ?? envSdkAppId;
  let secretKey = flags.secretKey ?? env.DIALTONE_SECRET_KEY;
  // A profile fills in only what flags and environment leave open, and only for its own app.
  const useProfile = profile && (sdkAppId === undefined || sdkAppId === profile.sdkAppId);
  if (secretKey === undefined && useProfile) {
    sdkAppId = profile.sdkAppId;
    secretKey = profile.secretKey;
  }
  if (secretKey === undefined) {
    const app = await localApp(
      flags.dataDir ?? configFromEnv(env).dataDir,
      sdkAppId,
      'no --secret-key, DIALTONE_SECRET_KEY or profile, and',
    );
    sdkAppId = app.sdkAppId;
    secretKey = app.secretKey;
  }
  if (sdkAppId === undefined) throw new CliError('--secret-key needs --sdkappid');
  return {
    url: flags.url ?? env.DIALTONE_URL ?? (useProfile ? profile.url : undefined) ?? 'http://127.0.0.1:8080',
    sdkAppId,
    secretKey,
    admin: flags.admin ?? envAdmin ?? (useProfile ? profile.admin : undefined) ?? DEFAULT_ADMIN,
  };
}

/** A REST client for the command's resolved connection. */
export async function clientFor(flags: ConnectionFlags): Promise<RestClient> {
  return new RestClient(await resolveConnection(flags));
}
