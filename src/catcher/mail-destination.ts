import type { Config, Logger } from '../config/index.js';
import { startMailCatcher, type MailCatcher } from './catcher-server.js';

export interface MailDestination {
  /** Where mail goes: SMTP_URL, or the catcher's loopback address. */
  readonly smtpUrl: string;
  /** The built-in catcher when SMTP_URL is unset (the caller closes it). */
  readonly catcher: MailCatcher | undefined;
}

/**
 * The one place that decides where a process's mail goes: SMTP_URL when set; with none, the built-in
 * catcher on loopback, never relayed, keeping what it catches in DATA_DIR/catcher (in memory for a
 * `memory:` DATA_DIR) so that `digest serve`'s inbox shows what a CLI send left there too.
 */
export async function openMailDestination(config: Config, log: Logger): Promise<MailDestination> {
  if (config.smtp.url) return { smtpUrl: config.smtp.url, catcher: undefined };
  const catcher = await startMailCatcher({ dir: config.dataDir.startsWith('memory:') ? undefined : `${config.dataDir}/catcher`, log });
  return { smtpUrl: catcher.url, catcher };
}
