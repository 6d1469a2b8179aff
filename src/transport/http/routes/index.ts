/** The HTTP routes beside the REST API and the WebSocket endpoint, registered together. */
import type { FastifyInstance } from 'fastify';
import type { AppRegistry } from '../../../app/app-registry.js';
import type { ReadinessReport } from '../../../app/readiness.js';
import { refuseDevEndpoints, registerDemo } from '../demo.js';
import { registerHealth } from './health.js';
import { registerMetrics, type MetricsSource } from './metrics.js';
import { registerSdkBundles } from './sdk.js';

/** What {@link registerRoutes} serves. */
export interface RoutesOptions {
  apps: AppRegistry;
  metrics: MetricsSource;
  /** Bearer token `/metrics` asks for; none: open. */
  metricsToken: string | undefined;
  /** Folder of the client SDK package (`packages/client/`, with a trailing slash), whose `dist/` has its browser builds. */
  sdkPackage: URL;
  /** Dev mode: the demo page and its UserSig endpoint; otherwise they are refused. */
  dev: boolean;
  /** What `/readyz` answers. */
  readiness: () => Promise<ReadinessReport>;
}

/** Adds `/healthz`, `/readyz`, `/sdk/*` (the client SDK and the TUICallEngine stand-in), `/metrics`, and the demo (dev mode) or its refusal. */
export function registerRoutes(http: FastifyInstance, opts: RoutesOptions): void {
  registerHealth(http, opts.readiness);
  registerSdkBundles(http, opts.sdkPackage);
  registerMetrics(http, opts.metrics, opts.metricsToken);
  if (opts.dev) registerDemo(http, opts.apps);
  else refuseDevEndpoints(http);
}
