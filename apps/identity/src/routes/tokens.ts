/**
 * `/v3/auth/tokens`: a password login issues a token (201, the token in X-Subject-Token, the body
 * with roles and catalog); services validate one (GET, HEAD) with their own token in
 * X-Auth-Token and the one to check in X-Subject-Token (HEAD too: fastify answers it from GET);
 * DELETE revokes it.
 */
import { Type } from 'typebox';
import { BadRequest, type HttpApp } from '@fjord/service-kit';
import type { IdentityManager } from '../identity.js';

const Named = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) });

const AuthRequest = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String(), { minItems: 1 }),
      password: Type.Optional(
        Type.Object({
          user: Type.Object({
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            id: Type.Optional(Type.String({ maxLength: 64 })),
            password: Type.String({ maxLength: 4096 }),
            domain: Type.Optional(Named),
          }),
        }),
      ),
    }),
    scope: Type.Optional(Type.Object({ project: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ maxLength: 64 })), id: Type.Optional(Type.String({ maxLength: 64 })), domain: Type.Optional(Named) })) })),
  }),
});

const SubjectHeaders = Type.Object({ 'x-auth-token': Type.Optional(Type.String({ maxLength: 2048 })), 'x-subject-token': Type.String({ minLength: 1, maxLength: 2048 }) });
const NoCatalog = Type.Object({ nocatalog: Type.Optional(Type.String()) });

export function registerTokenRoutes(app: HttpApp, identity: IdentityManager): void {
  app.post('/v3/auth/tokens', { schema: { tags: ['tokens'], summary: 'Log in with a password: a project-scoped token', body: AuthRequest } }, async (request, reply) => {
    const { identity: method, scope } = request.body.auth;
    if (!method.methods.includes('password') || !method.password) throw new BadRequest('Only the password method is supported: auth.identity.methods must list "password" and auth.identity.password must be given.');
    const user = method.password.user;
    if (!user.name) throw new BadRequest('auth.identity.password.user.name is required (log in by user name).');
    const project = scope?.project ? { ...(scope.project.name ? { name: scope.project.name } : {}), ...(scope.project.id ? { id: scope.project.id } : {}) } : undefined;
    const { token, body } = await identity.authenticate({ userName: user.name, password: user.password, ...(project ? { project } : {}) });
    return reply.status(201).header('x-subject-token', token).send(body);
  });

  app.get('/v3/auth/tokens', { schema: { tags: ['tokens'], summary: 'Validate a token (for services)', headers: SubjectHeaders, querystring: NoCatalog } }, async (request, reply) => {
    const subject = request.headers['x-subject-token'];
    await identity.requireSubjectAccess(request.headers['x-auth-token'], subject);
    const validated = await identity.validate(subject);
    return reply.header('x-subject-token', subject).send(identity.validatedBody(validated, request.query.nocatalog === undefined));
  });

  app.delete('/v3/auth/tokens', { schema: { tags: ['tokens'], summary: 'Revoke a token', headers: SubjectHeaders } }, async (request, reply) => {
    await identity.requireSubjectAccess(request.headers['x-auth-token'], request.headers['x-subject-token']);
    await identity.revoke(request.headers['x-subject-token']);
    return reply.status(204).send();
  });
}
