/**
 * oslo's AMQP 1.0 addresses (its addressing.py), in both syntaxes:
 *
 * | mode     | multicast (fanout)                          | unicast (one server)                              | anycast (topic, notify)                   |
 * |----------|---------------------------------------------|---------------------------------------------------|-------------------------------------------|
 * | legacy   | `broadcast[.vhost].<exch>.<topic>.all`      | `exclusive[.vhost].<exch>.<topic>.<server>`       | `unicast[.vhost].<exch>.<topic>`          |
 * | routable | `<rpc prefix>/multicast[/vhost]/<exch>/<topic>` | `<rpc prefix>/unicast[/vhost]/<exch>/<topic>/<server>` | `<prefix>/anycast[/vhost]/<exch>/<topic>` |
 *
 * Notifications use anycast only, with `<topic>.<priority>` as the topic (routable: under the
 * notify prefix). `addressing_mode=dynamic` picks legacy when the peer's Open names no product
 * or `qpid-cpp` (qpidd), routable for anything else (a router, Artemis).
 *
 * RabbitMQ 3.x's AMQP 1.0 plugin (product `RabbitMQ`) is not in oslo (its driver cannot work
 * there) and takes only its own address forms: Fjord uses the legacy names inside them, `/queue/`
 * for unicast and anycast (a shared queue) and `/topic/` for multicast (amq.topic: one queue per
 * receiver).
 */
import type { Target } from '../../rpc/target.js';

export type Service = 'rpc' | 'notify';
export type AddressingMode = 'legacy' | 'routable';

export interface AddressingSettings {
  mode: 'dynamic' | AddressingMode;
  /** With pseudo_vhost, the URL's virtual host goes into every address. */
  vhost: string | undefined;
  controlExchange: string | undefined;
  defaultRpcExchange: string | undefined;
  defaultNotificationExchange: string | undefined;
  legacy: { serverPrefix: string; broadcastPrefix: string; groupPrefix: string };
  routable: { rpcPrefix: string; notifyPrefix: string; multicast: string; unicast: string; anycast: string };
}

export interface Addresser {
  readonly mode: AddressingMode;
  multicast(target: Target, service: Service): string;
  unicast(target: Target, service: Service): string;
  anycast(target: Target, service: Service): string;
}

/** oslo's choice for `addressing_mode=dynamic`, from the peer's Open `properties.product`. */
export function modeForPeer(settings: AddressingSettings, product: unknown): AddressingMode {
  if (settings.mode !== 'dynamic') return settings.mode;
  return product === undefined || product === null || product === 'qpid-cpp' || product === RABBITMQ ? 'legacy' : 'routable';
}

export const RABBITMQ = 'RabbitMQ';

/** RabbitMQ 3.x's address forms around oslo's names (see the module comment). */
export function forRabbitMq(addresser: Addresser): Addresser {
  return {
    mode: addresser.mode,
    multicast: (t, s) => `/topic/${addresser.multicast(t, s)}`,
    unicast: (t, s) => `/queue/${addresser.unicast(t, s)}`,
    anycast: (t, s) => `/queue/${addresser.anycast(t, s)}`,
  };
}

export function createAddresser(settings: AddressingSettings, mode: AddressingMode): Addresser {
  const exchange = (target: Target, service: Service): string =>
    target.exchange ??
    (service === 'rpc' ? settings.defaultRpcExchange : settings.defaultNotificationExchange) ??
    settings.controlExchange ??
    (service === 'rpc' ? 'rpc' : 'notify');
  const join = (separator: string, parts: Array<string | undefined>) => parts.filter((p): p is string => !!p).join(separator);

  if (mode === 'legacy') {
    const { serverPrefix, broadcastPrefix, groupPrefix } = settings.legacy;
    return {
      mode,
      multicast: (t, s) => join('.', [broadcastPrefix, settings.vhost, exchange(t, s), t.topic, 'all']),
      unicast: (t, s) => join('.', [serverPrefix, settings.vhost, exchange(t, s), t.topic, t.server]),
      anycast: (t, s) => join('.', [groupPrefix, settings.vhost, exchange(t, s), t.topic]),
    };
  }
  const { rpcPrefix, notifyPrefix, multicast, unicast, anycast } = settings.routable;
  const prefix = (s: Service) => (s === 'rpc' ? rpcPrefix : notifyPrefix);
  return {
    mode,
    multicast: (t, s) => join('/', [prefix(s), multicast, settings.vhost, exchange(t, s), t.topic]),
    unicast: (t, s) => join('/', [prefix(s), unicast, settings.vhost, exchange(t, s), t.topic, t.server]),
    anycast: (t, s) => join('/', [prefix(s), anycast, settings.vhost, exchange(t, s), t.topic]),
  };
}
