/**
 * The flows of docs/flows, each run for real on the embedded default (every app in this process,
 * memory:// buses, in-memory databases) with a recorder on both buses and on REST.
 */
import { randomUUID } from 'node:crypto';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { Cloud, http } from '@fjord/e2e-tests';
import { getMemoryBroker, type BrokerTopology } from '@fjord/messaging/drivers/memory';
import { FlowRecorder, type Arrow, type ArrowKind } from './record.js';

export interface FlowContext {
  cloud: Cloud;
  recorder: FlowRecorder;
  /** A new request id, sent as X-Openstack-Request-Id. */
  requestId(): string;
}

export interface Flow {
  /** The page: docs/flows/<name>.md. */
  name: string;
  title: string;
  /** Runs the flow; resolves with the request id(s) whose arrows the page draws. */
  run(context: FlowContext): Promise<string | string[]>;
  /** Only these kinds of arrows (a page about one pattern); default all. */
  only?: ArrowKind[];
}

const withId = (requestId: string) => ({ 'x-openstack-request-id': requestId });

/** A server action under a new request id; resolves with the id once the server is in `status`. */
async function act(context: FlowContext, id: string, action: Record<string, unknown>, status: string): Promise<string> {
  const requestId = context.requestId();
  const answer = await http('POST', `${context.cloud.urls.compute}/servers/${id}/action`, action, withId(requestId));
  if (answer.status !== 202 && answer.status !== 200) throw new Error(`${Object.keys(action)[0]} answered ${answer.status}`);
  await context.cloud.waitForStatus(id, [status]);
  return requestId;
}

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
      return act(context, id, { reboot: { type: 'SOFT' } }, 'ACTIVE');
    },
  },
  {
    name: 'stop-start',
    title: 'Stop and start a server',
    async run(context) {
      const { id } = await bootActive(context, { name: 'flow-stop-start' });
      return [await act(context, id, { 'os-stop': null }, 'SHUTOFF'), await act(context, id, { 'os-start': null }, 'ACTIVE')];
    },
  },
  {
    name: 'console',
    title: "Read a server's console output",
    async run(context) {
      const { id } = await bootActive(context, { name: 'flow-console' });
      return act(context, id, { 'os-getConsoleOutput': { length: 10 } }, 'ACTIVE');
    },
  },
  {
    name: 'attach-detach',
    title: 'Attach a volume to a server, and detach it',
    async run(context) {
      const { id } = await bootActive(context, { name: 'flow-attach' });
      const volume = await context.cloud.createVolume(1, 'flow-volume');
      const volumeId = volume.body.volume.id as string;
      await context.cloud.waitForVolume(volumeId, 'available');
      const attach = context.requestId();
      const attached = await http('POST', `${context.cloud.urls.compute}/servers/${id}/os-volume_attachments`, { volumeAttachment: { volumeId } }, withId(attach));
      if (attached.status !== 200) throw new Error(`attach answered ${attached.status}`);
      await context.cloud.waitForVolume(volumeId, 'in-use');
      const detach = context.requestId();
      const detached = await http('DELETE', `${context.cloud.urls.compute}/servers/${id}/os-volume_attachments/${volumeId}`, undefined, withId(detach));
      if (detached.status !== 202) throw new Error(`detach answered ${detached.status}`);
      await context.cloud.waitForVolume(volumeId, 'available');
      return [attach, detach];
    },
  },
  {
    name: 'metering',
    title: 'What metering hears of a server with a volume, from boot to delete',
    only: ['notification'],
    async run(context) {
      const blankVolume = { source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true };
      const { id, requestId: boot } = await bootActive(context, { name: 'flow-metering', block_device_mapping_v2: [blankVolume] });
      const remove = context.requestId();
      const answer = await http('DELETE', `${context.cloud.urls.compute}/servers/${id}`, undefined, withId(remove));
      if (answer.status !== 204) throw new Error(`delete answered ${answer.status}`);
      await context.cloud.waitForGone(id);
      return [boot, remove];
    },
  },
  {
    name: 'capacity',
    title: 'A compute host reports its capacity to the scheduler',
    async run(context) {
      // Hosts report at start, every update_resources_interval and shortly after a change: a boot.
      const since = performance.timeOrigin + performance.now();
      await bootActive(context, { name: 'flow-capacity' });
      const report = await context.recorder.next((arrow) => arrow.kind === 'fanout' && arrow.time >= since, 30_000);
      if (!report.requestId) throw new Error('a capacity report without a request id');
      return report.requestId;
    },
  },
];

export interface RecordedFlow {
  flow: Flow;
  arrows: Arrow[];
}

export interface Recording {
  flows: RecordedFlow[];
  /** What the apps declared on each bus, once every flow ran. */
  topology: { rpc: BrokerTopology; notifications: BrokerTopology };
}

/** Starts the embedded stack, runs `flows` one after the other and returns what each sent. */
export async function recordFlows(flows: Flow[] = FLOWS): Promise<Recording> {
  const prefix = `flows-${randomUUID().slice(0, 8)}-`;
  const stack: Devstack = await startDevstack({ standardPorts: false, inMemoryDatabases: true, vhostPrefix: prefix, computeHosts: 1, spawnDelay: 0.05 });
  const recorder = new FlowRecorder([`${prefix}rpc`, `${prefix}notifications`]);
  try {
    const context: FlowContext = { cloud: new Cloud(stack.urls), recorder, requestId: () => `req-${randomUUID()}` };
    const recorded: RecordedFlow[] = [];
    for (const flow of flows) {
      const requestIds = [await flow.run(context)].flat();
      const arrows = await quiet(() => requestIds.flatMap((id) => recorder.ofRequest(id)));
      recorded.push({ flow, arrows: flow.only ? arrows.filter((arrow) => flow.only!.includes(arrow.kind)) : arrows });
    }
    const topologyOf = (vhost: string) => (getMemoryBroker(`${prefix}${vhost}`) as NonNullable<ReturnType<typeof getMemoryBroker>>).topology();
    return { flows: recorded, topology: { rpc: topologyOf('rpc'), notifications: topologyOf('notifications') } };
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
