/**
 * `npm start`: the embedded default until the apps land — a compute-like RPC server, a client,
 * fanout and notifications with a metering-like listener, all over memory:// in one process.
 * Pass --serve to keep it running (Ctrl-C stops it gracefully).
 */
import {
  Config,
  NotificationResult,
  Notifier,
  RemoteError,
  Target,
  expectedExceptions,
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
} from '@fjord/messaging';

const conf = Config.load({ values: { DEFAULT: { transport_url: 'memory://', control_exchange: 'nova' } } });
const rpc = await getRpcTransport(conf);
const notifications = await getNotificationTransport(conf);
const say = (line: string) => console.log(`[demo] ${line}`);

const notifier = new Notifier(notifications, { publisherId: 'compute.host1', driver: 'messagingv2' });

class InstanceNotFound extends Error {
  override name = 'InstanceNotFound';
}

class ComputeManager {
  readonly target = new Target({ version: '6.2' });
  private readonly instances = new Map<string, string>();

  async build_and_run_instance(ctxt: Record<string, unknown>, args: { instance: string; flavor: string }) {
    this.instances.set(args.instance, 'ACTIVE');
    await notifier.info(ctxt, 'compute.instance.create.end', { instance_id: args.instance, flavor: args.flavor, state: 'active' });
  }
  // Not finding an instance is part of the contract: logged at debug level only.
  get_instance_state = expectedExceptions(InstanceNotFound)((_ctxt: unknown, args: { instance: string }) => {
    const state = this.instances.get(args.instance);
    if (!state) throw new InstanceNotFound(`Instance ${args.instance} could not be found.`);
    return state;
  });
  refresh_capacity(_ctxt: unknown, args: { reason: string }) {
    say(`host1 got fanout refresh_capacity (${args.reason})`);
  }
}

const server = getRpcServer(rpc, new Target({ topic: 'compute', server: 'host1' }), [new ComputeManager()]);
await server.start();

const received: string[] = [];
const metering = getNotificationListener(notifications, [new Target({ topic: 'notifications' })], [
  {
    info(_ctxt: unknown, publisherId: string, eventType: string, payload: unknown) {
      received.push(eventType);
      say(`metering got ${eventType} from ${publisherId}: ${JSON.stringify(payload)}`);
      return NotificationResult.HANDLED;
    },
  },
], { pool: 'metering' });
await metering.start();

const ctxt = { user_id: 'demo', project_id: 'demo-project', request_id: 'req-demo-1' };
const compute = getRpcClient(rpc, new Target({ topic: 'compute', version: '6.0' }), { timeout: 10, versionCap: '6.2' });

await compute.prepare({ server: 'host1', version: '6.2' }).cast(ctxt, 'build_and_run_instance', { instance: 'vm-1', flavor: 'm1.small' });
say('cast build_and_run_instance(vm-1) to compute.host1');
await new Promise((r) => setTimeout(r, 50));
say(`call get_instance_state(vm-1) -> ${String(await compute.call(ctxt, 'get_instance_state', { instance: 'vm-1' }))}`);
try {
  await compute.call(ctxt, 'get_instance_state', { instance: 'vm-404' });
} catch (err) {
  say(`call get_instance_state(vm-404) -> ${err instanceof RemoteError ? `RemoteError ${err.excType}: ${err.value}` : String(err)}`);
}
await compute.prepare({ fanout: true }).cast(ctxt, 'refresh_capacity', { reason: 'demo' });
await new Promise((r) => setTimeout(r, 50));
say(`notifications seen by metering: ${received.join(', ') || 'none'}`);

async function shutdown() {
  await server.stop();
  await metering.stop();
  await Promise.all([server.wait(), metering.wait()]);
  await rpc.cleanup();
  await notifications.cleanup();
  say('stopped');
}

if (process.argv.includes('--serve')) {
  say('serving on memory:// — Ctrl-C to stop');
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
} else {
  await shutdown();
}
