import { describe, expect, it } from 'vitest';
import type { TappedPublish } from '@fjord/messaging/drivers/memory';
import { BusFeed } from './feed.js';

let clock = 1_000_000;
/** A publish as a tap reports it, the body in oslo's 2.0 envelope. */
function published(exchange: string, routingKey: string, message: Record<string, unknown>, client: string, queues = ['q']): TappedPublish {
  const body = Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) }));
  return { time: (clock += 1.5), exchange, routingKey, body, headers: {}, queues, connection: `${client}:1:x` };
}

const call = (msgId: string, requestId: string, extra: Record<string, unknown> = {}) =>
  published('nova', 'scheduler', { method: 'select_destinations', version: '4.0', args: {}, _msg_id: msgId, _reply_q: 'reply_1', _context_request_id: requestId, ...extra }, 'api@api1');
const reply = (msgId: string, body: Record<string, unknown> = { result: ['compute1'] }) => published('', 'reply_0123456789abcdef0123456789abcdef', { _msg_id: msgId, ...body }, 'scheduler@scheduler1');
const ending = (msgId: string) => published('', 'reply_1', { _msg_id: msgId, result: null, ending: true }, 'scheduler@scheduler1');

describe('BusFeed', () => {
  it('reads publishes after the publisher has returned, and draws a reply back to its caller with the round trip', () => {
    const feed = new BusFeed();
    feed.publish(call('m1', 'req-a'));
    expect(feed.recent()).toEqual([]); // nothing read inside the publish
    feed.publish(reply('m1'));
    feed.publish(ending('m1'));
    feed.flush();
    const [sent, answered, ...rest] = feed.recent();
    expect(rest).toEqual([]); // oslo's `ending` marker is no arrow of its own
    expect(sent).toMatchObject({ seq: 1, kind: 'call', from: 'api', to: 'scheduler', label: 'call select_destinations v4.0', via: 'nova · scheduler', requestId: 'req-a', wire: true });
    expect(answered).toMatchObject({ seq: 2, kind: 'reply', from: 'scheduler', to: 'api', via: '(default) · reply_{uuid}', ms: 1.5 });
    expect(feed.lanes()).toEqual(['api', 'scheduler']);
  });

  it('filters on a request id: its own arrows and the replies to its calls', () => {
    const feed = new BusFeed();
    for (const [msgId, requestId] of [['m1', 'req-a'], ['m2', 'req-b']] as const) feed.publish(call(msgId, requestId));
    feed.publish(reply('m2'));
    feed.publish(reply('m1'));
    feed.flush();
    expect(feed.recent({ requestId: 'req-a' }).map((a) => `${a.kind} ${a.msgId}`)).toEqual(['call m1', 'reply m1']);
    expect(feed.recent({ after: 2 }).map((a) => a.seq)).toEqual([3, 4]);
  });

  it('keeps the message as it was on the wire, secrets masked, and forgets the oldest beyond its history', () => {
    const feed = new BusFeed({ history: 100 });
    feed.publish(call('m1', 'req-a', { _context_auth_token: 'gAAAA-secret', args: { admin_password: 'hunter2', flavor: 'm1.tiny' } }));
    feed.flush();
    const { wire } = feed.message(1)!;
    const text = JSON.stringify(wire);
    expect(text).not.toContain('gAAAA-secret');
    expect(text).not.toContain('hunter2');
    expect(wire).toMatchObject({ exchange: 'nova', routingKey: 'scheduler', publisher: 'api@api1:1:x', context: { auth_token: '***', request_id: 'req-a' }, payload: { admin_password: '***', flavor: 'm1.tiny' } });
    expect((wire!.body as Record<string, Record<string, unknown>>)['oslo.message']).toMatchObject({ method: 'select_destinations', _context_auth_token: '***' });
    for (let i = 2; i <= 150; i++) feed.publish(published('nova', 'compute.compute1', { method: 'reboot_instance', args: {} }, 'api@api1'));
    feed.flush();
    expect(feed.recent()).toHaveLength(100);
    expect(feed.message(1)).toBeUndefined();
    expect(feed.message(150)?.arrow.label).toBe('cast reboot_instance');
  });

  it('names lanes as nova does: compute hosts, cinder backends, notifications by publisher', () => {
    const feed = new BusFeed();
    feed.publish(published('nova', 'compute.compute10', { method: 'build_and_run_instance', version: '6.0', args: {} }, 'api@api1'));
    feed.publish(published('nova', 'compute.compute2', { method: 'build_and_run_instance', version: '6.0', args: {} }, 'api@api1'));
    feed.publish(published('cinder', 'volume.volume1@lvm', { method: 'create_volume', version: '3.0', args: {} }, 'volume@volume1'));
    const notification = { event_type: 'volume.create.end', priority: 'INFO', publisher_id: 'volume.volume1@lvm', payload: {}, message_id: 'n1', timestamp: 'now' };
    feed.publish(published('cinder', 'notifications.info', notification, 'volume@volume1'));
    feed.publish(published('cinder', 'notifications.info', { ...notification, message_id: 'n2' }, 'volume@volume1', [])); // routed nowhere: no arrow
    feed.publish(published('scheduler_fanout', '', { method: 'update_service_capabilities', args: {} }, 'compute@compute2'));
    feed.flush();
    expect(feed.recent().map((a) => `${a.kind} ${a.from}→${a.to}`)).toEqual([
      'cast api→compute10',
      'cast api→compute2',
      'cast volume→volume1@lvm',
      'notification volume1@lvm→metering',
      'fanout compute2→scheduler',
    ]);
    expect(feed.lanes()).toEqual(['api', 'scheduler', 'compute2', 'compute10', 'volume', 'volume1@lvm', 'metering']);
  });

  it('counts per topic and method, with replies, failures and round trips; REST calls by service and call', () => {
    const feed = new BusFeed();
    feed.publish(call('m1', 'req-a'));
    feed.publish(reply('m1'));
    feed.publish(call('m2', 'req-b'));
    feed.publish(reply('m2', { failure: JSON.stringify({ class: 'NoValidHost', module: 'nova.exception', message: 'no host' }) }));
    feed.rest({ time: clock, caller: 'compute@compute1', service: 'volume', method: 'GET', path: '/0123456789abcdef0123456789abcdef/volumes/3b1c2f4e-1111-4222-8333-944455556666', status: 200, ms: 12, requestId: 'req-a' });
    feed.publish({ ...published('nova', 'x', {}, 'api@api1'), body: Buffer.from('not json') });
    feed.flush();
    expect(feed.counters()).toEqual([
      { kind: 'call', name: 'scheduler · select_destinations', count: 2, replies: 2, failures: 1, meanMs: 1.5, maxMs: 1.5 },
      { kind: 'rest', name: 'volume · GET /{project_id}/volumes/{id}', count: 1, meanMs: 12, maxMs: 12 },
    ]);
    expect(feed.recent().find((a) => a.kind === 'reply' && a.msgId === 'm2')?.label).toBe('failure nova.exception.NoValidHost');
    expect(feed.unreadableMessages).toBe(1);
  });

  it('tells subscribers of each new arrow, and a call whose reply never comes is not kept forever', () => {
    const feed = new BusFeed();
    const seen: number[] = [];
    const unsubscribe = feed.subscribe((arrow) => seen.push(arrow.seq));
    for (let i = 0; i < 10_050; i++) feed.publish(call(`m${i}`, 'req-a'));
    feed.publish(reply('m0')); // forgotten: the 10,000 most recent calls are remembered
    feed.publish(reply('m10049'));
    feed.flush();
    unsubscribe();
    feed.publish(call('late', 'req-a'));
    feed.flush();
    expect(seen).toHaveLength(10_051);
    expect(feed.recent().filter((a) => a.kind === 'reply').map((a) => a.msgId)).toEqual(['m10049']);
  });
});
