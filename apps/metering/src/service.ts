/**
 * The metering service (a miniature ceilometer): a notification listener on its own
 * notification transport stores events; the v2 API serves them and meters derived from them.
 */
import type { Config } from '@fjord/messaging';
import { Service, messagingLogger, type ServiceLogger } from '@fjord/service-kit';
import { openMeteringDatabase } from './db/database.js';
import { createEventListener, type EventSink } from './listener.js';
import { notificationSettings, registerMeteringOptions } from './options.js';
import { registerEventRoutes } from './routes/events.js';
import { registerMeterRoutes } from './routes/meters.js';
import { registerVersionRoutes } from './routes/versions.js';
import { METERING_POLICY } from './policy.js';

export interface MeteringServiceOptions {
  /** Service name in logs and metrics (default 'metering'). */
  name?: string;
  logger?: ServiceLogger;
  /** Wraps where the listener stores events (tests use it to make storing fail). */
  wrapSink?: (sink: EventSink) => EventSink;
  /** The clock of /v2/meters' default `end`. */
  now?: () => Date;
}

export async function createMeteringService(conf: Config, options: MeteringServiceOptions = {}): Promise<Service> {
  registerMeteringOptions(conf);
  const settings = notificationSettings(conf);
  const svc = new Service({ name: options.name ?? 'metering', conf, ...(options.logger ? { logger: options.logger } : {}) });

  const db = await svc.database(openMeteringDatabase);
  const sink = options.wrapSink ? options.wrapSink(db.events) : db.events;
  // Its own transport: [oslo_messaging_notifications] transport_url (a separate vhost, or Kafka).
  const transport = await svc.notificationTransport();
  const listenerLogger = svc.logger.child({ component: 'listener' });
  const listener = createEventListener({
    transport,
    sink,
    settings,
    logger: listenerLogger,
    messagingLogger: messagingLogger(listenerLogger),
    count: (eventType, outcome) => svc.metrics.notificationsHandled.inc({ event_type: eventType, outcome }),
  });
  svc.listener(listener);
  svc.healthCheck('notification listener', () => ({
    ok: listener.isRunning,
    detail: `pool metering on ${settings.exchanges.join(', ')} × ${settings.topics.join(', ')}`,
  }));

  const app = await svc.http({
    host: conf.get<string>('api', 'host'),
    port: conf.get<number>('api', 'port'),
    title: 'Metering API (ceilometer v2 subset)',
    policy: METERING_POLICY,
    version: '2',
    description: 'Events stored from nova and cinder notifications, and meters derived from them.',
  });
  registerVersionRoutes(app);
  registerEventRoutes(app, db.events);
  registerMeterRoutes(app, db.events, options.now);
  return svc;
}
