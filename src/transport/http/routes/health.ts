/**
 * `GET /healthz`: the process is alive and serving HTTP (a liveness probe: restart it if not).
 * `GET /readyz`: it can do its work now (a readiness probe: send it traffic only while it can):
 * the store answers, its migrations ran, Redis is connected in cluster mode, and the callback and
 * timer workers run. 200 or 503, with a JSON body naming each check and its state.
 */
import type { FastifyInstance } from 'fastify';
import type { ReadinessReport } from '../../../app/readiness.js';

/** Adds `GET /healthz` (`{"status":"ok"}`) and `GET /readyz`. */
export function registerHealth(http: FastifyInstance, readiness: () => Promise<ReadinessReport>): void {
  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_req, reply) => {
    const report = await readiness();
    // Never cached: the answer is about this moment.
    void reply.header('cache-control', 'no-store');
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  });
}
