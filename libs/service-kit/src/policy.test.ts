import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { makeContext } from './context.js';
import { Policy, installPolicy } from './policy.js';

const policy = new Policy({ 'x:look': 'reader', 'x:change': 'member', 'x:everything': 'admin', 'x:open': 'any' });
const as = (...roles: string[]) => makeContext({ roles });

describe('Policy', () => {
  it('lets the higher roles pass the lower rules, and nobody else', () => {
    const table = (['x:look', 'x:change', 'x:everything', 'x:open'] as const).map((action) =>
      [[], ['reader'], ['member'], ['admin']].map((roles) => (policy.allows(as(...roles), action) ? 'y' : '-')).join(''),
    );
    expect(table).toEqual(['-yyy', '--yy', '---y', 'yyyy']);
    expect(() => policy.authorize(as('reader'), 'x:change')).toThrow("Policy doesn't allow x:change to be performed.");
  });

  it('checks the action a route names, and refuses a route whose action the table lacks', async () => {
    const app = fastify();
    app.decorateRequest('openstack', null as never);
    app.addHook('onRequest', async (request) => {
      request.openstack = as(String(request.headers['x-roles'] ?? ''));
    });
    installPolicy(app, policy);
    app.get('/thing', { config: { policy: 'x:change' } }, async () => ({ ok: true }));
    expect(() => app.get('/typo', { config: { policy: 'x:chnage' } }, async () => ({}))).toThrow(/names policy x:chnage, which the policy table lacks/);
    expect((await app.inject({ url: '/thing', headers: { 'x-roles': 'reader' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/thing', headers: { 'x-roles': 'member' } })).statusCode).toBe(200);
  });
});
