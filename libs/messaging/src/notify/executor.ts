/**
 * Bounded concurrency for listeners (oslo's executor with `executor_thread_pool_size`
 * workers). Work beyond the limit queues here; `onSaturated`/`onAvailable` let the listener
 * pause and resume the driver so the queue stays short.
 */
import type { Logger } from '../logging.js';

export interface BackPressureHooks {
  onSaturated(): void;
  onAvailable(): void;
}

export class BoundedExecutor {
  private running = 0;
  private readonly backlog: Array<() => Promise<void>> = [];
  private saturated = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly limit: number,
    private readonly hooks: BackPressureHooks,
    private readonly logger: Logger,
  ) {}

  /** Tasks started or waiting. */
  get pending(): number {
    return this.running + this.backlog.length;
  }

  get isSaturated(): boolean {
    return this.saturated;
  }

  submit(task: () => Promise<void>): void {
    if (this.running < this.limit) this.run(task);
    else this.backlog.push(task);
    this.updatePressure();
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private run(task: () => Promise<void>): void {
    this.running++;
    const done = () => {
      this.running--;
      const next = this.backlog.shift();
      if (next) this.run(next);
      this.updatePressure();
      if (this.pending === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    };
    // Tasks are expected not to reject; this is the last line of defence.
    Promise.resolve()
      .then(task)
      .catch((err: unknown) => this.logger.error('Notification listener task failed', { error: err }))
      .finally(done);
  }

  private updatePressure(): void {
    const full = this.pending >= this.limit;
    if (full && !this.saturated) {
      this.saturated = true;
      this.hooks.onSaturated();
    } else if (!full && this.saturated) {
      this.saturated = false;
      this.hooks.onAvailable();
    }
  }
}
