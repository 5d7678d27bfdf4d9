/**
 * `[console]`: where the live view listens and what it taps. By default it taps the buses the
 * services use, `[DEFAULT] transport_url` and `[oslo_messaging_notifications] transport_url`,
 * so the console takes the same configuration files as the apps.
 */
import type { Config, OptionSpec } from '@fjord/messaging';

const CONSOLE_OPTIONS: OptionSpec[] = [
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'The listen IP of the console (it shows the bus: keep it off public networks).' },
  { name: 'port', type: 'integer', default: 8790, min: 0, max: 65535, help: 'The port of the console (0 picks a free one).' },
  {
    name: 'tap_urls',
    type: 'list',
    default: [],
    secret: true,
    help: 'Transport URLs of the buses to watch (memory:// in the stack\'s process, rabbit:// through the firehose, kafka:// notifications); empty: the RPC and notification transports of this configuration.',
  },
  {
    name: 'management_url',
    type: 'string',
    default: null,
    secret: true,
    help: 'RabbitMQ management API of the tapped broker; unset: http://<broker host>:15672 with the URL\'s user.',
  },
  { name: 'enable_tracing', type: 'boolean', default: true, help: 'Turn RabbitMQ\'s firehose tracing on for the tapped vhosts (through the management API).' },
  { name: 'tap_rest', type: 'boolean', default: true, help: 'Show the REST calls between projects made in this process (the embedded stack).' },
  { name: 'history', type: 'integer', default: 5000, min: 100, max: 1_000_000, help: 'Arrows (with their messages) kept for new browsers and for clicks.' },
];

export function registerConsoleOptions(conf: Config): void {
  conf.registerOptions('console', CONSOLE_OPTIONS);
}

export interface ConsoleSettings {
  host: string;
  port: number;
  tapUrls: string[];
  managementUrl?: string;
  enableTracing: boolean;
  tapRest: boolean;
  history: number;
  notificationTopics: string[];
}

export function readConsoleSettings(conf: Config): ConsoleSettings {
  const configured = conf.get<string[]>('console', 'tap_urls');
  const rpc = conf.get<string>('DEFAULT', 'transport_url');
  const notifications = conf.get<string | null>('oslo_messaging_notifications', 'transport_url');
  const tapUrls = configured.length > 0 ? configured : [...new Set([rpc, ...(notifications ? [notifications] : [])])];
  const managementUrl = conf.get<string | null>('console', 'management_url');
  return {
    host: conf.get<string>('console', 'host'),
    port: conf.get<number>('console', 'port'),
    tapUrls,
    ...(managementUrl ? { managementUrl } : {}),
    enableTracing: conf.get<boolean>('console', 'enable_tracing'),
    tapRest: conf.get<boolean>('console', 'tap_rest'),
    history: conf.get<number>('console', 'history'),
    notificationTopics: conf.get<string[]>('oslo_messaging_notifications', 'topics'),
  };
}
