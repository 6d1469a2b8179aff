import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../adapters/sqlite/storage.js';
import { verifyUserSig } from '../auth/usersig.js';
import { CliError } from './rest-client.js';
import { localApp, userSigFor } from './usersig.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A data directory whose database holds apps `ids`, created in that order. */
async function dataDir(ids: number[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-usersig-'));
  dirs.push(dir);
  const storage = SqliteStorage.open(join(dir, 'dialtone.db'));
  for (const [i, sdkAppId] of ids.entries()) {
    await storage.apps.upsert({
      sdkAppId,
      secretKey: `key-${sdkAppId}`,
      admins: ['administrator'],
      webhookSecret: 'whsec_x',
      previousWebhookSecretUntil: 0,
      createdAt: 1_700_000_000_000 + i,
    });
  }
  await storage.close();
  return dir;
}

describe('localApp', () => {
  it('reads the only app, or the one asked for, through the storage adapter', async () => {
    expect(await localApp(await dataDir([1400000001]), undefined)).toEqual({ sdkAppId: 1400000001, secretKey: 'key-1400000001' });
    const two = await dataDir([1400000002, 1400000001]);
    expect(await localApp(two, 1400000001)).toEqual({ sdkAppId: 1400000001, secretKey: 'key-1400000001' });
  });

  it('refuses with one line when there is no database, no such app, or a choice to make', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'dialtone-usersig-'));
    dirs.push(empty);
    await expect(localApp(empty, undefined)).rejects.toThrow(
      new RegExp(`^no --secret-key given and no database at ${join(empty, 'dialtone.db')}`),
    );
    await expect(localApp(await dataDir([]), undefined)).rejects.toThrow(/^no app in /);
    await expect(localApp(await dataDir([1400000001]), 1400000009)).rejects.toThrow(/^no app 1400000009 in /);
    const two = await dataDir([1400000002, 1400000001]);
    const err = await localApp(two, undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toMatch(/^2 apps in .*; choose one with --sdkappid \(1400000002, 1400000001\)$/);
  });
});

describe('userSigFor', () => {
  it('signs with the key given, else with the local app', async () => {
    const dir = await dataDir([1400000001]);
    const local = await userSigFor('alice', { dataDir: dir });
    expect(local.sdkAppId).toBe(1400000001);
    const verified = verifyUserSig({
      userSig: local.userSig,
      identifier: 'alice',
      sdkAppId: 1400000001,
      secretKeyOf: (id) => (id === 1400000001 ? 'key-1400000001' : undefined),
      now: Math.floor(Date.now() / 1000),
    });
    expect('sig' in verified).toBe(true);
    const given = await userSigFor('bob', { dataDir: dir, sdkAppId: 1400000077, secretKey: 'k' });
    expect(given.sdkAppId).toBe(1400000077);
    await expect(userSigFor('bob', { dataDir: dir, secretKey: 'k' })).rejects.toThrow('--secret-key needs --sdkappid');
  });
});
