import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * package.json's `engines` is a promise: the service installs and runs on the oldest Node it names.
 * No installed package may ask for a newer one (npm only warns, EBADENGINE, and the package may use
 * what that Node lacks): package-lock.json is what `npm ci` installs, so it is read here.
 */
const text = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const pkg = JSON.parse(text('package.json')) as { engines: { node: string } };
const lock = JSON.parse(text('package-lock.json')) as {
  packages: Record<string, { version?: string; engines?: unknown; optional?: boolean }>;
};

describe('the Node versions our dependencies ask for', () => {
  const oldest = semver.minVersion(pkg.engines.node)!;

  it('engines names a floor of Node 20.19', () => {
    expect(oldest.version).toBe('20.19.0');
  });

  it('every package in package-lock.json runs on the oldest Node engines allows', () => {
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '') continue;
      // engines is an object ({ node: '>=18' }) in every package we install; an old array form says nothing npm checks.
      const wanted =
        entry.engines && typeof entry.engines === 'object' && !Array.isArray(entry.engines)
          ? (entry.engines as { node?: unknown }).node
          : undefined;
      if (typeof wanted !== 'string') continue;
      if (!semver.satisfies(oldest, wanted, { includePrerelease: true })) refusing.push(`${path}@${entry.version}: node ${wanted}`);
    }
    expect(refusing, `these ask for a newer Node than engines allows (${pkg.engines.node}): pin or override them`).toEqual([]);
  });

  it('the cookie library npm installs (an override keeps it on a line for Node 20) still sets and reads the admin session cookie', async () => {
    // @fastify/cookie (the admin session) and light-my-request (inject) are what load it.
    const app = Fastify();
    await app.register(cookie);
    app.get('/set', async (_request, reply) =>
      reply.setCookie('digest_admin', 'a b;c', { path: '/admin', httpOnly: true, sameSite: 'lax' }).send('ok'),
    );
    app.get('/read', async (request) => ({ value: request.cookies.digest_admin ?? null }));
    try {
      const set = await app.inject({ url: '/set' });
      expect(set.headers['set-cookie']).toBe('digest_admin=a%20b%3Bc; Path=/admin; HttpOnly; SameSite=Lax');
      expect(set.cookies).toEqual([expect.objectContaining({ name: 'digest_admin', value: 'a b;c', path: '/admin', httpOnly: true })]);
      // As a browser sends it back, and as inject() (light-my-request) builds it.
      const read = await app.inject({ url: '/read', headers: { cookie: 'other=1; digest_admin=a%20b%3Bc' } });
      expect(read.json()).toEqual({ value: 'a b;c' });
      const injected = await app.inject({ url: '/read', cookies: { digest_admin: 'a b;c' } });
      expect(injected.json()).toEqual({ value: 'a b;c' });
    } finally {
      await app.close();
    }
  });
});
