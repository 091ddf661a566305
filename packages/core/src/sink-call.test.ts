import { describe, expect, test } from "vitest";
import { LoggingError } from "./errors.ts";
import { settleSinkCall } from "./sink-call.ts";

function collect(): { violations: LoggingError[]; onViolation: (error: LoggingError) => void } {
  const violations: LoggingError[] = [];
  return { violations, onViolation: (error) => violations.push(error) };
}

describe("settleSinkCall", () => {
  test("passes a native promise through, with no violation", async () => {
    const { violations, onViolation } = collect();
    const failure = new Error("down");
    await expect(settleSinkCall("flush", () => Promise.resolve(), onViolation)).resolves.toBe(
      undefined,
    );
    await expect(settleSinkCall("flush", () => Promise.reject(failure), onViolation)).rejects.toBe(
      failure,
    );
    expect(violations).toEqual([]);
  });

  test("turns a synchronous throw into a rejection and one violation naming the method", async () => {
    const { violations, onViolation } = collect();
    const thrown = new Error("boom");
    const result = settleSinkCall(
      "close",
      () => {
        throw thrown;
      },
      onViolation,
    );
    const error = await result.catch((reason: unknown) => reason);
    expect(LoggingError.is(error) && error.code).toBe("contract_violation");
    expect((error as Error).message).toBe("Sink.close threw instead of returning a promise.");
    expect((error as Error).cause).toBe(thrown);
    expect(violations).toEqual([error]);
  });

  test("rejects a result that is not a promise", async () => {
    const { violations, onViolation } = collect();
    await expect(settleSinkCall("writeBatch", () => undefined, onViolation)).rejects.toThrow(
      "Sink.writeBatch returned undefined instead of a promise.",
    );
    expect(violations).toHaveLength(1);
  });

  test("keeps the first outcome of a thenable that calls both callbacks, and reports once", async () => {
    const { violations, onViolation } = collect();
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a deliberately broken thenable
      then(resolve: () => void, reject: (error: unknown) => void) {
        resolve();
        reject(new Error("late"));
        resolve();
      },
    };
    await expect(settleSinkCall("writeBatch", () => thenable, onViolation)).resolves.toBe(
      undefined,
    );
    expect(violations.map((error) => error.message)).toEqual([
      "Sink.writeBatch returned a thenable that settled more than once; its first outcome was kept.",
    ]);
  });

  test("survives an onViolation that throws", async () => {
    const result = settleSinkCall(
      "flush",
      () => 42,
      () => {
        throw new Error("bookkeeping");
      },
    );
    await expect(result).rejects.toThrow("Sink.flush returned a number instead of a promise.");
  });
});
