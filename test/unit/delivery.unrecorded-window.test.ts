import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateBound, mayHandOver } from '../../src/delivery/index.js';

/**
 * The back-pressure rule on its own: whatever the relay and the database do, messages handed to SMTP
 * whose outcome is not recorded (in flight, or 250 with the `sent` mark waiting) never pass
 * concurrency + maxMarks, the duplicate bound README "What is and is not guaranteed" states.
 */
type Step = 'handOver' | 'accepted' | 'refused' | 'flushOk' | 'flushFails';

function simulate(limits: { concurrency: number; maxMarks: number }, steps: readonly Step[]) {
  let inFlight = 0;
  let waitingMarks = 0;
  let handedWhileDown = 0;
  let down = false;
  let worst = 0;
  for (const step of steps) {
    switch (step) {
      case 'handOver':
        // The worker hands over as many as the rule lets it.
        while (mayHandOver({ inFlight, waitingMarks }, limits)) {
          inFlight += 1;
          if (down) handedWhileDown += 1;
        }
        break;
      case 'accepted':
        if (inFlight > 0) {
          inFlight -= 1;
          waitingMarks += 1;
        }
        break;
      case 'refused':
        if (inFlight > 0) inFlight -= 1;
        break;
      case 'flushOk':
        down = false;
        waitingMarks = 0;
        break;
      case 'flushFails':
        down = true;
        break;
    }
    worst = Math.max(worst, inFlight + waitingMarks);
  }
  return { worst, handedWhileDown, inFlight, waitingMarks };
}

describe('the unrecorded window (back-pressure on sent marks)', () => {
  it('states the bound as concurrency + maxMarks', () => {
    expect(duplicateBound({ concurrency: 8, maxMarks: 50 })).toBe(58);
    expect(duplicateBound({ concurrency: 2, maxMarks: 0 })).toBe(2);
  });

  it('hands over while there is room, never more than the concurrency at once', () => {
    const limits = { concurrency: 4, maxMarks: 10 };
    expect(mayHandOver({ inFlight: 0, waitingMarks: 0 }, limits)).toBe(true);
    expect(mayHandOver({ inFlight: 3, waitingMarks: 10 }, limits)).toBe(true);
    expect(mayHandOver({ inFlight: 4, waitingMarks: 0 }, limits)).toBe(false);
    expect(mayHandOver({ inFlight: 0, waitingMarks: 14 }, limits)).toBe(false);
    expect(mayHandOver({ inFlight: 1, waitingMarks: 13 }, limits)).toBe(false);
    expect(mayHandOver({ inFlight: 0, waitingMarks: 13 }, limits)).toBe(true);
  });

  it('with the database down and every message accepted, sending stops once the window is full', () => {
    const limits = { concurrency: 8, maxMarks: 50 };
    // The database goes away, then the relay keeps answering 250 to everything handed over.
    const steps: Step[] = ['flushFails'];
    for (let i = 0; i < 1000; i++) steps.push('handOver', 'accepted');
    const r = simulate(limits, steps);
    expect(r.handedWhileDown).toBe(58);
    expect(r.inFlight + r.waitingMarks).toBe(58);
    // Once the marks are stored, sending resumes.
    const after = simulate(limits, [...steps, 'flushOk', 'handOver']);
    expect(after.inFlight).toBe(8);
  });

  it('never lets in flight + waiting marks pass the bound, whatever order things happen in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.constantFrom<Step>('handOver', 'accepted', 'accepted', 'refused', 'flushOk', 'flushFails'), { maxLength: 400 }),
        (concurrency, maxMarks, steps) => {
          const r = simulate({ concurrency, maxMarks }, steps);
          expect(r.worst).toBeLessThanOrEqual(duplicateBound({ concurrency, maxMarks }));
          expect(r.inFlight).toBeLessThanOrEqual(concurrency);
        },
      ),
    );
  });
});
