import type { Outcome, OutgoingMessage, Sender } from '../../src/delivery/index.js';

/**
 * A Sender with no sockets, for tests of the worker's own logic (what it hands over, when it stops,
 * what it records): it keeps every message and answers as the test says. Tests that prove delivery
 * use a real SMTP server instead.
 */
export interface RecordingSender extends Sender {
  readonly messages: OutgoingMessage[];
  /** How each message is answered; default 250. */
  answer: (message: OutgoingMessage, n: number) => Outcome | Promise<Outcome>;
  /** Whether verify() succeeds (the relay "answers"). */
  reachable: boolean;
  verifies: number;
}

export const SENT: Outcome = { outcome: 'sent' };
export const RELAY_GONE: Outcome = {
  outcome: 'transient',
  hardBounce: false,
  reason: 'ECONNECTION: connect ECONNREFUSED',
  relayDown: true,
};

export function recordingSender(): RecordingSender {
  const s: RecordingSender = {
    messages: [],
    answer: () => SENT,
    reachable: true,
    verifies: 0,
    async send(message) {
      s.messages.push(message);
      return s.answer(message, s.messages.length);
    },
    async verify() {
      s.verifies += 1;
      if (!s.reachable) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    },
    async close() {},
  };
  return s;
}
