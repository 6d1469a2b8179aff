/** `dialtone usersig`: prints a UserSig for a user of an app. */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { openDatabase } from '../adapters/sqlite/storage.js';
import { DEFAULT_USERSIG_EXPIRE_SECONDS, makeUserSig } from '../auth/usersig.js';

/** Where the app's key comes from: flags/environment, else the local data directory. */
export interface UserSigOptions {
  sdkAppId?: number;
  secretKey?: string;
  dataDir: string;
  /** Seconds. Default 180 days. */
  expire?: number;
}

/** Resolves the app and returns `{ sdkAppId, userSig }`; throws a one-line error when it cannot. */
export function userSigFor(userId: string, opts: UserSigOptions): { sdkAppId: number; userSig: string } {
  let sdkAppId = opts.sdkAppId;
  let secretKey = opts.secretKey;
  if (secretKey === undefined) {
    const file = join(opts.dataDir, 'dialtone.db');
    if (!existsSync(file)) {
      throw new Error(`no --secret-key given and no database at ${file}; pass --sdkappid and --secret-key or --data-dir`);
    }
    const db = openDatabase(file);
    try {
      const rows = db.prepare('SELECT sdkappid, secret_key FROM apps ORDER BY created_at, sdkappid').all() as {
        sdkappid: number;
        secret_key: string;
      }[];
      const row = sdkAppId === undefined ? rows[0] : rows.find((r) => r.sdkappid === sdkAppId);
      if (!row) throw new Error(sdkAppId === undefined ? `no app in ${file}` : `no app ${sdkAppId} in ${file}`);
      if (sdkAppId === undefined && rows.length > 1) {
        throw new Error(`${rows.length} apps in ${file}; choose one with --sdkappid (${rows.map((r) => r.sdkappid).join(', ')})`);
      }
      sdkAppId = row.sdkappid;
      secretKey = row.secret_key;
    } finally {
      db.close();
    }
  }
  if (sdkAppId === undefined) throw new Error('--secret-key needs --sdkappid');
  return { sdkAppId, userSig: makeUserSig({ sdkAppId, secretKey, userId, expireSeconds: opts.expire ?? DEFAULT_USERSIG_EXPIRE_SECONDS }) };
}
