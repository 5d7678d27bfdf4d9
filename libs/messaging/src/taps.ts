/**
 * The listeners of a tap (a bus tap, a REST tap): each gets every report, and a tap only reads —
 * a listener that throws is dropped, and the work it watched goes on as if it were not there.
 */
export class Taps<T> {
  private readonly listeners = new Set<(report: T) => void>();

  get size(): number {
    return this.listeners.size;
  }

  /** Adds a listener until the returned function is called. */
  add(listener: (report: T) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  report(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }
}
