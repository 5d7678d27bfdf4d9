/** The identity database behind plain types: users, projects, roles, assignments, revocations, the signing key. */
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from './generated/client.js';

export interface UserRecord {
  id: string;
  name: string;
  domainId: string;
  passwordHash: string;
  enabled: boolean;
  defaultProjectId: string | null;
  failedAuthCount: number;
  failedAuthAt: Date | null;
}

export interface ProjectRecord {
  id: string;
  name: string;
  domainId: string;
  description: string;
  enabled: boolean;
}

export interface RoleRecord {
  id: string;
  name: string;
}

/** keystone's ids: 32 hex digits. */
export const newId = () => randomBytes(16).toString('hex');

export class IdentityRepository {
  constructor(private readonly db: PrismaClient) {}

  async userByName(name: string): Promise<UserRecord | undefined> {
    const row = await this.db.user.findUnique({ where: { name } });
    return row ? toUser(row) : undefined;
  }

  async userById(id: string): Promise<UserRecord | undefined> {
    const row = await this.db.user.findUnique({ where: { id } });
    return row ? toUser(row) : undefined;
  }

  async projectByName(name: string): Promise<ProjectRecord | undefined> {
    const row = await this.db.project.findUnique({ where: { name } });
    return row ? toProject(row) : undefined;
  }

  async projectById(id: string): Promise<ProjectRecord | undefined> {
    const row = await this.db.project.findUnique({ where: { id } });
    return row ? toProject(row) : undefined;
  }

  /** The roles a user was given on a project (not the ones they imply). */
  async rolesOn(userId: string, projectId: string): Promise<RoleRecord[]> {
    const rows = await this.db.assignment.findMany({ where: { user_id: userId, project_id: projectId }, include: { role: true } });
    return rows.map((row) => ({ id: row.role.id, name: row.role.name }));
  }

  async roleById(id: string): Promise<RoleRecord | undefined> {
    return (await this.db.role.findUnique({ where: { id }, select: { id: true, name: true } })) ?? undefined;
  }

  async roles(): Promise<RoleRecord[]> {
    return this.db.role.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true } });
  }

  async projects(): Promise<ProjectRecord[]> {
    return (await this.db.project.findMany({ orderBy: { name: 'asc' } })).map(toProject);
  }

  async users(): Promise<UserRecord[]> {
    return (await this.db.user.findMany({ orderBy: { name: 'asc' } })).map(toUser);
  }

  async ensureRole(name: string): Promise<RoleRecord> {
    return this.db.role.upsert({ where: { name }, create: { id: newId(), name }, update: {}, select: { id: true, name: true } });
  }

  async ensureProject(name: string): Promise<ProjectRecord> {
    return toProject(await this.db.project.upsert({ where: { name }, create: { id: newId(), name }, update: {} }));
  }

  async createUser(user: { name: string; passwordHash: string; defaultProjectId: string | null }): Promise<UserRecord> {
    return toUser(await this.db.user.create({ data: { id: newId(), name: user.name, password_hash: user.passwordHash, default_project_id: user.defaultProjectId } }));
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.db.user.update({ where: { id: userId }, data: { password_hash: passwordHash, failed_auth_count: 0, failed_auth_at: null } });
  }

  async assign(userId: string, projectId: string, roleId: string): Promise<void> {
    await this.db.assignment.upsert({
      where: { user_id_project_id_role_id: { user_id: userId, project_id: projectId, role_id: roleId } },
      create: { user_id: userId, project_id: projectId, role_id: roleId },
      update: {},
    });
  }

  /** One more wrong password; the count and when, for the lockout. */
  async recordFailedAuth(userId: string, at: Date): Promise<number> {
    const row = await this.db.user.update({ where: { id: userId }, data: { failed_auth_count: { increment: 1 }, failed_auth_at: at }, select: { failed_auth_count: true } });
    return row.failed_auth_count;
  }

  async clearFailedAuth(userId: string): Promise<void> {
    await this.db.user.updateMany({ where: { id: userId, failed_auth_count: { gt: 0 } }, data: { failed_auth_count: 0, failed_auth_at: null } });
  }

  async revoke(auditId: string, expiresAt: Date): Promise<void> {
    await this.db.revokedToken.upsert({ where: { audit_id: auditId }, create: { audit_id: auditId, expires_at: expiresAt }, update: {} });
  }

  async isRevoked(auditId: string): Promise<boolean> {
    return (await this.db.revokedToken.count({ where: { audit_id: auditId } })) > 0;
  }

  /** Forgets revocations of tokens that have expired since: they are refused as expired anyway. */
  async purgeRevoked(now: Date): Promise<number> {
    return (await this.db.revokedToken.deleteMany({ where: { expires_at: { lte: now } } })).count;
  }

  /** The key that signs tokens: the oldest one kept, made now if there is none. */
  async signingKey(): Promise<Buffer> {
    const existing = await this.db.signingKey.findFirst({ orderBy: { id: 'asc' } });
    if (existing) return Buffer.from(existing.key, 'base64');
    await this.db.signingKey.create({ data: { key: randomBytes(32).toString('base64') } });
    // Two processes starting at once: both read back the same, oldest key.
    return Buffer.from((await this.db.signingKey.findFirst({ orderBy: { id: 'asc' } }))!.key, 'base64');
  }
}

type UserRow = { id: string; name: string; domain_id: string; password_hash: string; enabled: boolean; default_project_id: string | null; failed_auth_count: number; failed_auth_at: Date | null };
type ProjectRow = { id: string; name: string; domain_id: string; description: string; enabled: boolean };

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    name: row.name,
    domainId: row.domain_id,
    passwordHash: row.password_hash,
    enabled: row.enabled,
    defaultProjectId: row.default_project_id,
    failedAuthCount: row.failed_auth_count,
    failedAuthAt: row.failed_auth_at,
  };
}

function toProject(row: ProjectRow): ProjectRecord {
  return { id: row.id, name: row.name, domainId: row.domain_id, description: row.description, enabled: row.enabled };
}
