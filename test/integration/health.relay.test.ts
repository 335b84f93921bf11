import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { startService, type RunningService } from '../../src/main.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { reservePort, type ReservedPort } from '../helpers/ports.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { until } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const AUTH = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
type Health = { status: string; checks: Record<string, { ok: boolean; sending?: string; error?: string; downSince?: string }> };

/**
 * `digest serve` with a relay that is down: its delivery workers pause, /healthz says so in its
 * `smtp` check (`sending: paused`, not ok) and /metrics in digest_smtp_relay_up; both recover by
 * themselves once the relay answers on its port (the workers' probe).
 */
describe('the relay as the delivery workers see it, in /healthz and /metrics', () => {
  let t: TestDatabase | undefined;
  let service: RunningService | undefined;
  let sink: SmtpSink | undefined;
  let relayPort: ReservedPort | undefined;
  afterAll(async () => {
    await service?.close();
    await relayPort?.release();
    await sink?.close();
    await t?.close();
  });

  it('down while nothing listens on SMTP_URL (password hidden), up again once the relay is back', async () => {
    // The relay's port, reserved (helpers/ports.ts): connections refused, as at a relay that is down,
    // and no other process can take it before the relay comes back on it below.
    relayPort = await reservePort();
    const port = relayPort.port;
    t = await createTestDatabase(SERVICE_ENGINE);
    service = await startService(
      testConfig({ HOST: '127.0.0.1', SMTP_URL: `smtp://mailer:pw-not-shown@127.0.0.1:${port}` }),
      silentLogger,
      { database: t },
    );
    const health = async () => (await (await fetch(`${service!.url}/healthz`, AUTH)).json()) as Health;
    const relayUp = async () => {
      const text = await (await fetch(`${service!.url}/metrics`, AUTH)).text();
      return sampleValue(parsePrometheus(text), 'digest_smtp_relay_up');
    };

    await until('the workers to find the relay down', async () => (await health()).checks.smtp?.sending === 'paused', 30_000);
    const res = await fetch(`${service.url}/healthz`, AUTH);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Health;
    expect(body.checks.smtp).toMatchObject({ ok: false, sending: 'paused' });
    expect(body.checks.smtp!.error).toContain(`SMTP_URL smtp://mailer:***@127.0.0.1:${port}: cannot connect`);
    expect(JSON.stringify(body)).not.toContain('pw-not-shown');
    expect(await relayUp()).toBe(0);
    // Anyone else sees only the flag.
    const anonymous = (await (await fetch(`${service.url}/healthz`)).json()) as Health;
    expect(anonymous.checks.smtp).toEqual({ ok: false });

    // Listens on the port over the reservation: it is never free in between.
    sink = await startSmtpSink({ port });
    await until('the probe to find the relay back', async () => (await health()).checks.smtp?.sending === 'running', 60_000);
    expect((await health()).checks.smtp).toMatchObject({ sending: 'running' });
    expect(await relayUp()).toBe(1);
    // The bulk sender's pool: capped by SMTP_MAX_CONNECTIONS (default 16), aiming at its minimum of 2
    // before any round trip has been measured.
    const metrics = parsePrometheus(await (await fetch(`${service.url}/metrics`, AUTH)).text());
    expect(sampleValue(metrics, 'digest_smtp_connections_cap')).toBe(16);
    expect(sampleValue(metrics, 'digest_smtp_connections_target')).toBe(2);
    expect(sampleValue(metrics, 'digest_smtp_rate_limited_messages')).toBe(0);
  });
});
