import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { ConfigurationError } from '../../errors.js';
import { TransportURL } from '../../transport/url.js';
import { amqp1Driver } from './index.js';
import { readAmqp1Settings } from './settings.js';

function settings(url: string, values: Record<string, unknown> = {}) {
  const conf = new Config({ env: {}, values: { oslo_messaging_amqp: values } });
  amqp1Driver.registerOptions?.(conf);
  return readAmqp1Settings(conf, TransportURL.parse(url), 'nova');
}

describe('[oslo_messaging_amqp] and the amqp:// URL', () => {
  it("names the container and the connection as oslo does, with oslo's defaults", () => {
    const s = settings('amqp://alice:pw@b1:5673,b2/vh');
    expect(s.containerName).toMatch(new RegExp(`^openstack\\.org/om/container/${hostname()}/[^/]+/${process.pid}/[0-9a-f-]{36}$`));
    expect(s.connectionProperties).toEqual({ process: expect.any(String), pid: process.pid, node: hostname() });
    expect(s.hosts).toEqual([{ hostname: 'b1', port: 5673 }, { hostname: 'b2', port: 5672 }]);
    expect(s).toMatchObject({ username: 'alice', password: 'pw', openHostname: undefined, idleTimeoutMs: 0, linkRetryDelayMs: 10_000, senderLinkTimeoutMs: 600_000 });
    expect(s.timeouts).toEqual({ replyMs: 30_000, sendMs: 30_000, notifyMs: 30_000 });
    expect(s.credit).toEqual({ reply: 200, rpcServer: 100, notifyServer: 100 });
    expect([...s.presettled].sort()).toEqual(['rpc-cast', 'rpc-reply']);
    expect(s.addressing).toMatchObject({ mode: 'dynamic', vhost: 'vh', controlExchange: 'nova' });
  });

  it('puts the virtual host in the Open hostname instead of addresses without pseudo_vhost', () => {
    const s = settings('amqp://b1/vh', { pseudo_vhost: false, container_name: 'mine' });
    expect(s).toMatchObject({ openHostname: 'vh', containerName: 'mine', addressing: { vhost: undefined } });
  });

  it('names an unreadable TLS file', () => {
    expect(() => settings('amqp://b1/', { ssl: true, ssl_ca_file: '/nonexistent/ca.pem' })).toThrow(ConfigurationError);
    expect(() => settings('amqp://b1/', { ssl: true, ssl_ca_file: '/nonexistent/ca.pem' })).toThrow(/ssl_ca_file: cannot read \/nonexistent\/ca.pem/);
  });
});
