/**
 * Publishing on one confirm channel, with oslo's message properties, and turning the broker's
 * answers into outcomes: basic.ack resolves, basic.nack rejects with MessageDeliveryFailure, and a
 * mandatory message that comes back with basic.return (312 NO_ROUTE) rejects with
 * MessageUndeliverable.
 *
 * Returns are matched to publishes by exchange, routing key and body. No message id is added
 * (oslo sends none, and properties must stay exactly as oslo's); every oslo body carries a fresh
 * `_unique_id`, so the body identifies the publish. RabbitMQ sends basic.return before the
 * basic.ack of the same message, so the publish is marked returned by the time its ack arrives.
 */
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { MessageDeliveryFailure, MessageUndeliverable } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { PublishProperties } from '../amqp/bus.js';
import type { ChannelRecord } from './connection.js';
import { ConnectionLost, errorMessage } from './errors.js';

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
  properties: PublishProperties;
  mandatory: boolean;
}

interface AwaitingReturn {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  returned: { replyCode: number; replyText: string } | undefined;
}

interface ReturnFields {
  exchange: string;
  routingKey: string;
  replyCode: number;
  replyText: string;
}

/** The AMQP properties oslo (kombu) puts on every message (§2.3). */
export function publishOptions(properties: PublishProperties, mandatory: boolean): Options.Publish {
  const options: Options.Publish = {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
    headers: { ...properties.headers },
    mandatory,
  };
  if (properties.expiration !== undefined) options.expiration = properties.expiration;
  return options;
}

export class ConfirmedPublisher {
  private readonly awaitingReturn: AwaitingReturn[] = [];
  /** Why the broker closed the channel, when it did (e.g. 404 for a missing exchange). */
  private closeReason: Error | undefined;

  constructor(
    private readonly record: ChannelRecord<ConfirmChannel>,
    private readonly logger: Logger,
  ) {
    record.channel.on('return', (message: Message) => this.onReturn(message));
    record.channel.on('error', (err: Error) => (this.closeReason = err));
  }

  /** Resolves on the broker's ack; ConnectionLost when the channel went before it answered. */
  publish(message: OutgoingMessage): Promise<void> {
    const { exchange, routingKey, body, mandatory } = message;
    return new Promise<void>((resolve, reject) => {
      const entry: AwaitingReturn | undefined = mandatory ? { exchange, routingKey, body, returned: undefined } : undefined;
      if (entry) this.awaitingReturn.push(entry);
      const onConfirm = (err: unknown): void => {
        this.forget(entry);
        if (err) {
          reject(this.failure(err, exchange, routingKey));
        } else if (entry?.returned) {
          const { replyCode, replyText } = entry.returned;
          reject(new MessageUndeliverable(`No queue is bound to exchange "${exchange}" with routing key "${routingKey}" (${replyCode} ${replyText})`, exchange, routingKey));
        } else {
          resolve();
        }
      };
      try {
        this.record.channel.publish(exchange, routingKey, body, publishOptions(message.properties, mandatory), onConfirm);
      } catch (err) {
        // IllegalOperationError: the channel closed under us.
        this.forget(entry);
        reject(new ConnectionLost(`Publishing to exchange "${exchange}" failed: ${errorMessage(err)}`, { cause: err }));
      }
    });
  }

  private forget(entry: AwaitingReturn | undefined): void {
    const index = entry ? this.awaitingReturn.indexOf(entry) : -1;
    if (index >= 0) this.awaitingReturn.splice(index, 1);
  }

  private failure(err: unknown, exchange: string, routingKey: string): Error {
    if (errorMessage(err) === 'message nacked') {
      return new MessageDeliveryFailure(`The broker refused (nacked) the message to exchange "${exchange}" with routing key "${routingKey}"`);
    }
    const reason = this.closeReason ?? err;
    return new ConnectionLost(`The channel closed before the broker confirmed the message to exchange "${exchange}": ${errorMessage(reason)}`, {
      cause: reason,
    });
  }

  private onReturn(message: Message): void {
    const fields = message.fields as unknown as ReturnFields;
    const entry = this.awaitingReturn.find(
      (e) => e.returned === undefined && e.exchange === fields.exchange && e.routingKey === fields.routingKey && e.body.equals(message.content),
    );
    if (!entry) {
      this.logger.debug('basic.return for a message that was not published mandatory here', { exchange: fields.exchange, routingKey: fields.routingKey });
      return;
    }
    entry.returned = { replyCode: fields.replyCode, replyText: fields.replyText };
  }
}
