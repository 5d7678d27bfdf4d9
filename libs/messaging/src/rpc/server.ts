/**
 * The RPC server (oslo's RPCServer + MessageHandlingServer): listens on a target, dispatches
 * with bounded concurrency, replies, and sends call-monitor heartbeats while a method runs.
 * stop() stops taking messages; wait() resolves when every accepted request has finished.
 */
import { InvalidArgument, InvalidTarget, NoSuchMethod, ServerStateError } from '../errors.js';
import type { DriverListener, IncomingRpc } from '../drivers/contract.js';
import type { Logger } from '../logging.js';
import { NoOpSerializer, isSerializer, type Serializer } from '../serializer.js';
import type { Transport } from '../transport/transport.js';
import { serializeRemoteException } from '../wire/failure.js';
import { ExpectedException, resolveAccessPolicy, type AccessPolicy } from './access-policy.js';
import { PingEndpoint, RpcDispatcher, checkEndpoints } from './dispatcher.js';
import { asTarget, type Target, type TargetFields } from './target.js';

export interface RpcServerOptions {
  accessPolicy?: AccessPolicy | undefined;
  serializer?: Serializer | undefined;
  /** Requests handled at once; default `[DEFAULT] executor_thread_pool_size` (64). */
  concurrency?: number | undefined;
  logger?: Logger | undefined;
}

type State = 'new' | 'running' | 'stopped';

export class RpcServer {
  readonly target: Target;
  private readonly dispatcher: RpcDispatcher;
  private readonly concurrency: number;
  private readonly logger: Logger;
  private state: State = 'new';
  private listener: DriverListener | undefined;
  private starting: Promise<void> | undefined;
  private inFlight = 0;
  private readonly backlog: IncomingRpc[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly transport: Transport,
    target: Target | TargetFields,
    endpoints: object[],
    options: RpcServerOptions = {},
  ) {
    if (!transport || typeof transport !== 'object' || !('driver' in transport)) throw new InvalidArgument('transport must be a Transport (from getRpcTransport)');
    this.target = asTarget(target);
    if (!this.target.topic) throw new InvalidTarget('An RPC server target needs a topic', this.target);
    if (!this.target.server) throw new InvalidTarget('An RPC server target needs a server', this.target);
    const checked = [...checkEndpoints(endpoints)];
    if (transport.conf.get<boolean>('DEFAULT', 'rpc_ping_enabled')) checked.push(new PingEndpoint());
    if (options.serializer !== undefined && !isSerializer(options.serializer)) throw new InvalidArgument('serializer must implement the four Serializer hooks');
    this.concurrency = options.concurrency ?? transport.conf.get<number>('DEFAULT', 'executor_thread_pool_size');
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new InvalidArgument(`concurrency must be a positive integer, got ${JSON.stringify(options.concurrency)}`);
    this.dispatcher = new RpcDispatcher(checked, options.serializer ?? new NoOpSerializer(), resolveAccessPolicy(options.accessPolicy));
    this.logger = options.logger ?? transport.logger;
  }

  /** Start listening. Calling it again while running does nothing; after stop() it throws. */
  async start(): Promise<void> {
    if (this.state === 'stopped') throw new ServerStateError('An RPC server cannot be restarted after stop(); create a new one');
    if (this.starting) return this.starting;
    this.state = 'running';
    this.starting = this.transport.driver.listen(this.target, (incoming) => this.accept(incoming)).then(
      (listener) => {
        this.listener = listener;
        if (this.state === 'stopped') void listener.stop();
      },
      (err: unknown) => {
        this.state = 'new';
        this.starting = undefined;
        throw err;
      },
    );
    return this.starting;
  }

  /** Stop taking new requests. Requests already accepted still run; see wait(). */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.starting?.catch(() => undefined);
    await this.listener?.stop();
  }

  /** Resolves when every accepted request has been handled and replied to. */
  async wait(): Promise<void> {
    if (this.inFlight === 0 && this.backlog.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private accept(incoming: IncomingRpc): void {
    if (this.inFlight < this.concurrency) {
      void this.process(incoming);
      return;
    }
    // Already acknowledged (at-most-once), so it is kept and run later, never dropped.
    this.backlog.push(incoming);
    this.listener?.pause?.();
  }

  private async process(incoming: IncomingRpc): Promise<void> {
    this.inFlight++;
    const heartbeat = this.startHeartbeat(incoming);
    try {
      const result = await this.dispatcher.dispatch(incoming.ctxt, incoming.request);
      clearInterval(heartbeat);
      await incoming.reply({ result, failure: null });
    } catch (err) {
      clearInterval(heartbeat);
      const original = err instanceof ExpectedException ? err.original : (err as Error);
      this.logFailure(incoming, err, original);
      await incoming.reply({ result: null, failure: serializeRemoteException(original) });
    } finally {
      this.inFlight--;
      this.next();
    }
  }

  private next(): void {
    const queued = this.backlog.shift();
    if (queued) {
      void this.process(queued);
      return;
    }
    if (this.inFlight < this.concurrency) this.listener?.resume?.();
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Heartbeats every client_timeout/2 s, none when that is under 1 s (as oslo). */
  private startHeartbeat(incoming: IncomingRpc): NodeJS.Timeout | undefined {
    if (!incoming.expectsReply || incoming.clientTimeout === null) return undefined;
    const interval = incoming.clientTimeout / 2;
    if (interval < 1) return undefined;
    return setInterval(() => {
      incoming.heartbeat().catch((err: unknown) => this.logger.warn('Failed to send a call-monitor heartbeat', { error: (err as Error).message }));
    }, interval * 1000);
  }

  private logFailure(incoming: IncomingRpc, err: unknown, original: Error): void {
    const method = incoming.request.method;
    const fields = { method, error: original.message, errorClass: original.name };
    if (err instanceof ExpectedException) this.logger.debug('Expected exception during message handling', fields);
    else if (err instanceof NoSuchMethod && method.endsWith('_ignore_errors')) this.logger.debug('Ignored missing method', fields);
    else this.logger.error('Exception during message handling', { ...fields, stack: original.stack });
  }
}

export function getRpcServer(transport: Transport, target: Target | TargetFields, endpoints: object[], options: RpcServerOptions = {}): RpcServer {
  return new RpcServer(transport, target, endpoints, options);
}
