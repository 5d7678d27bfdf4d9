/** [oslo_messaging_amqp] and the amqp:// URL read once, with oslo's meaning for each option. */
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { Config } from '../../config/config.js';
import { AMQP1_GROUP } from '../../config/options.js';
import { readOptionFile } from '../../config/files.js';
import type { TransportURL } from '../../transport/url.js';
import type { AddressingSettings } from './addressing.js';
import { randomId } from './connection.js';

export const DEFAULT_PORT = 5672;
export type MessageKind = 'rpc-call' | 'rpc-reply' | 'rpc-cast' | 'notify';

export interface Amqp1Settings {
  hosts: Array<{ hostname: string; port: number }>;
  username: string | undefined;
  password: string | undefined;
  /** Open's hostname: the virtual host when pseudo_vhost is off. */
  openHostname: string | undefined;
  containerName: string;
  connectionProperties: Record<string, string | number>;
  tls: { ca?: string; cert?: string; key?: string; passphrase?: string; rejectUnauthorized: boolean } | undefined;
  idleTimeoutMs: number;
  reconnect: { intervalMs: number; maxMs: number };
  linkRetryDelayMs: number;
  senderLinkTimeoutMs: number;
  timeouts: { replyMs: number; sendMs: number; notifyMs: number };
  replyRetry: number;
  credit: { reply: number; rpcServer: number; notifyServer: number };
  presettled: ReadonlySet<MessageKind>;
  addressing: AddressingSettings;
}

export function readAmqp1Settings(conf: Config, url: TransportURL, controlExchange: string | undefined): Amqp1Settings {
  const get = <T>(name: string): T => conf.get<T>(AMQP1_GROUP, name);
  const hosts = url.hosts.filter((h) => h.hostname !== undefined);
  const withUser = url.hosts.find((h) => h.username !== undefined);
  const vhost = url.virtualHost === undefined || url.virtualHost === '' ? undefined : url.virtualHost;
  const pseudoVhost = get<boolean>('pseudo_vhost');
  const command = basename(process.argv[1] ?? process.argv0);
  return {
    hosts: hosts.length === 0 ? [{ hostname: 'localhost', port: DEFAULT_PORT }] : hosts.map((h) => ({ hostname: h.hostname as string, port: h.port ?? DEFAULT_PORT })),
    username: withUser?.username,
    password: withUser?.password,
    openHostname: pseudoVhost ? undefined : vhost,
    containerName: get<string | null>('container_name') ?? `openstack.org/om/container/${hostname()}/${command}/${process.pid}/${randomId()}`,
    connectionProperties: { process: command, pid: process.pid, node: hostname() },
    tls: get<boolean>('ssl') || get<string>('ssl_ca_file') ? tlsFiles(get) : undefined,
    idleTimeoutMs: Math.max(0, get<number>('idle_timeout')) * 1000,
    reconnect: { intervalMs: get<number>('connection_retry_interval') * 1000, maxMs: get<number>('connection_retry_interval_max') * 1000 },
    linkRetryDelayMs: get<number>('link_retry_delay') * 1000,
    senderLinkTimeoutMs: get<number>('default_sender_link_timeout') * 1000,
    timeouts: { replyMs: get<number>('default_reply_timeout') * 1000, sendMs: get<number>('default_send_timeout') * 1000, notifyMs: get<number>('default_notify_timeout') * 1000 },
    replyRetry: get<number>('default_reply_retry'),
    credit: { reply: get<number>('reply_link_credit'), rpcServer: get<number>('rpc_server_credit'), notifyServer: get<number>('notify_server_credit') },
    presettled: new Set(get<MessageKind[]>('pre_settled')),
    addressing: {
      mode: get<'dynamic' | 'legacy' | 'routable'>('addressing_mode'),
      vhost: pseudoVhost ? vhost : undefined,
      controlExchange,
      defaultRpcExchange: get<string | null>('default_rpc_exchange') ?? undefined,
      defaultNotificationExchange: get<string | null>('default_notification_exchange') ?? undefined,
      legacy: { serverPrefix: get('server_request_prefix'), broadcastPrefix: get('broadcast_prefix'), groupPrefix: get('group_request_prefix') },
      routable: {
        rpcPrefix: get('rpc_address_prefix'),
        notifyPrefix: get('notify_address_prefix'),
        multicast: get('multicast_address'),
        unicast: get('unicast_address'),
        anycast: get('anycast_address'),
      },
    },
  };
}

function tlsFiles(get: <T>(name: string) => T): NonNullable<Amqp1Settings['tls']> {
  const read = (option: string) => readOptionFile(AMQP1_GROUP, option, get<string>(option));
  const ca = read('ssl_ca_file');
  const cert = read('ssl_cert_file');
  const key = read('ssl_key_file');
  const passphrase = get<string | null>('ssl_key_password');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(passphrase ? { passphrase } : {}), rejectUnauthorized: true };
}
