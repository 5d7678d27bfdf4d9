/** Admin reads and writes of projects, users, roles and role assignments (keystone's `/v3/…`): role admin required. */
import { Type } from 'typebox';
import { Conflict, NotFound, type HttpApp } from '@fjord/service-kit';
import { hashPassword } from '../passwords.js';
import type { IdentityManager } from '../identity.js';
import type { IdentityRepository } from '../db/repository.js';

/** The caller of an admin request, who must have role admin: 401 without a valid token, 403 without the role. */
async function requireAdmin(identity: IdentityManager, token: string | string[] | undefined): Promise<void> {
  identity.requireAdmin(await identity.caller(typeof token === 'string' ? token : undefined));
}

export function registerAdminRoutes(app: HttpApp, identity: IdentityManager, repo: IdentityRepository): void {
  app.get('/v3/projects', { schema: { tags: ['admin'], summary: 'Projects (admin)' } }, async (request) => {
    await requireAdmin(identity, request.headers['x-auth-token']);
    const projects = await repo.projects();
    return { projects: projects.map((p) => ({ id: p.id, name: p.name, domain_id: p.domainId, description: p.description, enabled: p.enabled, is_domain: false, parent_id: p.domainId })) };
  });

  app.get('/v3/users', { schema: { tags: ['admin'], summary: 'Users (admin)' } }, async (request) => {
    await requireAdmin(identity, request.headers['x-auth-token']);
    const users = await repo.users();
    // Never the password hash.
    return { users: users.map((u) => ({ id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled, default_project_id: u.defaultProjectId, password_expires_at: null })) };
  });

  app.get('/v3/roles', { schema: { tags: ['admin'], summary: 'Roles (admin)' } }, async (request) => {
    await requireAdmin(identity, request.headers['x-auth-token']);
    return { roles: await repo.roles() };
  });
}

const ProjectCreate = Type.Object({ project: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), description: Type.Optional(Type.String({ maxLength: 255 })) }) });
const UserCreate = Type.Object({
  user: Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), password: Type.String({ minLength: 1, maxLength: 4096 }), default_project_id: Type.Optional(Type.String({ maxLength: 64 })) }),
});
const Grant = Type.Object({ project_id: Type.String({ maxLength: 64 }), user_id: Type.String({ maxLength: 64 }), role_id: Type.String({ maxLength: 64 }) });

/** Admin writes (`openstack project create`, `user create`, `role add`): role admin required. */
export function registerAdminWriteRoutes(app: HttpApp, identity: IdentityManager, repo: IdentityRepository): void {
  app.post('/v3/projects', { schema: { tags: ['admin'], summary: 'Create a project (admin)', body: ProjectCreate } }, async (request, reply) => {
    await requireAdmin(identity, request.headers['x-auth-token']);
    if (await repo.projectByName(request.body.project.name)) throw new Conflict(`Conflict occurred attempting to store project - Duplicate entry found with name ${request.body.project.name}.`);
    const project = await repo.ensureProject(request.body.project.name);
    return reply.status(201).send({ project: { id: project.id, name: project.name, domain_id: project.domainId, enabled: project.enabled, description: project.description } });
  });

  app.post('/v3/users', { schema: { tags: ['admin'], summary: 'Create a user (admin)', body: UserCreate } }, async (request, reply) => {
    await requireAdmin(identity, request.headers['x-auth-token']);
    const { name, password, default_project_id } = request.body.user;
    if (await repo.userByName(name)) throw new Conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${name}.`);
    if (default_project_id && !(await repo.projectById(default_project_id))) throw new NotFound(`Could not find project: ${default_project_id}.`);
    const user = await repo.createUser({ name, passwordHash: await hashPassword(password), defaultProjectId: default_project_id ?? null });
    return reply.status(201).send({ user: { id: user.id, name: user.name, domain_id: user.domainId, enabled: user.enabled, default_project_id: user.defaultProjectId } });
  });

  app.put('/v3/projects/:project_id/users/:user_id/roles/:role_id', { schema: { tags: ['admin'], summary: 'Give a user a role on a project (admin)', params: Grant } }, async (request, reply) => {
    await requireAdmin(identity, request.headers['x-auth-token']);
    const { project_id, user_id, role_id } = request.params;
    const [project, user, role] = await Promise.all([repo.projectById(project_id), repo.userById(user_id), repo.roleById(role_id)]);
    if (!project) throw new NotFound(`Could not find project: ${project_id}.`);
    if (!user) throw new NotFound(`Could not find user: ${user_id}.`);
    if (!role) throw new NotFound(`Could not find role: ${role_id}.`);
    await repo.assign(user.id, project.id, role.id);
    return reply.status(204).send();
  });
}
