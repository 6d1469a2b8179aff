/** `dialtone usersig`, and reading an app's key from a local data directory. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../adapters/sqlite/storage.js';
import { DEFAULT_USERSIG_EXPIRE_SECONDS, makeUserSig } from '../auth/usersig.js';
import { CliError } from './rest-client.js';

/** Where the app's key comes from: flags/environment, else the local data directory. */
export interface UserSigOptions {
  sdkAppId?: number;
  secretKey?: string;
  dataDir: string;
  /** Seconds. Default 180 days. */
  expire?: number;
}

/**
 * The app `sdkAppId` (or the only app) of the SQLite database in `dataDir`. `why` starts the
 * error message, saying what the caller lacked.
 */
export function localApp(
  dataDir: string,
  sdkAppId: number | undefined,
  why = 'no --secret-key given and',
): { sdkAppId: number; secretKey: string } {
  const file = join(dataDir, 'dialtone.db');
  if (!existsSync(file)) {
    throw new CliError(`${why} no database at ${file}; pass --sdkappid and --secret-key (or --profile, or --data-dir)`);
  }
  const db = openDatabase(file);
  try {
    const rows = db.prepare('SELECT sdkappid, secret_key FROM apps ORDER BY created_at, sdkappid').all() as {
      sdkappid: number;
      secret_key: string;
    }[];
    const row = sdkAppId === undefined ? rows[0] : rows.find((r) => r.sdkappid === sdkAppId);
    if (!row) throw new CliError(sdkAppId === undefined ? `no app in ${file}` : `no app ${sdkAppId} in ${file}`);
    if (sdkAppId === undefined && rows.length > 1) {
      throw new CliError(`${rows.length} apps in ${file}; choose one with --sdkappid (${rows.map((r) => r.sdkappid).join(', ')})`);
    }
    return { sdkAppId: row.sdkappid, secretKey: row.secret_key };
  } finally {
    db.close();
  }
}

/** Resolves the app and returns `{ sdkAppId, userSig }`; throws a one-line error when it cannot. */
export function userSigFor(userId: string, opts: UserSigOptions): { sdkAppId: number; userSig: string } {
  let sdkAppId = opts.sdkAppId;
  let secretKey = opts.secretKey;
  if (secretKey === undefined) ({ sdkAppId, secretKey } = localApp(opts.dataDir, sdkAppId));
  if (sdkAppId === undefined) throw new CliError('--secret-key needs --sdkappid');
  return { sdkAppId, userSig: makeUserSig({ sdkAppId, secretKey, userId, expireSeconds: opts.expire ?? DEFAULT_USERSIG_EXPIRE_SECONDS }) };
}
