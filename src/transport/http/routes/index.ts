/** The HTTP routes beside the REST API and the WebSocket endpoint, registered together. */
import type { FastifyInstance } from 'fastify';
import type { AppRegistry } from '../../../app/app-registry.js';
import { refuseDevEndpoints, registerDemo } from '../demo.js';
import { registerHealth } from './health.js';
import { registerMetrics, type MetricsSource } from './metrics.js';
import { registerSdkBundle } from './sdk.js';

/** What {@link registerRoutes} serves. */
export interface RoutesOptions {
  apps: AppRegistry;
  metrics: MetricsSource;
  /** Bearer token `/metrics` asks for; none: open. */
  metricsToken: string | undefined;
  /** File of the client SDK's browser build. */
  sdkBundle: URL;
  /** Dev mode: the demo page and its UserSig endpoint; otherwise they are refused. */
  dev: boolean;
}

/** Adds `/healthz`, `/sdk/dialtone-client.js`, `/metrics`, and the demo (dev mode) or its refusal. */
export function registerRoutes(http: FastifyInstance, opts: RoutesOptions): void {
  registerHealth(http);
  registerSdkBundle(http, opts.sdkBundle);
  registerMetrics(http, opts.metrics, opts.metricsToken);
  if (opts.dev) registerDemo(http, opts.apps);
  else refuseDevEndpoints(http);
}
