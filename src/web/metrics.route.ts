import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { deliveryGauges, relayGauges } from '../delivery/index.js';
import { subscriberCounts } from '../subscribers/index.js';
import { sql } from 'kysely';
import { requireAdminToken } from './admin/admin-auth.js';
import type { WebDeps } from './web-deps.js';

/**
 * GET /metrics in Prometheus text format (Bearer ADMIN_TOKEN: Prometheus supports bearer auth).
 * Sending, queue and subscriber numbers are read from the database at scrape time, so they cover all
 * workers; HTTP counts are this process's. A registry per server keeps tests independent.
 */
export function metricsRoutes(app: FastifyInstance, deps: WebDeps): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'digest_' });

  const http = new Counter({
    name: 'digest_http_requests_total',
    help: 'HTTP requests answered, by route and status class',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    http.inc({ route: request.routeOptions.url ?? 'unmatched', status: `${Math.floor(reply.statusCode / 100)}xx` });
  });

  const deliveries = new Gauge({
    name: 'digest_deliveries',
    help: 'Deliveries of the last 7 days of editions, by state',
    labelNames: ['state'],
    registers: [registry],
  });
  const sent = new Gauge({
    name: 'digest_deliveries_sent',
    help: 'Messages the relay accepted (250) in the last 7 days of editions; rate() gives the send rate',
    registers: [registry],
  });
  const uncertain = new Gauge({
    name: 'digest_deliveries_uncertain',
    help: 'Messages whose relay reply was lost after DATA (resent once)',
    registers: [registry],
  });
  const queue = new Gauge({ name: 'digest_queue_depth', help: 'Deliveries not yet done (queued, sending, retry)', registers: [registry] });
  const retry = new Gauge({
    name: 'digest_retry_queue',
    help: 'Deliveries waiting for a retry after a 4xx or a dropped connection',
    registers: [registry],
  });
  const lease = new Gauge({
    name: 'digest_oldest_lease_age_seconds',
    help: 'Age of the oldest claim held by a worker',
    registers: [registry],
  });
  const editions = new Gauge({ name: 'digest_editions', help: 'Editions by state', labelNames: ['state'], registers: [registry] });
  const subscribers = new Gauge({ name: 'digest_subscribers', help: 'Subscribers by state', labelNames: ['state'], registers: [registry] });
  const events = new Gauge({
    name: 'digest_subscriber_events',
    help: 'Subscriber events ever recorded (sign-ups, confirmations, unsubscribes, bounces…), by type',
    labelNames: ['type'],
    registers: [registry],
  });

  const relayUp = deps.relay
    ? new Gauge({
        name: 'digest_smtp_relay_up',
        help: "1 while this process's delivery workers can use the relay; 0 while sending is paused because it failed",
        registers: [registry],
      })
    : undefined;
  const relayDown = deps.relay
    ? new Gauge({
        name: 'digest_smtp_relay_down_seconds',
        help: 'How long the relay has been judged down (0 while up)',
        registers: [registry],
      })
    : undefined;

  // The bulk sender's pool, as this process sized it from the relay's round trip and pushback.
  const pool = deps.relay
    ? {
        connections: new Gauge({
          name: 'digest_smtp_connections',
          help: 'SMTP connections open to the relay now (the pool grows with the round trip, up to SMTP_MAX_CONNECTIONS)',
          registers: [registry],
        }),
        target: new Gauge({
          name: 'digest_smtp_connections_target',
          help: "Connections the pool aims for: the relay's round trip worth, within the cap and after its pushback",
          registers: [registry],
        }),
        cap: new Gauge({
          name: 'digest_smtp_connections_cap',
          help: 'SMTP_MAX_CONNECTIONS, or fewer after the relay refused connections for too many',
          registers: [registry],
        }),
        roundTrip: new Gauge({
          name: 'digest_smtp_round_trip_seconds',
          help: "Moving average of a message's round trip to the relay (body written to its reply)",
          registers: [registry],
        }),
        rateLimited: new Gauge({
          name: 'digest_smtp_rate_limited_messages',
          help: 'Messages the relay refused for our rate and the sender put back in its queue, since the process started',
          registers: [registry],
        }),
        refused: new Gauge({
          name: 'digest_smtp_connections_refused',
          help: 'Connections the relay refused for too many, since the process started',
          registers: [registry],
        }),
        throttled: new Gauge({
          name: 'digest_smtp_throttled',
          help: "1 while the relay throttles this process's sender (a rate limit: it paces itself), 0 otherwise",
          registers: [registry],
        }),
        pacedRate: new Gauge({
          name: 'digest_smtp_paced_rate',
          help: 'Messages per second the sender paces to while the relay throttles it (0 while not paced)',
          registers: [registry],
        }),
      }
    : undefined;

  async function refresh(): Promise<void> {
    if (deps.relay) {
      const status = deps.relay();
      const r = relayGauges(status);
      relayUp?.set(r.up);
      relayDown?.set(r.downSeconds);
      if (pool && status.pool) {
        pool.connections.set(status.pool.connections);
        pool.target.set(status.pool.target);
        pool.cap.set(status.pool.cap);
        pool.roundTrip.set((status.pool.roundTripMs ?? 0) / 1000);
        pool.rateLimited.set(status.pool.rateLimited);
        pool.refused.set(status.pool.refusedConnections);
        pool.throttled.set(status.pool.throttle.throttled ? 1 : 0);
        pool.pacedRate.set(status.pool.throttle.rate ?? 0);
      }
    }
    const [g, s, e] = await Promise.all([
      deliveryGauges(deps.db),
      subscriberCounts(deps.db),
      sql<{ type: string; n: number }>`SELECT type, count(*)::int AS n FROM subscriber_events GROUP BY type`.execute(deps.db),
    ]);
    for (const [state, n] of Object.entries(g.byState)) deliveries.set({ state }, n);
    sent.set(g.sent);
    uncertain.set(g.uncertain);
    queue.set(g.queueDepth);
    retry.set(g.retryQueue);
    lease.set(g.oldestLeaseAgeSeconds);
    for (const state of ['planned', 'rendering', 'sending', 'sent', 'empty', 'expired', 'paused', 'failed'])
      editions.set({ state }, g.editionsByStatus[state] ?? 0);
    for (const [state, n] of Object.entries(s)) subscribers.set({ state }, n);
    for (const r of e.rows) events.set({ type: r.type }, Number(r.n));
  }

  app.get('/metrics', { onRequest: requireAdminToken(deps) }, async (_request, reply) => {
    await refresh();
    return reply
      .type(registry.contentType)
      .header('cache-control', 'no-store')
      .send(await registry.metrics());
  });
}
