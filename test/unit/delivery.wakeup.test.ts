import { describe, expect, it } from 'vitest';
import { Wakeup } from '../../src/delivery/wakeup.js';

/** Whether `p` has settled by the time already-queued callbacks have run. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('Wakeup (the delivery loop waits on it)', () => {
  it('a notice ends the wait at once, long before its timeout', async () => {
    const w = new Wakeup();
    const waiting = w.wait(60_000);
    expect(await settled(waiting)).toBe(false);
    w.notify();
    expect(await settled(waiting)).toBe(true);
  });

  it('with no notice the wait ends at its timeout', async () => {
    const w = new Wakeup();
    await w.wait(5); // resolves: a hang would fail the test by vitest's own timeout
  });

  it('callers waiting at the same time share one wait; a notice ends all of them', async () => {
    const w = new Wakeup();
    const a = w.wait(60_000);
    const b = w.wait(60_000);
    expect(b).toBe(a);
    w.notify();
    expect(await settled(a)).toBe(true);
  });

  it('a notice with nobody waiting is dropped: the next wait still waits', async () => {
    const w = new Wakeup();
    w.notify();
    const next = w.wait(60_000);
    expect(await settled(next)).toBe(false);
    w.notify();
    expect(await settled(next)).toBe(true);
  });
});
