import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_STORIES } from '../../src/demo/demo-stories.js';
import { startDigest, stopChild } from '../helpers/cli.js';

describe('digest demo: the first minute', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a day of stories and readers, prints the admin with a one-time token, and previews a real digest', async () => {
    const demo = await startDigest(['demo'], { DATA_DIR: join(dir, 'data'), PORT: '0' }, /listening on\s+(http:\/\/\S+)[\s\S]*health/, {
      timeoutMs: 90_000,
    });
    try {
      const out = demo.output();
      const base = demo.match[1]!;
      const token = /one-time token: (\S+) /.exec(out)?.[1];
      expect(token).toBeTruthy();
      expect(out).toMatch(/next send\s+\d{4}-\d{2}-\d{2} 06:00 UTC \(DIGEST_CRON "0 6 \* \* \*" in UTC\)/);
      expect(out).toMatch(new RegExp(`demo\\s+${DEMO_STORIES.length} stories and 5 readers loaded`));
      // The token is printed for the person at the console, never written to the log lines.
      expect(out.split('\n').filter((l) => l.startsWith('{') && l.includes(token!))).toEqual([]);

      const admin = await fetch(`${base}/admin`, { headers: { authorization: `Bearer ${token}` } });
      expect(admin.status).toBe(200);
      expect(await admin.text()).toMatch(/<b>5<\/b>active readers/);

      // The stories are in the window of the edition that goes out next: the preview shows them, at any hour.
      const preview = await (await fetch(`${base}/admin/preview`, { headers: { authorization: `Bearer ${token}` } })).text();
      expect(preview).toContain('Turkey and Russia discuss reducing tension in Idlib');
      expect(preview).toContain('From the blogs');

      const article = await fetch(`${base}/demo/stories/${DEMO_STORIES[0]!.slug}`);
      expect(article.status).toBe(200);
      expect(await article.text()).toContain('Get top stories and blog posts emailed to you each day.');
      const image = await fetch(`${base}/demo/images/city.png`);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await image.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    } finally {
      expect(await stopChild(demo.child)).toBe(0);
    }
  });
});
