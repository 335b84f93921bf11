/**
 * How many connections the pipeline keeps to the relay. One pipelined connection carries one message
 * per round trip, so a relay 50 ms away gives 20 messages a second per connection whatever our CPU:
 * connections are added while the round trip, not our CPU, is what limits (`wantedConnections`), up
 * to SMTP_MAX_CONNECTIONS. The relay may say it wants fewer: a connection refused with "too many
 * connections" lowers the cap to the connections that are open; a message refused for too many
 * connections lowers the target by one. Both are given back slowly (one connection a while later),
 * so a relay that keeps pushing back keeps the count down. A rate limit ("454 Throttling failure")
 * is not answered here: it asks for fewer messages a second, not fewer connections (send-rate.ts).
 */

/**
 * CPU of our own per message (compose aside): one event loop hands over about 4,000 messages a
 * second at best (bench/), so a connection whose round trip is R ms keeps R / 0.25 messages' worth
 * of CPU waiting on the wire.
 */
export const PER_MESSAGE_MS = 0.25;
/** Never fewer: one connection stalled on a slow reply must not stall the send. */
export const MIN_CONNECTIONS = 2;

export interface WantedConnections {
  /** The measured round trip per message (ms); undefined before the first reply. */
  readonly roundTripMs: number | undefined;
  /** SMTP_MAX_CONNECTIONS. */
  readonly cap: number;
  readonly perMessageMs?: number;
  readonly min?: number;
}

/**
 * Connections worth having: enough that the wire keeps our CPU busy (round trip / CPU per message),
 * at least `min`, never more than `cap` (which wins over `min`).
 */
export function wantedConnections(w: WantedConnections): number {
  const cap = Math.max(1, Math.floor(w.cap));
  const min = Math.min(cap, w.min ?? MIN_CONNECTIONS);
  if (w.roundTripMs === undefined || !Number.isFinite(w.roundTripMs)) return min;
  const worth = Math.ceil(Math.max(0, w.roundTripMs) / (w.perMessageMs ?? PER_MESSAGE_MS));
  return Math.max(min, Math.min(cap, worth));
}

/** A moving average that follows the relay within about ten replies and forgets one slow reply. */
export function nextRoundTrip(previous: number | undefined, sampleMs: number): number {
  return previous === undefined ? sampleMs : previous + 0.2 * (sampleMs - previous);
}

export interface BudgetOptions {
  /** SMTP_MAX_CONNECTIONS: never more, whatever is measured. */
  readonly cap: number;
  readonly perMessageMs?: number;
  readonly min?: number;
  /** After a refusal for too many connections, one more is tried this long after (ms). */
  readonly regrowCapMs?: number;
  /** After a message refused for too many connections, the target may grow by one again this long after (ms). */
  readonly regrowRateMs?: number;
  /** Such refusals closer together than this lower the target once (ms): a burst of them is one signal. */
  readonly rateLimitWindowMs?: number;
}

/**
 * The numbers behind the pool's size, with the clock passed in (the pipeline's monotonic clock; a
 * test's own): the measured round trip, the cap the relay allows, the ceiling its pushback leaves.
 */
export class ConnectionBudget {
  private roundTrip: number | undefined;
  /** SMTP_MAX_CONNECTIONS, or fewer after the relay refused a connection for too many. */
  private allowed: number;
  private allowedSince = 0;
  /** Fewer connections after messages refused for too many connections (Infinity: none). */
  private rateCeiling = Number.POSITIVE_INFINITY;
  private rateCeilingSince = 0;

  constructor(private readonly o: BudgetOptions) {
    this.allowed = Math.max(1, o.cap);
  }

  get roundTripMs(): number | undefined {
    return this.roundTrip;
  }

  noteRoundTrip(sampleMs: number): void {
    this.roundTrip = nextRoundTrip(this.roundTrip, sampleMs);
  }

  /** A connection was refused for too many while `open` others of ours were open. */
  noteTooManyConnections(open: number, now: number): void {
    this.allowed = Math.max(1, Math.min(this.allowed, open));
    this.allowedSince = now;
  }

  /** A message was refused for too many connections while `connections` were running. */
  noteConnectionPushback(connections: number, now: number): void {
    if (this.rateCeiling !== Number.POSITIVE_INFINITY && now - this.rateCeilingSince < (this.o.rateLimitWindowMs ?? 1000)) return;
    this.rateCeiling = Math.max(1, Math.min(this.rateCeiling, connections) - 1);
    this.rateCeilingSince = now;
  }

  /** The most connections the relay lets us have now (cap and pushback ceiling); given back one at a time. */
  ceiling(now: number): number {
    if (this.allowed < this.o.cap && now - this.allowedSince >= (this.o.regrowCapMs ?? 60_000)) {
      this.allowed += 1;
      this.allowedSince = now;
    }
    if (this.rateCeiling !== Number.POSITIVE_INFINITY && now - this.rateCeilingSince >= (this.o.regrowRateMs ?? 30_000)) {
      this.rateCeiling += 1;
      this.rateCeilingSince = now;
      if (this.rateCeiling >= this.o.cap) this.rateCeiling = Number.POSITIVE_INFINITY;
    }
    return Math.max(1, Math.min(this.allowed, this.rateCeiling));
  }

  /** The connections to have now: what the round trip is worth, within the ceiling. */
  target(now: number): number {
    const wanted = wantedConnections({
      roundTripMs: this.roundTrip,
      cap: this.o.cap,
      perMessageMs: this.o.perMessageMs,
      min: this.o.min,
    });
    return Math.min(wanted, this.ceiling(now));
  }

  /** The cap in force (SMTP_MAX_CONNECTIONS unless the relay refused connections for too many). */
  get cap(): number {
    return this.allowed;
  }
}
