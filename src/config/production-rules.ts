import type { ConfigProblem } from './config-error.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Secrets an attacker may try to guess (ADMIN_TOKEN) or forge tokens with (SECRET) are long in production. */
export const PRODUCTION_SECRET_LENGTH = 32;

/**
 * With NODE_ENV=production, the settings without which the service runs but cannot work: mail that
 * never leaves (the built-in catcher), links to localhost or over plain http, no postal address in
 * the footer, a SECRET kept in DATA_DIR, an admin with no token. Each missing or weak one is one
 * problem; loadConfig reports them all at once with the schema's. The embedded database stays
 * allowed (serve says so once at start-up): it is one process, fine for a small list.
 *
 * Read from the raw environment (empty is unset, as in the schema), so they are reported even when
 * another value is malformed; a variable the schema already refused is not reported twice.
 */
export function productionProblems(env: Env): ConfigProblem[] {
  const value = (name: string) => (env[name]?.trim() ? env[name] : undefined);
  const problems: ConfigProblem[] = [];
  const long = (name: string, purpose: string, how: string) => {
    const v = value(name);
    if (v === undefined)
      problems.push({
        variable: name,
        message: `${name} is not set: production needs ${purpose} of at least ${PRODUCTION_SECRET_LENGTH} characters (use: ${how})`,
      });
    else if (v.length < PRODUCTION_SECRET_LENGTH)
      problems.push({
        variable: name,
        message: `${name} must be at least ${PRODUCTION_SECRET_LENGTH} characters in production (use: ${how})`,
      });
  };
  long('SECRET', 'its own SECRET (the key of every link in emails)', 'openssl rand -hex 32');
  long('ADMIN_TOKEN', 'an ADMIN_TOKEN (for /admin, /api and /metrics)', 'openssl rand -base64 32');

  const publicUrl = value('PUBLIC_URL');
  if (publicUrl === undefined) {
    problems.push({
      variable: 'PUBLIC_URL',
      message: 'PUBLIC_URL is not set: links in emails would point at http://localhost (set the https:// address readers reach)',
    });
  } else if (/^http:/i.test(publicUrl.trim()) && value('ALLOW_HTTP_PUBLIC_URL')?.trim() !== 'true') {
    problems.push({
      variable: 'PUBLIC_URL',
      message: `PUBLIC_URL "${publicUrl}" is not https: readers' confirm and unsubscribe links would travel in clear (only on a private network: ALLOW_HTTP_PUBLIC_URL=true)`,
    });
  }
  if (value('SMTP_URL') === undefined) {
    problems.push({
      variable: 'SMTP_URL',
      message: 'SMTP_URL is not set: mail would go to the built-in catcher and never leave this machine',
    });
  }
  if (value('POSTAL_ADDRESS') === undefined) {
    problems.push({
      variable: 'POSTAL_ADDRESS',
      message: "POSTAL_ADDRESS is empty: bulk mail must show the sender's postal address in every message",
    });
  }
  return problems;
}
