/**
 * The RPC client (oslo's RPCClient and its call context): `call` waits for a reply, `cast`
 * returns once the transport accepted the message, `prepare` derives a client with overrides.
 */
import { InvalidArgument, InvalidTarget, RPCVersionCapError } from '../errors.js';
import type { TransportOptions } from '../drivers/contract.js';
import { NoOpSerializer, isIdentitySerializer, isSerializer, type Serializer } from '../serializer.js';
import type { Transport } from '../transport/transport.js';
import type { Context, JsonObject } from '../wire/envelope.js';
import { deserializeRemoteException } from '../wire/failure.js';
import { asTarget, type Target, type TargetFields } from './target.js';
import { isValidVersion, versionIsCompatible } from './version.js';

export interface RpcClientOptions {
  /** Seconds to wait for a call's reply; default `[DEFAULT] rpc_response_timeout` (60). */
  timeout?: number | undefined;
  /** Highest version this client may send ("X.Y"); see canSendVersion. */
  versionCap?: string | undefined;
  serializer?: Serializer | undefined;
  /** undefined/-1: retry the connection forever; 0: never; N: N times. */
  retry?: number | null | undefined;
  /** Seconds between heartbeats the server must send while it works on a call. */
  callMonitorTimeout?: number | undefined;
  transportOptions?: TransportOptions | undefined;
}

export type PrepareOptions = TargetFields & RpcClientOptions;

const TARGET_KEYS = ['exchange', 'topic', 'namespace', 'version', 'server', 'fanout'] as const;
const OPTION_KEYS = ['timeout', 'versionCap', 'serializer', 'retry', 'callMonitorTimeout', 'transportOptions'] as const;

export class RpcClient {
  readonly target: Target;
  readonly options: Readonly<RpcClientOptions>;
  private readonly serializer: Serializer;

  constructor(
    readonly transport: Transport,
    target: Target | TargetFields,
    options: RpcClientOptions = {},
  ) {
    if (!transport || typeof transport !== 'object' || !('driver' in transport)) throw new InvalidArgument('transport must be a Transport (from getRpcTransport)');
    this.target = asTarget(target);
    if (this.target.version !== undefined && !isValidVersion(this.target.version)) {
      throw new InvalidArgument(`target version must look like "X.Y", got ${JSON.stringify(this.target.version)}`);
    }
    this.options = checkOptions(options);
    this.serializer = options.serializer ?? new NoOpSerializer();
  }

  /** A client with some target fields or options replaced; the others are kept. */
  prepare(overrides: PrepareOptions = {}): RpcClient {
    if (overrides === null || typeof overrides !== 'object') throw new InvalidArgument('prepare() takes an object of target fields and options');
    const unknown = Object.keys(overrides).filter((k) => !(TARGET_KEYS as readonly string[]).includes(k) && !(OPTION_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) throw new InvalidArgument(`prepare() got unknown option(s): ${unknown.join(', ')}`);
    const targetOverrides: TargetFields = {};
    for (const key of TARGET_KEYS) if (key in overrides) (targetOverrides as Record<string, unknown>)[key] = overrides[key];
    const options: RpcClientOptions = { ...this.options };
    for (const key of OPTION_KEYS) if (key in overrides) (options as Record<string, unknown>)[key] = overrides[key];
    return new RpcClient(this.transport, this.target.with(targetOverrides), options);
  }

  /** True when no cap is set, or `version` (default: the target's) is within the cap. */
  canSendVersion(version: string | undefined = this.target.version): boolean {
    const cap = this.options.versionCap;
    if (cap === undefined) return true;
    return version !== undefined && isValidVersion(version) && versionIsCompatible(cap, version);
  }

  async cast(ctxt: object, method: string, args: JsonObject = {}): Promise<void> {
    const { context, request } = this.buildRequest(ctxt, method, args);
    await this.transport.driver.send(this.target, context, request, {
      waitForReply: false,
      retry: this.options.retry,
      transportOptions: this.options.transportOptions,
    });
  }

  async call(ctxt: object, method: string, args: JsonObject = {}): Promise<unknown> {
    if (this.target.fanout) throw new InvalidTarget('A call cannot be used with fanout', this.target);
    const { context, request } = this.buildRequest(ctxt, method, args);
    const timeout = this.options.timeout ?? this.transport.conf.get<number>('DEFAULT', 'rpc_response_timeout');
    const reply = await this.transport.driver.send(this.target, context, request, {
      waitForReply: true,
      timeout,
      callMonitorTimeout: this.options.callMonitorTimeout,
      retry: this.options.retry,
      transportOptions: this.options.transportOptions,
    });
    if (reply?.failure) throw deserializeRemoteException(reply.failure);
    return this.serializer.deserializeEntity(context, reply?.result ?? null);
  }

  private buildRequest(ctxt: object, method: string, args: JsonObject) {
    if (this.transport.isCleanedUp) throw new InvalidArgument('transport has been cleaned up');
    if (typeof method !== 'string' || method === '') throw new InvalidArgument(`method must be a non-empty string, got ${JSON.stringify(method)}`);
    if (ctxt === null || typeof ctxt !== 'object') throw new InvalidArgument(`ctxt must be an object, got ${ctxt === null ? 'null' : typeof ctxt}`);
    if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new InvalidArgument(`args must be an object of keyword arguments, got ${Array.isArray(args) ? 'an array' : typeof args}`);
    if (!this.target.topic) throw new InvalidTarget('A topic is required to send', this.target);
    const version = this.target.version;
    if (this.options.versionCap !== undefined && !this.canSendVersion(version)) throw new RPCVersionCapError(version, this.options.versionCap);
    const context = this.serializer.serializeContext(ctxt);
    let serializedArgs: JsonObject = args;
    if (!isIdentitySerializer(this.serializer)) {
      serializedArgs = {};
      for (const [name, value] of Object.entries(args)) serializedArgs[name] = this.serializer.serializeEntity(context, value);
    }
    return {
      context: context as Context,
      request: { method, args: serializedArgs, namespace: this.target.namespace, version },
    };
  }
}

export function getRpcClient(transport: Transport, target: Target | TargetFields, options: RpcClientOptions = {}): RpcClient {
  return new RpcClient(transport, target, options);
}

function checkOptions(options: RpcClientOptions): RpcClientOptions {
  if (options === null || typeof options !== 'object') throw new InvalidArgument('RPC client options must be an object');
  const { timeout, versionCap, serializer, retry, callMonitorTimeout } = options;
  for (const [name, value] of [['timeout', timeout], ['callMonitorTimeout', callMonitorTimeout]] as const) {
    if (value !== undefined && value !== null && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new InvalidArgument(`${name} must be a positive number of seconds, got ${JSON.stringify(value)}`);
    }
  }
  if (versionCap !== undefined && !isValidVersion(versionCap)) throw new InvalidArgument(`versionCap must look like "X.Y", got ${JSON.stringify(versionCap)}`);
  if (retry !== undefined && retry !== null && !(Number.isInteger(retry) && retry >= -1)) {
    throw new InvalidArgument(`retry must be -1 (forever), 0 (never) or a positive integer, got ${JSON.stringify(retry)}`);
  }
  if (serializer !== undefined && !isSerializer(serializer)) throw new InvalidArgument('serializer must implement serializeEntity, deserializeEntity, serializeContext and deserializeContext');
  return { ...options, timeout: timeout ?? undefined, callMonitorTimeout: callMonitorTimeout ?? undefined };
}
