import type { LogEvent, Sink, SinkStats } from "@sluice/core";
import { createLogEvent, SinkCounters, totalDropped } from "@sluice/core/sink";
import {
  createMetrics,
  type Metrics,
  type SinkMetricsSnapshot,
  withMetrics,
} from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { describe, expect, it } from "vitest";

// The core contract does not make a component's counters monotonic: a third-party sink may
// recreate them (after a reconnect, say) and count from zero again. The metrics carry what was
// counted before such a restart forward, so that what they export never goes down.

function event(n: number): LogEvent {
  return createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });
}

const bytesPerEvent = 10;

/**
 * A third-party sink, written against core alone, whose counters can restart. Every fifth event
 * (by its `N`) is refused as `sink_error`; the others are delivered at once, ten bytes each, or
 * held until `release()` while `holding`.
 */
class ReconnectingSink implements Sink {
  readonly name = "reconnecting";
  counters = new SinkCounters();
  holding = false;
  statsFail = false;
  #held = 0;

  write(event: LogEvent): void {
    if ((event.properties.N as number) % 5 === 4) {
      this.counters.refuse("sink_error");
      return;
    }
    this.counters.accept(1, bytesPerEvent);
    if (this.holding) this.#held++;
    else this.counters.deliver(1, bytesPerEvent);
  }

  async writeBatch(events: readonly LogEvent[]): Promise<void> {
    for (const entry of events) this.write(entry);
  }

  release(): void {
    this.counters.deliver(this.#held, this.#held * bytesPerEvent);
    this.#held = 0;
  }

  /** Recreates the counters; the held events are kept and still reported as pending. */
  restart(): void {
    const counters = new SinkCounters();
    counters.pending = this.#held;
    counters.pendingBytes = this.#held * bytesPerEvent;
    this.counters = counters;
  }

  /** Recreates the counters and forgets the held events, as a sink that lost its connection. */
  restartLosingHeld(): void {
    this.#held = 0;
    this.counters = new SinkCounters();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  stats(): SinkStats {
    if (this.statsFail) throw new Error("stats unavailable while reconnecting");
    return this.counters.snapshot();
  }
}

function write(sink: Sink, count: number, first = 0): void {
  for (let n = first; n < first + count; n++) sink.write(event(n));
}

/** The sink's snapshot; no counter is ever negative, and the law holds unless told otherwise. */
function read(metrics: Metrics, lawGap = 0): SinkMetricsSnapshot {
  const snapshot = metrics.snapshot().sinks[0] as SinkMetricsSnapshot;
  const { events, delivered, dropped, failed, pending, bytes } = snapshot;
  for (const count of [events, delivered, failed, pending, bytes, ...Object.values(dropped)]) {
    expect(count).toBeGreaterThanOrEqual(0);
  }
  expect(events - lawGap).toBe(delivered + totalDropped(dropped) + failed + pending);
  return snapshot;
}

/** Every sample of the text, by series. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

/** Scrapes and checks every counter against the last scrape: none went down, none is negative. */
class Scraper {
  readonly #metrics: Metrics;
  #last = new Map<string, number>();
  scrapes = 0;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  scrape(): Map<string, number> {
    const now = samples(this.#metrics.toPrometheus());
    for (const [series, value] of now) {
      if (!series.includes("_total{")) continue;
      expect(value, series).toBeGreaterThanOrEqual(0);
      expect(value, series).toBeGreaterThanOrEqual(this.#last.get(series) ?? 0);
    }
    this.#last = now;
    this.scrapes++;
    return now;
  }

  /** After a `reset()`, counters start again from zero, as the reset says. */
  reset(): void {
    this.#last = new Map();
  }
}

const accepted = 'sluice_sink_log_accepted_total{sink="app"}';
const deliveredSeries = 'sluice_sink_log_processed_total{sink="app"}';
const writtenBytes = 'sluice_sink_log_written_bytes_total{sink="app"}';

describe("a component whose counters restart", () => {
  it("once: what it counted before is carried forward, in snapshots and in Prometheus", () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(inner, { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    write(sink, 100);
    expect(read(metrics)).toMatchObject({ events: 100, delivered: 80, bytes: 800 });
    expect(scraper.scrape().get(accepted)).toBe(100);

    inner.restart();
    write(sink, 10);
    const after = read(metrics);
    expect(after).toMatchObject({ events: 110, delivered: 88, failed: 0, pending: 0, bytes: 880 });
    expect(after.dropped.sink_error).toBe(22);
    // The component's own entry is carried too: it is a history, and histories only grow.
    expect(after.components[1]).toMatchObject({ accepted: 110, delivered: 88, bytes: 880 });
    const text = scraper.scrape();
    expect(text.get(accepted)).toBe(110);
    expect(text.get(deliveredSeries)).toBe(88);
    expect(text.get('sluice_sink_log_processed_total{sink="app",error_type="sink_error"}')).toBe(
      22,
    );
    expect(text.get(writtenBytes)).toBe(880);

    write(sink, 5, 10);
    expect(read(metrics)).toMatchObject({ events: 115, delivered: 92, bytes: 920 });
    expect(scraper.scrape().get(accepted)).toBe(115);
  });

  it("again and again, whether read before a restart or only after", () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(inner, { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    let written = 0;
    for (let round = 1; round <= 8; round++) {
      // Fewer events each round than the round before, so every restart reads lower than the
      // reading before it.
      const count = 5 * (10 - round);
      write(sink, count);
      written += count;
      expect(read(metrics).events).toBe(written);
      if (round % 2 === 0) scraper.scrape();
      inner.restart();
      // Read again right after the restart, at zero, on some rounds only.
      if (round % 3 === 0) expect(read(metrics).events).toBe(written);
    }
    const last = read(metrics);
    // Every round writes a multiple of five events: one in five refused.
    const delivered = (written / 5) * 4;
    expect(last).toMatchObject({ events: written, delivered, bytes: delivered * bytesPerEvent });
    expect(scraper.scrape().get(accepted)).toBe(written);
  });

  it("after reset(): counts from the reset, never below zero", () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(inner, { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    write(sink, 100);
    read(metrics);
    inner.restart();
    write(sink, 15);
    expect(read(metrics)).toMatchObject({ events: 115, bytes: 920 });
    scraper.scrape();

    metrics.reset();
    scraper.reset();
    expect(read(metrics)).toMatchObject({ events: 0, delivered: 0, bytes: 0 });
    inner.restart();
    write(sink, 3);
    const after = read(metrics);
    expect(after).toMatchObject({ events: 3, delivered: 3, bytes: 30 });
    const text = scraper.scrape();
    expect(text.get(accepted)).toBe(3);
    expect(text.get(writtenBytes)).toBe(30);
  });

  it("only one counter (bytes): the others are not counted twice", () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(inner, { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    write(sink, 4);
    write(sink, 4, 5);
    expect(read(metrics)).toMatchObject({ events: 8, delivered: 8, bytes: 80 });
    scraper.scrape();
    // The sink starts counting bytes again (a new file, say), nothing else.
    inner.counters.bytes = 0;
    expect(read(metrics)).toMatchObject({ events: 8, delivered: 8, bytes: 80 });
    scraper.scrape();
    write(sink, 4, 10);
    expect(read(metrics)).toMatchObject({ events: 12, delivered: 12, bytes: 120 });
    expect(scraper.scrape().get(accepted)).toBe(12);
  });

  it("under a queue: the leaf's bytes and history are carried, the queue's outcomes are exact", async () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(withQueue(inner, { maxEvents: 1000 }), { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    write(sink, 100);
    await sink.flush();
    // The queue delivered all 100 to the leaf, which refused 20 of them: the queue's view.
    expect(read(metrics)).toMatchObject({ events: 100, delivered: 100, bytes: 800 });
    scraper.scrape();

    inner.restart();
    expect(read(metrics)).toMatchObject({ events: 100, delivered: 100, bytes: 800 });
    scraper.scrape();
    write(sink, 10);
    await sink.flush();
    const after = read(metrics);
    expect(after).toMatchObject({ events: 110, delivered: 110, bytes: 880 });
    expect(after.components[2]).toMatchObject({ name: "reconnecting", accepted: 110 });
    expect(after.components[2]?.dropped.sink_error).toBe(22);
    expect(scraper.scrape().get(writtenBytes)).toBe(880);
  });

  it("while its stats() throws: read as it last was, then carried once, not twice", () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(inner, { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    write(sink, 100);
    expect(read(metrics).events).toBe(100);
    scraper.scrape();

    // Its stats() fails while it reconnects, and it comes back with new counters.
    inner.statsFail = true;
    inner.restart();
    write(sink, 10);
    expect(read(metrics).events).toBe(100);
    scraper.scrape();
    expect(read(metrics).events).toBe(100);
    inner.statsFail = false;
    expect(read(metrics)).toMatchObject({ events: 110, delivered: 88, bytes: 880 });
    expect(scraper.scrape().get(accepted)).toBe(110);

    // Failing again without a restart: when it comes back, nothing is carried.
    inner.statsFail = true;
    write(sink, 10);
    expect(read(metrics).events).toBe(110);
    inner.statsFail = false;
    expect(read(metrics)).toMatchObject({ events: 120, delivered: 96, bytes: 960 });
    expect(scraper.scrape().get(accepted)).toBe(120);
  });

  it("after wrapping a sink with earlier traffic: counts from the wrapping, never below zero", () => {
    const inner = new ReconnectingSink();
    write(inner, 1000);
    const metrics = createMetrics();
    const sink = withMetrics(inner, { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    write(sink, 50);
    expect(read(metrics)).toMatchObject({ events: 50, delivered: 40, bytes: 400 });
    scraper.scrape();
    inner.restart();
    write(sink, 5);
    expect(read(metrics)).toMatchObject({ events: 55, delivered: 44, bytes: 440 });
    expect(scraper.scrape().get(accepted)).toBe(55);
  });

  it("holding events: pending is what it holds now, and the law holds while it keeps them", () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(inner, { metrics, name: "app" });
    inner.holding = true;
    write(sink, 10);
    expect(read(metrics)).toMatchObject({ events: 10, delivered: 0, pending: 8 });
    inner.restart();
    expect(read(metrics)).toMatchObject({ events: 10, delivered: 0, pending: 8 });
    inner.release();
    expect(read(metrics)).toMatchObject({ events: 10, delivered: 8, pending: 0, bytes: 80 });
  });

  it("losing the events it held: they stay received, with no outcome the metrics could invent", () => {
    const metrics = createMetrics();
    const inner = new ReconnectingSink();
    const sink = withMetrics(inner, { metrics, name: "app" });
    const scraper = new Scraper(metrics);
    write(sink, 10);
    inner.holding = true;
    write(sink, 10, 10);
    expect(read(metrics)).toMatchObject({ events: 20, delivered: 8, pending: 8 });
    scraper.scrape();
    inner.restartLosingHeld();
    inner.holding = false;
    write(sink, 5, 20);
    // The 8 it held have no outcome in its counters any more: the law falls short by them.
    const after = read(metrics, 8);
    expect(after).toMatchObject({ events: 25, delivered: 12, pending: 0, bytes: 120 });
    expect(scraper.scrape().get('sluice_sink_log_pending{sink="app"}')).toBe(0);
  });
});

describe("Prometheus across restarts, resets, failing stats() and a queue", () => {
  it("no exported counter ever goes down, and no snapshot counter is ever negative", async () => {
    const metrics = createMetrics();
    const direct = new ReconnectingSink();
    const queued = new ReconnectingSink();
    write(direct, 300);
    const first = withMetrics(direct, { metrics, name: "app" });
    const second = withMetrics(withQueue(queued, { maxEvents: 1000 }), { metrics, name: "queued" });
    const scraper = new Scraper(metrics);
    const check = (): void => {
      for (const snapshot of metrics.snapshot().sinks) {
        for (const count of [
          snapshot.events,
          snapshot.delivered,
          snapshot.failed,
          snapshot.pending,
          snapshot.bytes,
          ...Object.values(snapshot.dropped),
        ]) {
          expect(count).toBeGreaterThanOrEqual(0);
        }
      }
      scraper.scrape();
    };
    const steps: (() => void)[] = [
      () => write(first, 40),
      () => direct.restart(),
      () => write(second, 30),
      () => queued.restart(),
      () => {
        direct.counters.bytes = 1;
      },
      () => {
        direct.statsFail = true;
        queued.statsFail = true;
      },
      () => {
        direct.restart();
        queued.restart();
        write(first, 7);
        write(second, 7);
      },
      () => {
        direct.statsFail = false;
        queued.statsFail = false;
      },
      () => {
        metrics.reset();
        scraper.reset();
      },
      () => direct.restart(),
      () => write(first, 3),
      () => queued.restart(),
      () => write(second, 2),
    ];
    check();
    for (const step of steps) {
      step();
      await first.flush();
      await second.flush();
      check();
    }
    expect(scraper.scrapes).toBe(steps.length + 1);
    const text = samples(metrics.toPrometheus());
    expect(text.get(accepted)).toBe(3);
    expect(text.get('sluice_sink_log_accepted_total{sink="queued"}')).toBe(2);
  });
});
