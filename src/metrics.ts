/**
 * Prometheus metrics (prom-client), served at `/metrics`: callback delivery per app, plus the
 * process's own figures.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptOutcome, CallObserver, DeliveryObserver, QuarantineObserver, QuarantinedRow, Storage } from './app/ports.js';
import type { CallbackCommand, CallRecord } from './domain/types.js';

/** The metrics of one server. */
export class Metrics implements DeliveryObserver, QuarantineObserver, CallObserver {
  readonly registry = new Registry();
  private readonly attempts;
  private readonly delivered;
  private readonly retried;
  private readonly failed;
  private readonly deliverySeconds;
  private readonly attemptSeconds;
  private readonly quarantinedRows;
  private readonly callsStarted;
  private readonly callsEnded;
  private readonly ringSeconds;
  private readonly callDurationSeconds;
  private readonly disconnects;
  private readonly authFailures;
  private readonly restRequests;
  private readonly restSeconds;
  private readonly frames;
  private readonly timerLateness;
  private readonly transactionSeconds;

  /** Whether callback series carry `sdkappid` (`DIALTONE_METRICS_APP_LABELS`). */
  private readonly appLabels: boolean;

  /**
   * `connections`: the open client sockets by their declared platform. `options.appLabels`: the
   * callback series get an `sdkappid` label (default false: one series for all apps).
   * `options.busProblem`: in cluster mode, what is wrong with the Redis bus, if anything.
   */
  constructor(
    storage: Storage,
    connections: () => ReadonlyMap<string, number>,
    options: { appLabels?: boolean; busProblem?: (() => string | undefined) | undefined } = {},
  ) {
    const appLabels = options.appLabels ?? false;
    this.appLabels = appLabels;
    const app = appLabels ? ['sdkappid'] : [];
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.attempts = new Counter({
      name: 'dialtone_callback_attempts_total',
      help: 'Callback attempts sent.',
      labelNames: [...app, 'command'],
      registers,
    });
    this.delivered = new Counter({
      name: 'dialtone_callbacks_delivered_total',
      help: 'Callbacks delivered.',
      labelNames: [...app, 'command'],
      registers,
    });
    this.retried = new Counter({
      name: 'dialtone_callbacks_retried_total',
      help: 'Failed attempts that will be retried.',
      labelNames: [...app, 'command'],
      registers,
    });
    this.failed = new Counter({
      name: 'dialtone_callbacks_failed_total',
      help: 'Callbacks that failed for good.',
      labelNames: [...app, 'command'],
      registers,
    });
    this.deliverySeconds = new Histogram({
      name: 'dialtone_callback_delivery_seconds',
      help: 'From the change that caused a callback to its delivery.',
      labelNames: app,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'dialtone_callback_attempt_seconds',
      help: 'Duration of one callback attempt.',
      labelNames: app,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.quarantinedRows = new Counter({
      name: 'dialtone_quarantined_rows_total',
      help: 'Due rows set aside for good because their own key cannot address them (see the error log).',
      labelNames: ['table'],
      registers,
    });
    // Both series from the start, so an alert on any increase has something to compare with.
    for (const table of ['timers', 'outbox']) this.quarantinedRows.inc({ table }, 0);
    new Gauge({
      name: 'dialtone_callbacks_pending',
      help: 'Callbacks waiting to be delivered.',
      labelNames: app,
      registers,
      async collect() {
        this.reset();
        const byApp = await storage.transaction((tx) => tx.outbox.pendingByApp());
        if (!appLabels) this.set([...byApp.values()].reduce((a, b) => a + b, 0));
        else for (const [sdkAppId, n] of byApp) this.set({ sdkappid: String(sdkAppId) }, n);
      },
    });
    const busProblem = options.busProblem;
    if (busProblem) {
      new Gauge({
        name: 'dialtone_redis_up',
        help: 'Cluster mode: 1 while both Redis connections of this process are up, else 0.',
        registers,
        collect() {
          this.set(busProblem() === undefined ? 1 : 0);
        },
      });
    }
    // Only a store with round trips (PostgreSQL) has the series.
    if (storage.stats().roundTrips !== undefined) {
      new Gauge({
        name: 'dialtone_db_queries_total',
        help: 'Statements sent to the database by this process, BEGIN and COMMIT included (several may share a round trip).',
        registers,
        collect() {
          this.set(storage.stats().statements ?? 0);
        },
      });
      new Gauge({
        name: 'dialtone_db_round_trips_total',
        help: 'Round trips to the database by this process (each carries one statement or more).',
        registers,
        collect() {
          this.set(storage.stats().roundTrips ?? 0);
        },
      });
      new Gauge({
        name: 'dialtone_db_begin_commits_total',
        help: 'BEGIN and COMMIT statements among dialtone_db_queries_total (subtract them for the statements of the work itself).',
        registers,
        collect() {
          this.set(storage.stats().beginCommits ?? 0);
        },
      });
    }
    new Gauge({
      name: 'dialtone_client_connections',
      help: 'Client WebSocket connections open.',
      registers,
      collect() {
        let n = 0;
        for (const count of connections().values()) n += count;
        this.set(n);
      },
    });
    // Read from the store at each scrape: the whole cluster's calls, whichever process holds them.
    // The two call gauges share one query: a scrape collects them together.
    let counting: Promise<{ calls: number; members: number }> | undefined;
    const liveCounts = () =>
      (counting ??= storage
        .transaction((tx) => tx.calls.liveCounts())
        .finally(() => {
          counting = undefined;
        }));
    new Gauge({
      name: 'dialtone_calls_active',
      help: 'Live calls, all apps (from the store: the same on every process of a cluster).',
      registers,
      async collect() {
        this.set((await liveCounts()).calls);
      },
    });
    new Gauge({
      name: 'dialtone_call_members_active',
      help: 'Members of live calls, ringing ones included, all apps (from the store).',
      registers,
      async collect() {
        this.set((await liveCounts()).members);
      },
    });
    new Gauge({
      name: 'dialtone_timers_pending',
      help: 'Server timers armed (ring timeouts, heartbeat expiries, leave graces), from the store.',
      registers,
      async collect() {
        this.set(await storage.transaction((tx) => tx.timers.pendingCount()));
      },
    });
    new Gauge({
      name: 'dialtone_ws_connections',
      help: 'Client WebSocket connections open on this process, by the platform each declared.',
      labelNames: ['platform'],
      registers,
      collect() {
        this.reset();
        for (const [platform, n] of connections()) this.set({ platform }, n);
      },
    });
    this.callsStarted = new Counter({
      name: 'dialtone_calls_started_total',
      help: 'Calls started on this process.',
      labelNames: ['type', 'media'],
      registers,
    });
    this.callsEnded = new Counter({
      name: 'dialtone_calls_ended_total',
      help: 'Calls ended on this process, by CallResult.',
      labelNames: ['result', 'type'],
      registers,
    });
    this.ringSeconds = new Histogram({
      name: 'dialtone_ring_seconds',
      help: 'From the start of a call to its answer, for calls that were answered.',
      buckets: [1, 2, 3, 5, 8, 13, 20, 30, 45, 60],
      registers,
    });
    this.callDurationSeconds = new Histogram({
      name: 'dialtone_call_duration_seconds',
      help: 'From the answer to the end, for calls that were answered.',
      buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    this.disconnects = new Counter({
      name: 'dialtone_ws_disconnects_total',
      help: 'Client WebSocket connections closed, by why.',
      labelNames: ['reason'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'dialtone_auth_failures_total',
      help: 'Sign-ins refused, by surface (ws, rest) and error code.',
      labelNames: ['surface', 'code'],
      registers,
    });
    this.restRequests = new Counter({
      name: 'dialtone_rest_requests_total',
      help: 'REST API requests, by command and envelope ErrorCode.',
      labelNames: ['command', 'code'],
      registers,
    });
    this.frames = new Counter({
      name: 'dialtone_ws_frames_total',
      help: 'Client frames answered, by op (invalid: none this server knows) and the reply code (0: ok).',
      labelNames: ['op', 'code'],
      registers,
    });
    this.timerLateness = new Histogram({
      name: 'dialtone_timer_lateness_seconds',
      help: 'How long after it was due a server timer fired.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
      registers,
    });
    this.transactionSeconds = new Histogram({
      name: 'dialtone_store_transaction_seconds',
      help: 'Store transactions of this process, from the call to the commit (or rollback).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.restSeconds = new Histogram({
      name: 'dialtone_rest_request_seconds',
      help: 'REST API requests until the answer, by command.',
      labelNames: ['command'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  callStarted(callType: 'SingleCall' | 'MultiCall', mediaType: 'Audio' | 'Video'): void {
    this.callsStarted.inc({ type: callType, media: mediaType });
  }

  callEnded(r: CallRecord): void {
    this.callsEnded.inc({ result: r.CallResult, type: r.CallType });
    if (r.AcceptTime > 0) {
      this.ringSeconds.observe(Math.max(0, r.AcceptTime - r.StartTime));
      this.callDurationSeconds.observe(Math.max(0, r.EndTime - r.AcceptTime));
    }
  }

  frame(op: string, code: number): void {
    this.frames.inc({ op, code: String(code) });
  }

  /** A timer fired `seconds` after it was due. */
  timerFired(seconds: number): void {
    this.timerLateness.observe(seconds);
  }

  /** A store transaction took `seconds`. */
  transaction(seconds: number): void {
    this.transactionSeconds.observe(seconds);
  }

  disconnected(reason: string): void {
    this.disconnects.inc({ reason });
  }

  authFailed(surface: 'rest' | 'ws', code: number): void {
    this.authFailures.inc({ surface, code: String(code) });
  }

  requested(command: string, code: number, seconds: number): void {
    const labels = { command, code: Number.isNaN(code) ? 'none' : String(code) };
    this.restRequests.inc(labels);
    this.restSeconds.observe({ command }, seconds);
  }

  attempted(sdkAppId: number, command: CallbackCommand, outcome: AttemptOutcome, retryAt: number | undefined, createdAt: number): void {
    const app = this.appLabels ? { sdkappid: String(sdkAppId) } : {};
    const labels = { ...app, command };
    this.attempts.inc(labels);
    this.attemptSeconds.observe(app, outcome.latencyMs / 1000);
    if (outcome.ok) {
      this.delivered.inc(labels);
      this.deliverySeconds.observe(app, Math.max(0, outcome.startedAt + outcome.latencyMs - createdAt) / 1000);
    } else if (retryAt !== undefined) this.retried.inc(labels);
    else this.failed.inc(labels);
  }

  quarantined(rows: readonly QuarantinedRow[]): void {
    for (const r of rows) this.quarantinedRows.inc({ table: r.table });
  }
}
