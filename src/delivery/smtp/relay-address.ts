/** Where and how to reach the relay, read once from its URL (SMTP_URL, or the catcher's). */
export interface RelayAddress {
  readonly host: string;
  readonly port: number;
  /** smtps:// is TLS from the first byte; smtp:// upgrades with STARTTLS. */
  readonly secure: boolean;
  /** Loopback relays (the built-in catcher, test servers) speak plain SMTP; real relays get STARTTLS. */
  readonly ignoreTLS: boolean;
  readonly auth: { readonly user: string; readonly pass: string } | undefined;
}

/**
 * Both senders (nodemailer's pool and the pipelining client) read the relay from here, so they
 * agree on the default port, TLS and the login. The URL was checked when the config was loaded
 * (config/url-setting.ts urlProblem), so a bad one does not reach this far from SMTP_URL.
 */
export function relayAddress(url: string): RelayAddress {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 587)),
    secure: u.protocol === 'smtps:',
    ignoreTLS: ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname),
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
  };
}
