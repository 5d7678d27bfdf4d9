/**
 * The driver contract: the small surface every transport implements (oslo's BaseDriver).
 * The public API (RpcClient, RpcServer, Notifier, listeners) speaks only to this.
 *
 * Delivery is push-based: a driver hands each decoded message to the callback it was given at
 * `listen` time. Servers apply back-pressure through `DriverListener.pause/resume`.
 */
import type { Config } from '../config/config.js';
import type { TransportURL } from '../transport/url.js';
import type { Target } from '../rpc/target.js';
import type { Context, JsonObject } from '../wire/envelope.js';
import type { Logger } from '../logging.js';

/** An RPC request as the dispatcher sees it (oslo's incoming message dict). */
export interface RpcRequest {
  method: string;
  args: JsonObject;
  namespace?: string | undefined;
  version?: string | undefined;
}

/** What a call gets back: a result, or a failure encoded as oslo's failure JSON string. */
export interface RpcReply {
  result?: unknown;
  failure?: string | null;
}

/** Per-client transport options (oslo's TransportOptions). */
export interface TransportOptions {
  /** Publish calls and casts with `mandatory`, so an unroutable request fails at once. */
  atLeastOnce?: boolean;
}

export interface SendOptions {
  /** true for call, false for cast. */
  waitForReply: boolean;
  /** Overall call timeout in seconds (required for calls). */
  timeout?: number | undefined;
  /** Sent to the server as `_timeout`; the server then heartbeats every half of it. */
  callMonitorTimeout?: number | undefined;
  /** undefined/null/-1: retry forever; 0: no retry; N: N retries. */
  retry?: number | null | undefined;
  transportOptions?: TransportOptions | undefined;
}

export interface IncomingRpc {
  /** The caller's context; on AMQP buses it includes `client_timeout`. */
  readonly ctxt: Context;
  readonly request: RpcRequest;
  /** The caller's call-monitor timeout in seconds, or null when it sent none. */
  readonly clientTimeout: number | null;
  /** true when the caller waits for a reply (a call), false for a cast. */
  readonly expectsReply: boolean;
  /** Send the final reply. A no-op for casts. Best effort: failures are logged, not thrown. */
  reply(reply: RpcReply): Promise<void>;
  /** Tell a waiting caller the request is still being worked on (call monitor). */
  heartbeat(): Promise<void>;
}

export interface IncomingNotification {
  readonly ctxt: Context;
  /** The notification dict: message_id, publisher_id, event_type, priority, payload, timestamp. */
  readonly message: JsonObject;
  acknowledge(): Promise<void>;
  /** Put the message back on its queue for another delivery (needs `capabilities.requeue`). */
  requeue(): Promise<void>;
}

export interface DriverListener {
  /** Stop taking new messages; messages already handed over are not affected. */
  stop(): Promise<void>;
  /** Temporarily stop deliveries (server at its concurrency limit); optional. */
  pause?(): void;
  resume?(): void;
  /**
   * After stop(), once every message handed over was settled: resolves when the driver has
   * recorded that (a Kafka commit) and let go of the broker. Optional.
   */
  closed?(): Promise<void>;
  /** The consumer's own state for health checks; without it a running listener counts as healthy. */
  health?(): { ok: boolean; detail: string };
}

export interface DriverCapabilities {
  rpc: boolean;
  notifications: boolean;
  requeue: boolean;
  pools: boolean;
}

export type NotificationPriority = 'audit' | 'debug' | 'info' | 'warn' | 'error' | 'critical' | 'sample';

export interface Driver {
  readonly capabilities: DriverCapabilities;

  /** Send a call or cast. Resolves with the reply for a call, undefined for a cast. */
  send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<RpcReply | undefined>;

  /**
   * Send one notification to `target.topic` (already `<topic>.<priority>`). `version` 2 wraps
   * it in the envelope, 1 sends the bare dict.
   */
  sendNotification(target: Target, ctxt: Context, message: JsonObject, version: 1 | 2, retry?: number | null): Promise<void>;

  /** Listen as an RPC server: the topic queue, the `<topic>.<server>` queue and fanout. */
  listen(target: Target, onRequest: (request: IncomingRpc) => void): Promise<DriverListener>;

  /** Listen for notifications on `<target.topic>.<priority>` for each pair, optionally as a pool. */
  listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, NotificationPriority]>,
    pool: string | undefined,
    onNotification: (notification: IncomingNotification) => void,
  ): Promise<DriverListener>;

  /** Close connections, the reply consumer and listeners. Pending calls fail. */
  cleanup(): Promise<void>;
}

/** What a driver factory is given. */
export interface DriverInit {
  conf: Config;
  url: TransportURL;
  /** `control_exchange`: the exchange used when a target names none. */
  defaultExchange: string;
  logger: Logger;
  /** The first part of the connection name (`<client>:<pid>:<uuid>`); undefined: the program's file name. */
  clientName?: string | undefined;
}

/** A registered driver: its option group (for URL query validation) and its factory. */
export interface DriverModule {
  /** The config group whose options URL query parameters may set, e.g. `oslo_messaging_rabbit`. */
  optionGroup?: string;
  /** Registers the driver's options on a config object (idempotent). */
  registerOptions?(conf: Config): void;
  create(init: DriverInit): Promise<Driver> | Driver;
}
