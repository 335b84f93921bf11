import { startMailCatcher, type MailCatcher } from '../catcher/index.js';
import type { Config, Logger } from '../config/index.js';
import type { Db } from '../db/index.js';
import { createSmtpTransport, digestMessageSource, smtpOptions } from '../delivery/index.js';
import type { SendDeps } from '../editions/index.js';

/**
 * The clients a sending command needs: the pooled SMTP transport (to SMTP_URL, or with none set to the
 * built-in catcher, so the messages land where `digest serve`'s inbox shows them) and the message source.
 */
export async function openDelivery(db: Db, config: Config, log: Logger): Promise<SendDeps & { close(): Promise<void> }> {
  let catcher: MailCatcher | undefined;
  if (!config.smtp.url) {
    catcher = await startMailCatcher({ dir: config.dataDir.startsWith('memory:') ? undefined : `${config.dataDir}/catcher`, log });
    log.warn({ event: 'smtp.catcher' }, `SMTP_URL is not set: mail goes to the built-in catcher (${catcher.url}), not to readers`);
  }
  const transport = createSmtpTransport(smtpOptions(config, config.smtp.url ?? catcher!.url));
  return {
    db,
    config,
    log,
    transport,
    messages: digestMessageSource(db, config),
    async close() {
      transport.close();
      await catcher?.close();
    },
  };
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
