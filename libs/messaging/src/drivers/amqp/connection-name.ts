import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';

/**
 * `<client>:<pid>:<uuid4>`, oslo's connection_name client property: what RabbitMQ lists per
 * connection, and what a bus tap names a publisher by. The client is argv0's basename by default,
 * as oslo's binary.
 */
export function connectionName(client?: string): string {
  return `${client ?? basename(process.argv[1] ?? process.argv0)}:${process.pid}:${randomUUID()}`;
}
