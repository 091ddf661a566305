// The queue's timers are unref()ed so a queue never keeps a process alive; in exchange, when the
// event loop runs out of work ("beforeExit"), every open queue is drained, so a script that logs
// and ends still delivers its last events. One listener serves every queue.

/** @internal a queue that can start its drain on demand. */
export interface Drainable {
  drainNow(): void;
}

const openQueues = new Set<Drainable>();

function drainAll(): void {
  for (const queue of openQueues) queue.drainNow();
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
