/**
 * What keystone does for a password login and for the services that check tokens: who the
 * user is (password checked, lockout honoured), what they may do on the project they asked for
 * (roles, with the roles they imply), a signed expiring token for it, the catalog, and the
 * token's validation and revocation.
 */
import { Forbidden, NotFound, Unauthorized, type ServiceLogger } from '@fjord/service-kit';
import type { IdentityRepository, ProjectRecord, RoleRecord, UserRecord } from './db/repository.js';
import { catalogFor, type CatalogService } from './catalog.js';
import type { IdentitySettings } from './options.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { InvalidToken, newAuditId, type TokenClaims, type TokenSigner } from './tokens.js';

/** keystone's default implied roles: admin implies member, member implies reader. */
const IMPLIES: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'] };

export interface PasswordAuth {
  userName: string;
  password: string;
  /** The project asked for, by name or id; none: the user's default project. */
  project?: { name?: string; id?: string };
}

export interface TokenBody {
  token: {
    methods: string[];
    expires_at: string;
    issued_at: string;
    audit_ids: string[];
    is_domain: boolean;
    user: { id: string; name: string; domain: { id: string; name: string }; password_expires_at: null };
    project: { id: string; name: string; domain: { id: string; name: string } };
    roles: RoleRecord[];
    catalog?: CatalogService[];
  };
}

/** Who a valid token is for, as a service sees it. */
export interface Validated {
  claims: TokenClaims;
  user: UserRecord;
  project: ProjectRecord;
  roles: RoleRecord[];
}

const DEFAULT_DOMAIN = { id: 'default', name: 'Default' };

export class IdentityManager {
  /** A hash to check against when the user does not exist, so that answering takes as long. */
  private decoy?: Promise<string>;

  constructor(
    private readonly repo: IdentityRepository,
    private readonly signer: TokenSigner,
    private readonly settings: IdentitySettings,
    private readonly logger: ServiceLogger,
  ) {}

  /** keystone-manage bootstrap: the roles, and each configured user with its project and role (its password reset to the configured one). */
  async bootstrap(): Promise<void> {
    const roles = new Map<string, RoleRecord>();
    for (const name of ['admin', 'member', 'reader', 'service']) roles.set(name, await this.repo.ensureRole(name));
    for (const wanted of this.settings.users) {
      const project = await this.repo.ensureProject(wanted.project);
      let user = await this.repo.userByName(wanted.name);
      if (!user) user = await this.repo.createUser({ name: wanted.name, passwordHash: await hashPassword(wanted.password), defaultProjectId: project.id });
      else if (!(await verifyPassword(wanted.password, user.passwordHash))) await this.repo.setPassword(user.id, await hashPassword(wanted.password));
      await this.repo.assign(user.id, project.id, roles.get(wanted.role)!.id);
    }
    this.logger.info({ users: this.settings.users.map((u) => `${u.name} (${u.role} on ${u.project})`) }, 'bootstrapped');
  }

  async authenticate(auth: PasswordAuth, now = new Date()): Promise<{ token: string; body: TokenBody }> {
    const user = await this.repo.userByName(auth.userName);
    if (!user || !user.enabled) {
      this.decoy ??= hashPassword('decoy');
      await verifyPassword(auth.password, await this.decoy);
      this.logger.warn({ user: auth.userName }, 'authentication refused: no such user, or disabled');
      throw new Unauthorized();
    }
    const { attempts, durationS } = this.settings.lockout;
    if (attempts > 0 && user.failedAuthCount >= attempts && user.failedAuthAt && now.getTime() - user.failedAuthAt.getTime() < durationS * 1000) {
      this.logger.warn({ user: user.name, user_id: user.id, failures: user.failedAuthCount }, 'authentication refused: the account is locked');
      throw new Unauthorized(`The account is locked for user: ${user.id}.`);
    }
    if (!(await verifyPassword(auth.password, user.passwordHash))) {
      const failures = await this.repo.recordFailedAuth(user.id, now);
      this.logger.warn({ user: user.name, user_id: user.id, failures }, 'authentication refused: wrong password');
      throw new Unauthorized();
    }
    await this.repo.clearFailedAuth(user.id);

    const project = auth.project?.id
      ? await this.repo.projectById(auth.project.id)
      : auth.project?.name
        ? await this.repo.projectByName(auth.project.name)
        : user.defaultProjectId
          ? await this.repo.projectById(user.defaultProjectId)
          : undefined;
    const roles = project && project.enabled ? await this.effectiveRoles(user.id, project.id) : [];
    if (!project || roles.length === 0) {
      this.logger.warn({ user: user.name, project: auth.project?.name ?? auth.project?.id ?? '(default)' }, 'authentication refused: no role on the project');
      throw new Unauthorized(`User ${user.id} has no access to project ${auth.project?.id ?? auth.project?.name ?? '(default)'}`);
    }
    const claims: TokenClaims = { userId: user.id, projectId: project.id, auditId: newAuditId(), issuedAt: now, expiresAt: new Date(now.getTime() + this.settings.tokenTtlS * 1000) };
    this.logger.info({ user: user.name, project: project.name, audit_id: claims.auditId }, 'token issued');
    return { token: this.signer.issue(claims), body: this.tokenBody(claims, user, project, roles, true) };
  }

  /** The token's user, project and current roles; 404 (keystone's answer for a bad subject token) when it is forged, expired or revoked. */
  async validate(token: string, now = new Date()): Promise<Validated> {
    let claims: TokenClaims;
    try {
      claims = this.signer.read(token, now);
    } catch (error) {
      if (error instanceof InvalidToken) throw new NotFound(`Failed to validate token: ${error.message}`);
      throw error;
    }
    if (await this.repo.isRevoked(claims.auditId)) throw new NotFound('Failed to validate token: it was revoked');
    const [user, project] = await Promise.all([this.repo.userById(claims.userId), this.repo.projectById(claims.projectId)]);
    if (!user?.enabled || !project?.enabled) throw new NotFound('Failed to validate token: its user or project is gone or disabled');
    const roles = await this.effectiveRoles(user.id, project.id);
    if (roles.length === 0) throw new NotFound('Failed to validate token: its user has no role on its project any more');
    return { claims, user, project, roles };
  }

  validatedBody(validated: Validated, withCatalog: boolean): TokenBody {
    return this.tokenBody(validated.claims, validated.user, validated.project, validated.roles, withCatalog);
  }

  /** Who is asking (the X-Auth-Token of a request to identity); 401 when nobody valid. */
  async caller(token: string | undefined): Promise<Validated> {
    if (!token) throw new Unauthorized();
    try {
      return await this.validate(token);
    } catch (error) {
      if (error instanceof NotFound) throw new Unauthorized();
      throw error;
    }
  }

  /** Admin reads: the caller needs role admin. */
  requireAdmin(caller: Validated): void {
    if (!caller.roles.some((role) => role.name === 'admin')) throw new Forbidden('You are not authorized to perform the requested action: admin required.');
  }

  /** Validating or revoking someone else's token is for services and admins; anyone may handle their own. 401 without a valid caller token. */
  async requireSubjectAccess(callerToken: string | undefined, subjectToken: string): Promise<void> {
    const caller = await this.caller(callerToken);
    if (subjectToken === callerToken) return;
    if (!caller.roles.some((role) => role.name === 'admin' || role.name === 'service')) throw new Forbidden('You are not authorized to perform the requested action: identity:validate_token.');
  }

  async revoke(token: string): Promise<void> {
    const { claims } = await this.validate(token);
    await this.repo.revoke(claims.auditId, claims.expiresAt);
    this.logger.info({ audit_id: claims.auditId, user_id: claims.userId }, 'token revoked');
  }

  private async effectiveRoles(userId: string, projectId: string): Promise<RoleRecord[]> {
    const given = await this.repo.rolesOn(userId, projectId);
    const names = new Set(given.flatMap((role) => [role.name, ...(IMPLIES[role.name] ?? [])]));
    const all = await this.repo.roles();
    return all.filter((role) => names.has(role.name));
  }

  private tokenBody(claims: TokenClaims, user: UserRecord, project: ProjectRecord, roles: RoleRecord[], withCatalog: boolean): TokenBody {
    return {
      token: {
        methods: ['password'],
        expires_at: claims.expiresAt.toISOString().replace('Z', '000Z'),
        issued_at: claims.issuedAt.toISOString().replace('Z', '000Z'),
        audit_ids: [claims.auditId],
        is_domain: false,
        user: { id: user.id, name: user.name, domain: DEFAULT_DOMAIN, password_expires_at: null },
        project: { id: project.id, name: project.name, domain: DEFAULT_DOMAIN },
        roles,
        ...(withCatalog ? { catalog: catalogFor(this.settings, project.id) } : {}),
      },
    };
  }
}
