import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, InvalidArgument } from '../errors.js';
import type { Serializer } from '../serializer.js';
import type { Context } from '../wire/envelope.js';
import { resetTestNotifications, testNotifications } from './drivers/test.js';
import { Notifier } from './notifier.js';
import { makeTransport } from './test-driver.test-helper.js';

const UUID_WITH_DASHES = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Notifier', () => {
  beforeEach(() => resetTestNotifications());
  afterEach(() => vi.useRealTimers());

  it('builds the message dict with oslo key order and shape', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-21T10:16:59.456Z'));
    const { transport, driver } = makeTransport();
    const notifier = new Notifier(transport, { publisherId: 'compute.host1', driver: 'messagingv2' });

    await notifier.info({ user_id: 'u1' }, 'compute.instance.create.end', { id: 7 });

    expect(driver.sent).toHaveLength(1);
    const { message, target, version } = driver.sent[0]!;
    expect(Object.keys(message)).toEqual(['message_id', 'publisher_id', 'event_type', 'priority', 'payload', 'timestamp']);
    expect(message).toMatchObject({
      publisher_id: 'compute.host1',
      event_type: 'compute.instance.create.end',
      priority: 'INFO',
      payload: { id: 7 },
      timestamp: '2026-11-21 10:16:59.456000',
    });
    expect(message['message_id']).toMatch(UUID_WITH_DASHES);
    expect(target.topic).toBe('notifications.info');
    expect(version).toBe(2);
  });

  it('leaves the fraction out of the timestamp when the milliseconds are zero', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-02T03:04:05.000Z'));
    const { transport, driver } = makeTransport();
    await new Notifier(transport, { driver: 'messagingv2' }).info({}, 'e', null);
    expect(driver.sent[0]!.message['timestamp']).toBe('2026-01-02 03:04:05');
  });

  it('gives each notification a fresh message id and publisher_id null by default', async () => {
    const { transport, driver } = makeTransport();
    const notifier = new Notifier(transport, { driver: 'messagingv2' });
    await notifier.info({}, 'e', {});
    await notifier.info({}, 'e', {});
    expect(driver.sent[0]!.message['message_id']).not.toBe(driver.sent[1]!.message['message_id']);
    expect(driver.sent[0]!.message['publisher_id']).toBeNull();
  });

  it.each([
    ['audit', 'AUDIT', 'notifications.audit'],
    ['debug', 'DEBUG', 'notifications.debug'],
    ['info', 'INFO', 'notifications.info'],
    ['warn', 'WARN', 'notifications.warn'],
    ['warning', 'WARN', 'notifications.warn'],
    ['error', 'ERROR', 'notifications.error'],
    ['critical', 'CRITICAL', 'notifications.critical'],
    ['sample', 'SAMPLE', 'notifications.sample'],
  ] as const)('%s sends priority %s to %s', async (method, priority, topic) => {
    const { transport, driver } = makeTransport();
    await new Notifier(transport, { driver: 'messagingv2' })[method]({}, 'e.t', {});
    expect(driver.sent[0]!.message['priority']).toBe(priority);
    expect(driver.sent[0]!.target.topic).toBe(topic);
  });

  it('sends one message per topic, and the legacy messaging driver uses version 1', async () => {
    const { transport, driver } = makeTransport();
    await new Notifier(transport, { driver: 'messaging', topics: ['notifications', 'versioned_notifications'] }).error({}, 'e', {});
    expect(driver.sent.map((s) => [s.target.topic, s.version])).toEqual([
      ['notifications.error', 1],
      ['versioned_notifications.error', 1],
    ]);
  });

  it('passes retry through, from the option or from config', async () => {
    const fromOption = makeTransport();
    await new Notifier(fromOption.transport, { driver: 'messagingv2', retry: 3 }).info({}, 'e', {});
    expect(fromOption.driver.sent[0]!.retry).toBe(3);

    const fromConf = makeTransport({ conf: { 'oslo_messaging_notifications.retry': 5 } });
    await new Notifier(fromConf.transport, { driver: 'messagingv2' }).info({}, 'e', {});
    expect(fromConf.driver.sent[0]!.retry).toBe(5);
  });

  it('takes driver and topics from config when omitted; the default empty driver list sends nothing', async () => {
    const configured = makeTransport({
      conf: { 'oslo_messaging_notifications.driver': ['messagingv2', 'test'], 'oslo_messaging_notifications.topics': ['alt'] },
    });
    const notifier = new Notifier(configured.transport);
    expect(notifier.topics).toEqual(['alt']);
    await notifier.info({}, 'e', {});
    expect(configured.driver.sent.map((s) => s.target.topic)).toEqual(['alt.info']);
    expect(testNotifications).toHaveLength(1);

    const unconfigured = makeTransport();
    const silent = new Notifier(unconfigured.transport);
    await silent.info({}, 'e', {});
    expect(unconfigured.driver.sent).toHaveLength(0);
    expect(silent.isEnabled()).toBe(true);
  });

  it('prepare() overrides publisher id and retry and shares the drivers', async () => {
    const { transport, driver } = makeTransport();
    const base = new Notifier(transport, { publisherId: 'base', driver: 'messagingv2', retry: 1 });
    const sub = base.prepare({ publisherId: 'compute.host2' });
    const sub2 = sub.prepare({ retry: 0 });
    await sub.info({}, 'e', {});
    await sub2.info({}, 'e', {});
    expect(driver.sent.map((s) => [s.message['publisher_id'], s.retry])).toEqual([
      ['compute.host2', 1],
      ['compute.host2', 0],
    ]);
    expect(sub.isEnabled()).toBe(true);
    expect(sub.topics).toBe(base.topics);
    expect(base.publisherId).toBe('base');
  });

  it('isEnabled() is false only for exactly ["noop"]', () => {
    const { transport } = makeTransport();
    expect(new Notifier(transport, { driver: 'noop' }).isEnabled()).toBe(false);
    expect(new Notifier(transport, { driver: ['noop'] }).isEnabled()).toBe(false);
    expect(new Notifier(transport, { driver: ['noop', 'test'] }).isEnabled()).toBe(true);
    expect(new Notifier(transport, { driver: 'test' }).isEnabled()).toBe(true);
  });

  it('noop sends nothing', async () => {
    const { transport, driver } = makeTransport();
    await new Notifier(transport, { driver: 'noop' }).info({}, 'e', {});
    expect(driver.sent).toHaveLength(0);
  });

  it('keeps only whitelisted context keys (oslo 14.0.3)', async () => {
    const { transport, driver } = makeTransport();
    const ctxt = {
      user_id: 'u',
      project_id: 'p',
      request_id: 'req-1',
      global_request_id: 'greq-1',
      roles: ['admin'],
      is_admin: true,
      auth_token: 'SECRET',
      service_token: 'SECRET2',
      service_user_id: 'svc',
      password: 'pw',
      read_deleted: 'no',
    };
    await new Notifier(transport, { driver: 'messagingv2' }).info(ctxt, 'e', {});
    expect(driver.sent[0]!.ctxt).toEqual({
      user_id: 'u',
      project_id: 'p',
      request_id: 'req-1',
      global_request_id: 'greq-1',
      roles: ['admin'],
      is_admin: true,
      service_user_id: 'svc',
    });
  });

  it('runs the payload and context through the serializer', async () => {
    const { transport } = makeTransport();
    const calls: string[] = [];
    const serializer: Serializer = {
      serializeEntity: (_c, entity) => {
        calls.push('entity');
        return { wrapped: entity };
      },
      deserializeEntity: (_c, e) => e,
      serializeContext: (c) => {
        calls.push('context');
        return { ...(c as Context), user_id: 'from-serializer' };
      },
      deserializeContext: (c) => c,
    };
    await new Notifier(transport, { driver: 'test', serializer }).info({ user_id: 'u' }, 'e', 42);
    expect(calls).toEqual(['entity', 'context']);
    expect(testNotifications[0]!.message.payload).toEqual({ wrapped: 42 });
    expect(testNotifications[0]!.ctxt).toEqual({ user_id: 'from-serializer' });
  });

  it('logs and swallows send failures, and still sends to the other topics', async () => {
    const { transport, driver, logger } = makeTransport();
    driver.failSendsTo = (topic) => topic.startsWith('bad');
    const notifier = new Notifier(transport, { driver: 'messagingv2', topics: ['bad', 'good'] });
    await expect(notifier.info({}, 'e', {})).resolves.toBeUndefined();
    expect(driver.sent.map((s) => s.target.topic)).toEqual(['good.info']);
    expect(logger.messages('error')).toEqual(['Could not send notification to bad']);
  });

  it('logs and swallows a failing driver', async () => {
    const { transport, logger } = makeTransport();
    const { registerNotificationDriver } = await import('./drivers/registry.js');
    registerNotificationDriver('exploding', () => ({ notify: () => Promise.reject(new Error('boom')) }));
    registerNotificationDriver('throwing', () => ({
      notify: () => {
        throw new Error('sync boom');
      },
    }));
    const notifier = new Notifier(transport, { driver: ['exploding', 'throwing', 'test'] });
    await expect(notifier.critical({}, 'e', {})).resolves.toBeUndefined();
    expect(testNotifications).toHaveLength(1);
    expect(logger.messages('error')).toHaveLength(2);
  });

  it('throws InvalidArgument naming the bad argument', () => {
    const { transport } = makeTransport();
    const notifier = new Notifier(transport, { driver: 'test' });
    expect(() => notifier.info({}, '', {})).toThrow(/eventType/);
    expect(() => notifier.info({}, 42 as unknown as string, {})).toThrow(InvalidArgument);
    expect(() => notifier.info(null as unknown as object, 'e', {})).toThrow(/ctxt/);
    expect(() => notifier.info('ctx' as unknown as object, 'e', {})).toThrow(InvalidArgument);
    expect(() => new Notifier(transport, { driver: 'test', retry: 'x' as unknown as number })).toThrow(/retry/);
    expect(() => new Notifier(transport, { driver: 'test', topics: 'notifications' as unknown as string[] })).toThrow(/topics/);
    expect(() => new Notifier(transport, { driver: 'test', publisherId: 5 as unknown as string })).toThrow(/publisherId/);
    expect(() => new Notifier(transport, { driver: [''] })).toThrow(/driver/);
    expect(() => new Notifier({} as never, { driver: 'test' })).toThrow(/transport/);
    expect(() => notifier.prepare({ retry: -5 })).toThrow(/retry/);
  });

  it('rejects an unknown driver name with a ConfigurationError naming it', () => {
    const { transport } = makeTransport();
    expect(() => new Notifier(transport, { driver: ['test', 'smtp'] })).toThrow(ConfigurationError);
    expect(() => new Notifier(transport, { driver: 'smtp' })).toThrow(/"smtp"/);
  });

  it('reports bad config values as ConfigurationError', () => {
    const { transport } = makeTransport({ conf: { 'oslo_messaging_notifications.retry': 'often' } });
    expect(() => new Notifier(transport, { driver: 'test' })).toThrow(ConfigurationError);
    const empty = makeTransport({ conf: { 'oslo_messaging_notifications.topics': [''] } });
    expect(() => new Notifier(empty.transport, { driver: 'test' })).toThrow(/topics/);
  });
});
