/**
 * The console service: taps the buses (and this process's REST calls) into a feed, and serves
 * the live view of it. It sends nothing on the bus and takes no part in any flow.
 */
import { TransportURL, type Config } from '@fjord/messaging';
import { Service, type ServiceLogger } from '@fjord/service-kit';
import { BusFeed } from './feed.js';
import { readConsoleSettings, registerConsoleOptions } from './options.js';
import { registerConsoleRoutes } from './routes.js';
import { TapConfigurationError, UntappableTransport, tapBus, tapRestCalls, type Tap } from './taps.js';

const RETRY_MS = 5_000;

function redactedUrl(url: string): string {
  try {
    return TransportURL.parse(url).redacted();
  } catch {
    return '(a transport URL that does not parse)';
  }
}

export interface ConsoleServiceOptions {
  name?: string;
  logger?: ServiceLogger;
}

export interface ConsoleService {
  service: Service;
  feed: BusFeed;
}

export async function createConsoleService(conf: Config, options: ConsoleServiceOptions = {}): Promise<ConsoleService> {
  registerConsoleOptions(conf);
  const settings = readConsoleSettings(conf);
  const svc = new Service({ name: options.name ?? 'console', conf, ...(options.logger ? { logger: options.logger } : {}) });
  const feed = new BusFeed({ history: settings.history });
  const taps: Tap[] = [];
  /** Buses not reachable yet (a broker still starting): retried until they are. */
  const pending = new Map<string, { reason: string; timer?: NodeJS.Timeout }>();
  const tapOptions = { ...settings, ...(settings.managementUrl ? { managementUrl: settings.managementUrl } : {}) };
  /** Buses no tap can read (amqp://): named in /healthz and on the page, not an error. */
  const untappable: string[] = [];
  let stopping = false;

  const open = async (url: string): Promise<void> => {
    try {
      const tap = await tapBus(feed, url, tapOptions);
      pending.delete(url);
      if (stopping) return void (await tap.close());
      taps.push(tap);
      svc.logger.info({ tap: tap.name }, 'tapping');
    } catch (error) {
      if (error instanceof TapConfigurationError) throw error;
      if (error instanceof UntappableTransport) {
        untappable.push(error.message);
        svc.logger.warn({ tap: redactedUrl(url) }, 'the console cannot tap this transport; its messages will not show');
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      const where = redactedUrl(url);
      svc.logger.warn({ tap: where, reason }, `cannot tap yet; retrying every ${RETRY_MS / 1000} s`);
      pending.set(url, { reason: `${where}: ${reason}`, timer: setTimeout(() => open(url).catch((err: unknown) => svc.logger.error({ err, tap: where }, 'cannot tap')), RETRY_MS) });
    }
  };

  svc.onStart(async () => {
    for (const url of settings.tapUrls) await open(url);
    if (settings.tapRest) taps.push(tapRestCalls(feed));
  });
  svc.onStop(async () => {
    stopping = true;
    for (const { timer } of pending.values()) clearTimeout(timer);
    for (const tap of taps.splice(0)) await tap.close().catch((err: unknown) => svc.logger.warn({ err, tap: tap.name }, 'closing a tap failed'));
  });
  svc.healthCheck('taps', () => ({
    ok: pending.size === 0 && taps.length > 0,
    detail: [...taps.map((tap) => tap.name), ...[...pending.values()].map((p) => `not yet: ${p.reason}`), ...untappable].join(', ') || 'none open',
  }));

  const app = await svc.http({
    host: settings.host,
    port: settings.port,
    title: 'Fjord console: the bus, live',
    version: '1',
    description: 'Every message between the services as it happens: arrows as Server-Sent Events, messages as they were on the wire, counters.',
  });
  await registerConsoleRoutes(app, feed, () => [...taps.map((tap) => tap.name), ...untappable]);
  return { service: svc, feed };
}
