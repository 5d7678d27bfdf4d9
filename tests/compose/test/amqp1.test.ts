/**
 * The compose profile of the seeds' other hybrid deployment, as the README runs it:
 * `docker compose --env-file etc/compose/amqp1.env up` puts RPC on AMQP 1.0 (Artemis, profile
 * amqp1) and notifications on RabbitMQ. A server boots through the scheduler and a compute host,
 * and metering sees it. The passwords come from the shell here, and win over made-up ones.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cloud, waitFor } from '@fjord/e2e-tests';
import { requireComposeStack, upStack, type Stack } from '../src/stack.js';

const ready = await requireComposeStack();
const passwords = { FJORD_ADMIN_PASSWORD: `adm-${randomUUID()}`, FJORD_DEMO_PASSWORD: `demo-${randomUUID()}`, FJORD_SERVICE_PASSWORD: `svc-${randomUUID()}` };

describe.runIf(ready)('docker compose --env-file etc/compose/amqp1.env up: RPC on Artemis, notifications on RabbitMQ', () => {
  let stack: Stack;
  let cloud: Cloud;

  beforeAll(async () => {
    stack = await upStack([], { FJORD_COMPOSE_ENV_FILE: 'etc/compose/amqp1.env', ...passwords });
    expect(await stack.credentials()).toEqual({ admin: passwords.FJORD_ADMIN_PASSWORD, demo: passwords.FJORD_DEMO_PASSWORD, service: passwords.FJORD_SERVICE_PASSWORD });
    cloud = await stack.login('demo');
    console.log(`\n[compose figures] amqp1 profile: up to healthy in ${stack.upToHealthyMs / 1000} s\n`);
  });

  afterAll(async () => {
    await stack?.down();
  }, 120_000);

  it('runs Artemis and the apps on it', async () => {
    const ps = await stack.compose('ps');
    expect(ps).toMatch(/fjord_artemis_1 .*\(healthy\)/);
    expect(ps).toMatch(/fjord_api_1 .*\(healthy\)/);
    // The apps' RPC really is on Artemis: the scheduler's environment says so.
    expect(await stack.compose('exec', '-T', 'scheduler', 'printenv', 'OS_DEFAULT__TRANSPORT_URL')).toMatch(/^amqp:\/\/artemis:5672\//);
  });

  it('boots a server to ACTIVE, and metering gets its events over RabbitMQ with the request id', async () => {
    const requestId = `req-${randomUUID()}`;
    const created = await cloud.boot({ name: 'amqp1-vm' }, requestId);
    expect(created.status).toBe(202);
    expect((await cloud.waitForStatus(created.body.server.id, ['ACTIVE', 'ERROR'], 60_000)).status).toBe('ACTIVE');
    const events = await waitFor(
      'metering to see the boot',
      () => cloud.events({ request_id: requestId, limit: '100' }),
      (found) => found.some((e) => e['event_type'] === 'compute.instance.create.end'),
      30_000,
      500,
    );
    expect(new Set(events.map((e) => e['request_id']))).toEqual(new Set([requestId]));
  });
});
