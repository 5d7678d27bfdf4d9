/**
 * The flows of docs/flows, each run for real on the embedded default (every app in this process,
 * memory:// buses, in-memory databases) with a recorder on both buses and on REST.
 */
import { randomUUID } from 'node:crypto';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { Cloud, http } from '@fjord/e2e-tests';
import { FlowRecorder, type Arrow } from './record.js';

export interface FlowContext {
  cloud: Cloud;
  /** A new request id, sent as X-Openstack-Request-Id. */
  requestId(): string;
}

export interface Flow {
  /** The page: docs/flows/<name>.md. */
  name: string;
  title: string;
  /** Runs the flow; resolves with the request id whose arrows the page draws. */
  run(context: FlowContext): Promise<string>;
}

const withId = (requestId: string) => ({ 'x-openstack-request-id': requestId });

async function bootActive(context: FlowContext, server: Record<string, unknown>, requestId = context.requestId()): Promise<{ id: string; requestId: string }> {
  const created = await context.cloud.boot(server, requestId);
  if (created.status !== 202) throw new Error(`boot answered ${created.status}: ${JSON.stringify(created.body)}`);
  const id = created.body.server.id as string;
  const status = (await context.cloud.waitForStatus(id, ['ACTIVE', 'ERROR'])).status;
  if (status !== 'ACTIVE') throw new Error(`server ${id} went ${status}`);
  return { id, requestId };
}

export const FLOWS: Flow[] = [
  {
    name: 'boot',
    title: 'Boot a server with a new volume',
    async run(context) {
      const blankVolume = { source_type: 'blank', destination_type: 'volume', volume_size: 1 };
      return (await bootActive(context, { name: 'flow-boot', block_device_mapping_v2: [blankVolume] })).requestId;
    },
  },
  {
    name: 'delete',
    title: 'Delete a server',
    async run(context) {
      const { id } = await bootActive(context, { name: 'flow-delete' });
      const requestId = context.requestId();
      const answer = await http('DELETE', `${context.cloud.urls.compute}/servers/${id}`, undefined, withId(requestId));
      if (answer.status !== 204) throw new Error(`delete answered ${answer.status}`);
      await context.cloud.waitForGone(id);
      return requestId;
    },
  },
  {
    name: 'reboot',
    title: 'Reboot a server',
    async run(context) {
      const { id } = await bootActive(context, { name: 'flow-reboot' });
      const requestId = context.requestId();
      const answer = await http('POST', `${context.cloud.urls.compute}/servers/${id}/action`, { reboot: { type: 'SOFT' } }, withId(requestId));
      if (answer.status !== 202) throw new Error(`reboot answered ${answer.status}`);
      await context.cloud.waitForStatus(id, ['ACTIVE']);
      return requestId;
    },
  },
];

export interface RecordedFlow {
  flow: Flow;
  arrows: Arrow[];
}

/** Starts the embedded stack, runs `flows` one after the other and returns what each sent. */
export async function recordFlows(flows: Flow[] = FLOWS): Promise<RecordedFlow[]> {
  const prefix = `flows-${randomUUID().slice(0, 8)}-`;
  const stack: Devstack = await startDevstack({ standardPorts: false, inMemoryDatabases: true, vhostPrefix: prefix, computeHosts: 1, spawnDelay: 0.05 });
  const recorder = new FlowRecorder([`${prefix}rpc`, `${prefix}notifications`]);
  try {
    const context: FlowContext = { cloud: new Cloud(stack.urls), requestId: () => `req-${randomUUID()}` };
    const recorded: RecordedFlow[] = [];
    for (const flow of flows) {
      const requestId = await flow.run(context);
      recorded.push({ flow, arrows: await quiet(() => recorder.ofRequest(requestId)) });
    }
    return recorded;
  } finally {
    recorder.stop();
    await stack.stop();
  }
}

/** The request's arrows once nothing new came for 500 ms (its last notifications are sent after the state changed). */
async function quiet(arrows: () => Arrow[]): Promise<Arrow[]> {
  let count = -1;
  for (;;) {
    const now = arrows();
    if (now.length === count) return now;
    count = now.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
