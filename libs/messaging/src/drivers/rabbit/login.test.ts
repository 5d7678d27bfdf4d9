/**
 * rabbit:// logging in to the real broker: rabbit_login_method PLAIN and AMQPLAIN (as the broker
 * reports them), a wrong password refused at once without the password in any message, and a
 * percent-encoded password in the URL decoded before it is sent.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MessageDeliveryFailure } from '../../errors.js';
import { getRpcClient } from '../../rpc/client.js';
import {
  busOf,
  deleteEntities,
  expectRoundTrip,
  failedCast,
  management,
  RABBIT_HOST,
  RABBIT_PORT,
  rabbitTransports,
  recordingLogger,
  requireRabbit,
  uniqueName,
  type RabbitTransports,
} from './test-support.test-helper.js';

const available = await requireRabbit();
const PREFIX = uniqueName('login');
const USER = `${PREFIX}-user`;
/** Every character that must be percent-encoded in a URL's password, and '%' itself. */
const PASSWORD = `p@ss:w/rd%${randomUUID().slice(0, 8)}`;

interface ConnectionInfo {
  user: string;
  auth_mechanism: string;
  client_properties?: { connection_name?: string };
}

/** The broker's view of these connections (by connection_name); the management API lags a little. */
async function brokerConnections(names: readonly string[]): Promise<ConnectionInfo[]> {
  const { body } = await management<ConnectionInfo[]>('/connections?columns=user,auth_mechanism,client_properties');
  return (body ?? []).filter((c) => names.includes(c.client_properties?.connection_name ?? ''));
}

// The management API lists a new connection only after its next stats round (up to ~5 s).
describe.skipIf(!available)('rabbit:// login', { timeout: 30_000 }, () => {
  const transports: RabbitTransports[] = [];
  let userCreated = false;

  afterEach(async () => {
    for (const bus of transports.splice(0)) await bus.cleanup();
  });

  afterAll(async () => {
    if (userCreated) expect((await management(`/users/${encodeURIComponent(USER)}`, 'DELETE')).status).toBe(204);
    await deleteEntities(PREFIX);
  });

  async function transportsFor(rabbit: Record<string, unknown>, url?: string, logger = recordingLogger()): Promise<RabbitTransports> {
    const exchange = `${PREFIX}-${Math.random().toString(16).slice(2, 8)}`;
    const bus = await rabbitTransports(exchange, { values: { oslo_messaging_rabbit: rabbit } }, url, logger);
    transports.push(bus);
    return bus;
  }

  /** A round trip; returns what the broker says about the transport's connections (sender, reply consumer, server) meanwhile. */
  async function roundTrip(bus: RabbitTransports): Promise<ConnectionInfo[]> {
    const topic = `${PREFIX}-${Math.random().toString(16).slice(2, 8)}`;
    const seen = await expectRoundTrip(bus.rpc, topic, 'hello', async () => {
      const names = busOf(bus.rpc).connectionNames;
      expect(names).toHaveLength(3);
      let connections: ConnectionInfo[] = [];
      await expect.poll(async () => (connections = await brokerConnections(names)).length, { timeout: 15_000, interval: 200 }).toBe(names.length);
      return connections;
    });
    return seen ?? [];
  }

  it.each(['PLAIN', 'AMQPLAIN'])('logs in with rabbit_login_method %s', async (method) => {
    const connections = await roundTrip(await transportsFor({ rabbit_login_method: method }));
    expect(connections.map((c) => [c.user, c.auth_mechanism])).toEqual(Array(3).fill(['guest', method]));
  });

  it.each(['PLAIN', 'AMQPLAIN'])('fails at once on a wrong password (%s), without showing it', async (method) => {
    const wrong = `wrong-${randomUUID()}`;
    const logger = recordingLogger();
    const bus = await transportsFor({ rabbit_login_method: method }, `rabbit://guest:${wrong}@${RABBIT_HOST}:${RABBIT_PORT}/`, logger);
    const { error: outcome, elapsedMs } = await failedCast(bus.rpc, `${PREFIX}-nobody`);
    expect(elapsedMs).toBeLessThan(3000);
    expect(outcome).toBeInstanceOf(MessageDeliveryFailure);
    const message = (outcome as Error).message;
    expect(message).toMatch(/after 0 tries: .*403 \(ACCESS-REFUSED\).*ACCESS_REFUSED - Login was refused/);
    expect(message).toContain(`mechanism ${method}`);
    expect(message).not.toContain(wrong);
    expect(JSON.stringify(logger.lines)).not.toContain(wrong);
    expect(logger.lines.some((l) => l.level === 'error' && /ACCESS/.test(l.msg))).toBe(true);
  });

  it('decodes a percent-encoded password from the URL', async () => {
    const created = await management(`/users/${encodeURIComponent(USER)}`, 'PUT', { password: PASSWORD, tags: '' });
    expect(created.status).toBe(201);
    userCreated = true;
    const granted = await management(`/permissions/%2F/${encodeURIComponent(USER)}`, 'PUT', { configure: '.*', write: '.*', read: '.*' });
    expect(granted.status).toBe(201);

    const encoded = encodeURIComponent(PASSWORD);
    expect(encoded).not.toMatch(/[@:/]/);
    const url = `rabbit://${encodeURIComponent(USER)}:${encoded}@${RABBIT_HOST}:${RABBIT_PORT}/`;
    const connections = await roundTrip(await transportsFor({}, url));
    expect(connections.map((c) => c.user)).toEqual([USER, USER, USER]);

    // The same password left encoded is another password: refused.
    const literal = await transportsFor({}, `rabbit://${encodeURIComponent(USER)}:${encodeURIComponent(encoded)}@${RABBIT_HOST}:${RABBIT_PORT}/`);
    await expect(getRpcClient(literal.rpc, { topic: `${PREFIX}-nobody` }, { retry: 0 }).cast({}, 'x')).rejects.toThrow(/ACCESS_REFUSED/);
  });
});
