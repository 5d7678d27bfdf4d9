/** An in-memory ComputeStore for unit tests of the api's behaviour (the real one is @fjord/compute-db). */
import { MarkerNotFound } from '@fjord/compute-db';
import type {
  BdmRecord,
  ComputeNodeRecord,
  ComputeStore,
  ExpectedStates,
  FaultRecord,
  NewFault,
  FlavorRecord,
  InstanceChanges,
  InstanceFilter,
  InstanceRecord,
  NewBdm,
  NewInstance,
  PageRequest,
} from './store.js';

const flavor = (flavorid: string, name: string, vcpus: number, memory_mb: number, root_gb: number): FlavorRecord => ({
  flavorid,
  name,
  vcpus,
  memory_mb,
  root_gb,
  ephemeral_gb: 0,
  swap: 0,
  rxtx_factor: 1,
  is_public: true,
  disabled: false,
  extra_specs: {},
});

export const SEED_FLAVORS = [
  flavor('1', 'm1.tiny', 1, 512, 1),
  flavor('2', 'm1.small', 1, 2048, 20),
  flavor('3', 'm1.medium', 2, 4096, 40),
  flavor('4', 'm1.large', 4, 8192, 80),
  flavor('5', 'm1.xlarge', 8, 16384, 160),
];

export class MemoryStore implements ComputeStore {
  flavors = SEED_FLAVORS.map((item) => ({ ...item }));
  instances = new Map<string, InstanceRecord & { deleted: boolean }>();
  faults: Array<FaultRecord & { instance_uuid: string }> = [];
  bdms: Array<BdmRecord & { deleted: boolean }> = [];
  nodes: ComputeNodeRecord[] = [];
  private nextId = 1;
  private clock = Date.parse('2024-01-01T00:00:00Z');

  /** Strictly increasing timestamps, so ordering by created_at is deterministic. */
  private now(): Date {
    this.clock = Math.max(this.clock + 1, Date.now());
    return new Date(this.clock);
  }

  async listFlavors() {
    return this.flavors.map((item) => ({ ...item }));
  }
  async getFlavor(flavorid: string) {
    return this.flavors.find((item) => item.flavorid === flavorid) ?? null;
  }

  async createInstance(instance: NewInstance, bdms: NewBdm[]): Promise<InstanceRecord> {
    const now = this.now();
    const record = {
      ...instance,
      id: this.nextId++,
      host: null,
      node: null,
      access_ip_v4: null,
      launched_at: null,
      terminated_at: null,
      created_at: now,
      updated_at: now,
      deleted: false,
    };
    this.instances.set(instance.uuid, record);
    for (const bdm of bdms) await this.createBdm(instance.uuid, bdm);
    return strip(record);
  }
  async getInstance(uuid: string) {
    const record = this.instances.get(uuid);
    return record && !record.deleted ? strip(record) : null;
  }
  /** The repository's semantics: filters, newest first (created_at desc, id desc), the page after the marker. */
  async listInstances(filter: InstanceFilter = {}, page: PageRequest = {}) {
    const matchesName = filter.name ? nameMatcher(filter.name) : () => true;
    let rows = [...this.instances.values()]
      .filter((item) => !item.deleted)
      .filter((item) => !filter.vm_states || filter.vm_states.includes(item.vm_state))
      .filter((item) => !filter.task_states || filter.task_states.includes(item.task_state))
      .filter((item) => filter.host === undefined || item.host === filter.host)
      .filter((item) => filter.project_id === undefined || item.project_id === filter.project_id)
      .filter((item) => matchesName(item.display_name))
      .sort(newestFirst);
    if (page.marker !== undefined) {
      // Any instance marks a place, even a deleted one or one the filters skip (as the repository).
      const marker = this.instances.get(page.marker);
      if (!marker) throw new MarkerNotFound(page.marker);
      rows = rows.filter((item) => newestFirst(marker, item) < 0);
    }
    return rows.slice(0, page.limit).map(strip);
  }
  async updateInstance(uuid: string, changes: InstanceChanges, expected: ExpectedStates = {}, fault?: NewFault) {
    const record = this.instances.get(uuid);
    if (!record || record.deleted) return null;
    if (expected.vm_state && !expected.vm_state.includes(record.vm_state)) return null;
    if (expected.task_state && !expected.task_state.includes(record.task_state)) return null;
    Object.assign(record, changes, { updated_at: this.now() });
    if (fault) this.faults.push({ ...fault, instance_uuid: uuid, created_at: this.now() });
    return strip(record);
  }
  async destroyInstance(uuid: string) {
    const record = this.instances.get(uuid);
    if (!record) return;
    Object.assign(record, { deleted: true, vm_state: 'deleted', task_state: null, terminated_at: this.now() });
    for (const bdm of this.bdms) if (bdm.instance_uuid === uuid) bdm.deleted = true;
  }
  async latestFaults(uuids: readonly string[]) {
    const result = new Map<string, FaultRecord>();
    for (const fault of this.faults) if (uuids.includes(fault.instance_uuid)) result.set(fault.instance_uuid, fault);
    return result;
  }
  async listBdms(uuids: readonly string[]) {
    const result = new Map<string, BdmRecord[]>();
    for (const bdm of this.bdms) {
      if (bdm.deleted || !uuids.includes(bdm.instance_uuid)) continue;
      result.set(bdm.instance_uuid, [...(result.get(bdm.instance_uuid) ?? []), { ...bdm }]);
    }
    return result;
  }
  async createBdm(uuid: string, bdm: NewBdm) {
    const record = { ...bdm, instance_uuid: uuid, id: this.bdms.length + 1, deleted: false };
    this.bdms.push(record);
    return { ...record };
  }
  async deleteBdm(id: number) {
    const record = this.bdms.find((bdm) => bdm.id === id);
    if (record) record.deleted = true;
  }
  async listComputeNodes() {
    return this.nodes.map((node) => ({ ...node }));
  }
  async getComputeNode(host: string) {
    const node = this.nodes.find((candidate) => candidate.host === host);
    return node ? { ...node } : null;
  }

  /** Test setup: a compute node as a host reports it. */
  addNode(host: string, fields: Partial<ComputeNodeRecord> = {}): ComputeNodeRecord {
    const node: ComputeNodeRecord = {
      id: this.nodes.length + 1,
      host,
      hypervisor_hostname: host,
      hypervisor_type: 'fake',
      availability_zone: 'nova',
      vcpus: 8,
      vcpus_used: 0,
      memory_mb: 16384,
      memory_mb_used: 0,
      local_gb: 100,
      local_gb_used: 0,
      running_vms: 0,
      disabled: false,
      host_ip: '127.0.0.1',
      updated_at: new Date(),
      ...fields,
    };
    this.nodes.push(node);
    return node;
  }
}

const newestFirst = (a: InstanceRecord, b: InstanceRecord) => b.created_at.getTime() - a.created_at.getTime() || b.id - a.id;

/** nova's `name`: a regular expression searched in the name; one that does not compile matches as a substring. */
function nameMatcher(pattern: string): (name: string) => boolean {
  try {
    const regex = new RegExp(pattern);
    return (name) => regex.test(name);
  } catch {
    return (name) => name.includes(pattern);
  }
}

function strip<T extends { deleted: boolean }>(record: T): Omit<T, 'deleted'> {
  const { deleted: _deleted, ...rest } = record;
  return rest;
}
