import { describe, expect, it } from 'vitest';
import type { CallbackConfig, Storage, Tx } from '../ports.js';
import { APP_CACHE_MS, AppSettings } from './app-settings.js';

const T0 = 1_700_000_000_000;
const APP = 1400000001;

/** A store holding one app's configuration; counts reads; `during` runs inside the next read. */
function fakeStore() {
  const state: { config: CallbackConfig | undefined; reads: number; during: (() => void) | undefined } = {
    config: { url: 'https://a.example.com/cb', commands: ['Call.CallbackAfterEndCall'] },
    reads: 0,
    during: undefined,
  };
  const storage = {
    transaction: async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
      fn({
        callbackConfig: {
          get: async () => {
            state.reads++;
            const config = state.config;
            const during = state.during;
            state.during = undefined;
            during?.();
            return config;
          },
          getToken: async () => ({ token: 'tok', enabled: true }),
          getPolicy: async () => ({ ordering: false }),
        },
      } as unknown as Tx),
  } as unknown as Storage;
  return { storage, state };
}

describe('AppSettings', () => {
  it('reads an app’s configuration, token and policy (over the defaults) and keeps them for a second', async () => {
    const { storage, state } = fakeStore();
    let now = T0;
    const settings = new AppSettings(storage, { now: () => now }, 1500);
    const got = await settings.now(APP);
    expect(got.target?.configuredUrl).toBe('https://a.example.com/cb');
    expect([...got.commands]).toEqual(['Call.CallbackAfterEndCall']);
    expect(got.token).toBe('tok');
    expect(got.policy).toMatchObject({ mode: 'retry', timeoutMs: 1500, ordering: false });
    expect(got.until).toBe(T0 + APP_CACHE_MS);
    now += APP_CACHE_MS / 2 - 1;
    await settings.now(APP);
    expect(state.reads).toBe(1);
    now = T0 + APP_CACHE_MS;
    state.config = undefined;
    expect((await settings.now(APP)).target).toBeUndefined();
    expect(state.reads).toBe(2);
  });

  it('reads again ahead of time in the last half of the second, answering from the cache meanwhile', async () => {
    const { storage, state } = fakeStore();
    let now = T0;
    const settings = new AppSettings(storage, { now: () => now }, 2000);
    await settings.now(APP);
    now = T0 + APP_CACHE_MS / 2 + 1;
    state.config = { url: 'https://b.example.com/cb', commands: [] };
    expect((await settings.now(APP)).target?.configuredUrl).toBe('https://a.example.com/cb');
    // The fake store answers in microtasks: the background read is done by the next macrotask.
    await new Promise((r) => setImmediate(r));
    expect(state.reads).toBe(2);
    expect((await settings.now(APP)).target?.configuredUrl).toBe('https://b.example.com/cb');
  });

  it('forgets an app at once when changed, and reads again when a change overlapped a read', async () => {
    const { storage, state } = fakeStore();
    const settings = new AppSettings(storage, { now: () => T0 }, 2000);
    await settings.now(APP);
    state.config = { url: 'https://b.example.com/cb', commands: [] };
    settings.changed(APP);
    expect((await settings.now(APP)).target?.configuredUrl).toBe('https://b.example.com/cb');
    // A change committed while the read runs: what was read is not used, the app is read again.
    state.during = () => {
      state.config = { url: 'https://c.example.com/cb', commands: [] };
      settings.changed(APP);
    };
    settings.changed(APP);
    const reads = state.reads;
    expect((await settings.now(APP)).target?.configuredUrl).toBe('https://c.example.com/cb');
    expect(state.reads).toBe(reads + 2);
  });

  it('answers a claim transaction from the cache while fresh', async () => {
    const { storage, state } = fakeStore();
    const settings = new AppSettings(storage, { now: () => T0 }, 2000);
    await storage.transaction((tx) => settings.inTx(tx, APP, T0));
    await storage.transaction((tx) => settings.inTx(tx, APP, T0 + 10));
    expect(state.reads).toBe(1);
    await storage.transaction((tx) => settings.inTx(tx, APP, T0 + 10, false));
    expect(state.reads).toBe(2);
  });
});
