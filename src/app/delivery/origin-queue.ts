/**
 * The claimed callbacks waiting to be sent, and the turns apps take to send them: isolation and
 * fair sharing of the receivers' origins (SPEC §6).
 *
 * Each app has its own share of its receiver: a cap on attempts in flight (below the connection
 * pool of the origin, so other apps sending to the same origin always find connections free) and
 * a cap on rows held, past which its rows are skipped at claim time. Apps with a chain ready take
 * turns, round robin, for the server-wide cap. A hanging receiver path therefore fills only its
 * own app's slots. A call's callbacks form a chain sent one after another in order, and a retry
 * holds back the rest of the chain (SPEC §3.6).
 */
import type { OutboxEntry } from '../ports.js';

/** Entries one app may hold claimed: past this its rows are not claimed, so an app with a dead receiver cannot take every slot. */
export const HELD_PER_APP = 2048;

/** Claimed entries held in memory: claim more below the low mark, up to the high mark. */
export const HELD_LOW = 1024;
export const HELD_HIGH = 4096;

/** A call's claimed entries (or one entry, when the app's ordering is off), sent one after another in order. */
export interface Chain {
  readonly app: AppQueue;
  /** The entries are one call's, in order: a retry holds back the rest. */
  readonly ordered: boolean;
  readonly rows: OutboxEntry[];
}

/** Per app: its chains waiting to send, and what it has in flight and held. */
interface AppQueue {
  readonly sdkAppId: number;
  readonly ready: Chain[];
  inFlight: number;
  held: number;
  /** In the turn queue, waiting for its turn. */
  queued: boolean;
}

/** An attempt to start: the head of a chain, whose app counts it in flight until {@link OriginQueue.finished}. */
export interface Turn {
  readonly chain: Chain;
  readonly entry: OutboxEntry;
}

/** {@link OriginQueue} limits. */
export interface OriginQueueOptions {
  /** Most attempts in flight at once, all apps together. */
  maxInFlight: number;
  /** Most attempts in flight per app. */
  perAppInFlight: number;
  /** Most entries one app holds claimed before its rows are skipped at claim time. Default {@link HELD_PER_APP}. */
  heldPerApp?: number;
}

/** Holds claimed entries per app and call and hands out attempts in fair turns. */
export class OriginQueue {
  private readonly apps = new Map<number, AppQueue>();
  /** Apps with chains ready and room in their share, in turn order (from {@link head}): each sends one chain per turn. */
  private turns: AppQueue[] = [];
  private head = 0;
  /** Seq and app of every claimed entry not yet settled or given back, by callback id. */
  private readonly rows = new Map<string, { seq: number; sdkAppId: number }>();
  private inFlightCount = 0;
  private closed = false;
  private readonly heldPerApp: number;

  constructor(private readonly opts: OriginQueueOptions) {
    this.heldPerApp = opts.heldPerApp ?? HELD_PER_APP;
  }

  /** Entries claimed and not yet settled or given back. */
  get held(): number {
    return this.rows.size;
  }

  /** Attempts in flight. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Seqs of the held entries, whose claims are to be kept alive. */
  seqs(): number[] {
    return [...this.rows.values()].map((r) => r.seq);
  }

  /** Apps holding as many claimed entries as they may: their rows are not claimed for now. */
  fullApps(): number[] {
    return [...this.apps.values()].filter((a) => a.held >= this.heldPerApp).map((a) => a.sdkAppId);
  }

  /**
   * How much to claim: up to the high mark of entries held by apps with room, none of the full
   * apps' rows; undefined while those apps hold the low mark or more.
   */
  room(): { limit: number; skip: number[] } | undefined {
    const skip = this.fullApps();
    let held = this.held;
    for (const a of skip) held -= this.apps.get(a)?.held ?? 0;
    return held >= HELD_LOW ? undefined : { limit: HELD_HIGH - held, skip };
  }

  /**
   * Groups claimed entries into per-call chains (claims come in seq order) queued per app, or
   * one chain per entry for apps whose ordering is off.
   */
  hold(claimed: readonly OutboxEntry[], ordered: (sdkAppId: number) => boolean): void {
    const chains = new Map<string, Chain>();
    for (const entry of claimed) {
      const inOrder = ordered(entry.sdkAppId);
      const key = inOrder ? `${entry.sdkAppId}\u0000${entry.callId}` : entry.id;
      const app = this.app(entry.sdkAppId);
      let chain = chains.get(key);
      if (!chain) {
        chains.set(key, (chain = { app, ordered: inOrder, rows: [] }));
        app.ready.push(chain);
        this.schedule(app);
      }
      chain.rows.push(entry);
      this.rows.set(entry.id, { seq: entry.seq, sdkAppId: entry.sdkAppId });
      app.held++;
    }
  }

  /**
   * The next attempt to start, or undefined when the server-wide cap is reached or no app with
   * room has a chain ready: the apps take turns, one chain each.
   */
  take(): Turn | undefined {
    while (this.inFlightCount < this.opts.maxInFlight && this.head < this.turns.length) {
      const app = this.turns[this.head++]!;
      app.queued = false;
      if (this.head >= 1024) {
        this.turns = this.turns.slice(this.head);
        this.head = 0;
      }
      if (app.ready.length === 0 || app.inFlight >= this.opts.perAppInFlight) continue;
      const chain = app.ready.shift()!;
      this.inFlightCount++;
      app.inFlight++;
      this.schedule(app);
      return { chain, entry: chain.rows[0]! };
    }
    return undefined;
  }

  /**
   * The turn's attempt ended (`retryAt` set when it will be retried; undefined when delivered,
   * failed for good or cancelled). Returns the entries to give back unattempted, and `unblocks`
   * when the chain is done, so that entries of the call it held back are looked for again once
   * the settlement is committed.
   */
  finished(turn: Turn, retryAt: number | undefined): { release: string[]; unblocks: boolean } {
    const { chain } = turn;
    const app = chain.app;
    this.inFlightCount--;
    app.inFlight--;
    chain.rows.shift();
    let release: string[] = [];
    let unblocks = false;
    // A retry holds back the rest of the call: give those entries back unattempted.
    if (retryAt !== undefined && chain.ordered) release = this.empty(chain);
    else if (chain.rows.length > 0 && !this.closed) app.ready.push(chain);
    else {
      release = this.empty(chain);
      // Entries of this call committed while it was held (and any claim that ran before this
      // settlement is committed) were held back by it: look again once it is committed.
      unblocks = true;
    }
    this.schedule(app);
    return { release, unblocks };
  }

  /**
   * Forgets entries whose settlement or release is committed. True when an app that was full
   * has room again: it may have rows the last claim skipped.
   */
  unhold(ids: Iterable<string>): boolean {
    let roomAgain = false;
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row === undefined) continue;
      this.rows.delete(id);
      const app = this.app(row.sdkAppId);
      if (app.held-- === this.heldPerApp) roomAgain = true;
      // Still in the turn queue, perhaps: it is skipped there, having nothing ready.
      if (app.held === 0 && app.inFlight === 0 && app.ready.length === 0) this.apps.delete(row.sdkAppId);
    }
    return roomAgain;
  }

  /** Stops handing out turns; returns the entries waiting (not in flight), to be given back. */
  close(): string[] {
    this.closed = true;
    const release: string[] = [];
    for (const app of this.apps.values()) {
      for (const chain of app.ready.splice(0)) release.push(...this.empty(chain));
    }
    this.turns = [];
    this.head = 0;
    return release;
  }

  private app(sdkAppId: number): AppQueue {
    let state = this.apps.get(sdkAppId);
    if (!state) this.apps.set(sdkAppId, (state = { sdkAppId, ready: [], inFlight: 0, held: 0, queued: false }));
    return state;
  }

  /** Puts the app in line to send, at the end, if it has a chain ready and room in its share. */
  private schedule(app: AppQueue): void {
    if (app.queued || app.ready.length === 0 || app.inFlight >= this.opts.perAppInFlight || this.closed) return;
    app.queued = true;
    this.turns.push(app);
  }

  /** Takes a chain's remaining entries out of it, to be given back unattempted. */
  private empty(chain: Chain): string[] {
    return chain.rows.splice(0).map((e) => e.id);
  }
}
