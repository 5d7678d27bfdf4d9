/**
 * Exchanges, queues and bindings a connection has declared, remembered in declaration order so
 * they can be declared again, in the same order, on every new channel after a reconnect.
 */
import type { Channel } from 'amqplib';
import type { Logger } from '../../logging.js';
import type { ExchangeOptions, ExchangeType, QueueOptions } from '../amqp/bus.js';
import { RabbitOperationRefused, classifyOperationError } from './errors.js';

export type Declaration =
  | { readonly kind: 'exchange'; readonly name: string; readonly type: ExchangeType; readonly options: ExchangeOptions }
  | { readonly kind: 'queue'; readonly name: string; readonly options: QueueOptions }
  | { readonly kind: 'binding'; readonly queue: string; readonly exchange: string; readonly routingKey: string };

function keyOf(d: Declaration): string {
  switch (d.kind) {
    case 'exchange':
      return `x\u0000${d.name}`;
    case 'queue':
      return `q\u0000${d.name}`;
    case 'binding':
      return `b\u0000${d.queue}\u0000${d.exchange}\u0000${d.routingKey}`;
  }
}

/** Names the entity and the flags it was declared with, for error messages. */
export function describeDeclaration(d: Declaration): string {
  switch (d.kind) {
    case 'exchange':
      return `${d.type} exchange "${d.name}" (durable: ${d.options.durable}, auto_delete: ${d.options.autoDelete})`;
    case 'queue':
      return (
        `queue "${d.name}" (durable: ${d.options.durable}, auto_delete: ${d.options.autoDelete}, ` +
        `exclusive: ${d.options.exclusive ?? false}, arguments: ${JSON.stringify(d.options.arguments ?? {})})`
      );
    case 'binding':
      return `binding of queue "${d.queue}" to exchange "${d.exchange}" with key "${d.routingKey}"`;
  }
}

/** Declare on `channel`; a refusal becomes RabbitOperationRefused, a lost channel ConnectionLost. */
export async function applyDeclaration(channel: Channel, d: Declaration): Promise<void> {
  try {
    switch (d.kind) {
      case 'exchange':
        await channel.assertExchange(d.name, d.type, { durable: d.options.durable, autoDelete: d.options.autoDelete });
        return;
      case 'queue':
        await channel.assertQueue(d.name, {
          durable: d.options.durable,
          autoDelete: d.options.autoDelete,
          exclusive: d.options.exclusive ?? false,
          arguments: { ...d.options.arguments },
        });
        return;
      case 'binding':
        await channel.bindQueue(d.queue, d.exchange, d.routingKey);
        return;
    }
  } catch (err) {
    throw classifyOperationError(err, `Declaring ${describeDeclaration(d)}`);
  }
}

export class DeclaredTopology {
  private readonly entries = new Map<string, Declaration>();

  /**
   * Remember (or refresh) a declaration; a redeclared entity keeps its original place. Returns
   * the declaration it replaced, for undo() when the broker refuses the new one.
   */
  remember(d: Declaration): Declaration | undefined {
    const key = keyOf(d);
    const previous = this.entries.get(key);
    this.entries.set(key, d);
    return previous;
  }

  /** Take back a refused declaration, keeping what was declared before under the same name. */
  undo(d: Declaration, previous: Declaration | undefined): void {
    if (previous) this.entries.set(keyOf(d), previous);
    else this.entries.delete(keyOf(d));
  }

  forget(d: Declaration): void {
    this.entries.delete(keyOf(d));
  }

  /** A deleted queue takes its bindings with it. */
  forgetQueue(name: string): void {
    for (const [key, d] of this.entries) {
      if ((d.kind === 'queue' && d.name === name) || (d.kind === 'binding' && d.queue === name)) this.entries.delete(key);
    }
  }

  hasExchange(name: string): boolean {
    return this.entries.has(`x\u0000${name}`);
  }

  list(): Declaration[] {
    return [...this.entries.values()];
  }
}

/**
 * Declare everything remembered, in order, on a new channel. A declaration the broker now refuses
 * (someone redeclared the entity with other flags) is dropped and logged, and the refusal
 * rethrown: it closed the channel, so the caller starts over on a new one without it.
 */
export async function replayDeclarations(channel: Channel, topology: DeclaredTopology, logger: Logger, purpose: string): Promise<void> {
  for (const declaration of topology.list()) {
    try {
      await applyDeclaration(channel, declaration);
    } catch (err) {
      if (err instanceof RabbitOperationRefused) {
        topology.forget(declaration);
        logger.error(`Cannot declare again after reconnecting: ${err.message}`, { purpose });
      }
      throw err;
    }
  }
}

/** The Bus and BusChannel declaration methods, as Declarations handed to the owner's declare(). */
export abstract class DeclaresTopology {
  protected abstract declare(declaration: Declaration): Promise<void>;

  declareExchange(name: string, type: ExchangeType, options: ExchangeOptions): Promise<void> {
    return this.declare({ kind: 'exchange', name, type, options });
  }

  declareQueue(name: string, options: QueueOptions): Promise<void> {
    return this.declare({ kind: 'queue', name, options });
  }

  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    return this.declare({ kind: 'binding', queue, exchange, routingKey });
  }
}
