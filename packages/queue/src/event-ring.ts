import type { LogEvent } from "@sluice/core";

/**
 * A first-in first-out ring of events with their estimated sizes, sequence numbers and enqueue
 * times, in parallel arrays. It grows by doubling (up to what the queue's bounds allow) and never
 * shifts, so adding and removing at either end cost O(1).
 */
export class EventRing {
  #events: (LogEvent | undefined)[];
  #sizes: number[];
  #sequences: number[];
  #times: number[];
  #head = 0;
  #length = 0;
  #bytes = 0;

  constructor() {
    // A power of two that only ever doubles, so a slot index wraps with a mask.
    const initialCapacity = 64;
    this.#events = new Array(initialCapacity);
    this.#sizes = new Array(initialCapacity).fill(0);
    this.#sequences = new Array(initialCapacity).fill(0);
    this.#times = new Array(initialCapacity).fill(0);
  }

  get length(): number {
    return this.#length;
  }

  /** The sum of the sizes of the events held. */
  get bytes(): number {
    return this.#bytes;
  }

  push(event: LogEvent, size: number, sequence: number, time: number): void {
    if (this.#length === this.#events.length) this.#grow();
    const slot = (this.#head + this.#length) & (this.#events.length - 1);
    this.#events[slot] = event;
    this.#sizes[slot] = size;
    this.#sequences[slot] = sequence;
    this.#times[slot] = time;
    this.#length += 1;
    this.#bytes += size;
  }

  /** The oldest event's sequence number; `Infinity` when empty. */
  headSequence(): number {
    return this.#length === 0 ? Number.POSITIVE_INFINITY : (this.#sequences[this.#head] as number);
  }

  /** The oldest event's enqueue time; `Infinity` when empty. */
  headTime(): number {
    return this.#length === 0 ? Number.POSITIVE_INFINITY : (this.#times[this.#head] as number);
  }

  /** The oldest event's size; 0 when empty. */
  headSize(): number {
    return this.#length === 0 ? 0 : (this.#sizes[this.#head] as number);
  }

  /** Removes the oldest event and returns it; its size is `headSize()` before the call. */
  shift(): LogEvent {
    const slot = this.#head;
    const event = this.#events[slot] as LogEvent;
    this.#events[slot] = undefined;
    this.#bytes -= this.#sizes[slot] as number;
    this.#head = (slot + 1) & (this.#events.length - 1);
    this.#length -= 1;
    return event;
  }

  /**
   * Removes the oldest events whose sequence numbers are below `sequence`, at most `limit` of
   * them, appending them to `into`; returns their total size and the last one's sequence number
   * (`-Infinity` when none was taken).
   */
  takeOlderThan(
    sequence: number,
    limit: number,
    into: LogEvent[],
  ): { bytes: number; lastSequence: number } {
    const mask = this.#events.length - 1;
    let bytes = 0;
    let lastSequence = Number.NEGATIVE_INFINITY;
    let slot = this.#head;
    let taken = 0;
    while (taken < limit && taken < this.#length) {
      const next = this.#sequences[slot] as number;
      if (next >= sequence) break;
      lastSequence = next;
      bytes += this.#sizes[slot] as number;
      into.push(this.#events[slot] as LogEvent);
      this.#events[slot] = undefined;
      slot = (slot + 1) & mask;
      taken += 1;
    }
    this.#head = slot;
    this.#length -= taken;
    this.#bytes -= bytes;
    return { bytes, lastSequence };
  }

  #grow(): void {
    const capacity = this.#events.length * 2;
    const events: (LogEvent | undefined)[] = new Array(capacity);
    const sizes = new Array<number>(capacity).fill(0);
    const sequences = new Array<number>(capacity).fill(0);
    const times = new Array<number>(capacity).fill(0);
    for (let index = 0; index < this.#length; index++) {
      const slot = (this.#head + index) & (this.#events.length - 1);
      events[index] = this.#events[slot];
      sizes[index] = this.#sizes[slot] as number;
      sequences[index] = this.#sequences[slot] as number;
      times[index] = this.#times[slot] as number;
    }
    this.#events = events;
    this.#sizes = sizes;
    this.#sequences = sequences;
    this.#times = times;
    this.#head = 0;
  }
}
