/**
 * Routes an RPC request to an endpoint method (oslo's RPCDispatcher): endpoints in list order,
 * namespace and version compatibility, then the access policy. NoSuchMethod when some endpoint
 * accepts the namespace and version but none exposes the method; UnsupportedVersion otherwise.
 */
import { InvalidArgument, NoSuchMethod, UnsupportedVersion } from '../errors.js';
import type { RpcRequest } from '../drivers/contract.js';
import { isIdentitySerializer, type Serializer } from '../serializer.js';
import type { Context } from '../wire/envelope.js';
import { findEndpointMethod, type AccessPolicy } from './access-policy.js';
import { Target } from './target.js';
import { versionIsCompatible } from './version.js';

export const PING_METHOD = 'oslo_rpc_server_ping';

/** Answers `oslo_rpc_server_ping` with "pong" when `[DEFAULT] rpc_ping_enabled` is set. */
export class PingEndpoint {
  oslo_rpc_server_ping(): string {
    return 'pong';
  }
}

const EMPTY_TARGET = new Target();

export function endpointTarget(endpoint: object): Target {
  const target = (endpoint as { target?: unknown }).target;
  if (target === undefined || target === null) return EMPTY_TARGET;
  if (!(target instanceof Target)) {
    throw new InvalidArgument('An endpoint\'s "target" property is reserved and must be a Target (namespace, version)');
  }
  return target;
}

export function checkEndpoints(endpoints: unknown): object[] {
  if (!Array.isArray(endpoints)) throw new InvalidArgument('endpoints must be an array of objects');
  endpoints.forEach((endpoint, index) => {
    if (endpoint === null || typeof endpoint !== 'object') throw new InvalidArgument(`endpoints[${index}] must be an object, got ${endpoint === null ? 'null' : typeof endpoint}`);
    endpointTarget(endpoint);
  });
  return endpoints as object[];
}

export class RpcDispatcher {
  constructor(
    private readonly endpoints: readonly object[],
    private readonly serializer: Serializer,
    private readonly accessPolicy: AccessPolicy,
  ) {}

  /** Run the request; resolves with the serialized result, rejects with the endpoint's error. */
  async dispatch(ctxtIn: Context, request: RpcRequest): Promise<unknown> {
    const method = request.method;
    const namespace = request.namespace ?? undefined;
    const version = request.version ?? '1.0';
    let versionMatched = false;
    for (const endpoint of this.endpoints) {
      const target = endpointTarget(endpoint);
      if (!target.acceptedNamespaces.includes(namespace)) continue;
      if (!versionIsCompatible(target.version ?? '1.0', version)) continue;
      versionMatched = true;
      const fn = findEndpointMethod(endpoint, method);
      if (fn && this.accessPolicy(endpoint, method)) return this.invoke(endpoint, fn, ctxtIn, request.args ?? {});
    }
    if (versionMatched) throw new NoSuchMethod(method);
    throw new UnsupportedVersion(version, method);
  }

  private async invoke(endpoint: object, fn: (...args: unknown[]) => unknown, ctxtIn: Context, rawArgs: Record<string, unknown>): Promise<unknown> {
    const ctxt = this.serializer.deserializeContext(ctxtIn);
    let args = rawArgs;
    if (!isIdentitySerializer(this.serializer)) {
      args = {};
      for (const [name, value] of Object.entries(rawArgs)) args[name] = this.serializer.deserializeEntity(ctxt as Context, value);
    }
    const result = await fn.call(endpoint, ctxt, args);
    return this.serializer.serializeEntity(ctxt as Context, result === undefined ? null : result);
  }
}
