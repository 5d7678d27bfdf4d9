/**
 * A kafkajs admin client for the kafka:// interop tests: topics made up front (with the
 * partitions a test needs), a look at a consumer group, and deleting what a file or run made.
 *
 * oslo's Python listener starts at the end of a topic (auto.offset.reset=latest) and only joins
 * once its topics exist, so the tests create `<topic>.<priority>` themselves before starting one.
 */
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaBrokers } from './env.js';

export interface GroupMember {
  memberId: string;
  clientId: string;
  /** topic → partitions, from the member's assignment (empty while the group rebalances). */
  assignment: Record<string, number[]>;
}

export interface GroupState {
  /** Stable, PreparingRebalance, CompletingRebalance, Empty, Dead */
  state: string;
  /** The assignor the group agreed on (e.g. `roundrobin`). */
  protocol: string;
  members: GroupMember[];
}

export class KafkaAdmin {
  private admin: Promise<Admin> | undefined;

  private client(): Promise<Admin> {
    this.admin ??= (async () => {
      const kafka = new Kafka({ clientId: 'fjord-interop-admin', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, connectionTimeout: 3_000 });
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  /** Create topics with `partitions` each and wait for their leaders (existing ones are left alone). */
  async createTopics(names: readonly string[], partitions = 1): Promise<void> {
    const admin = await this.client();
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length === 0) return;
    await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
  }

  /** Commit `offset` for every partition of `topic` in a group that has no members (yet). */
  async commitGroupOffsets(groupId: string, topic: string, offset: number): Promise<void> {
    const admin = await this.client();
    const partitions = (await admin.fetchTopicOffsets(topic)).map(({ partition }) => ({ partition, offset: String(offset) }));
    await admin.setOffsets({ groupId, topic, partitions });
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = await this.client();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  }

  async describeGroup(groupId: string): Promise<GroupState> {
    const admin = await this.client();
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (!group) return { state: 'Dead', protocol: '', members: [] };
    return {
      state: group.state,
      protocol: group.protocol,
      members: group.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, assignment: decodeAssignment(m.memberAssignment) })),
    };
  }

  /** Delete every topic whose name starts with `prefix`; returns their names. */
  async deleteTopicsWithPrefix(prefix: string): Promise<string[]> {
    const admin = await this.client();
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    return topics;
  }

  /**
   * Delete the consumer groups whose id starts with `prefix`, as far as Kafka lets us: a group
   * with members is not deleted (the Python peers exit without leaving their group, which then
   * keeps them until their session times out, 45 s for librdkafka). Returns what was left.
   */
  async deleteGroupsWithPrefix(prefix: string): Promise<string[]> {
    const admin = await this.client();
    const { groups } = await admin.listGroups();
    const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
    const left: string[] = [];
    for (const groupId of ours) {
      try {
        await admin.deleteGroups([groupId]);
      } catch {
        left.push(groupId);
      }
    }
    return left;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }
}

/** A ConsumerProtocolAssignment (version, [topic, [partition]], user data), as every client writes it. */
function decodeAssignment(buffer: Buffer): Record<string, number[]> {
  if (buffer.length === 0) return {};
  return AssignerProtocol.MemberAssignment.decode(buffer)?.assignment ?? {};
}
