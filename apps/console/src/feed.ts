/**
 * The live view's memory: the last arrows seen on the taps (with each bus message as it was on
 * the wire), counters per topic and method since the start, and the subscribers (browsers on
 * Server-Sent Events) that get every new arrow. Taps report synchronously from inside a
 * publish; the feed only queues there and reads the messages on the next turn of the event
 * loop, so a tapped service waits for nothing.
 */
import { describeMessage, type MessageView } from '@fjord/messaging';
import type { TappedPublish } from '@fjord/messaging/drivers/memory';
import type { RestHop } from '@fjord/service-kit';
import { ArrowReader, compareLanes, wireMessage, type Arrow, type ArrowKind, type WireMessage } from './arrows.js';

export interface FeedArrow extends Arrow {
  /** Its place in the feed, 1, 2, 3…: the id to ask the message for. */
  seq: number;
  /** Whether the wire message is kept (bus messages; REST calls have none). */
  wire: boolean;
}

export interface Counter {
  kind: Exclude<ArrowKind, 'reply'>;
  name: string;
  count: number;
  /** Calls: replies seen, failures among them, and their mean and longest round trip. REST: durations. */
  replies?: number;
  failures?: number;
  meanMs?: number;
  maxMs?: number;
}

export interface BusFeedOptions {
  /** Arrows (and their messages) kept for late subscribers and for clicks; older ones are forgotten. */
  history?: number;
}

type Pending = { publish: TappedPublish } | { hop: RestHop };

interface Tally {
  counter: Counter;
  totalMs: number;
  timed: number;
}

export class BusFeed {
  private readonly history: number;
  private readonly reader = new ArrowReader();
  private readonly arrows: FeedArrow[] = [];
  /** What a click needs to draw the message as it was on the wire: read only then, not on every publish. */
  private readonly wires = new Map<number, { publish: TappedPublish; view: MessageView }>();
  private readonly tallies = new Map<string, Tally>();
  private readonly subscribers = new Set<(arrow: FeedArrow) => void>();
  private readonly laneSet = new Set<string>();
  private pending: Pending[] = [];
  private seq = 0;
  private unreadable = 0;

  constructor(options: BusFeedOptions = {}) {
    this.history = options.history ?? 5_000;
  }

  /** A publish a bus tap saw. Cheap: read later, outside the publisher's call. */
  publish(message: TappedPublish): void {
    this.enqueue({ publish: message });
  }

  /** A REST call between projects. */
  rest(hop: RestHop): void {
    this.enqueue({ hop });
  }

  /** Messages that were not oslo messages (shown nowhere, counted for /healthz). */
  get unreadableMessages(): number {
    return this.unreadable;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Every lane an arrow has touched, in the order the diagram draws them. */
  lanes(): string[] {
    return [...this.laneSet].sort(compareLanes);
  }

  /** The kept arrows after `after`, of one request when `requestId` is given (its own arrows and the replies to its calls). */
  recent(filter: { after?: number; requestId?: string } = {}): FeedArrow[] {
    const after = filter.after ?? 0;
    const arrows = this.arrows.filter((arrow) => arrow.seq > after);
    return filter.requestId ? arrows.filter(ofRequest(filter.requestId)) : arrows;
  }

  /** An arrow and its message as it was on the wire, while it is kept. */
  message(seq: number): { arrow: FeedArrow; wire?: WireMessage } | undefined {
    const first = this.arrows[0]?.seq ?? 1;
    const arrow = this.arrows[seq - first];
    if (!arrow || arrow.seq !== seq) return undefined;
    const kept = this.wires.get(seq);
    return kept ? { arrow, wire: wireMessage(kept.publish, kept.view) } : { arrow };
  }

  counters(): Counter[] {
    return [...this.tallies.values()]
      .map(({ counter, totalMs, timed }) => (timed > 0 ? { ...counter, meanMs: Math.round((totalMs / timed) * 10) / 10 } : { ...counter }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  }

  /** Every new arrow, until the returned function is called. */
  subscribe(listener: (arrow: FeedArrow) => void): () => void {
    this.subscribers.add(listener);
    return () => void this.subscribers.delete(listener);
  }

  /** Reads what is queued now (tests call it instead of waiting for the next turn). */
  flush(): void {
    const pending = this.pending;
    this.pending = [];
    for (const item of pending) {
      if ('hop' in item) {
        this.add(this.reader.fromRest(item.hop));
        continue;
      }
      const { publish } = item;
      const view = describeMessage(publish.exchange, publish.routingKey, publish.body);
      if (view.kind === 'unknown') this.unreadable++;
      const arrow = this.reader.fromPublish(publish, view);
      if (arrow) this.add(arrow, { publish, view });
    }
  }

  private enqueue(item: Pending): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(item);
  }

  private add(arrow: Arrow, wire?: { publish: TappedPublish; view: MessageView }): void {
    const kept: FeedArrow = { ...arrow, seq: ++this.seq, wire: wire !== undefined };
    this.arrows.push(kept);
    if (wire) this.wires.set(kept.seq, wire);
    while (this.arrows.length > this.history) this.wires.delete((this.arrows.shift() as FeedArrow).seq);
    this.laneSet.add(arrow.from).add(arrow.to);
    this.count(kept);
    for (const subscriber of this.subscribers) subscriber(kept);
  }

  private count(arrow: FeedArrow): void {
    const kind = arrow.kind === 'reply' ? 'call' : arrow.kind;
    const key = `${kind} ${arrow.counter}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { counter: { kind, name: arrow.counter, count: 0 }, totalMs: 0, timed: 0 };
      this.tallies.set(key, tally);
    }
    const { counter } = tally;
    if (arrow.kind !== 'reply') counter.count++;
    if (arrow.kind === 'reply') {
      counter.replies = (counter.replies ?? 0) + 1;
      if (arrow.label.startsWith('failure')) counter.failures = (counter.failures ?? 0) + 1;
    }
    if (arrow.ms !== undefined) {
      tally.totalMs += arrow.ms;
      tally.timed++;
      counter.maxMs = Math.max(counter.maxMs ?? 0, arrow.ms);
    }
  }
}

/** An arrow belongs to a request if it carries its id, or is the reply to one of its calls. */
export function ofRequest(requestId: string): (arrow: FeedArrow) => boolean {
  const calls = new Set<string>();
  return (arrow) => {
    if (arrow.requestId === requestId) {
      if (arrow.kind === 'call' && arrow.msgId) calls.add(arrow.msgId);
      return true;
    }
    return arrow.kind === 'reply' && arrow.msgId !== undefined && calls.has(arrow.msgId);
  };
}
