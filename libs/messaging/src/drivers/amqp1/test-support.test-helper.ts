/** Helpers for the amqp:// tests against Apache Artemis on 127.0.0.1:5673 (tools/brokers/artemis.sh). */
import { Config, type ConfigSources } from '../../config/config.js';
import type { Logger } from '../../logging.js';
import { getNotificationTransport, getRpcTransport, type Transport } from '../../transport/transport.js';
import { reachable } from '../broker-probes.test-helper.js';

export const ARTEMIS_PORT = Number(process.env['FJORD_ARTEMIS_PORT'] ?? 5673);
export const ARTEMIS_URL = `amqp://127.0.0.1:${ARTEMIS_PORT}/`;

/** true when Artemis answers. Missing: on CI (CI=true) this throws; elsewhere the caller skips. */
export async function requireArtemis(): Promise<boolean> {
  if (await reachable('127.0.0.1', ARTEMIS_PORT)) return true;
  const missing = `Apache Artemis is missing: nothing listens on 127.0.0.1:${ARTEMIS_PORT}`;
  if (process.env['CI'] === 'true') throw new Error(`${missing}. The amqp:// tests need it on CI (tools/brokers/artemis.sh).`);
  console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the amqp:// driver tests. Start it with: bash tools/brokers/artemis.sh\n${'!'.repeat(100)}\n`);
  return false;
}

export async function amqpTransports(sources: ConfigSources = {}, url = ARTEMIS_URL, logger?: Logger): Promise<{ rpc: Transport; notifications: Transport; cleanup(): Promise<void> }> {
  const conf = new Config({ env: {}, ...sources, values: { oslo_messaging_notifications: { driver: ['messagingv2'] }, ...sources.values } });
  const options = logger ? { logger } : {};
  const rpc = await getRpcTransport(conf, url, options);
  const notifications = await getNotificationTransport(conf, url, options);
  return { rpc, notifications, cleanup: async () => void (await Promise.all([rpc.cleanup(), notifications.cleanup()])) };
}

export { recordingLogger, sleep, uniqueName, until } from '../broker-probes.test-helper.js';
