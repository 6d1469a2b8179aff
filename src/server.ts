/**
 * Composition root: builds storage, the cluster bus (Redis, or the one-process bus), apps, the
 * callback dispatcher, the use cases and both transports from a {@link DialtoneConfig}, and
 * starts and stops them in order. Wiring only: routes live in `transport/http/`, rules in `app/`.
 */
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SqliteStorage } from './adapters/sqlite/storage.js';
import { AppRegistry } from './app/app-registry.js';
import { CallPolicyService } from './app/call-policy-service.js';
import { CallbackConfigService } from './app/callback-config-service.js';
import { CallService } from './app/call-service.js';
import { ClusterService } from './app/cluster-service.js';
import { DeliveryService } from './app/delivery-service.js';
import { IceServerService, type TurnSettings } from './app/ice-servers.js';
import { LocalBus } from './app/local-bus.js';
import { PresenceService } from './app/presence-service.js';
import { RecordService } from './app/record-service.js';
import { StepRunner } from './app/step-runner.js';
import { TimerWorker } from './app/timer-worker.js';
import { randomIds, type Ids } from './app/ids.js';
import type { App, CallbackSender, Clock, ClusterBus, Storage } from './app/ports.js';
import { PgStorage } from './adapters/postgres/storage.js';
import { RedisBus } from './adapters/redis/bus.js';
import { ClusterNotifier } from './app/cluster-notifier.js';
import type { DnsLookup } from './adapters/http/connector.js';
import { UndiciSender } from './adapters/http/undici-sender.js';
import { DestinationPolicy } from './callbacks/destination.js';
import { Dispatcher, type CallbackDelivery } from './app/delivery/dispatcher.js';
import { ThreadSender } from './adapters/http/thread-sender.js';
import type { DialtoneConfig } from './config.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { restCommands } from './transport/http/commands/index.js';
import { createHttp } from './transport/http/fastify.js';
import { registerRestApi } from './transport/http/rest-api.js';
import { timedStorage } from './app/timed-storage.js';
import { checkReadiness } from './app/readiness.js';
import { registerRoutes } from './transport/http/routes/index.js';
import { ConnectionRegistry } from './transport/ws/connections.js';
import { Gateway } from './transport/ws/gateway.js';

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
  dispatcher: CallbackDelivery;
  /** Where the dispatcher's HTTP requests are made: a thread of their own, or this one. */
  callbackSender: CallbackSender;
  /** The Redis bus, in cluster mode. */
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
  // Transaction times go to the metrics, which are made further down (they read the store too).
  let transactionTook = (_seconds: number): void => undefined;
  const storage = timedStorage(await openStorage(config, log), (s) => transactionTook(s));
  // One process or a cluster, chosen once here: past this point only the lease timings and the
  // start-up differ; everything else talks to the ClusterBus port.
  const bus = openRedisBus(config, log);
  const connections = new ConnectionRegistry();
  const clusterBus: ClusterBus = bus ?? new LocalBus(connections);
  // In a cluster, work a dead process claimed must come back soon, and work other processes
  // queued is looked for often; alone, nothing but this process writes the store.
  const leaseMs = config.claimLeaseMs ?? (bus ? 15_000 : undefined);

  const apps = new AppRegistry(storage.apps);
  await apps.load();
  const { created } = await apps.bootstrap({ sdkAppId: config.sdkAppId, secretKey: config.secretKey, admins: config.admins }, clock.now());
  apps.onChange = () => clusterBus.publishAppsChanged();

  const notifier = new ClusterNotifier(connections, clusterBus);
  const metrics = new Metrics(storage, () => connections.byPlatform(), {
    appLabels: config.metricsAppLabels,
    busProblem: bus ? () => bus.problem() : undefined,
  });
  transactionTook = (s) => metrics.transaction(s);
  const destinations = new DestinationPolicy({ allow: config.callbackAllow, allowLoopback: config.dev });
  const wiring = { storage, clock, log, apps, metrics, destinations, leaseMs, clustered: !!bus, dnsLookup: overrides.dnsLookup };
  const callbackSender = await openSender(config, wiring);
  const dispatcher = createDispatcher(config, wiring, callbackSender);
  // The runner arms timers and the timer worker fires through the call service the runner feeds:
  // declared first, assigned once both exist.
  // eslint-disable-next-line prefer-const
  let timers: TimerWorker | undefined;
  const runner = new StepRunner({
    storage,
    notifier,
    clock,
    ids,
    onCallbacksQueued: () => dispatcher.wake(),
    onTimersChanged: (dueAt) => timers?.armed(dueAt),
    log: log.child({ component: 'calls' }),
    observer: metrics,
  });
  const calls = new CallService({ storage, runner, notifier, clock, ids, serverIp: serverAddress(config.host) });
  timers = new TimerWorker({
    storage,
    clock,
    log: log.child({ component: 'timers' }),
    fire: (t) => calls.fireTimer(t),
    quarantine: metrics,
    lateness: (s) => metrics.timerFired(s),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(bus ? { maxSleepMs: 1_000 } : {}),
  });
  const isOnline = (app: number, user: string, device: string) => clusterBus.isOnline(app, user, device);
  const presence = new PresenceService({
    storage,
    runner,
    clock,
    expiryMs: config.heartbeatExpiryMs,
    leaveGraceMs: config.leaveGraceMs,
    isOnline,
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

  const http = createHttp({ log, logRequests: config.dev || config.logLevel === 'debug' });
  // The client SDK package, whose browser builds `npm run build` makes (this module sits one level
  // below the repository root, in src/ or dist/).
  const sdkPackage = new URL('../packages/client/', import.meta.url);
  // openStorage migrated the store before anything else ran.
  const readiness = () =>
    checkReadiness({
      storage,
      bus,
      deliveryRunning: () => dispatcher.running,
      timersRunning: () => timers.started,
      migrated: () => true,
    });
  registerRoutes(http, { apps, metrics: metrics.registry, metricsToken: config.metricsToken, sdkPackage, dev: config.dev, readiness });
  const callPolicy = new CallPolicyService(storage);
  const records = new RecordService(storage, clock);
  const commands = restCommands({ apps, clock, calls, callbackConfig, callPolicy, deliveries, records, destinations });
  registerRestApi(http, { apps, clock, commands, rateLimitPerSecond: config.restRateLimit, observer: metrics });

  const iceServers = new IceServerService({ iceServers: config.iceServers, turn: turnSettings(config), clock });
  const gateway = new Gateway({
    observer: metrics,
    apps,
    calls,
    presence,
    iceServers,
    records,
    connections,
    clock,
    log: log.child({ component: 'ws' }),
    heartbeatExpiryMs: config.heartbeatExpiryMs,
    ...(overrides.sweepIntervalMs !== undefined ? { sweepIntervalMs: overrides.sweepIntervalMs } : {}),
    bus: clusterBus,
  });
  gateway.attach(http.server);
  const cluster = new ClusterService({
    bus: clusterBus,
    presence,
    local: connections,
    devices: connections,
    kick: (app, user, device) => gateway.kickLocal(app, user, device),
    reloadApps: () => apps.load(),
    clock,
    log: log.child({ component: 'cluster' }),
  });
  cluster.attach();

  const started = { config, http, storage, bus, cluster, presence, callbackConfig, apps, destinations, dispatcher, timers, gateway, log };
  return {
    http,
    apps,
    storage,
    dispatcher,
    callbackSender,
    metrics,
    timers,
    gateway,
    presence,
    calls,
    connections,
    log,
    ...(bus ? { bus } : {}),
    ...(created ? { createdApp: created } : {}),
    listen: () => listen(started),
    close: () => close(started),
  };
}

/** The parts {@link listen} and {@link close} start and stop, in order. */
interface Parts {
  config: DialtoneConfig;
  http: FastifyInstance;
  storage: Storage;
  bus: RedisBus | undefined;
  cluster: ClusterService;
  presence: PresenceService;
  callbackConfig: CallbackConfigService;
  apps: AppRegistry;
  destinations: DestinationPolicy;
  dispatcher: CallbackDelivery;
  timers: TimerWorker;
  gateway: Gateway;
  log: Logger;
}

/**
 * Recovers, listens, then starts the workers. Alone, this process first takes back the claims and
 * members a previous run left; in a cluster the others own theirs, and a dead one's come back
 * through the bus and expiring leases, so it joins the bus and starts beating instead.
 */
async function listen(p: Parts): Promise<string> {
  if (p.bus) {
    await p.bus.start();
    await p.cluster.start();
  } else {
    await p.storage.recoverClaims();
    await p.presence.rearmAfterRestart();
  }
  await p.callbackConfig.warnRefusedUrls(
    p.apps.list().map((a) => a.sdkAppId),
    p.destinations,
    p.log,
  );
  await p.http.listen({ host: p.config.host, port: p.config.port });
  p.dispatcher.start();
  p.timers.start();
  return baseUrl(p.http, p.config);
}

/** Stops accepting, closes sockets, drains the workers, leaves the bus, closes storage. */
async function close(p: Parts): Promise<void> {
  p.gateway.close();
  await p.http.close();
  await p.timers.stop();
  await p.dispatcher.stop();
  p.cluster.stop();
  await p.bus?.close();
  await p.storage.close();
}

/** What {@link createDispatcher} wires the callback worker to. */
interface DispatcherWiring {
  storage: Storage;
  clock: Clock;
  log: Logger;
  apps: AppRegistry;
  metrics: Metrics;
  destinations: DestinationPolicy;
  leaseMs: number | undefined;
  /** Whether other processes share the outbox (then work they queued is looked for every 2 s). */
  clustered: boolean;
  dnsLookup: DnsLookup | undefined;
}

/**
 * Sends callback requests through undici to destinations the policy allows: from a thread of
 * their own unless the configuration says otherwise or a test injects a DNS lookup (a function,
 * which cannot cross to another thread).
 */
async function openSender(config: DialtoneConfig, w: DispatcherWiring): Promise<CallbackSender> {
  if (config.callbackThread && !w.dnsLookup) {
    return ThreadSender.open({
      timeoutMs: config.callbackTimeoutMs,
      perAppInFlight: config.callbackConcurrency,
      maxInFlight: MAX_CALLBACKS_IN_FLIGHT,
      callbackAllow: config.callbackAllow,
      allowLoopback: config.dev,
      log: w.log.child({ component: 'callbacks' }),
    });
  }
  return new UndiciSender({
    timeoutMs: config.callbackTimeoutMs,
    connections: MAX_CALLBACKS_IN_FLIGHT,
    destinations: w.destinations,
    ...(w.dnsLookup ? { lookup: w.dnsLookup } : {}),
  });
}

/** Most callback attempts at receivers at once, all apps together: the sender's connection pool. */
const MAX_CALLBACKS_IN_FLIGHT = 512;

/**
 * How many times its share of attempts at the receiver an app may have handed to the sending
 * thread: the main loop takes tens of milliseconds per turn under load, and an attempt waits for
 * one to be handed over and one to be recorded, so the thread must hold more than it sends.
 */
const HANDED_OVER_PER_SHARE = 8;

/** The callback delivery worker. */
function createDispatcher(config: DialtoneConfig, w: DispatcherWiring, sender: CallbackSender): Dispatcher {
  // With the thread, the shares at the receivers are kept there; here, what is handed over.
  const handover = sender instanceof ThreadSender ? HANDED_OVER_PER_SHARE : 1;
  return new Dispatcher({
    storage: w.storage,
    clock: w.clock,
    log: w.log.child({ component: 'callbacks' }),
    sender,
    webhookSecretsOf: w.apps.webhookSecretsOf,
    timeoutMs: config.callbackTimeoutMs,
    retentionMs: config.callbackRetentionDays * 24 * 3600_000,
    observer: w.metrics,
    quarantine: w.metrics,
    perAppInFlight: config.callbackConcurrency * handover,
    maxInFlight: MAX_CALLBACKS_IN_FLIGHT * handover,
    ...(w.leaseMs !== undefined ? { leaseMs: w.leaseMs } : {}),
    ...(w.clustered ? { recheckMs: 2_000 } : {}),
  });
}

/** The TURN server with time-limited credentials `config` names, if any (checkConfig makes sure URLs and secret come together). */
function turnSettings(config: DialtoneConfig): TurnSettings | undefined {
  if (!config.turnUrls || config.turnSecret === undefined) return undefined;
  return { urls: config.turnUrls, secret: config.turnSecret, ttlSeconds: config.turnTtlSeconds };
}

/** The store `config` names: PostgreSQL when it has a database URL, else the SQLite file in its data directory. */
async function openStorage(config: DialtoneConfig, log: Logger): Promise<Storage> {
  if (!config.databaseUrl) return SqliteStorage.open(join(config.dataDir, 'dialtone.db'));
  return PgStorage.open({ url: config.databaseUrl, ...(config.databaseSchema ? { schema: config.databaseSchema } : {}), log });
}

/** The Redis bus when `config` names Redis (cluster mode), else undefined: this process is alone. */
function openRedisBus(config: DialtoneConfig, log: Logger): RedisBus | undefined {
  if (!config.redisUrl) return undefined;
  return new RedisBus({
    url: config.redisUrl,
    processId: randomUUID(),
    log: log.child({ component: 'cluster' }),
    ...(config.redisPrefix ? { prefix: config.redisPrefix } : {}),
  });
}

/** The URL a listening server answers on, e.g. `http://127.0.0.1:8080` (the bound port when `config.port` was 0). */
function baseUrl(http: FastifyInstance, config: DialtoneConfig): string {
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
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
