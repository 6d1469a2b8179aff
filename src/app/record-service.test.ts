/** The record service on a fake store and clock: the 7-day window, paging, and a missing record. */
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../domain/types.js';
import { ERR } from '../errors.js';
import type { RecordFilter, Storage, Tx } from './ports.js';
import { RECORD_WINDOW_SECONDS, RecordService } from './record-service.js';

const APP = 1400000001;
const NOW_S = 1_700_000_000;

/** A store whose only repository answers record reads and remembers the searches it got. */
function fakeStorage(record?: CallRecord) {
  const searches: { filter: RecordFilter; offset: number; limit: number }[] = [];
  let transactions = 0;
  const calls = {
    getRecord: async () => record,
    findRecords: async (_sdkAppId: number, filter: RecordFilter, offset: number, limit: number) => {
      searches.push({ filter, offset, limit });
      return { total: 42, records: record ? [record] : [] };
    },
  };
  const storage = {
    transaction: async <T>(fn: (tx: Tx) => Promise<T>) => {
      transactions++;
      return fn({ calls } as unknown as Tx);
    },
  } as unknown as Storage;
  return { storage, searches, transactions: () => transactions };
}

const clock = { now: () => NOW_S * 1000 + 999 };

describe('RecordService', () => {
  it('lists the last 7 days, 10 per page, by default', async () => {
    const f = fakeStorage();
    const page = await new RecordService(f.storage, clock).find(APP, {});
    expect(page).toEqual({ total: 42, page: 1, records: [] });
    expect(f.searches).toEqual([
      {
        filter: { startTime: NOW_S - RECORD_WINDOW_SECONDS, endTime: NOW_S, callResult: undefined, callType: undefined },
        offset: 0,
        limit: 10,
      },
    ]);
  });

  it('clamps an earlier start to the window, and pages by the size asked for', async () => {
    const f = fakeStorage();
    await new RecordService(f.storage, clock).find(APP, {
      startTime: 0,
      endTime: NOW_S - 60,
      callResult: 'Reject',
      callType: 'SingleCall',
      perPage: 25,
      page: 3,
    });
    expect(f.searches).toEqual([
      {
        filter: { startTime: NOW_S - RECORD_WINDOW_SECONDS, endTime: NOW_S - 60, callResult: 'Reject', callType: 'SingleCall' },
        offset: 50,
        limit: 25,
      },
    ]);
  });

  it('answers a window that ends before it starts with nothing, without reading the store', async () => {
    const f = fakeStorage();
    const page = await new RecordService(f.storage, clock).find(APP, { endTime: NOW_S - RECORD_WINDOW_SECONDS - 1, page: 2 });
    expect(page).toEqual({ total: 0, page: 2, records: [] });
    expect(f.transactions()).toBe(0);
  });

  it('throws RECORD_NOT_FOUND for a call without a record', async () => {
    await expect(new RecordService(fakeStorage().storage, clock).get(APP, 'nope')).rejects.toMatchObject({
      code: ERR.RECORD_NOT_FOUND.code,
    });
  });
});
