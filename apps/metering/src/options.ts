/**
 * ceilometer's options, with ceilometer's names where it has the option. Transports
 * (`[oslo_messaging_notifications] transport_url` and `topics`), `[DEFAULT] host` and
 * `[database]` are registered by the messaging library and the service kit.
 */
import type { Config, OptionSpec } from '@fjord/messaging';

const API_OPTIONS: OptionSpec[] = [
  { name: 'host', type: 'string', default: '0.0.0.0', help: 'The listen IP for the ceilometer API server.' },
  { name: 'port', type: 'integer', default: 8777, min: 0, max: 65535, help: 'The port for the ceilometer API server (0 picks a free one).' },
];

const NOTIFICATION_OPTIONS: OptionSpec[] = [
  {
    name: 'notification_control_exchanges',
    type: 'list',
    default: ['nova', 'cinder'],
    help:
      'Exchanges to listen on for notifications, each with every topic of [oslo_messaging_notifications] topics ' +
      '(ceilometer lists every OpenStack project; Fjord has nova and cinder).',
  },
  {
    name: 'batch_size',
    type: 'integer',
    default: 100,
    min: 1,
    help: 'Notifications stored together in one database statement (ceilometer batches its pipelines the same way).',
  },
  {
    name: 'batch_timeout',
    type: 'float',
    default: 0.1,
    min: 0.001,
    help:
      'Seconds a partial batch waits for more notifications before it is stored anyway ' +
      '(ceilometer: 5; shorter here so events show up at once in a demo).',
  },
  {
    name: 'requeue_delay',
    type: 'float',
    default: 1,
    min: 0,
    help:
      'Seconds a batch that could not be stored (database down) waits before it goes back to the queue, ' +
      'so an outage is not a busy loop. Fjord only: ceilometer instead acks on error (ack_on_event_error), which drops events.',
  },
];

export function registerMeteringOptions(conf: Config): void {
  conf.registerOptions('api', API_OPTIONS);
  conf.registerOptions('notification', NOTIFICATION_OPTIONS);
}

/** The listener's settings, read once at wiring time. */
export interface NotificationSettings {
  exchanges: string[];
  topics: string[];
  batchSize: number;
  batchTimeout: number;
  requeueDelayMs: number;
}

export function notificationSettings(conf: Config): NotificationSettings {
  return {
    exchanges: [...new Set(conf.get<string[]>('notification', 'notification_control_exchanges'))],
    topics: [...new Set(conf.get<string[]>('oslo_messaging_notifications', 'topics'))],
    batchSize: conf.get<number>('notification', 'batch_size'),
    batchTimeout: conf.get<number>('notification', 'batch_timeout'),
    requeueDelayMs: conf.get<number>('notification', 'requeue_delay') * 1000,
  };
}
