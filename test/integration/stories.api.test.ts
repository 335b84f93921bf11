import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES } from '../helpers/database.js';
import { startTestServer, useTestServer } from '../helpers/http.js';

describe.each(ENGINES)('POST /api/stories on %s', (engine) => {
  const ctx = useTestServer(engine, testConfig());

  const post = (body: unknown, token: string | null = ADMIN_TOKEN) =>
    fetch(`${ctx.url}/api/stories`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('refuses a missing or wrong token and stores nothing', async () => {
    expect((await post({ url: 'https://n.example/x', title: 'x' }, null)).status).toBe(401);
    expect((await post({ url: 'https://n.example/x', title: 'x' }, 'wrong-token-123456')).status).toBe(401);
    expect(await ctx.t.db.selectFrom('stories').select('id').execute()).toEqual([]);
  });

  it('stores one story and answers 200 with the counts', async () => {
    const res = await post({ url: 'https://n.example/one', title: 'One', votes: 25, published_at: '2026-11-26T04:00:00Z' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ inserted: 1, updated: 0, duplicates: 0, ownedElsewhere: [], rejected: 0, errors: [] });
  });

  it('stores the good items of a mixed batch and answers 422 naming each bad item and field', async () => {
    const res = await post([
      { url: 'https://n.example/one', title: 'One', votes: 30 },
      { url: 'https://n.example/two', title: '' },
      { url: 'https://n.example/three', title: 'Three', votes: -5 },
      { url: 'https://n.example/four', title: 'Four' },
    ]);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { inserted: number; updated: number; errors: { index: number; field: string; message: string }[] };
    expect(body.inserted).toBe(1);
    expect(body.updated).toBe(1);
    expect(body.errors.map((e) => [e.index, e.field])).toEqual([
      [1, 'title'],
      [2, 'votes'],
    ]);
    expect(body.errors[1]!.message).toBe('item 3 (https://n.example/three): votes must be a whole number from 0 (got -5)');
    const urls = (await ctx.t.db.selectFrom('stories').select('url').orderBy('url').execute()).map((r) => r.url);
    expect(urls).toEqual(['https://n.example/four', 'https://n.example/one']);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await fetch(`${ctx.url}/api/stories`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: '{"url": ',
    });
    expect(res.status).toBe(400);
  });
});

describe('the API with no ADMIN_TOKEN', () => {
  it('is closed, not open', async () => {
    const t = await createTestDatabase(ENGINES[0]!);
    const server = await startTestServer(t, testConfig({ ADMIN_TOKEN: '' }));
    try {
      const res = await fetch(`${server.url}/api/stories`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer anything-at-all' },
        body: JSON.stringify({ url: 'https://n.example/x', title: 'x' }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/set ADMIN_TOKEN/);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
