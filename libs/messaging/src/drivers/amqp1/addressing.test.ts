import { describe, expect, it } from 'vitest';
import { Target } from '../../rpc/target.js';
import { createAddresser, forRabbitMq, modeForPeer, type AddressingSettings } from './addressing.js';

const SETTINGS: AddressingSettings = {
  mode: 'dynamic',
  vhost: undefined,
  controlExchange: 'nova',
  defaultRpcExchange: undefined,
  defaultNotificationExchange: undefined,
  legacy: { serverPrefix: 'exclusive', broadcastPrefix: 'broadcast', groupPrefix: 'unicast' },
  routable: { rpcPrefix: 'openstack.org/om/rpc', notifyPrefix: 'openstack.org/om/notify', multicast: 'multicast', unicast: 'unicast', anycast: 'anycast' },
};
const target = new Target({ topic: 'compute', server: 'host1' });

describe("oslo's AMQP 1.0 addresses", () => {
  it('legacy: dot-separated, no rpc/notify split', () => {
    const a = createAddresser(SETTINGS, 'legacy');
    expect(a.multicast(target, 'rpc')).toBe('broadcast.nova.compute.all');
    expect(a.unicast(target, 'rpc')).toBe('exclusive.nova.compute.host1');
    expect(a.anycast(target, 'rpc')).toBe('unicast.nova.compute');
    expect(a.anycast(new Target({ topic: 'notifications.info' }), 'notify')).toBe('unicast.nova.notifications.info');
  });

  it('routable: slash-separated under the rpc and notify prefixes', () => {
    const a = createAddresser(SETTINGS, 'routable');
    expect(a.multicast(target, 'rpc')).toBe('openstack.org/om/rpc/multicast/nova/compute');
    expect(a.unicast(target, 'rpc')).toBe('openstack.org/om/rpc/unicast/nova/compute/host1');
    expect(a.anycast(target, 'rpc')).toBe('openstack.org/om/rpc/anycast/nova/compute');
    expect(a.anycast(new Target({ topic: 'notifications.info', exchange: 'cinder' }), 'notify')).toBe('openstack.org/om/notify/anycast/cinder/notifications.info');
  });

  it('puts the virtual host after the prefix (pseudo_vhost)', () => {
    expect(createAddresser({ ...SETTINGS, vhost: 'vh' }, 'legacy').unicast(target, 'rpc')).toBe('exclusive.vh.nova.compute.host1');
    expect(createAddresser({ ...SETTINGS, vhost: 'vh' }, 'routable').anycast(target, 'rpc')).toBe('openstack.org/om/rpc/anycast/vh/nova/compute');
  });

  it('takes the exchange from the target, then the default per service, then control_exchange, then rpc/notify', () => {
    const a = createAddresser({ ...SETTINGS, defaultRpcExchange: 'r', defaultNotificationExchange: 'n' }, 'routable');
    expect(a.anycast(target.with({ exchange: 'x' }), 'rpc')).toBe('openstack.org/om/rpc/anycast/x/compute');
    expect(a.anycast(target, 'rpc')).toBe('openstack.org/om/rpc/anycast/r/compute');
    expect(a.anycast(target, 'notify')).toBe('openstack.org/om/notify/anycast/n/compute');
    const bare = createAddresser({ ...SETTINGS, controlExchange: undefined }, 'legacy');
    expect(bare.anycast(target, 'rpc')).toBe('unicast.rpc.compute');
    expect(bare.anycast(target, 'notify')).toBe('unicast.notify.compute');
  });

  it("chooses the syntax from the peer's product when dynamic", () => {
    expect(modeForPeer(SETTINGS, 'qpid-cpp')).toBe('legacy');
    expect(modeForPeer(SETTINGS, undefined)).toBe('legacy');
    expect(modeForPeer(SETTINGS, 'qpid-dispatch-router')).toBe('routable');
    expect(modeForPeer(SETTINGS, 'apache-activemq-artemis')).toBe('routable');
    expect(modeForPeer({ ...SETTINGS, mode: 'legacy' }, 'apache-activemq-artemis')).toBe('legacy');
    expect(modeForPeer(SETTINGS, 'RabbitMQ')).toBe('legacy');
  });

  it("wraps the legacy names in RabbitMQ 3.x's /queue/ and /topic/ forms", () => {
    const a = forRabbitMq(createAddresser(SETTINGS, 'legacy'));
    expect(a.multicast(target, 'rpc')).toBe('/topic/broadcast.nova.compute.all');
    expect(a.unicast(target, 'rpc')).toBe('/queue/exclusive.nova.compute.host1');
    expect(a.anycast(target, 'rpc')).toBe('/queue/unicast.nova.compute');
  });
});
