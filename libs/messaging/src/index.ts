/**
 * @fjord/messaging — oslo.messaging for TypeScript.
 * Transports by URL, RPC (call/cast/fanout), notifications, remote exceptions, oslo config.
 */
export * from './errors.js';
export { Config } from './config/config.js';
export type { ConfigSources, OptionSpec, OptionType } from './config/config.js';
export { TransportURL, TransportHost } from './transport/url.js';
export { Transport, getRpcTransport, getNotificationTransport, setTransportDefaults } from './transport/transport.js';
export type { TransportKind, TransportOptionsArg } from './transport/transport.js';
export { registerDriver, registeredSchemes } from './drivers/registry.js';
export type * from './drivers/contract.js';
export { Target } from './rpc/target.js';
export type { TargetFields } from './rpc/target.js';
export { RpcClient, getRpcClient } from './rpc/client.js';
export type { RpcClientOptions, PrepareOptions } from './rpc/client.js';
export { RpcServer, getRpcServer } from './rpc/server.js';
export type { RpcServerOptions } from './rpc/server.js';
export {
  DefaultRPCAccessPolicy,
  LegacyRPCAccessPolicy,
  ExplicitRPCAccessPolicy,
  expose,
  expectedExceptions,
  ExpectedException,
} from './rpc/access-policy.js';
export type { AccessPolicy } from './rpc/access-policy.js';
export { PING_METHOD } from './rpc/dispatcher.js';
export { versionIsCompatible } from './rpc/version.js';
export * from './notify/index.js';
export { NoOpSerializer, JsonPayloadSerializer } from './serializer.js';
export type { Serializer } from './serializer.js';
export { registerRemoteError, unregisterRemoteErrors, serializeRemoteException, deserializeRemoteException } from './wire/failure.js';
export * from './wire/python-errors.js';
export type { RemoteOrigin } from './wire/failure.js';
export type { Context, JsonObject } from './wire/envelope.js';
export { describeMessage, maskSecrets, type MessageKind, type MessageView } from './wire/describe.js';
export { Taps } from './taps.js';
export { createConsoleLogger, setDefaultLogger, getDefaultLogger } from './logging.js';
export type { Logger, LogLevel } from './logging.js';
