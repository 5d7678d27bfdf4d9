/**
 * The partition assigner of our consumer groups. kafkajs's own round-robin assigner gives the
 * partitions of the leader's topics to every member, whatever each subscribed to: listeners with
 * different topics in one group (every listener without a pool shares `consumer_group`) would
 * leave partitions unread. This one reads each member's subscription and shares a topic's
 * partitions only among the members that subscribed to it.
 *
 * Named `roundrobin` with the standard consumer-protocol metadata, as librdkafka's subscription-
 * aware assignor, so a group may mix Fjord listeners and Python (librdkafka) ones.
 */
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

const { MemberMetadata, MemberAssignment } = AssignerProtocol;

export const subscriptionRoundRobin: PartitionAssigner = ({ cluster }) => ({
  name: 'roundrobin',
  version: 0,

  async assign({ members }) {
    const subscribers = new Map<string, string[]>();
    for (const { memberId, memberMetadata } of members) {
      for (const topic of MemberMetadata.decode(memberMetadata)?.topics ?? []) {
        const list = subscribers.get(topic) ?? [];
        list.push(memberId);
        subscribers.set(topic, list);
      }
    }
    const topics = [...subscribers.keys()].sort();
    // The leader's kafkajs knows the metadata of its own topics only.
    await cluster.addMultipleTargetTopics(topics);
    const assignment = new Map<string, Record<string, number[]>>(members.map(({ memberId }) => [memberId, {}]));
    let turn = 0;
    for (const topic of topics) {
      const eligible = (subscribers.get(topic) ?? []).sort();
      const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
      for (const partition of partitions) {
        const memberId = eligible[turn++ % eligible.length] as string;
        const mine = assignment.get(memberId) as Record<string, number[]>;
        (mine[topic] ??= []).push(partition);
      }
    }
    return [...assignment].map(([memberId, topicPartitions]) => ({
      memberId,
      memberAssignment: MemberAssignment.encode({ version: 0, assignment: topicPartitions, userData: Buffer.alloc(0) }),
    }));
  },

  protocol({ topics }) {
    return { name: 'roundrobin', metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
