import { Writable } from 'node:stream';
import pino from 'pino';

/** A real pino logger whose JSON lines a test can read back (events, levels, ids). */
export function capturingLogger() {
  const lines: { event?: string; msg?: string; slot?: string; level?: number }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}
