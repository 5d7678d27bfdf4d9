import { describe, expect, it } from 'vitest';
import {
  Config,
  DriverLoadFailure,
  InvalidArgument,
  InvalidTransportURL,
  getNotificationTransport,
  getRpcTransport,
  registerDriver,
  registeredSchemes,
  setTransportDefaults,
  type Driver,
  type DriverInit,
} from '../index.js';

/** A driver that records what it was built with: for registry and option tests only. */
function recordingDriver(capabilities: Partial<Driver['capabilities']> = {}) {
  const inits: DriverInit[] = [];
  const module = {
    optionGroup: 'recording_driver',
    registerOptions(conf: Config) {
      conf.registerOptions('recording_driver', [{ name: 'depth', type: 'integer', default: 1, help: 'test option' }]);
    },
    create(init: DriverInit): Driver {
      inits.push(init);
      return {
        capabilities: { rpc: true, notifications: true, requeue: false, pools: false, ...capabilities },
        send: async () => undefined,
        sendNotification: async () => undefined,
        listen: async () => ({ stop: async () => undefined }),
        listenForNotifications: async () => ({ stop: async () => undefined }),
        cleanup: async () => undefined,
      };
    },
  };
  return { module, inits };
}

describe('transports', () => {
  it('uses [DEFAULT] transport_url when no URL is given', async () => {
    const conf = Config.load({ env: {}, values: { DEFAULT: { transport_url: 'memory:///from-config' } } });
    const transport = await getRpcTransport(conf);
    expect(transport.url.virtualHost).toBe('from-config');
    expect(transport.kind).toBe('rpc');
    await transport.cleanup();
  });

  it('falls back from the notification URL to the RPC one, and prefers its own when set', async () => {
    const rpcOnly = Config.load({ env: {}, values: { DEFAULT: { transport_url: 'memory:///rpc-bus' } } });
    const fallback = await getNotificationTransport(rpcOnly);
    expect(fallback.url.virtualHost).toBe('rpc-bus');
    expect(fallback.kind).toBe('notification');
    const hybrid = Config.load({
      env: {},
      values: { DEFAULT: { transport_url: 'memory:///rpc-bus' }, oslo_messaging_notifications: { transport_url: 'memory:///notify-bus' } },
    });
    const own = await getNotificationTransport(hybrid);
    expect(own.url.virtualHost).toBe('notify-bus');
    await Promise.all([fallback.cleanup(), own.cleanup()]);
  });

  it('reads the URL from the environment (OS_<GROUP>__<OPTION>)', async () => {
    const conf = Config.load({ env: { OS_DEFAULT__TRANSPORT_URL: 'fake:///from-env' } });
    const transport = await getRpcTransport(conf);
    expect(transport.url.transport).toBe('fake');
    expect(transport.url.virtualHost).toBe('from-env');
    await transport.cleanup();
  });

  it('sets the control exchange default like oslo set_transport_defaults', async () => {
    const conf = Config.load({ env: {} });
    setTransportDefaults(conf, 'nova');
    expect(conf.get('DEFAULT', 'control_exchange')).toBe('nova');
    const explicit = Config.load({ env: {}, values: { DEFAULT: { control_exchange: 'cinder' } } });
    setTransportDefaults(explicit, 'nova');
    expect(explicit.get('DEFAULT', 'control_exchange')).toBe('cinder');
    expect(() => setTransportDefaults(conf, '')).toThrow(InvalidArgument);
  });

  it('loads registered drivers by scheme and passes them config, URL and control exchange', async () => {
    const { module, inits } = recordingDriver();
    registerDriver('recording', module);
    expect(registeredSchemes()).toContain('recording');
    const conf = Config.load({ env: {}, values: { DEFAULT: { control_exchange: 'nova' } } });
    const transport = await getRpcTransport(conf, 'recording://h1:1,h2:2/vh?depth=7');
    expect(inits[0]?.defaultExchange).toBe('nova');
    expect(inits[0]?.url.hosts.map((h) => h.hostname)).toEqual(['h1', 'h2']);
    // URL query options override the driver's config group.
    expect(inits[0]?.conf.get('recording_driver', 'depth')).toBe(7);
    expect(conf.get('recording_driver', 'depth')).toBe(1);
    await transport.cleanup();
  });

  it('refuses an unknown URL query option, naming it', async () => {
    registerDriver('recording', recordingDriver().module);
    const err = await getRpcTransport(Config.load({ env: {} }), 'recording://h/?detph=3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTransportURL);
    expect((err as Error).message).toMatch(/unknown option "detph"/);
    await expect(getRpcTransport(Config.load({ env: {} }), 'recording://h/?depth=deep')).rejects.toThrow(/depth/);
    await expect(getRpcTransport(Config.load({ env: {} }), 'memory:///?x=1')).rejects.toThrow(/takes no query options/);
  });

  it('refuses RPC on a notifications-only driver', async () => {
    registerDriver('notifyonly', recordingDriver({ rpc: false }).module);
    await expect(getRpcTransport(Config.load({ env: {} }), 'notifyonly://h:1/')).rejects.toThrow(/notifications only, not RPC/);
    const notifications = await getNotificationTransport(Config.load({ env: {} }), 'notifyonly://h:1/');
    await notifications.cleanup();
  });

  it('names the scheme when no driver is registered, and hides passwords in URL errors', async () => {
    const err = await getRpcTransport(Config.load({ env: {} }), 'carrier-pigeon://u:secret@h/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect((err as Error).message).toMatch(/carrier-pigeon/);
    const bad = await getRpcTransport(Config.load({ env: {} }), 'rabbit://u:secret@h:notaport/').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidTransportURL);
    expect((bad as Error).message).not.toContain('secret');
  });

  it('rejects a conf that is not a Config and a URL that is not a string', async () => {
    await expect(getRpcTransport({} as Config)).rejects.toThrow(/conf must be a Config/);
    await expect(getRpcTransport(Config.load({ env: {} }), 42 as unknown as string)).rejects.toThrow(/must be a string/);
  });

  it('cleans up once', async () => {
    const transport = await getRpcTransport(Config.load({ env: {} }), 'memory:///cleanup-once');
    await transport.cleanup();
    await transport.cleanup();
    expect(transport.isCleanedUp).toBe(true);
  });
});
