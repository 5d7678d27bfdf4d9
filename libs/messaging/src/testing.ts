/**
 * Helpers for tests of code built on @fjord/messaging: isolated in-memory transports.
 * (`@fjord/messaging/testing`; the in-memory broker is a fake for tests and the embedded default.)
 */
import { randomUUID } from 'node:crypto';
import { Config, type ConfigSources } from './config/config.js';
import { getNotificationTransport, getRpcTransport, type Transport } from './transport/transport.js';

/** A `memory://` URL with a virtual host of its own, so tests never see each other's queues. */
export function isolatedMemoryUrl(label = 'test'): string {
  return `memory:///${label}-${randomUUID()}`;
}

export interface MemoryTransports {
  conf: Config;
  url: string;
  rpc: Transport;
  notification: Transport;
  cleanup(): Promise<void>;
}

/** An RPC and a notification transport on one isolated in-memory broker. */
export async function createMemoryTransports(sources: ConfigSources = {}, label?: string): Promise<MemoryTransports> {
  const url = isolatedMemoryUrl(label);
  const conf = Config.load({ env: {}, ...sources });
  const rpc = await getRpcTransport(conf, url);
  const notification = await getNotificationTransport(conf, url);
  return {
    conf,
    url,
    rpc,
    notification,
    cleanup: async () => {
      await rpc.cleanup();
      await notification.cleanup();
    },
  };
}
