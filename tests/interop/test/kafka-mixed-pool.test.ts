/**
 * One pool (Kafka consumer group) shared by a Fjord listener (kafkajs) and a Python oslo.messaging
 * 14.0.3 listener (librdkafka 2.0.2), fed by a Fjord Notifier.
 *
 * This works because Fjord's kafka driver offers a partition assignor named `roundrobin` with the
 * standard consumer-protocol metadata (libs/messaging/src/drivers/kafka/assigner.ts), and
 * librdkafka offers `range,roundrobin` by default: the broker picks the one protocol every member
 * offers, and whichever member leads the group can read the others' subscriptions and write an
 * assignment they understand. Both join orders are tested, since the first member to join
 * leads the group (computes the assignment): kafkajs with Fjord's assignor, or librdkafka with
 * its own (seen once through kafkajs's GROUP_JOIN event, isLeader true and false; not asserted,
 * as nothing public tells which member leads).
 */
import { describe, expect, it } from 'vitest';
import { getNotificationListener, Notifier, type NotificationEndpoint, type NotificationListener, type Transport } from '@fjord/messaging';
import { kafkaUrl, sleep } from '../src/env.js';
import { requireKafkaAndOslo } from '../src/guard.js';
import type { GroupState } from '../src/kafka-admin.js';
import { OSLO_KAFKA_READY_MS, recordFjordSends } from '../src/kafka.js';
import { startOsloListener, type JsonRecord, type PythonPeer } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireKafkaAndOslo();
const scope = interopScope('kafka_mix', interop, 'kafka');

const PARTITIONS = 4;
const NOTIFICATIONS = 40;

/** Both members hold partitions of `topic`, together all of them, each once. */
function settled(group: GroupState, topic: string): boolean {
  const held = group.members.map((m) => m.assignment[topic] ?? []);
  const all = held.flat().sort((a, b) => a - b);
  return group.state === 'Stable' && group.members.length === 2 && held.every((p) => p.length > 0) && all.join() === [...Array(PARTITIONS).keys()].join();
}

describe.runIf(interop)('a Fjord and a Python listener in one kafka:// pool', () => {
  for (const first of ['fjord', 'python'] as const) {
    it(`share the notifications of a ${PARTITIONS}-partition topic: each handled once, by one of them (${first} joins first)`, async () => {
      const topic = scope.name(`mixed_${first}`);
      const pool = scope.name(`mixed_${first}_pool`);
      const admin = scope.kafkaAdmin();
      await admin.createTopics([`${topic}.info`], PARTITIONS);
      // The pool starts with committed offsets (0: the topic is new), so where each member starts
      // reading does not hang on when it looked the end up after the rebalance (the Python
      // listener would start at the end, auto.offset.reset=latest); what the test is about is
      // who reads which partition.
      await admin.commitGroupOffsets(pool, `${topic}.info`, 0);

      const transport: Transport = await scope.kafkaNotificationTransport();
      const fjordGot: JsonRecord[] = [];
      const endpoint: NotificationEndpoint = {
        info: (_ctxt, _publisherId, eventType, payload, metadata) => void fjordGot.push({ event_type: eventType, payload, message_id: metadata.message_id }),
      };
      const startFjord = async (): Promise<NotificationListener> => {
        const listener = getNotificationListener(transport, [{ topic }], [endpoint], { pool });
        scope.defer(listener, async (l) => {
          await l.stop();
          await l.wait();
        });
        await listener.start();
        return listener;
      };
      const startPython = (): Promise<PythonPeer> =>
        startOsloListener({ topics: [topic], pool, priorities: ['info'], url: kafkaUrl(), readyTimeoutMs: OSLO_KAFKA_READY_MS }).then((p) => scope.defer(p, (peer) => peer.stop()));

      let fjord: NotificationListener;
      let python: PythonPeer;
      if (first === 'fjord') {
        fjord = await startFjord();
        python = await startPython();
      } else {
        python = await startPython();
        fjord = await startFjord();
      }

      // Wait for the rebalance to settle: one protocol, two members, the four partitions split.
      let group: GroupState | undefined;
      await expect
        .poll(async () => settled((group = await admin.describeGroup(pool)), `${topic}.info`), { timeout: 60_000, interval: 250 })
        .toBe(true);
      expect(group!.protocol).toBe('roundrobin');
      await expect.poll(() => fjord.health().detail, { timeout: 30_000 }).toMatch(/: [1-9]\d* partition/);

      const sent = recordFjordSends(transport);
      const eventType = `kafka.mixed.${Date.now()}`;
      const notifier = new Notifier(transport, { driver: 'messagingv2', publisherId: 'fjord.mixed', topics: [topic] });
      // kafkajs spreads records without a key round-robin over the partitions: ten each.
      for (let i = 0; i < NOTIFICATIONS; i++) await notifier.info({ request_id: `req-${i}` }, eventType, { i });
      expect(sent).toHaveLength(NOTIFICATIONS);

      const pythonGot = () => python.events.filter((e) => e['event'] === 'notification' && e['event_type'] === eventType);
      const fjordOf = () => fjordGot.filter((r) => r['event_type'] === eventType);
      await expect.poll(() => pythonGot().length + fjordOf().length, { timeout: 60_000 }).toBe(NOTIFICATIONS);
      await sleep(1_500);

      const ids = (records: JsonRecord[]) => records.map((r) => String((r['payload'] as { i: number }).i));
      const union = [...ids(pythonGot()), ...ids(fjordOf())];
      // Exactly the 40: none lost, none twice (a duplicate would also show as length > 40).
      expect(union.sort()).toEqual([...Array(NOTIFICATIONS).keys()].map(String).sort());
      expect(pythonGot().length).toBeGreaterThan(0);
      expect(fjordOf().length).toBeGreaterThan(0);
      // Each side got whole partitions: ten notifications per partition it holds.
      const fjordPartitions = group!.members.find((m) => m.clientId.startsWith('fjord-'))?.assignment[`${topic}.info`] ?? [];
      expect(fjordOf().length).toBe(fjordPartitions.length * (NOTIFICATIONS / PARTITIONS));
      // What Python's endpoint saw is what Fjord sent (message_id included).
      const sentIds = new Set(sent.map((s) => s.message['message_id']));
      expect(pythonGot().every((e) => sentIds.has((e['metadata'] as JsonRecord)['message_id']))).toBe(true);
    });
  }
});
