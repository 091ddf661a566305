// The queue's timers are unref()ed so a queue never keeps a process alive; in exchange, when the
// event loop runs out of work ("beforeExit"), every open queue is drained, so a script that logs
// and ends still delivers its last events. One listener serves every queue.
//
// A batch still in flight at that moment is waiting on something that no longer keeps the
// process alive (at best an unref()ed timer of the inner sink). The process is kept alive once,
// for a grace period, so such a timer can still fire; a batch still in flight when the loop runs
// dry again never will settle, and its queue gives it up (counted) instead of re-arming a drain
// that cannot start, which would spin for ever.

/** @internal a queue that can start its drain on demand. */
export interface Drainable {
  /**
   * Starts a drain of what is queued, or gives up a batch in flight that was already in flight
   * at the previous exit check.
   *
   * @returns `true` when a batch in flight is seen for the first time and deserves a grace period.
   */
  drainAtExit(): boolean;
}

/** How long a batch in flight when the process runs out of work may still take, in milliseconds. */
export const exitGraceMs = 1000;

const openQueues = new Set<Drainable>();

function drainAll(): void {
  let waiting = false;
  for (const queue of openQueues) {
    if (queue.drainAtExit()) waiting = true;
  }
  // Ref'd on purpose: it is what keeps the process alive for the grace period.
  if (waiting) setTimeout(() => {}, exitGraceMs);
}

/** @internal */
export function registerForExitDrain(queue: Drainable): void {
  if (openQueues.size === 0) process.on("beforeExit", drainAll);
  openQueues.add(queue);
}

/** @internal */
export function unregisterFromExitDrain(queue: Drainable): void {
  openQueues.delete(queue);
  if (openQueues.size === 0) process.off("beforeExit", drainAll);
}
