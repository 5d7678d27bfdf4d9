import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgument } from '../../errors.js';
import { Notifier } from '../notifier.js';
import { makeTransport } from '../test-driver.test-helper.js';
import { maskSecrets } from './mask.js';
import { registerNotificationDriver } from './registry.js';
import { resetTestNotifications, testNotifications } from './test.js';

describe('log notification driver', () => {
  it('logs the message as JSON under notification.<event_type>, masking secrets', async () => {
    const { transport, logger } = makeTransport();
    await new Notifier(transport, { driver: 'log', publisherId: 'p' }).warn({}, 'identity.user.created', {
      user: 'bob',
      password: 'hunter2',
      nested: { auth_token: 'abc', note: 'connect with password=letmein now' },
    });
    expect(logger.records).toHaveLength(1);
    const [record] = logger.records;
    expect(record!.level).toBe('warn');
    expect(record!.name).toBe('fjord.notification.identity.user.created');
    const logged = JSON.parse(record!.msg) as Record<string, unknown>;
    expect(logged['payload']).toEqual({ user: 'bob', password: '***', nested: { auth_token: '***', note: 'connect with password=*** now' } });
    expect(record!.msg).toContain('"event_type": "identity.user.created"');
    expect(record!.msg).not.toContain('hunter2');
  });

  it.each([
    ['audit', 'info'],
    ['debug', 'debug'],
    ['critical', 'error'],
    ['sample', 'info'],
  ] as const)('logs %s at %s', async (method, level) => {
    const { transport, logger } = makeTransport();
    await new Notifier(transport, { driver: 'log' })[method]({}, 'e', {});
    expect(logger.records[0]!.level).toBe(level);
  });
});

describe('maskSecrets', () => {
  it('walks dicts always and masks non-dicts under sensitive keys', () => {
    expect(maskSecrets({ password: { inner: 'x', secret: 1 }, tokens: ['a'], list: [{ admin_pass: 'y' }], n: 1 })).toEqual({
      password: { inner: 'x', secret: '***' },
      tokens: '***',
      list: [{ admin_pass: '***' }],
      n: 1,
    });
  });
});

describe('test notification driver', () => {
  beforeEach(() => resetTestNotifications());

  it('records ctxt, message, priority and retry, and reset clears the same array', async () => {
    const { transport } = makeTransport();
    const list = testNotifications;
    await new Notifier(transport, { driver: 'test', retry: 4 }).sample({ user_id: 'u', auth_token: 't' }, 'cpu', { pct: 70 });
    expect(testNotifications).toHaveLength(1);
    expect(testNotifications[0]).toMatchObject({ ctxt: { user_id: 'u' }, priority: 'SAMPLE', retry: 4, message: { event_type: 'cpu', payload: { pct: 70 } } });
    resetTestNotifications();
    expect(list).toHaveLength(0);
    expect(list).toBe(testNotifications);
  });
});

describe('registerNotificationDriver', () => {
  it('makes a third-party driver usable by name, with the notifier topics', async () => {
    const seen: unknown[] = [];
    registerNotificationDriver('custom', ({ topics }) => ({
      notify: (_c, message, priority) => {
        seen.push([topics, message.event_type, priority]);
        return Promise.resolve();
      },
    }));
    const { transport } = makeTransport();
    await new Notifier(transport, { driver: 'custom', topics: ['t1'] }).debug({}, 'x', {});
    expect(seen).toEqual([[['t1'], 'x', 'DEBUG']]);
  });

  it('rejects bad arguments', () => {
    expect(() => registerNotificationDriver('', () => ({ notify: () => Promise.resolve() }))).toThrow(InvalidArgument);
    expect(() => registerNotificationDriver('x', 'nope' as never)).toThrow(/factory/);
  });
});
