import { openMailDestination } from '../catcher/index.js';
import type { Config, Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import {
  createSender,
  digestMessageSource,
  EditionWatch,
  relayProblem,
  RelayWatch,
  smtpOptions,
  ThrottleRecorder,
} from '../delivery/index.js';
import type { SendDeps } from '../editions/index.js';
import { CliError } from './cli-error.js';

export type OpenDelivery = SendDeps & { readonly relay: RelayWatch; readonly smtpUrl: string; close(): Promise<void> };

/**
 * The clients a sending command needs: the Sender (to SMTP_URL, or with none set to the built-in
 * catcher, so the messages land where `digest serve`'s inbox shows them), the watches on the relay
 * and on the editions' status its workers share, and the message source.
 */
export async function openDelivery(db: Db, config: Config, log: Logger): Promise<OpenDelivery> {
  const { smtpUrl, catcher } = await openMailDestination(config, log);
  if (catcher)
    log.warn({ event: 'smtp.catcher' }, `SMTP_URL is not set: mail goes to the built-in catcher (${catcher.url}), not to readers`);
  const sender = createSender(smtpOptions(config, smtpUrl));
  const relay = new RelayWatch(sender, { url: smtpUrl, log });
  // The relay's throttling of this process, for `digest status`, the admin and /healthz elsewhere.
  const throttles = new ThrottleRecorder(db, relay, log);
  return {
    db,
    config,
    log,
    sender,
    relay,
    // One reading of which editions are paused, shared by the process's workers.
    editions: new EditionWatch(db),
    smtpUrl,
    messages: digestMessageSource(db, config),
    async close() {
      relay.close();
      await sender.close();
      await throttles.close();
      await catcher?.close();
    },
  };
}

/**
 * Before anything is claimed: one connection to the relay and EHLO (STARTTLS and AUTH as
 * configured). A relay that cannot be used is one line naming SMTP_URL (no password) and what
 * failed, exit 1, and nothing claimed, rather than every delivery's attempts spent on it.
 */
export async function preflightRelay(delivery: OpenDelivery): Promise<void> {
  try {
    await delivery.relay.preflight();
  } catch (err) {
    throw new CliError(relayProblem(delivery.smtpUrl, err), { code: 'RELAY_UNAVAILABLE' });
  }
}

/** Runs `fn` with an AbortSignal that SIGINT / SIGTERM trip; a second signal exits at once. */
export async function withShutdownSignal<T>(log: Logger, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    log.info({ event: 'delivery.stopping', signal: name }, `${name}: stopping (claims not yet sent are released)`);
    controller.abort();
    // The bound: whatever happens, the process is gone within 20 s.
    setTimeout(() => process.exit(1), 20_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
