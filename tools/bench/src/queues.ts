import amqp from 'amqplib';

/** oslo's topic and server queues are neither exclusive nor auto-delete: benchmarks remove theirs. */
export async function deleteQueues(amqpUrl: string, queues: string[]): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  for (const queue of queues) await channel.deleteQueue(queue);
  await connection.close();
}
