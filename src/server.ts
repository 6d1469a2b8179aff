/**
 * Composition root: builds storage, apps, the callback dispatcher, the use cases and both
 * transports from a {@link DialtoneConfig}, and starts and stops them in order.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SqliteStorage } from './adapters/sqlite/storage.js';
import { AppRegistry } from './app/apps.js';
import { CallPolicyService } from './app/call-policy-service.js';
import { CallbackConfigService } from './app/callback-config-service.js';
import { CallService } from './app/call-service.js';
import { DeliveryService } from './app/delivery-service.js';
import { PresenceService } from './app/presence-service.js';
import { StepRunner } from './app/step-runner.js';
import { TimerWorker } from './app/timer-worker.js';
import { randomIds, type Ids } from './app/ids.js';
import type { App, Clock, Storage } from './app/ports.js';
import { PgStorage } from './adapters/postgres/storage.js';
import { RedisBus } from './adapters/redis/bus.js';
import { ClusterNotifier } from './app/cluster-notifier.js';
import type { DnsLookup } from './adapters/http/connector.js';
import { UndiciSender } from './adapters/http/undici-sender.js';
import { DestinationPolicy } from './callbacks/destination.js';
import { Dispatcher } from './app/delivery/dispatcher.js';
import type { DialtoneConfig } from './config.js';
import type { Platform } from './domain/types.js';
import { ERR } from './errors.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { adminCommands } from './transport/http/commands/admin.js';
import { callConfigCommands, callPolicyCommands } from './transport/http/commands/call-config.js';
import { callEngineCommands } from './transport/http/commands/call-engine.js';
import { callRecordCommands } from './transport/http/commands/call-record.js';
import { deliveryCommands } from './transport/http/commands/deliveries.js';
import { failEnvelope } from './transport/http/envelope.js';
import { refuseDevEndpoints, registerDemo } from './transport/http/demo.js';
import { answerMethodsNodeKeeps } from './transport/http/raw-methods.js';
import { isRestPath, refuseMethod, registerRestApi } from './transport/http/rest-api.js';
import { ConnectionRegistry } from './transport/ws/connections.js';
import { Gateway } from './transport/ws/gateway.js';

/** Largest REST body, bytes (SPEC §2.1). */
export const MAX_REST_BODY_BYTES = 64 * 1024;

/** Test and embedding hooks. */
export interface ServerOverrides {
  clock?: Clock;
  ids?: Ids;
  log?: Logger;
  /**
   * How often the gateway sweeps silent sockets, ms; 0 leaves sweeping to the caller. Tests that
   * move a manual clock sweep by hand, so a jump in time is not taken for silence.
   */
  sweepIntervalMs?: number;
  /** Resolves callback receivers' host names. Default `dns.lookup`. */
  dnsLookup?: DnsLookup;
}

/** A built, not yet listening, Dialtone server. */
export interface DialtoneServer {
  http: FastifyInstance;
  apps: AppRegistry;
  storage: Storage;
  dispatcher: Dispatcher;
  /** The cluster bus, in cluster mode. */
  bus?: RedisBus;
  metrics: Metrics;
  timers: TimerWorker;
  gateway: Gateway;
  presence: PresenceService;
  calls: CallService;
  connections: ConnectionRegistry;
  log: Logger;
  /** The app created at this start because none existed, if any. */
  createdApp?: App;
  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:8080`. */
  listen(): Promise<string>;
  /** Stops accepting, closes sockets, drains callback attempts in flight, closes storage. */
  close(): Promise<void>;
}

/** Builds a server from `config`. */
export async function createServer(config: DialtoneConfig, overrides: ServerOverrides = {}): Promise<DialtoneServer> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? { now: () => Date.now() };
  const ids = overrides.ids ?? randomIds;
  const storage: Storage = config.databaseUrl
    ? await PgStorage.open({ url: config.databaseUrl, ...(config.databaseSchema ? { schema: config.databaseSchema } : {}), log })
    : SqliteStorage.open(join(config.dataDir, 'dialtone.db'));
  const bus = config.redisUrl
    ? new RedisBus({
        url: config.redisUrl,
        processId: randomUUID(),
        log: log.child({ component: 'cluster' }),
        ...(config.redisPrefix ? { prefix: config.redisPrefix } : {}),
      })
    : undefined;
  // In a cluster, work a dead process claimed must come back soon, and work other processes
  // queued is looked for often; alone, nothing but this process writes the store.
  const leaseMs = config.claimLeaseMs ?? (bus ? 15_000 : undefined);

  const apps = new AppRegistry(storage.apps);
  await apps.load();
  const { created } = await apps.bootstrap({ sdkAppId: config.sdkAppId, secretKey: config.secretKey, admins: config.admins }, clock.now());
  if (bus) apps.onChange = () => bus.publishAppsChanged();

  const connections = new ConnectionRegistry();
  const notifier = bus ? new ClusterNotifier(connections, bus) : connections;
  const metrics = new Metrics(storage, () => connections.size);
  const destinations = new DestinationPolicy({ allow: config.callbackAllow, allowLoopback: config.dev });
  const dispatcher = new Dispatcher({
    storage,
    clock,
    log: log.child({ component: 'callbacks' }),
    sender: new UndiciSender({
      timeoutMs: config.callbackTimeoutMs,
      destinations,
      ...(overrides.dnsLookup ? { lookup: overrides.dnsLookup } : {}),
    }),
    webhookSecretsOf: apps.webhookSecretsOf,
    timeoutMs: config.callbackTimeoutMs,
    retentionMs: config.callbackRetentionDays * 24 * 3600_000,
    observer: metrics,
    quarantine: metrics,
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(bus ? { recheckMs: 2_000 } : {}),
  });
  let timers: TimerWorker | undefined;
  const runner = new StepRunner({
    storage,
    notifier,
    clock,
    ids,
    onCallbacksQueued: () => dispatcher.wake(),
    onTimersChanged: (dueAt) => timers?.armed(dueAt),
  });
  const serverIp = serverAddress(config.host);
  const calls = new CallService({ storage, runner, notifier, clock, ids, serverIp });
  timers = new TimerWorker({
    storage,
    clock,
    log: log.child({ component: 'timers' }),
    fire: (t) => calls.fireTimer(t),
    quarantine: metrics,
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(bus ? { maxSleepMs: 1_000 } : {}),
  });
  const presence = new PresenceService({
    storage,
    runner,
    clock,
    expiryMs: config.heartbeatExpiryMs,
    isOnline: bus ? (app, user, device) => bus.isOnline(app, user, device) : connections.isOnline,
  });
  // A change made here applies to the next attempt at once; other processes re-read within a second.
  const callbackConfig = new CallbackConfigService({ storage, clock, changed: (id) => dispatcher.configChanged(id) });
  const deliveries = new DeliveryService({
    storage,
    apps,
    clock,
    log: log.child({ component: 'deliveries' }),
    defaultTimeoutMs: config.callbackTimeoutMs,
    wake: () => dispatcher.wake(),
    changed: (id) => dispatcher.configChanged(id),
  });

  const http = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: MAX_REST_BODY_BYTES,
    genReqId: () => randomUUID(),
    logController: new LogController({ disableRequestLogging: !config.dev && config.logLevel !== 'debug' }),
  });
  // Bodies are parsed by the REST layer so that a non-JSON body gets the envelope answer (60003).
  http.removeAllContentTypeParsers();
  http.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  http.setErrorHandler((err: { code?: string; statusCode?: number }, req, reply) => {
    // Fastify reads the body of some methods (QUERY, …) before routing, and fails them there:
    // on a REST path the method is still checked first.
    if (req.method !== 'POST' && isRestPath(req.url.split('?')[0]!)) return refuseMethod(req, reply);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(200)
        .send(
          failEnvelope(
            req.id,
            ERR.REST_BODY_TOO_LARGE.code,
            `${ERR.REST_BODY_TOO_LARGE.message}: the limit is ${MAX_REST_BODY_BYTES} bytes`,
          ),
        );
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(200).send(failEnvelope(req.id, ERR.REST_BAD_REQUEST.code, ERR.REST_BAD_REQUEST.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(failEnvelope(req.id, ERR.CONFIG_INTERNAL.code, 'internal error'));
  });
  http.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    if (isRestPath(path)) {
      // Methods no route lists (TRACE, PROPFIND, …) land here: as for GET, the method comes first.
      if (req.method !== 'POST') return refuseMethod(req, reply);
      // Every REST answer is HTTP 200 with the envelope (SPEC §2.1), unknown commands included.
      return reply.code(200).send(failEnvelope(req.id, ERR.REST_UNKNOWN_COMMAND.code, `${ERR.REST_UNKNOWN_COMMAND.message} ${path}`));
    }
    return reply.code(404).send(failEnvelope(req.id, ERR.REST_BAD_REQUEST.code, `no such endpoint: ${req.method} ${path}`));
  });
  answerMethodsNodeKeeps(http.server);
  http.get('/healthz', async () => ({ status: 'ok' }));
  // The browser build of the client SDK, made by `npm run build` (this module sits one level
  // below the package root, in src/ or dist/).
  const sdkBundle = new URL('../dist/sdk/dialtone-client.js', import.meta.url);
  http.get('/sdk/dialtone-client.js', async (_req, reply) => {
    const code = existsSync(sdkBundle) ? readFileSync(sdkBundle) : undefined;
    if (!code) return reply.code(404).type('text/plain').send('the SDK bundle is missing: run npm run build');
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(code);
  });
  http.get('/metrics', async (req, reply) => {
    if (config.metricsToken && req.headers.authorization !== `Bearer ${config.metricsToken}`) {
      return reply.code(401).send({ error: 'metrics need Authorization: Bearer <DIALTONE_METRICS_TOKEN>' });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (config.dev) registerDemo(http, apps);
  else refuseDevEndpoints(http);
  registerRestApi(http, {
    apps,
    clock,
    commands: [
      ...callConfigCommands(callbackConfig, destinations),
      ...callPolicyCommands(new CallPolicyService(storage)),
      ...deliveryCommands(deliveries),
      ...callRecordCommands(storage, clock),
      ...callEngineCommands(calls),
      ...adminCommands(apps, clock),
    ],
    rateLimitPerSecond: config.restRateLimit,
  });

  const gateway = new Gateway({
    apps,
    calls,
    presence,
    connections,
    clock,
    log: log.child({ component: 'ws' }),
    heartbeatExpiryMs: config.heartbeatExpiryMs,
    ...(overrides.sweepIntervalMs !== undefined ? { sweepIntervalMs: overrides.sweepIntervalMs } : {}),
    ...(bus ? { cluster: bus } : {}),
  });
  gateway.attach(http.server);
  if (bus) {
    const clusterLog = log.child({ component: 'cluster' });
    bus.onUserMessage((m) => {
      if (m.kind === 'event') connections.notify(m.sdkAppId, m.effect);
      else gateway.kickLocal(m.sdkAppId, m.userId, m.deviceId);
    });
    bus.onAppsChanged(() => void apps.load().catch((err: unknown) => clusterLog.error({ err }, 'could not reload apps')));
    // Members whose process died: their heartbeat expiry runs from its last beat, as if their
    // sockets had closed then; those who reconnect elsewhere in time keep their calls.
    bus.onProcessDead(async (devices, lastBeat) => {
      for (const d of devices) {
        const lastDevice = (await bus.deviceCount(d.sdkAppId, d.userId)) === 0;
        await presence
          .disconnected(
            { sdkAppId: d.sdkAppId, userId: d.userId, deviceId: d.deviceId, clientIp: d.clientIp, platform: d.platform as Platform },
            lastBeat,
            lastDevice,
          )
          .catch((err: unknown) => clusterLog.error({ err, userId: d.userId }, 'could not take over a member of a dead process'));
      }
    });
    // Events published while Redis was away are lost: register the devices again and tell each
    // client the state of its calls from the database.
    bus.onReconnect(() => {
      void (async () => {
        for (const conn of [...connections.all()]) {
          try {
            await bus.register(conn, Number.MAX_SAFE_INTEGER);
            await presence.connected({
              sdkAppId: conn.sdkAppId,
              userId: conn.userId,
              clientIp: conn.clientIp,
              platform: conn.platform,
              deviceId: conn.deviceId,
            });
          } catch (err) {
            clusterLog.error({ err, userId: conn.userId }, 'could not resync a client after redis came back');
          }
        }
      })();
    });
  }

  return {
    http,
    apps,
    storage,
    dispatcher,
    metrics,
    timers,
    gateway,
    presence,
    calls,
    connections,
    log,
    ...(bus ? { bus } : {}),
    ...(created ? { createdApp: created } : {}),
    async listen() {
      if (bus) {
        // Other processes are alive and own their claims and members; the dead ones' are taken
        // over through the bus and by expiring leases.
        await bus.start();
      } else {
        await storage.recoverClaims();
        await presence.rearmAfterRestart();
      }
      await warnRefusedCallbackUrls(storage, apps, destinations, log);
      await http.listen({ host: config.host, port: config.port });
      dispatcher.start();
      timers.start();
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return `http://${host}:${port}`;
    },
    async close() {
      gateway.close();
      await http.close();
      await timers.stop();
      await dispatcher.stop();
      await bus?.close();
      await storage.close();
    },
  };
}

/**
 * Logs one warning per app whose stored callback URL the destination policy now refuses (the
 * policy changed since it was set, or it predates the policy): its callbacks will fail. Only the
 * URL's origin is logged, without user-info, since query strings and user-info may hold secrets.
 */
async function warnRefusedCallbackUrls(storage: Storage, apps: AppRegistry, destinations: DestinationPolicy, log: Logger): Promise<void> {
  const configs = await storage.transaction(async (tx) => {
    const found: { sdkAppId: number; url: string }[] = [];
    for (const app of apps.list()) {
      const config = await tx.callbackConfig.get(app.sdkAppId);
      if (config) found.push({ sdkAppId: app.sdkAppId, url: config.url });
    }
    return found;
  });
  for (const { sdkAppId, url } of configs) {
    const reason = destinations.refuseUrl(url);
    if (reason === undefined) continue;
    const origin = URL.canParse(url) ? new URL(url).origin : '(not a URL)';
    log.warn({ sdkAppId, origin }, `the callback URL of app ${sdkAppId} (${origin}) is refused, so its callbacks will fail: ${reason}`);
  }
}

/** The address put in `ClientIP` of events the server causes itself: the listen address, or a local one for a wildcard. */
function serverAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host === 'localhost' ? '127.0.0.1' : host;
  for (const list of Object.values(networkInterfaces())) {
    const v4 = list?.find((i) => i.family === 'IPv4' && !i.internal);
    if (v4) return v4.address;
  }
  return '127.0.0.1';
}
