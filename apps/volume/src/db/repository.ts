/**
 * The volume repository over Prisma (PGlite embedded or PostgreSQL). Status changes are
 * conditional updates (cinder's conditional_update): the WHERE clause carries the expected
 * status, so of two racing requests exactly one wins. Capacity claims lock the backend's
 * services row, then count the volumes already placed there, then insert.
 */
import type { PrismaClient, Volume, VolumeAttachment, Service as ServiceRow } from './generated/client.js';
import type { Prisma } from './generated/client.js';
import type {
  AttachmentChanges,
  AttachmentRecord,
  AttachStatus,
  BackendServiceRecord,
  NewAttachment,
  NewVolume,
  VolumeChanges,
  VolumeExpectation,
  VolumeListQuery,
  VolumeRecord,
  VolumeRepository,
  VolumeSortKey,
  VolumeWithAttachments,
} from './types.js';

const WITH_ATTACHMENTS = { attachments: { where: { deleted: false }, orderBy: { created_at: 'asc' } } } as const;
type VolumeRow = Volume & { attachments: VolumeAttachment[] };

/** Statuses whose volumes hold backend space (an `error` volume never got any). */
const HOLDS_NO_SPACE = ['error'];

const SORT_COLUMNS: Record<VolumeSortKey, keyof Volume> = {
  id: 'id',
  name: 'display_name',
  status: 'status',
  size: 'size',
  created_at: 'created_at',
  updated_at: 'updated_at',
  availability_zone: 'availability_zone',
};

export class PrismaVolumeRepository implements VolumeRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async createVolumeIfRoom(volume: NewVolume, serviceHost: string | null): Promise<VolumeWithAttachments | null> {
    const data = { ...volume, metadata: volume.metadata, service_host: serviceHost, updated_at: null };
    if (serviceHost === null) return toVolume(await this.prisma.volume.create({ data, include: WITH_ATTACHMENTS }));
    return this.prisma.$transaction(async (tx) => {
      // The lock serialises claims on one backend; the count below then sees every earlier claim.
      const locked = await tx.$queryRaw<Array<{ total_capacity_gb: number }>>`
        SELECT total_capacity_gb FROM services WHERE host = ${serviceHost} FOR UPDATE`;
      const total = locked[0]?.total_capacity_gb;
      if (total === undefined) return null;
      const used = await tx.volume.aggregate({
        _sum: { size: true },
        where: { service_host: serviceHost, deleted: false, status: { notIn: HOLDS_NO_SPACE } },
      });
      if (total - (used._sum.size ?? 0) < volume.size) return null;
      return toVolume(await tx.volume.create({ data, include: WITH_ATTACHMENTS }));
    });
  }

  async getVolume(id: string, projectId?: string): Promise<VolumeWithAttachments | null> {
    const row = await this.prisma.volume.findFirst({
      where: { id, deleted: false, ...(projectId === undefined ? {} : { project_id: projectId }) },
      include: WITH_ATTACHMENTS,
    });
    return row ? toVolume(row) : null;
  }

  async listVolumes(query: VolumeListQuery): Promise<VolumeWithAttachments[]> {
    const where: Prisma.VolumeWhereInput = { deleted: false };
    if (query.projectId !== undefined) where.project_id = query.projectId;
    if (query.name !== undefined) where.display_name = query.name;
    if (query.status !== undefined) where.status = query.status;
    if (query.availabilityZone !== undefined) where.availability_zone = query.availabilityZone;
    const orderBy = query.sort.map(({ key, dir }) => ({ [SORT_COLUMNS[key]]: dir }) as Prisma.VolumeOrderByWithRelationInput);
    const rows = await this.prisma.volume.findMany({
      where,
      orderBy,
      take: query.limit,
      skip: query.offset,
      // Keyset paging from the marker row, in the same order.
      ...(query.marker === undefined ? {} : { cursor: { id: query.marker }, skip: 1 + (query.offset ?? 0) }),
      include: WITH_ATTACHMENTS,
    });
    return rows.map(toVolume);
  }

  async updateVolumeIf(id: string, expected: VolumeExpectation, changes: VolumeChanges): Promise<VolumeWithAttachments | null> {
    const where: Prisma.VolumeWhereInput = { id, deleted: false };
    if (expected.status) where.status = { in: [...expected.status] };
    if (expected.attach_status) where.attach_status = { in: [...expected.attach_status] };
    const { count } = await this.prisma.volume.updateMany({ where, data: { ...changes, updated_at: new Date() } });
    return count === 1 ? this.getVolume(id) : null;
  }

  async destroyVolume(id: string): Promise<VolumeWithAttachments | null> {
    const now = new Date();
    const { count } = await this.prisma.volume.updateMany({
      where: { id, deleted: false },
      data: { deleted: true, deleted_at: now, status: 'deleted', terminated_at: now, updated_at: now },
    });
    if (count !== 1) return null;
    const row = await this.prisma.volume.findUnique({ where: { id }, include: WITH_ATTACHMENTS });
    return row ? toVolume(row) : null;
  }

  async volumesOnBackend(serviceHost: string): Promise<VolumeRecord[]> {
    const rows = await this.prisma.volume.findMany({ where: { service_host: serviceHost, deleted: false }, orderBy: { created_at: 'asc' } });
    return rows.map((row) => toVolumeRecord(row));
  }

  async allocatedByBackend(): Promise<Map<string, number>> {
    const groups = await this.prisma.volume.groupBy({
      by: ['service_host'],
      _sum: { size: true },
      where: { deleted: false, service_host: { not: null }, status: { notIn: HOLDS_NO_SPACE } },
    });
    return new Map(groups.filter((group) => group.service_host !== null).map((group) => [group.service_host as string, group._sum.size ?? 0]));
  }

  async createAttachment(attachment: NewAttachment): Promise<AttachmentRecord> {
    return toAttachment(await this.prisma.volumeAttachment.create({ data: { ...attachment, updated_at: null } }));
  }

  async getAttachment(id: string): Promise<AttachmentRecord | null> {
    const row = await this.prisma.volumeAttachment.findUnique({ where: { id } });
    return row ? toAttachment(row) : null;
  }

  async updateAttachment(id: string, changes: AttachmentChanges): Promise<AttachmentRecord> {
    return toAttachment(await this.prisma.volumeAttachment.update({ where: { id }, data: { ...changes, updated_at: new Date() } }));
  }

  async reportBackend(service: Omit<BackendServiceRecord, 'created_at' | 'updated_at'>): Promise<void> {
    const data = { ...service, capabilities: service.capabilities as Prisma.InputJsonObject, updated_at: new Date() };
    await this.prisma.service.upsert({ where: { host: service.host }, create: data, update: data });
  }

  async listBackends(): Promise<BackendServiceRecord[]> {
    const rows = await this.prisma.service.findMany({ where: { binary: 'cinder-volume' }, orderBy: { host: 'asc' } });
    return rows.map(toBackend);
  }
}

function toVolumeRecord(row: Volume): VolumeRecord {
  const { service_host: _claim, metadata, attach_status, ...rest } = row;
  return { ...rest, attach_status: attach_status as AttachStatus, metadata: (metadata ?? {}) as Record<string, string> };
}

function toVolume(row: VolumeRow): VolumeWithAttachments {
  const { attachments, ...volume } = row;
  return { ...toVolumeRecord(volume), attachments: attachments.map(toAttachment) };
}

function toAttachment(row: VolumeAttachment): AttachmentRecord {
  return { ...row, attach_mode: row.attach_mode as 'rw' | 'ro', attach_status: row.attach_status as AttachStatus };
}

function toBackend(row: ServiceRow): BackendServiceRecord {
  const { id: _id, capabilities, ...rest } = row;
  return { ...rest, capabilities: (capabilities ?? {}) as Record<string, unknown> };
}
