/**
 * A wait that several events can end early: the worker's loop waits here for "a message came back,
 * a mark was stored, stop" or a timeout, whichever is first. It replaces a Promise.race over every
 * in-flight send plus an abortable sleep per turn: at a thousand turns a second that piled up
 * reactions on each in-flight promise and abort listeners on one signal (addEventListener is linear
 * in the listeners, 7 % of the sender's CPU in bench/run.ts --profile).
 */
export class Wakeup {
  private waiting: { promise: Promise<void>; resolve: () => void; timer: NodeJS.Timeout } | undefined;

  /** Ends the current wait, if there is one. A notice with nobody waiting is dropped: waiters look at the state first. */
  notify(): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = undefined;
    clearTimeout(w.timer);
    w.resolve();
  }

  /** Resolves at the next notify() or after `ms`; callers waiting at the same time share one wait. */
  wait(ms: number): Promise<void> {
    if (!this.waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      const timer = setTimeout(() => this.notify(), ms);
      timer.unref();
      this.waiting = { promise, resolve, timer };
    }
    return this.waiting.promise;
  }
}
