/**
 * Which offset of one partition may be committed: the lowest one still being handled, or one
 * past the last received when nothing is pending. Handlers finish out of order (the listener
 * runs many at once), so a finished message never moves the commit point past an unfinished one:
 * a crash then redelivers the unfinished ones and never skips them (at-least-once).
 *
 * Offsets arrive in increasing order per partition; numbers are exact up to 2^53, far beyond
 * any real partition.
 */
export class PartitionOffsets {
  private readonly pending: number[] = [];
  private readonly finished = new Set<number>();
  private head = 0;
  private lastReceived = -1;
  /** Highest offset known to be committed (exclusive position), -1 when none. */
  committed = -1;
  /** Records waiting out a requeue backoff (they hold the commit point without being worked on). */
  retrying = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** A record was handed over. Returns false when it goes backwards (a seek): use a new tracker. */
  received(offset: number): boolean {
    if (offset <= this.lastReceived) return false;
    this.lastReceived = offset;
    this.pending.push(offset);
    return true;
  }

  /** A record was handled (acknowledged, or skipped as malformed). */
  settled(offset: number): void {
    this.finished.add(offset);
    while (this.head < this.pending.length && this.finished.delete(this.pending[this.head] as number)) this.head++;
    // Drop the settled prefix now and then, not on every message.
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
  }

  get inFlight(): number {
    return this.pending.length - this.head;
  }

  /** The position to commit (the next offset to read), or undefined when nothing was received. */
  get commitPoint(): number | undefined {
    if (this.lastReceived < 0) return undefined;
    return this.head < this.pending.length ? (this.pending[this.head] as number) : this.lastReceived + 1;
  }

  /** True when the commit point moved past what is committed. */
  get hasNewCommitPoint(): boolean {
    const point = this.commitPoint;
    return point !== undefined && point > this.committed;
  }
}
