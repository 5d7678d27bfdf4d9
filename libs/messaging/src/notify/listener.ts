/**
 * Notification listeners (oslo's NotificationServer and BatchNotificationServer): subscribe
 * to `<topic>.<priority>` for the priorities the endpoints implement, dispatch with bounded
 * concurrency, and ack or requeue each message.
 *
 * Lifecycle as oslo's MessageHandlingServer, minus its blocking: `start()` twice is a no-op,
 * `stop()` before `start()` is a no-op, `wait()` resolves once stopped and drained; a stopped
 * listener may be started again.
 */
import type { DriverListener, IncomingNotification } from '../drivers/contract.js';
import { InvalidArgument } from '../errors.js';
import type { Target, TargetFields } from '../rpc/target.js';
import type { Transport } from '../transport/transport.js';
import { BatchCollector } from './batch.js';
import { dispatchBatch, dispatchOne, NotificationExtractor, settle, type ExtractedNotification } from './dispatcher.js';
import { NotificationResult, type BatchNotificationEndpoint, type NotificationEndpoint } from './endpoint.js';
import { BoundedExecutor } from './executor.js';
import { checkListenerArgs, type CheckedListenerArgs, type NotificationListenerOptions } from './listener-setup.js';
import type { NotificationPriority } from './priorities.js';

export type { NotificationListenerOptions };

export interface BatchNotificationListenerOptions extends NotificationListenerOptions {
  /** Messages per endpoint call; default 1. */
  batchSize?: number;
  /** Seconds after a batch's first message at which it is handed on even if not full; default: wait until full (or stop). */
  batchTimeout?: number;
}

type ListenerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** How a listener turns accepted messages into work: one by one, or in batches. */
interface IntakeStrategy {
  accept(incoming: IncomingNotification): void;
  /** The listener stopped: hand on whatever is still collected. */
  drain(): void;
}

export class NotificationListener {
  private state: ListenerState = 'idle';
  private driverListener: DriverListener | undefined;
  /** The driver listener of the last stop(), until wait() saw it closed. */
  private stoppedDriverListener: DriverListener | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private stopWaiters: Array<() => void> = [];
  private readonly executor: BoundedExecutor;
  private readonly intake: IntakeStrategy;

  /** @internal use getNotificationListener() or getBatchNotificationListener(). */
  constructor(
    private readonly args: CheckedListenerArgs,
    makeIntake: (executor: BoundedExecutor) => IntakeStrategy,
  ) {
    this.executor = new BoundedExecutor(
      args.poolSize,
      { onSaturated: () => this.driverListener?.pause?.(), onAvailable: () => this.driverListener?.resume?.() },
      args.logger,
    );
    this.intake = makeIntake(this.executor);
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<void> {
    if (this.state === 'starting' || this.state === 'running') {
      this.args.logger.warn('The notification listener has already been started; ignoring the redundant start()');
      return this.starting;
    }
    if (this.state === 'stopping') await this.stopping;
    this.state = 'starting';
    this.starting = this.subscribe();
    return this.starting;
  }

  /** Stop taking new messages. Messages already taken are still handled: see wait(). */
  async stop(): Promise<void> {
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    if (this.state === 'idle' || this.state === 'stopped') return;
    this.stopping ??= this.unsubscribe();
    return this.stopping;
  }

  /** Resolves when the listener is stopped and every message it took has been acked or requeued. */
  async wait(): Promise<void> {
    if (this.state === 'idle') return;
    if (this.state !== 'stopped') {
      if (this.state !== 'stopping') this.args.logger.warn('wait() was called before stop(); it resolves after stop()');
      await new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    }
    await this.executor.idle();
    const stopped = this.stoppedDriverListener;
    this.stoppedDriverListener = undefined;
    await stopped?.closed?.();
  }

  /** For health checks: a running listener whose consumer (if the driver reports one) is fine. */
  health(): { ok: boolean; detail: string } {
    if (this.state !== 'running') return { ok: false, detail: `listener ${this.state}` };
    return this.driverListener?.health?.() ?? { ok: true, detail: 'listening' };
  }

  private async subscribe(): Promise<void> {
    const { driver, subscriptions, pool } = this.args;
    try {
      this.driverListener = await driver.listenForNotifications(subscriptions, pool, (incoming) => this.onIncoming(incoming));
    } catch (err) {
      this.state = 'idle';
      throw err;
    }
    if (this.executor.isSaturated) this.driverListener.pause?.();
    this.state = 'running';
  }

  private async unsubscribe(): Promise<void> {
    this.state = 'stopping';
    try {
      await this.driverListener?.stop();
    } catch (err) {
      this.args.logger.error('Failed to stop the driver listener', { error: err });
    } finally {
      this.stoppedDriverListener = this.driverListener;
      this.driverListener = undefined;
      this.intake.drain();
      this.state = 'stopped';
      this.stopping = undefined;
      const waiters = this.stopWaiters;
      this.stopWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private onIncoming(incoming: IncomingNotification): void {
    if (this.state === 'starting' || this.state === 'running') {
      this.intake.accept(incoming);
      return;
    }
    // A late delivery after stop(): give it back rather than handle it half-stopped.
    if (this.args.driver.capabilities.requeue) {
      incoming.requeue().catch((err: unknown) => this.args.logger.error('Failed to requeue a notification after stop', { error: err }));
    }
  }
}

/** Each message is dispatched on its own as soon as there is room. */
function singleIntake(args: CheckedListenerArgs, executor: BoundedExecutor): IntakeStrategy {
  const { callbacks, serializer, logger, allowRequeue } = args;
  const extractor = new NotificationExtractor(callbacks, serializer, logger);
  return {
    accept(incoming) {
      executor.submit(async () => {
        const extraction = extractor.extract(incoming);
        const result =
          extraction.kind === 'ok'
            ? await dispatchOne(callbacks, extraction.notification, logger)
            : extraction.kind === 'failed'
              ? NotificationResult.REQUEUE
              : NotificationResult.HANDLED;
        await settle(incoming, result, allowRequeue, logger);
      });
    },
    drain() {},
  };
}

/** Messages are collected per priority; each full (or timed-out) batch is one unit of work. */
function batchIntake(args: CheckedListenerArgs, executor: BoundedExecutor, batchSize: number, batchTimeoutMs: number | undefined): IntakeStrategy {
  const { callbacks, serializer, logger, allowRequeue } = args;
  const extractor = new NotificationExtractor(callbacks, serializer, logger);
  const collector = new BatchCollector<NotificationPriority, ExtractedNotification>(batchSize, batchTimeoutMs, (priority, batch) => {
    executor.submit(async () => {
      const result = await dispatchBatch(callbacks, priority, batch, logger);
      await Promise.all(batch.map((n) => settle(n.incoming, result, allowRequeue, logger)));
    });
  });
  return {
    accept(incoming) {
      const extraction = extractor.extract(incoming);
      if (extraction.kind === 'ok') {
        collector.add(extraction.notification.message.priority, extraction.notification);
        return;
      }
      const result = extraction.kind === 'failed' ? NotificationResult.REQUEUE : NotificationResult.HANDLED;
      // Through the executor so that wait() also covers this ack.
      executor.submit(() => settle(incoming, result, allowRequeue, logger));
    },
    drain: () => collector.flushAll(),
  };
}

export function getNotificationListener(
  transport: Transport,
  targets: ReadonlyArray<Target | TargetFields>,
  endpoints: readonly NotificationEndpoint[],
  options: NotificationListenerOptions = {},
): NotificationListener {
  const args = checkListenerArgs(transport, targets, endpoints, options);
  return new NotificationListener(args, (executor) => singleIntake(args, executor));
}

export function getBatchNotificationListener(
  transport: Transport,
  targets: ReadonlyArray<Target | TargetFields>,
  endpoints: readonly BatchNotificationEndpoint[],
  options: BatchNotificationListenerOptions = {},
): NotificationListener {
  const args = checkListenerArgs(transport, targets, endpoints, options);
  const { batchSize = 1, batchTimeout } = options;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgument(`batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  if (batchTimeout !== undefined && (typeof batchTimeout !== 'number' || !Number.isFinite(batchTimeout) || batchTimeout <= 0)) {
    throw new InvalidArgument(`batchTimeout must be a positive number of seconds, got ${String(batchTimeout)}`);
  }
  const timeoutMs = batchTimeout === undefined ? undefined : batchTimeout * 1000;
  return new NotificationListener(args, (executor) => batchIntake(args, executor, batchSize, timeoutMs));
}
