/**
 * Once per vitest run: probe for RabbitMQ, Kafka, Artemis and Python oslo.messaging (the test files decide
 * from this probe whether to run, skip or fail), give the run an id that prefixes every name it
 * declares, and afterwards sweep whatever the run left on the brokers.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { NAME_PREFIX } from './src/env.js';
import { KafkaAdmin } from './src/kafka-admin.js';
import { probeInterop } from './src/probe.js';
import { deleteExchangesWithPrefix, deleteOrphanReplyQueues, deleteQueuesWithPrefix, replyQueueNames } from './src/rabbit-admin.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(3).toString('hex');
  const probe = await probeInterop();
  project.provide('interopProbe', probe);
  project.provide('interopRunId', runId);
  if (probe.osloVersion) {
    const kafka = probe.confluentKafkaVersion ? `, confluent_kafka ${probe.confluentKafkaVersion}` : '';
    const amqp = probe.pyngusVersion ? `, ${probe.pyngusVersion}` : '';
    console.log(`interop: Python oslo.messaging ${probe.osloVersion}${kafka}${amqp}, run id ${runId}`);
  }
  const rabbit = probe.managementProblem === undefined;
  const kafka = probe.kafkaProblem === undefined;
  const replyQueuesBefore = rabbit ? await replyQueueNames() : new Set<string>();
  const prefix = `${NAME_PREFIX}${runId}_`;

  return async () => {
    // Each file cleans up after itself; this only catches what a crashed file left behind.
    if (rabbit) {
      const queues = await deleteQueuesWithPrefix(prefix);
      await deleteExchangesWithPrefix(prefix);
      const replies = await deleteOrphanReplyQueues(replyQueuesBefore);
      if (queues.length > 0) console.warn(`interop: swept ${queues.length} queue(s) a test file left behind: ${queues.join(', ')}`);
      if (replies.length > 0) console.log(`interop: deleted ${replies.length} unused reply queue(s) created during the run`);
    }
    if (kafka) {
      const admin = new KafkaAdmin();
      try {
        const topics = await admin.deleteTopicsWithPrefix(prefix);
        // Groups that still list a killed Python member (45 s sessions) stay; they hold no data.
        await admin.deleteGroupsWithPrefix(prefix);
        if (topics.length > 0) console.warn(`interop: swept ${topics.length} Kafka topic(s) a test file left behind: ${topics.join(', ')}`);
      } finally {
        await admin.close();
      }
    }
  };
}
