import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient } from '../db/generated/client.js';
import { statesFromStatus, TaskState, VmState, PowerState } from '../states.js';
import type {
  GuardedUpdate,
  Instance,
  InstanceFilters,
  InstanceGuard,
  InstancePatch,
  NewBlockDeviceMapping,
  NewInstanceFault,
  NewInstance,
  Page,
  ProjectUsage,
} from '../types.js';
import { MarkerNotFound } from './errors.js';
import { faultData } from './faults.js';
import { flavorSnapshot, toDate, toInstance } from './mappers.js';

export class InstanceRepository {
  constructor(private readonly db: PrismaClient) {}

  /**
   * A new instance, as the API records it before scheduling: vm_state building, task_state scheduling.
   * Block device mappings given here are created in the same transaction.
   */
  async create(input: NewInstance, opts: { bdms?: Omit<NewBlockDeviceMapping, 'instance_uuid'>[] } = {}): Promise<Instance> {
    const flavor = flavorSnapshot(input.flavor);
    const row = await this.db.instance.create({
      data: {
        uuid: input.uuid ?? randomUUID(),
        display_name: input.display_name,
        project_id: input.project_id,
        user_id: input.user_id,
        flavor_id: flavor.flavorid,
        flavor: { ...flavor },
        vcpus: flavor.vcpus,
        memory_mb: flavor.memory_mb,
        root_gb: flavor.root_gb,
        ephemeral_gb: flavor.ephemeral_gb,
        image_ref: input.image_ref ?? '',
        key_name: input.key_name ?? null,
        availability_zone: input.availability_zone ?? null,
        metadata: input.metadata ?? {},
        address: input.address ?? null,
        vm_state: VmState.BUILDING,
        task_state: TaskState.SCHEDULING,
        power_state: PowerState.NOSTATE,
        ...(opts.bdms?.length ? { bdms: { create: opts.bdms } } : {}),
      },
    });
    return toInstance(row);
  }

  /** A live instance (soft-deleted ones only with include_deleted). */
  async get(uuid: string, opts: { include_deleted?: boolean } = {}): Promise<Instance | null> {
    const row = await this.db.instance.findUnique({ where: { uuid } });
    return row && (opts.include_deleted || !row.deleted) ? toInstance(row) : null;
  }

  /** Newest first (nova's default sort: created_at desc, id desc); marker = last uuid of the previous page. */
  async list(filters: InstanceFilters = {}, page: Page = {}): Promise<Instance[]> {
    const where = await this.whereFor(filters);
    if (where === null) return [];
    const and: Prisma.InstanceWhereInput[] = [where];
    if (page.marker !== undefined) {
      const marker = await this.db.instance.findUnique({ where: { uuid: page.marker }, select: { id: true, created_at: true } });
      if (!marker) throw new MarkerNotFound(page.marker);
      and.push({ OR: [{ created_at: { lt: marker.created_at } }, { created_at: marker.created_at, id: { lt: marker.id } }] });
    }
    const rows = await this.db.instance.findMany({
      where: { AND: and },
      orderBy: [{ created_at: 'desc' }, { id: 'desc' }],
      ...(page.limit !== undefined ? { take: page.limit } : {}),
    });
    return rows.map(toInstance);
  }

  /**
   * Updates an instance; with a guard only if its task/vm state is still an expected one, atomically
   * (nova's expected_task_state), so concurrent actions can't clobber each other. With a fault, the
   * fault is recorded in the same transaction: nobody reads an ERROR without its reason.
   */
  async update(uuid: string, patch: InstancePatch, guard: InstanceGuard = {}, fault?: Omit<NewInstanceFault, 'instance_uuid'>): Promise<GuardedUpdate> {
    const where: Prisma.InstanceWhereInput = { uuid, deleted: false };
    if (guard.expected_task_state) where.AND = [taskStateIn(guard.expected_task_state)];
    if (guard.expected_vm_state) where.vm_state = { in: guard.expected_vm_state };
    const { count } = fault
      ? await this.db.$transaction(async (tx) => {
          const updated = await tx.instance.updateMany({ where, data: toData(patch) });
          if (updated.count === 1) await tx.instanceFault.create({ data: faultData({ ...fault, instance_uuid: uuid }) });
          return updated;
        })
      : await this.db.instance.updateMany({ where, data: toData(patch) });
    const current = await this.get(uuid);
    return count === 1 && current ? { applied: true, instance: current } : { applied: false, instance: current };
  }

  /**
   * Soft delete (vm_state deleted, terminated_at now unless given) with its block device mappings.
   * null when there was no live instance.
   */
  async softDelete(uuid: string, patch: InstancePatch = {}): Promise<Instance | null> {
    const now = new Date();
    const [{ count }] = await this.db.$transaction([
      this.db.instance.updateMany({
        where: { uuid, deleted: false },
        data: {
          terminated_at: now,
          ...toData(patch),
          vm_state: VmState.DELETED,
          task_state: null,
          deleted: true,
          deleted_at: now,
          updated_at: now,
        },
      }),
      this.db.blockDeviceMapping.updateMany({ where: { instance_uuid: uuid, deleted: false }, data: { deleted: true, deleted_at: now, updated_at: now } }),
    ]);
    return count === 1 ? this.get(uuid, { include_deleted: true }) : null;
  }

  /** Builds that a host took but hasn't finished since `olderThan` (nova's _check_instance_build_time). */
  async findStuckBuilds(opts: { olderThan: Date | string; host?: string }): Promise<Instance[]> {
    const rows = await this.db.instance.findMany({
      where: {
        deleted: false,
        vm_state: VmState.BUILDING,
        host: opts.host ?? { not: null },
        updated_at: { lt: toDate(opts.olderThan) ?? new Date() },
      },
      orderBy: { id: 'asc' },
    });
    return rows.map(toInstance);
  }

  /** What a project's live instances hold, for quotas and limits. */
  async projectUsage(project_id: string): Promise<ProjectUsage> {
    const usage = await this.db.instance.aggregate({
      where: { project_id, deleted: false },
      _count: { _all: true },
      _sum: { vcpus: true, memory_mb: true },
    });
    return { instances: usage._count._all, vcpus: usage._sum.vcpus ?? 0, memory_mb: usage._sum.memory_mb ?? 0 };
  }

  /** null: the filters can match nothing (an unknown status, an empty uuid list). */
  private async whereFor(filters: InstanceFilters): Promise<Prisma.InstanceWhereInput | null> {
    const and: Prisma.InstanceWhereInput[] = [];
    // changes-since shows deleted instances too, like nova
    if (!filters.include_deleted && filters.changes_since === undefined) and.push({ deleted: false });
    if (filters.changes_since !== undefined) and.push({ updated_at: { gte: toDate(filters.changes_since) ?? undefined } });
    if (filters.project_id !== undefined) and.push({ project_id: filters.project_id });
    if (filters.host !== undefined) and.push({ host: filters.host });
    if (filters.node !== undefined) and.push({ node: filters.node });
    if (filters.flavor_id !== undefined) and.push({ flavor_id: filters.flavor_id });
    if (filters.image_ref !== undefined) and.push({ image_ref: filters.image_ref });
    if (filters.uuids !== undefined) {
      if (filters.uuids.length === 0) return null;
      and.push({ uuid: { in: filters.uuids } });
    }
    if (filters.vm_state !== undefined) and.push({ vm_state: { in: ([] as string[]).concat(filters.vm_state) } });
    if (filters.task_state !== undefined) and.push(taskStateIn(filters.task_state));
    if (filters.status !== undefined) {
      const { vm_states, task_states } = statesFromStatus(filters.status);
      if (vm_states.length === 0) return null;
      and.push({ vm_state: { in: vm_states } });
      if (task_states) and.push({ task_state: { in: task_states } });
    }
    if (filters.name !== undefined && filters.name !== '') {
      const live = !filters.include_deleted && filters.changes_since === undefined;
      const ids = await this.idsMatchingName(filters.name, { live, project_id: filters.project_id });
      if (ids.length === 0) return null;
      and.push({ id: { in: ids } });
    }
    return { AND: and };
  }

  /**
   * nova matches `name` as a regular expression (PostgreSQL `~`); an invalid one is taken literally.
   * Only the instances the list can show are searched (live ones of the project), so a name
   * filter costs the project's matches, not the whole table's.
   */
  private async idsMatchingName(pattern: string, scope: { live: boolean; project_id: string | undefined }): Promise<number[]> {
    let valid = true;
    try {
      new RegExp(pattern);
    } catch {
      valid = false;
    }
    const where = [Prisma.sql`display_name ~ ${pattern}`];
    if (scope.live) where.push(Prisma.sql`deleted = false`);
    if (scope.project_id !== undefined) where.push(Prisma.sql`project_id = ${scope.project_id}`);
    const rows = valid
      ? await this.db.$queryRaw<{ id: number }[]>`SELECT id FROM instances WHERE ${Prisma.join(where, ' AND ')}`.catch(() => null)
      : null;
    if (rows) return rows.map((r) => r.id);
    const literal = await this.db.instance.findMany({
      where: {
        display_name: { contains: pattern },
        ...(scope.live ? { deleted: false } : {}),
        ...(scope.project_id !== undefined ? { project_id: scope.project_id } : {}),
      },
      select: { id: true },
    });
    return literal.map((r) => r.id);
  }
}

function taskStateIn(states: (string | null)[]): Prisma.InstanceWhereInput {
  const named = states.filter((s): s is string => s !== null);
  const or: Prisma.InstanceWhereInput[] = [];
  if (named.length) or.push({ task_state: { in: named } });
  if (named.length !== states.length) or.push({ task_state: null });
  return or.length ? { OR: or } : { id: { in: [] } };
}

function toData(patch: InstancePatch): Prisma.InstanceUpdateManyMutationInput {
  const { launched_at, terminated_at, ...rest } = patch;
  const data: Prisma.InstanceUpdateManyMutationInput = { ...rest, updated_at: new Date() };
  if (launched_at !== undefined) data.launched_at = toDate(launched_at);
  if (terminated_at !== undefined) data.terminated_at = toDate(terminated_at);
  return data;
}
