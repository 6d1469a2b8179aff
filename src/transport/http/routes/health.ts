/** `GET /healthz`: the process is up and serving HTTP (load balancers, orchestrators). */
import type { FastifyInstance } from 'fastify';

/** Adds `GET /healthz`, answering `{"status":"ok"}`. */
export function registerHealth(http: FastifyInstance): void {
  http.get('/healthz', async () => ({ status: 'ok' }));
}
