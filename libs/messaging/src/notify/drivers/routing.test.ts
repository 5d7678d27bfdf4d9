import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { Notifier } from '../notifier.js';
import { makeTransport } from '../test-driver.test-helper.js';
import { registerNotificationDriver } from './registry.js';
import { resetTestNotifications, testNotifications } from './test.js';
import { fnmatch } from './glob.js';

const dir = mkdtempSync(join(tmpdir(), 'fjord-routing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function routingFile(yaml: string): string {
  const file = join(dir, `routing-${fileCounter++}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** A notifier whose only driver is `routing`, reading `yaml`; `test` and `second` are the targets. */
function routedNotifier(yaml: string) {
  const parts = makeTransport({ conf: { 'oslo_messaging_notifications.routing_config': routingFile(yaml) } });
  return { ...parts, notifier: new Notifier(parts.transport, { driver: 'routing' }) };
}

const secondDriverCalls: string[] = [];
registerNotificationDriver('second', () => ({
  notify: (_ctxt, message) => {
    secondDriverCalls.push(message.event_type);
    return Promise.resolve();
  },
}));

describe('routing notification driver', () => {
  beforeEach(() => {
    resetTestNotifications();
    secondDriverCalls.length = 0;
  });

  it('routes by event type glob', async () => {
    const { notifier } = routedNotifier(`
group_1:
  test:
    accepted_events:
      - compute.instance.*
      - image.?pload
`);
    await notifier.info({}, 'compute.instance.create.end', {});
    await notifier.info({}, 'image.upload', {});
    await notifier.info({}, 'volume.create', {});
    await notifier.info({}, 'xcompute.instance.x', {});
    expect(testNotifications.map((n) => n.message.event_type)).toEqual(['compute.instance.create.end', 'image.upload']);
  });

  it('routes by priority, case-insensitively', async () => {
    const { notifier } = routedNotifier(`
group_1:
  test:
    accepted_priorities: [ERROR, crit*]
`);
    await notifier.info({}, 'a', {});
    await notifier.error({}, 'b', {});
    await notifier.critical({}, 'c', {});
    expect(testNotifications.map((n) => n.priority)).toEqual(['ERROR', 'CRITICAL']);
  });

  it('needs both lists to match when both are given', async () => {
    const { notifier } = routedNotifier(`
group_1:
  test:
    accepted_events: ['compute.*']
    accepted_priorities: ['error']
`);
    await notifier.error({}, 'compute.x', {});
    await notifier.info({}, 'compute.y', {});
    await notifier.error({}, 'volume.z', {});
    expect(testNotifications.map((n) => n.message.event_type)).toEqual(['compute.x']);
  });

  it('ORs entries across groups and calls each accepted driver once', async () => {
    const { notifier } = routedNotifier(`
group_1:
  test:
    accepted_events: ['compute.*']
  second:
    accepted_priorities: ['warn']
group_2:
  test:
    accepted_priorities: ['warn', 'error']
`);
    await notifier.warn({}, 'compute.both', {}); // test via both groups: still once
    await notifier.error({}, 'volume.only_group_2', {});
    await notifier.info({}, 'volume.nothing', {});
    expect(testNotifications.map((n) => n.message.event_type)).toEqual(['compute.both', 'volume.only_group_2']);
    expect(secondDriverCalls).toEqual(['compute.both']);
  });

  it('passes priority and retry through to the routed driver', async () => {
    const parts = makeTransport({ conf: { 'oslo_messaging_notifications.routing_config': routingFile('g:\n  messagingv2:\n    accepted_events: ["*"]\n') } });
    await new Notifier(parts.transport, { driver: 'routing', retry: 2 }).warning({}, 'e', {});
    expect(parts.driver.sent.map((s) => [s.target.topic, s.retry])).toEqual([['notifications.warn', 2]]);
  });

  it('routes nothing for an empty file or an empty routing_config', async () => {
    const { notifier } = routedNotifier('');
    await notifier.info({}, 'e', {});
    const unset = makeTransport();
    await new Notifier(unset.transport, { driver: 'routing' }).info({}, 'e', {});
    expect(testNotifications).toHaveLength(0);
    expect(unset.logger.messages('warn')[0]).toMatch(/routing_config is empty/);
  });

  it('reports a missing file as a ConfigurationError naming it', () => {
    const missing = join(dir, 'nope.yaml');
    const { transport } = makeTransport({ conf: { 'oslo_messaging_notifications.routing_config': missing } });
    expect(() => new Notifier(transport, { driver: 'routing' })).toThrow(ConfigurationError);
    expect(() => new Notifier(transport, { driver: 'routing' })).toThrow(new RegExp(`${missing}.*cannot be read`));
  });

  it.each([
    ['invalid YAML', 'group: [unclosed', /is not valid YAML/],
    ['a list at the top', '- a\n- b\n', /top level must be a mapping/],
    ['a group that is not a mapping', 'g: 3\n', /group "g" must be a mapping/],
    ['rules that are not a mapping', 'g:\n  test: [a]\n', /"g.test" must be a mapping/],
    ['a misspelt key', 'g:\n  test:\n    accepted_event: [a]\n', /unknown key\(s\) accepted_event/],
    ['patterns that are not a list', 'g:\n  test:\n    accepted_events: compute.*\n', /accepted_events" must be a list/],
    ['an unknown driver', 'g:\n  smtp:\n    accepted_events: ["*"]\n', /unknown notification driver "smtp"/],
    ['routing to itself', 'g:\n  routing:\n    accepted_events: ["*"]\n', /cannot route to itself/],
  ])('reports %s as a ConfigurationError naming the file', (_what, yaml, problem) => {
    const file = routingFile(yaml);
    const { transport } = makeTransport({ conf: { 'oslo_messaging_notifications.routing_config': file } });
    const build = () => new Notifier(transport, { driver: 'routing' });
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(file);
    expect(build).toThrow(problem);
  });
});

describe('fnmatch', () => {
  it.each([
    ['compute.instance.create', 'compute.*', true],
    ['compute', 'compute.*', false],
    ['a.b', 'a?b', true],
    ['ab', 'a?b', false],
    ['a1', 'a[0-9]', true],
    ['ax', 'a[!x]', false],
    ['ay', 'a[!x]', true],
    ['a[', 'a[', true],
    ['a+b', 'a+b', true],
    ['Compute.x', 'compute.*', false],
    ['line\nbreak', 'line*', true],
  ])('%j matches %j: %s', (name, pattern, expected) => {
    expect(fnmatch(name, pattern)).toBe(expected);
  });
});
