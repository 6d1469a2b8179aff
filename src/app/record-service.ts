/**
 * Records of ended calls (SPEC §2.3): one by CallId, a page of those in a time window, or a
 * user's own most recent ones (the client op `getRecentCalls`, SPEC §4).
 */
import type { CallRecord } from '../domain/types.js';
import { ERR, dialtoneError } from '../errors.js';
import type { Clock, Storage } from './ports.js';

/** How far back records can be listed, seconds (7 days). */
export const RECORD_WINDOW_SECONDS = 7 * 24 * 3600;
/** Default and largest page size of a record search. */
export const RECORDS_PER_PAGE = { default: 10, max: 100 } as const;

/** Default and largest number of records `getRecentCalls` answers with (SPEC §4). */
export const RECENT_CALLS = { default: 20, max: 50 } as const;

/** A record search; times are unix seconds. */
export interface RecordQuery {
  /** Default, and earliest: {@link RECORD_WINDOW_SECONDS} before now. */
  startTime?: number | undefined;
  /** Default now. */
  endTime?: number | undefined;
  callResult?: string | undefined;
  callType?: string | undefined;
  /** Default {@link RECORDS_PER_PAGE}.default. */
  perPage?: number | undefined;
  /** 1-based; default 1. */
  page?: number | undefined;
}

/** One page of a record search. */
export interface RecordPage {
  /** Records matching, all pages together. */
  total: number;
  page: number;
  records: CallRecord[];
}

/** Reads call records, each read in its own transaction. */
export class RecordService {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {}

  /** The record of a call; `RECORD_NOT_FOUND` when there is none. */
  async get(sdkAppId: number, callId: string): Promise<CallRecord> {
    const record = await this.storage.transaction((tx) => tx.calls.getRecord(sdkAppId, callId));
    if (!record) throw dialtoneError(ERR.RECORD_NOT_FOUND);
    return record;
  }

  /** Records that started in the window (never earlier than 7 days ago), newest first. */
  async find(sdkAppId: number, query: RecordQuery): Promise<RecordPage> {
    const now = Math.floor(this.clock.now() / 1000);
    const earliest = now - RECORD_WINDOW_SECONDS;
    const startTime = Math.max(query.startTime ?? earliest, earliest);
    const endTime = query.endTime ?? now;
    const perPage = query.perPage ?? RECORDS_PER_PAGE.default;
    const page = query.page ?? 1;
    // A window that ends before it starts (e.g. before the last 7 days) simply holds nothing.
    if (endTime < startTime) return { total: 0, page, records: [] };
    const { total, records } = await this.storage.transaction((tx) =>
      tx.calls.findRecords(
        sdkAppId,
        { startTime, endTime, callResult: query.callResult, callType: query.callType },
        (page - 1) * perPage,
        perPage,
      ),
    );
    return { total, page, records };
  }

  /**
   * The `limit` (default {@link RECENT_CALLS}.default) most recent records of calls `userId` was
   * a member of, in their app only, newest first. Not limited to the REST API's 7-day window: a
   * user who calls rarely still sees their last calls.
   */
  async recentOf(sdkAppId: number, userId: string, limit: number = RECENT_CALLS.default): Promise<CallRecord[]> {
    return this.storage.transaction((tx) => tx.calls.recentRecordsOf(sdkAppId, userId, limit));
  }
}
