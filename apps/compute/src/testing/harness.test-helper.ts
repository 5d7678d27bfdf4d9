/**
 * A compute host under test: the real service (createComputeService) on an isolated memory://
 * broker, driven through the real ComputeAPI client, with a FakeCinder and a FakeGlance over
 * HTTP, a fake scheduler endpoint that records capability reports and released claims, and a
 * notification listener that records every compute.instance.* notification with its context.
 */
import { randomUUID } from 'node:crypto';
import { ComputeAPI, type BlockDeviceMapping, type Instance } from '@fjord/compute-rpcapi';
import { Target, getNotificationListener, getRpcServer, getRpcTransport, getNotificationTransport, type NotificationListener, type RpcServer, type Transport } from '@fjord/messaging';
import { schedulerTarget, type HostReport, type ReleaseClaimArgs, type UpdateServiceCapabilitiesArgs } from '@fjord/scheduler-rpcapi';
import { loadServiceConfig, makeContext, type RequestContext, type Service } from '@fjord/service-kit';
import { createComputeService, type ComputeServiceOptions } from '../index.js';
import type { ComputeHostDeps } from '../deps.js';
import type { ComputeManager } from '../manager.js';
import type { ComputeStore, InstanceRow } from '../store.js';
import { FakeCinder, FakeGlance } from './fake-openstack.test-helper.js';

export interface RecordedNotification {
  priority: string;
  publisherId: string | null;
  eventType: string | null;
  payload: Record<string, unknown>;
  ctxt: Record<string, unknown>;
}

export interface HarnessOptions {
  store: ComputeStore;
  /** Records an instance in the store under test, as the api would (memory or PGlite). */
  addInstance: (fields: Partial<InstanceRow>) => Promise<InstanceRow>;
  /** Stored instances this host has before it starts (init_host tests). */
  host?: string;
  values?: Record<string, Record<string, unknown>>;
  serviceOptions?: Partial<ComputeServiceOptions>;
  /** Start the compute service now (default true). */
  start?: boolean;
}

export class Harness {
  readonly notifications: RecordedNotification[] = [];
  readonly reports: HostReport[] = [];
  readonly releasedClaims: ReleaseClaimArgs[] = [];
  manager!: ComputeManager;
  deps!: ComputeHostDeps;
  service!: Service;
  compute!: ComputeAPI;
  imageId = '';
  private rpc!: Transport;
  private notificationTransport!: Transport;
  private schedulerServer!: RpcServer;
  private listener!: NotificationListener;

  private constructor(
    readonly store: ComputeStore,
    readonly host: string,
    readonly cinder: FakeCinder,
    readonly glance: FakeGlance,
  ) {}

  static async create(options: HarnessOptions): Promise<Harness> {
    const harness = new Harness(options.store, options.host ?? 'host1', await new FakeCinder().start(), await new FakeGlance().start());
    harness.imageId = harness.glance.addImage();
    harness.addInstance = options.addInstance;
    const url = `memory:///compute-${randomUUID()}`;
    const conf = loadServiceConfig({
      env: {},
      values: {
        DEFAULT: { host: harness.host, transport_url: url, update_resources_interval: 60, block_device_allocate_retries_interval: 0.01, ...options.values?.['DEFAULT'] },
        fake_driver: { spawn_delay: 0.02, power_action_delay: 0.01, ...options.values?.['fake_driver'] },
        cinder: { endpoint_override: harness.cinder.endpoint },
        glance: { endpoint_override: harness.glance.url },
      },
    });
    harness.service = await createComputeService(conf, {
      store: options.store,
      onWired: ({ manager, deps }) => {
        harness.manager = manager;
        harness.deps = deps;
      },
      ...options.serviceOptions,
    });
    // The test side of the bus: a scheduler that records, a notification listener, the client.
    harness.rpc = await getRpcTransport(conf, url);
    harness.notificationTransport = await getNotificationTransport(conf, url);
    const scheduler = {
      target: new Target({ version: '4.1' }),
      update_service_capabilities: (_ctxt: object, args: UpdateServiceCapabilitiesArgs) => void harness.reports.push(args.capabilities),
      release_claim: (_ctxt: object, args: ReleaseClaimArgs) => void harness.releasedClaims.push(args),
    };
    harness.schedulerServer = getRpcServer(harness.rpc, schedulerTarget('scheduler-test'), [scheduler]);
    await harness.schedulerServer.start();
    const record = (priority: string) => (ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown) =>
      void harness.notifications.push({ priority, publisherId, eventType, payload: payload as Record<string, unknown>, ctxt: ctxt as Record<string, unknown> });
    harness.listener = getNotificationListener(harness.notificationTransport, [{ topic: 'notifications', exchange: 'nova' }], [{ info: record('info'), error: record('error') }]);
    await harness.listener.start();
    harness.compute = new ComputeAPI(harness.rpc, conf);
    if (options.start !== false) await harness.service.start();
    return harness;
  }

  ctxt(requestId = `req-${randomUUID()}`): RequestContext {
    return makeContext({ request_id: requestId, global_request_id: requestId, project_id: 'p1', user_id: 'u1' });
  }

  /** Record the instance as the api does (BUILD/scheduling, placed on this host) and cast the build. */
  async boot(ctxt: RequestContext, fields: Partial<InstanceRow> = {}, bdms: BlockDeviceMapping[] = [], limits: Record<string, number> = {}): Promise<InstanceRow> {
    const instance = await this.addInstance({ image_ref: this.imageId, host: this.host, node: this.host, ...fields });
    for (const bdm of bdms) await this.store.createBdm({ ...bdm, instance_uuid: instance.uuid });
    await this.compute.build_and_run_instance(ctxt, {
      host: this.host,
      instance: instanceJson(instance),
      request_spec: { instance_uuid: instance.uuid, project_id: 'p1', flavor: instance.flavor, availability_zone: null, ignore_hosts: [], num_instances: 1 },
      image: { id: instance.image_ref, name: 'cirros' },
      block_device_mapping: bdms.map((bdm) => ({ ...bdm, instance_uuid: instance.uuid })),
      node: this.host,
      limits,
    });
    return instance;
  }

  /** Boot and wait for ACTIVE. */
  async bootActive(ctxt: RequestContext, fields: Partial<InstanceRow> = {}, bdms: BlockDeviceMapping[] = []): Promise<InstanceRow> {
    const instance = await this.boot(ctxt, fields, bdms);
    return this.waitForState(instance.uuid, (row) => row.vm_state === 'active');
  }

  addInstance!: (fields: Partial<InstanceRow>) => Promise<InstanceRow>;

  async waitForState(uuid: string, ready: (row: InstanceRow) => boolean, timeoutMs = 5000): Promise<InstanceRow> {
    let last: InstanceRow | null = null;
    await waitFor(async () => {
      last = await this.store.getInstance(uuid);
      return last !== null && ready(last);
    }, timeoutMs, () => `instance ${uuid} is ${JSON.stringify(last && { vm_state: last.vm_state, task_state: last.task_state })}`);
    return last!;
  }

  events(uuid: string): string[] {
    return this.notifications.filter((n) => n.payload['instance_id'] === uuid).map((n) => n.eventType ?? '');
  }

  async waitForEvent(uuid: string, eventType: string): Promise<RecordedNotification> {
    await waitFor(async () => this.events(uuid).includes(eventType), 5000, () => `events of ${uuid}: ${this.events(uuid).join(', ')}`);
    return this.notifications.find((n) => n.payload['instance_id'] === uuid && n.eventType === eventType)!;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    await this.listener.stop();
    await this.listener.wait();
    await this.schedulerServer.stop();
    await this.schedulerServer.wait();
    await this.rpc.cleanup();
    await this.notificationTransport.cleanup();
    await this.cinder.stop();
    await this.glance.stop();
  }
}

export function instanceJson(row: InstanceRow): Instance {
  const { launched_at: _l, terminated_at: _t, deleted_at: _d, access_ip_v4: _a, ...instance } = row;
  return instance;
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
