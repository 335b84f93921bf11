import { afterEach } from 'vitest';

/**
 * Closes what a test opened (databases, SMTP sinks, servers), after each test, last opened first.
 * `track(x)` returns x, so it wraps the line that makes it.
 */
export function useCleanup(): <T extends { close(): unknown }>(resource: T) => T {
  const opened: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const r of opened.splice(0).reverse()) await r.close();
  });
  return (resource) => {
    opened.push(resource);
    return resource;
  };
}
