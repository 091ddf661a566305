/** @internal how one awaited step ended. */
export type Settlement =
  | { readonly outcome: "flushed" }
  | { readonly outcome: "failed"; readonly error: unknown }
  | { readonly outcome: "timed-out" }
  | { readonly outcome: "abandoned" };

/**
 * @internal Waits for `work` for at most `timeoutMs`, or until `escalation` aborts. The timer is
 * left referenced on purpose: while a shutdown waits, it must keep the process alive up to its
 * deadline (an unreferenced timer would let the process end early, with the wrong exit code),
 * and it is cleared as soon as the step settles, so nothing of ours outlives the shutdown.
 */
export function settleWithin(
  work: Promise<void>,
  timeoutMs: number,
  escalation: AbortSignal,
): Promise<Settlement> {
  if (escalation.aborted) return Promise.resolve({ outcome: "abandoned" });
  return new Promise<Settlement>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (settlement: Settlement): void => {
      if (timer !== undefined) clearTimeout(timer);
      escalation.removeEventListener("abort", onEscalation);
      resolve(settlement);
    };
    const onEscalation = (): void => finish({ outcome: "abandoned" });
    escalation.addEventListener("abort", onEscalation, { once: true });
    if (timeoutMs !== Number.POSITIVE_INFINITY) {
      timer = setTimeout(() => finish({ outcome: "timed-out" }), Math.max(0, timeoutMs));
    }
    work.then(
      () => finish({ outcome: "flushed" }),
      (error: unknown) => finish({ outcome: "failed", error }),
    );
  });
}
