/**
 * The entry point of a service process: build it, start it, and stop it gracefully on SIGINT or
 * SIGTERM (a second signal, or 30 s, forces the exit).
 */
import closeWithGrace from 'close-with-grace';
import type { Service } from './service.js';

export interface RunOptions {
  /** Milliseconds a graceful stop may take. */
  graceMs?: number;
}

export async function runService(build: () => Promise<Service | Service[]>, options: RunOptions = {}): Promise<Service[]> {
  let services: Service[] = [];
  const starting = (async () => {
    const built = await build();
    services = Array.isArray(built) ? built : [built];
    for (const service of services) await service.start();
  })();
  // Installed first: a SIGTERM while the service starts (docker stop, a restart) lets the start
  // finish, then stops gracefully, instead of killing the process halfway.
  closeWithGrace({ delay: options.graceMs ?? 30_000 }, async ({ signal, err }) => {
    await starting.catch(() => undefined);
    const logger = services[0]?.logger;
    if (err) logger?.error({ err }, 'stopping after an unexpected error');
    else logger?.info({ signal }, 'stopping');
    for (const service of [...services].reverse()) await service.stop();
  });
  try {
    await starting;
  } catch (error) {
    process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
    for (const service of services.reverse()) await service.stop().catch(() => undefined);
    process.exit(1);
  }
  return services;
}
