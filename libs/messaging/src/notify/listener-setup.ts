/** Argument checks and subscription planning shared by both listener factories. */
import type { Driver } from '../drivers/contract.js';
import { ConfigurationError, InvalidArgument, InvalidTarget, NotSupportedByDriver } from '../errors.js';
import type { Logger } from '../logging.js';
import { asTarget, type Target, type TargetFields } from '../rpc/target.js';
import { isSerializer, NoOpSerializer, type Serializer } from '../serializer.js';
import type { Transport } from '../transport/transport.js';
import { callbacksByPriority, type Callback } from './endpoint.js';
import { PRIORITIES, type NotificationPriority } from './priorities.js';

export interface NotificationListenerOptions {
  /** Consume as this pool: each pool gets its own copy of every notification. */
  pool?: string;
  /** Honour REQUEUE results (and thrown handlers); needs a driver that can requeue. */
  allowRequeue?: boolean;
  serializer?: Serializer;
  /** Default: the transport's logger. */
  logger?: Logger;
}

export interface CheckedListenerArgs {
  readonly transport: Transport;
  readonly driver: Driver;
  readonly callbacks: ReadonlyMap<NotificationPriority, readonly Callback[]>;
  readonly subscriptions: ReadonlyArray<readonly [Target, NotificationPriority]>;
  readonly pool: string | undefined;
  readonly allowRequeue: boolean;
  readonly serializer: Serializer;
  readonly logger: Logger;
  /** `[DEFAULT] executor_thread_pool_size`: how many notifications are handled at once. */
  readonly poolSize: number;
}

export function checkListenerArgs(transport: Transport, targets: ReadonlyArray<Target | TargetFields>, endpoints: readonly object[], options: NotificationListenerOptions): CheckedListenerArgs {
  const t = transport as Partial<Transport> | null;
  if (t === null || typeof t !== 'object' || !t.driver || !t.conf || !t.logger) {
    throw new InvalidArgument('transport must be a Transport (from getNotificationTransport())');
  }
  if (options === null || typeof options !== 'object') throw new InvalidArgument('options must be an object');
  const driver = transport.driver;

  if (!Array.isArray(targets) || targets.length === 0) throw new InvalidArgument('targets must be a non-empty array of Targets');
  const checkedTargets = targets.map((raw, i) => {
    const target = asTarget(raw, `targets[${i}]`);
    if (!target.topic) throw new InvalidTarget('A topic is required to listen for notifications', target);
    return target;
  });

  const callbacks = callbacksByPriority(endpoints);

  const { pool, allowRequeue = false, serializer = new NoOpSerializer(), logger = transport.logger } = options;
  if (pool !== undefined && (typeof pool !== 'string' || pool === '')) throw new InvalidArgument('pool must be a non-empty string');
  if (typeof allowRequeue !== 'boolean') throw new InvalidArgument('allowRequeue must be a boolean');
  if (!isSerializer(serializer)) throw new InvalidArgument('serializer must implement the Serializer hooks');

  if (!driver.capabilities.notifications) throw new NotSupportedByDriver('this driver cannot receive notifications');
  if (allowRequeue && !driver.capabilities.requeue) throw new NotSupportedByDriver('allowRequeue: this driver cannot requeue messages');
  if (pool !== undefined && !driver.capabilities.pools) throw new NotSupportedByDriver('pool: this driver does not support listener pools');

  const poolSize = transport.conf.get<number>('DEFAULT', 'executor_thread_pool_size');
  if (typeof poolSize !== 'number' || !Number.isInteger(poolSize) || poolSize < 1) {
    throw new ConfigurationError(`[DEFAULT] executor_thread_pool_size must be a positive integer, got ${String(poolSize)}`);
  }

  // Only the priorities some endpoint handles: subscribing to others would just drop messages.
  const handled = PRIORITIES.filter((p) => callbacks.has(p));
  const subscriptions = checkedTargets.flatMap((target) => handled.map((p) => [target, p] as const));

  return { transport, driver, callbacks, subscriptions, pool, allowRequeue, serializer, logger, poolSize };
}
