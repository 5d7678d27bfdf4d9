/**
 * Drivers registered by URL scheme (as moleculer's transporter registry does). Built-in drivers
 * are loaded lazily with a dynamic import, so an app pulls in amqplib, rhea, kafkajs or zeromq only when
 * a URL names their scheme.
 */
import { DriverLoadFailure, InvalidArgument } from '../errors.js';
import type { DriverModule } from './contract.js';

type DriverLoader = () => Promise<DriverModule> | DriverModule;

const registry = new Map<string, DriverLoader>();

const builtins: Record<string, DriverLoader> = {
  memory: async () => (await import('./memory/index.js')).memoryDriver,
  fake: async () => (await import('./memory/index.js')).memoryDriver,
  rabbit: async () => (await import('./rabbit/index.js')).rabbitDriver,
  kombu: async () => (await import('./rabbit/index.js')).rabbitDriver,
  kafka: async () => (await import('./kafka/index.js')).kafkaDriver,
  amqp: async () => (await import('./amqp1/index.js')).amqp1Driver,
  zmq: async () => (await import('./zmq/index.js')).zmqDriver,
};

/** Register (or replace) the driver for a URL scheme. */
export function registerDriver(scheme: string, loader: DriverLoader | DriverModule): void {
  if (typeof scheme !== 'string' || !/^[a-z][a-z0-9.-]*$/i.test(scheme)) {
    throw new InvalidArgument(`driver scheme must be a name like "rabbit", got ${JSON.stringify(scheme)}`);
  }
  registry.set(scheme.toLowerCase(), typeof loader === 'function' ? loader : () => loader);
}

export function registeredSchemes(): string[] {
  return [...new Set([...Object.keys(builtins), ...registry.keys()])].sort();
}

export async function loadDriverModule(name: string): Promise<DriverModule> {
  const loader = registry.get(name.toLowerCase()) ?? builtins[name.toLowerCase()];
  if (!loader) {
    throw new DriverLoadFailure(name, `no driver is registered for this scheme (known: ${registeredSchemes().join(', ')})`);
  }
  try {
    return await loader();
  } catch (err) {
    throw new DriverLoadFailure(name, (err as Error).message, { cause: err });
  }
}
