/**
 * One action at a time per instance (nova's `@utils.synchronized(instance.uuid)` on the manager
 * methods): a delete that arrives while the build is still spawning waits for it, then tears
 * down a complete instance instead of racing it.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      // The last one out removes the entry, so the map does not grow with every instance ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or queued (for tests and shutdown diagnostics). */
  get busy(): string[] {
    return [...this.tails.keys()];
  }
}
