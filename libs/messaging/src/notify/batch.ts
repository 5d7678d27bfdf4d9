/**
 * Per-key batching for batch listeners: a batch is handed on when it reaches `batchSize`, or
 * when `batchTimeoutMs` has passed since its first message. Keys are priorities, so every
 * batch an endpoint method receives is of its own priority.
 */
export class BatchCollector<K, T> {
  private readonly open = new Map<K, { items: T[]; timer: ReturnType<typeof setTimeout> | undefined }>();

  constructor(
    private readonly batchSize: number,
    /** undefined: a partial batch waits until it fills up or `flushAll()`. */
    private readonly batchTimeoutMs: number | undefined,
    private readonly onBatch: (key: K, items: T[]) => void,
  ) {}

  add(key: K, item: T): void {
    let batch = this.open.get(key);
    if (!batch) {
      batch = { items: [], timer: undefined };
      this.open.set(key, batch);
      if (this.batchTimeoutMs !== undefined) batch.timer = setTimeout(() => this.flush(key), this.batchTimeoutMs);
    }
    batch.items.push(item);
    if (batch.items.length >= this.batchSize) this.flush(key);
  }

  /** Hand on every partial batch now (the listener is stopping). */
  flushAll(): void {
    for (const key of [...this.open.keys()]) this.flush(key);
  }

  private flush(key: K): void {
    const batch = this.open.get(key);
    if (!batch) return;
    this.open.delete(key);
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    if (batch.items.length > 0) this.onBatch(key, batch.items);
  }
}
