import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { ConfigurationError, InvalidTransportURL } from '../../errors.js';
import { getNotificationTransport } from '../../transport/transport.js';
import { TransportURL } from '../../transport/url.js';
import { kafkaDriver } from './index.js';
import { readKafkaSettings, topicName } from './settings.js';

function settings(url: string, values: Record<string, unknown> = {}) {
  const conf = new Config({ env: {}, values: { oslo_messaging_kafka: values } });
  kafkaDriver.registerOptions?.(conf);
  return readKafkaSettings(conf, TransportURL.parse(url));
}

describe('[oslo_messaging_kafka] and the kafka:// URL', () => {
  it("has oslo's defaults", () => {
    const s = settings('kafka://127.0.0.1:9092/');
    expect(s).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      virtualHost: undefined,
      sasl: undefined,
      tls: undefined,
      producer: { compression: 'none', lingerMs: 0, batchSize: 16384 },
      consumer: { defaultGroup: 'oslo_messaging_consumer', maxWaitMs: 1000, maxBytesPerPartition: 1048576, maxInFlightPerPartition: 500, commitOnReceipt: false, offsetReset: 'latest' },
    });
  });

  it('takes every host, with 9092 when a port is missing, and the virtual host', () => {
    expect(settings('kafka://k1:9093,k2,[::1]:9094/vh')).toMatchObject({ brokers: ['k1:9093', 'k2:9092', '[::1]:9094'], virtualHost: 'vh' });
    expect(settings('kafka://')).toMatchObject({ brokers: ['localhost:9092'] });
  });

  it('appends the virtual host to topic names, as oslo publishes', () => {
    expect(topicName('notifications.info', undefined)).toBe('notifications.info');
    expect(topicName('notifications.info', 'vh')).toBe('notifications.info.vh');
  });

  it('maps SASL to the user of the URL and TLS to the files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-kafka-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    const s = settings('kafka://alice:s3cret@k1:9093/', { security_protocol: 'SASL_SSL', sasl_mechanism: 'SCRAM-SHA-512', ssl_cafile: join(dir, 'ca.pem') });
    expect(s.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: 's3cret' });
    expect(s.tls).toEqual({ ca: 'CA' });
  });

  it.each([
    [{ compression_codec: 'snappy' }, /compression_codec snappy needs a codec/],
    [{ security_protocol: 'SASL_PLAINTEXT', sasl_mechanism: 'GSSAPI' }, /sasl_mechanism "GSSAPI" is not supported/],
    [{ security_protocol: 'SASL_PLAINTEXT' }, /has no user name/],
    [{ security_protocol: 'SSL', ssl_cafile: '/nonexistent/ca.pem' }, /ssl_cafile: cannot read \/nonexistent\/ca.pem/],
    [{ security_protocol: 'SSL', ssl_client_key_file: '/etc/hostname' }, /ssl_client_cert_file and ssl_client_key_file go together/],
    [{ max_poll_records: 0 }, /max_poll_records must be a number of at least 1/],
    [{ consumer_group: '' }, /consumer_group must not be empty/],
  ])('refuses %j, naming the option', (values, message) => {
    expect(() => settings('kafka://k1:9092/', values)).toThrow(ConfigurationError);
    expect(() => settings('kafka://k1:9092/', values)).toThrow(message);
  });

  it('takes options from the URL query and refuses unknown ones, without showing the password', async () => {
    const conf = new Config({ env: {} });
    const transport = await getNotificationTransport(conf, 'kafka://u:pw@127.0.0.1:9092/?consumer_group=g1&max_poll_records=7');
    expect(readKafkaSettings(transport.conf, transport.url).consumer).toMatchObject({ defaultGroup: 'g1', maxInFlightPerPartition: 7 });
    await transport.cleanup();
    const err = await getNotificationTransport(new Config({ env: {} }), 'kafka://u:pw@127.0.0.1:9092/?no_such_option=1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTransportURL);
    expect((err as Error).message).toMatch(/unknown option "no_such_option" \(not in \[oslo_messaging_kafka\]\)/);
    expect((err as Error).message).not.toContain('pw');
  });
});
