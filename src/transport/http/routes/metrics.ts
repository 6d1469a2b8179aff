/** `GET /metrics`: the Prometheus text exposition, behind a bearer token when one is set. */
import type { FastifyInstance } from 'fastify';

/** What the route serves: a prom-client registry, or anything that renders the same way. */
export interface MetricsSource {
  /** Content type of {@link MetricsSource.metrics}'s text. */
  contentType: string;
  metrics(): Promise<string>;
}

/** Adds `GET /metrics`; with `token`, only requests with `Authorization: Bearer <token>` get them (others 401). */
export function registerMetrics(http: FastifyInstance, source: MetricsSource, token: string | undefined): void {
  http.get('/metrics', async (req, reply) => {
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      return reply.code(401).send({ error: 'metrics need Authorization: Bearer <DIALTONE_METRICS_TOKEN>' });
    }
    return reply.type(source.contentType).send(await source.metrics());
  });
}
