import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BatchSettled, LogEvent, Sink } from "@sluice/core";
import { createLogEvent, totalDropped } from "@sluice/core/sink";
import {
  createMetrics,
  type Metrics,
  type SinkMetricsSnapshot,
  withMetrics,
} from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink, type FileSink } from "@sluice/sink-file";
import { afterEach, describe, expect, it } from "vitest";

// A metered sink speaks of the traffic since it was wrapped, as after a reset: what crossed the
// chain before is not its own, whoever wrapped it.

function event(n: number, timestamp = Date.now()): LogEvent {
  return createLogEvent({ level: "info", template: "Event {N}", properties: { N: n }, timestamp });
}

function named(metrics: Metrics, name: string): SinkMetricsSnapshot {
  const found = metrics.snapshot().sinks.find((sink) => sink.name === name);
  if (found === undefined) throw new Error(`no sink named ${name}`);
  // Every snapshot keeps the conservation law, whatever moment it is taken at.
  expect(found.events).toBe(
    found.delivered + totalDropped(found.dropped) + found.failed + found.pending,
  );
  return found;
}

const directories: string[] = [];

function temporaryFile(): string {
  const directory = mkdtempSync(join(tmpdir(), "sluice-metrics-wrap-"));
  directories.push(directory);
  return join(directory, "app.log");
}

const sinks: Sink[] = [];

function fileSink(path: string): FileSink {
  const sink = createFileSink({ path, onError: () => {} });
  sinks.push(sink);
  return sink;
}

function lines(path: string): number {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0).length;
}

afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close().catch(() => {});
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

/**
 * A third-party pass-through in front of a sink that holds every batch until `release()`: a
 * stalled destination, as a hung network peer is. It passes deliveries and the chain through.
 */
function gate(inner: Sink): Sink & { release(): void } {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    name: "gate",
    inner,
    write: (value) => inner.write(value),
    async writeBatch(events: readonly LogEvent[], settled?: BatchSettled) {
      await opened;
      return inner.writeBatch(events, settled);
    },
    flush: async () => {
      await opened;
      return inner.flush();
    },
    close: () => inner.close(),
    observeDelivery: (observer) => inner.observeDelivery?.(observer) ?? (() => {}),
    release: () => open(),
  };
}

describe("wrapping a sink that already carried traffic", () => {
  it("a file sink: counts and times only what comes after the wrapping", async () => {
    const path = temporaryFile();
    const file = fileSink(path);
    for (let n = 0; n < 3000; n++) file.write(event(n));
    await file.flush();
    const bytesBefore = statSync(path).size;

    const metrics = createMetrics();
    const sink = withMetrics(file, { metrics, name: "file" });
    expect(named(metrics, "file")).toMatchObject({ events: 0, delivered: 0, bytes: 0 });
    for (let n = 0; n < 1000; n++) sink.write(event(n));
    await sink.flush();

    const after = named(metrics, "file");
    expect(after).toMatchObject({ events: 1000, delivered: 1000, failed: 0, pending: 0 });
    expect(after.bytes).toBe(statSync(path).size - bytesBefore);
    expect(after.deliveryLatency.count).toBe(after.delivered);
    expect(lines(path)).toBe(4000);
    // The components still tell their own history.
    expect(after.components[1]).toMatchObject({ accepted: 4000, delivered: 4000 });
  });

  it("a file sink holding unwritten events: they count, their delivery is not timed", async () => {
    const path = temporaryFile();
    const file = fileSink(path);
    for (let n = 0; n < 2000; n++) file.write(event(n, Date.now() - 100_000));
    const held = file.stats().pending;
    expect(held).toBeGreaterThan(0);

    const metrics = createMetrics();
    const sink = withMetrics(file, { metrics, name: "file" });
    expect(named(metrics, "file")).toMatchObject({ events: held, pending: held, delivered: 0 });
    for (let n = 0; n < 500; n++) sink.write(event(n));
    await sink.flush();

    const after = named(metrics, "file");
    expect(after).toMatchObject({ events: held + 500, delivered: held + 500, pending: 0 });
    // Only the events that crossed the metered sink are timed, none of those stamped 100 s ago.
    expect(after.deliveryLatency.count).toBe(500);
    expect(after.deliveryLatency.max).toBeLessThan(50_000);
    expect(lines(path)).toBe(2500);
  });

  it("a queue and file chain with prior traffic starts from zero", async () => {
    const path = temporaryFile();
    const chain = withQueue(fileSink(path), { maxEvents: 10_000, onError: () => {} });
    for (let n = 0; n < 3000; n++) chain.write(event(n));
    await chain.flush();

    const metrics = createMetrics();
    const sink = withMetrics(chain, { metrics, name: "queued" });
    expect(named(metrics, "queued")).toMatchObject({ events: 0, delivered: 0, bytes: 0 });
    for (let n = 0; n < 1000; n++) sink.write(event(n));
    named(metrics, "queued");
    await sink.flush();

    const after = named(metrics, "queued");
    expect(after).toMatchObject({ events: 1000, delivered: 1000, pending: 0 });
    expect(after.deliveryLatency.count).toBe(after.delivered);
    expect(after.queue).toMatchObject({ size: 0 });
    expect(lines(path)).toBe(4000);
  });

  it("a stalled queue: events held at the wrapping are counted once released, never timed", async () => {
    const path = temporaryFile();
    const stalled = gate(fileSink(path));
    const chain = withQueue(stalled, { maxEvents: 10_000, batchSize: 256, onError: () => {} });
    // Stamped 100 s ago: had they been timed, they would show in max and in p50.
    for (let n = 0; n < 3000; n++) chain.write(event(n, Date.now() - 100_000));

    const metrics = createMetrics();
    const sink = withMetrics(chain, { metrics, name: "stalled" });
    // Held events count as received after the wrapping, as after a reset.
    expect(named(metrics, "stalled")).toMatchObject({ events: 3000, pending: 3000, delivered: 0 });
    for (let n = 0; n < 1000; n++) sink.write(event(n));
    expect(named(metrics, "stalled")).toMatchObject({ events: 4000, pending: 4000 });

    stalled.release();
    // Snapshots taken while the queue drains keep the law too.
    while (named(metrics, "stalled").pending > 0)
      await new Promise((resolve) => setImmediate(resolve));
    await sink.flush();

    const after = named(metrics, "stalled");
    expect(after).toMatchObject({ events: 4000, delivered: 4000, failed: 0, pending: 0 });
    expect(totalDropped(after.dropped)).toBe(0);
    // Timed: exactly the events that crossed the metered sink.
    expect(after.deliveryLatency.count).toBe(1000);
    expect(after.deliveryLatency.max).toBeLessThan(50_000);
    expect(lines(path)).toBe(4000);
  });

  it("two metered sinks around one sink: each reports the sink's traffic since its own wrapping", async () => {
    const path = temporaryFile();
    const file = fileSink(path);
    const metrics = createMetrics();
    const first = withMetrics(file, { metrics, name: "first" });
    for (let n = 0; n < 1000; n++) first.write(event(n));
    await first.flush();

    const second = withMetrics(file, { metrics, name: "second" });
    expect(named(metrics, "second")).toMatchObject({ events: 0, delivered: 0, bytes: 0 });
    for (let n = 0; n < 500; n++) first.write(event(n));
    for (let n = 0; n < 200; n++) second.write(event(n));
    named(metrics, "first");
    named(metrics, "second");
    await Promise.all([first.flush(), second.flush()]);

    const one = named(metrics, "first");
    const two = named(metrics, "second");
    expect(one).toMatchObject({ events: 1700, delivered: 1700, pending: 0 });
    expect(two).toMatchObject({ events: 700, delivered: 700, pending: 0 });
    expect(one.deliveryLatency.count).toBe(1700);
    expect(two.deliveryLatency.count).toBe(700);
    // What crossed each metered sink itself is its own first component.
    expect(one.components[0]?.accepted).toBe(1500);
    expect(two.components[0]?.accepted).toBe(200);
    expect(lines(path)).toBe(1700);
  });

  it("a second metered sink wrapped while the first one's events are unwritten skips them", async () => {
    const path = temporaryFile();
    const file = fileSink(path);
    const metrics = createMetrics();
    const first = withMetrics(file, { metrics, name: "first" });
    for (let n = 0; n < 2000; n++) first.write(event(n, Date.now() - 100_000));
    const held = file.stats().pending;
    expect(held).toBeGreaterThan(0);
    const second = withMetrics(file, { metrics, name: "second" });
    for (let n = 0; n < 300; n++) second.write(event(n));
    await second.flush();

    const two = named(metrics, "second");
    expect(two).toMatchObject({ events: held + 300, delivered: held + 300, pending: 0 });
    expect(two.deliveryLatency.count).toBe(300);
    expect(two.deliveryLatency.max).toBeLessThan(50_000);
    expect(named(metrics, "first").deliveryLatency.count).toBe(2300);
  });

  it("reset after wrapping keeps the law, and held events stay untimed", async () => {
    const path = temporaryFile();
    const stalled = gate(fileSink(path));
    const chain = withQueue(stalled, { maxEvents: 10_000, onError: () => {} });
    for (let n = 0; n < 2000; n++) chain.write(event(n, Date.now() - 100_000));
    const metrics = createMetrics();
    const sink = withMetrics(chain, { metrics, name: "app" });
    for (let n = 0; n < 100; n++) sink.write(event(n));

    metrics.reset();
    expect(named(metrics, "app")).toMatchObject({ events: 2100, pending: 2100, delivered: 0 });
    for (let n = 0; n < 400; n++) sink.write(event(n));
    stalled.release();
    await sink.flush();

    const after = named(metrics, "app");
    expect(after).toMatchObject({ events: 2500, delivered: 2500, pending: 0 });
    // The 100 held at the reset crossed the metered sink: timed; the 2000 from before it: not.
    expect(after.deliveryLatency.count).toBe(500);
    expect(after.deliveryLatency.max).toBeLessThan(50_000);

    metrics.reset();
    const sizeBefore = statSync(path).size;
    for (let n = 0; n < 50; n++) sink.write(event(n));
    await sink.flush();
    const last = named(metrics, "app");
    expect(last).toMatchObject({ events: 50, delivered: 50, pending: 0 });
    expect(last.bytes).toBe(statSync(path).size - sizeBefore);
    expect(last.deliveryLatency.count).toBe(50);
    expect(lines(path)).toBe(2550);
  });

  it("Prometheus counters of a late metered sink start at zero", async () => {
    const path = temporaryFile();
    const file = fileSink(path);
    for (let n = 0; n < 100; n++) file.write(event(n));
    await file.flush();
    const metrics = createMetrics();
    const sink = withMetrics(file, { metrics, name: "late" });
    sink.write(event(0));
    await sink.flush();
    const text = metrics.toPrometheus();
    expect(text).toContain('sluice_sink_log_accepted_total{sink="late"} 1\n');
    expect(text).toContain('sluice_sink_log_processed_total{sink="late"} 1\n');
  });
});
