/** `dialtone usersig`, and reading an app's key from a local data directory. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../app/ports.js';
import { openDatabase, SqliteStorage } from '../adapters/sqlite/storage.js';
import { DEFAULT_USERSIG_EXPIRE_SECONDS, makeUserSig } from '../auth/usersig.js';
import { CliError } from './rest-client.js';

/** Where the app's key comes from: flags/environment, else the local data directory. */
export interface UserSigOptions {
  sdkAppId?: number | undefined;
  secretKey?: string | undefined;
  dataDir: string;
  /** Seconds. Default 180 days. */
  expire?: number | undefined;
}

/**
 * The app `sdkAppId` (or the only app) of the SQLite database in `dataDir`, read through the
 * storage adapter as the server reads it. `why` starts the error message, saying what the caller
 * lacked.
 */
export async function localApp(
  dataDir: string,
  sdkAppId: number | undefined,
  why = 'no --secret-key given and',
): Promise<{ sdkAppId: number; secretKey: string }> {
  const file = join(dataDir, 'dialtone.db');
  if (!existsSync(file)) {
    throw new CliError(`${why} no database at ${file}; pass --sdkappid and --secret-key (or --profile, or --data-dir)`);
  }
  // Not `SqliteStorage.open`: a command that reads one table needs no checkpoint worker.
  const storage = new SqliteStorage(openDatabase(file));
  let apps: App[];
  try {
    apps = await storage.apps.list();
  } finally {
    await storage.close();
  }
  const app = sdkAppId === undefined ? apps[0] : apps.find((a) => a.sdkAppId === sdkAppId);
  if (!app) throw new CliError(sdkAppId === undefined ? `no app in ${file}` : `no app ${sdkAppId} in ${file}`);
  if (sdkAppId === undefined && apps.length > 1) {
    throw new CliError(`${apps.length} apps in ${file}; choose one with --sdkappid (${apps.map((a) => a.sdkAppId).join(', ')})`);
  }
  return { sdkAppId: app.sdkAppId, secretKey: app.secretKey };
}

/** Resolves the app and returns `{ sdkAppId, userSig }`; rejects with a one-line error when it cannot. */
export async function userSigFor(userId: string, opts: UserSigOptions): Promise<{ sdkAppId: number; userSig: string }> {
  let sdkAppId = opts.sdkAppId;
  let secretKey = opts.secretKey;
  if (secretKey === undefined) ({ sdkAppId, secretKey } = await localApp(opts.dataDir, sdkAppId));
  if (sdkAppId === undefined) throw new CliError('--secret-key needs --sdkappid');
  return { sdkAppId, userSig: makeUserSig({ sdkAppId, secretKey, userId, expireSeconds: opts.expire ?? DEFAULT_USERSIG_EXPIRE_SECONDS }) };
}
