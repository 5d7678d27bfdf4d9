import { describe, expect, it } from 'vitest';
import { Config } from '@fjord/messaging';
import { registerComputeOptions } from '../options.js';
import { FakeDriver, HypervisorError, PowerState, SimulatedSpawnFailure, type FakeDriverOptions } from './fake.js';

const spec = (n: number) => ({ uuid: `uuid-${n}`, name: `instance-0000000${n}`, display_name: `vm${n}`, image_name: 'cirros' });

function driver(overrides: Partial<FakeDriverOptions> = {}): FakeDriver {
  return new FakeDriver({
    host: 'host1',
    spawnDelayMs: 0,
    powerActionDelayMs: 0,
    spawnFailureRate: 0,
    seed: null,
    capacity: { vcpus: 8, memory_mb: 16384, local_gb: 200 },
    ...overrides,
  });
}

describe('FakeDriver', () => {
  it('reads its options from [fake_driver]', () => {
    const conf = new Config({ env: {}, values: { fake_driver: { spawn_delay: 0.5, vcpus: 4, seed: 7 } } });
    registerComputeOptions(conf);
    const fake = FakeDriver.fromConfig(conf, 'h');
    expect(fake.options).toMatchObject({ spawnDelayMs: 500, seed: 7, spawnFailureRate: 0 });
    expect(fake.capacity()).toEqual({ vcpus: 4, memory_mb: 16384, local_gb: 200 });
  });

  it('spawns after the configured delay, running, with a boot log naming the instance', async () => {
    const fake = driver({ spawnDelayMs: 60 });
    const started = Date.now();
    await fake.spawn(spec(1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(fake.powerState('uuid-1')).toBe(PowerState.RUNNING);
    const log = fake.getConsoleOutput('uuid-1', null);
    expect(log).toContain('instance-00000001 (vm1) on host1 from cirros');
    expect(log.split('\n').at(-1)).toBe('vm1 login: ');
  });

  it('refuses a second spawn of the same instance', async () => {
    const fake = driver();
    await fake.spawn(spec(1));
    await expect(fake.spawn(spec(1))).rejects.toThrow(HypervisorError);
  });

  it('fails spawns at the configured rate, reproducibly with a seed', async () => {
    const outcomes = async (seed: number) => {
      const fake = driver({ spawnFailureRate: 0.5, seed });
      const results: boolean[] = [];
      for (let n = 0; n < 20; n++) results.push(await fake.spawn(spec(n)).then(() => true, (err: unknown) => (expect(err).toBeInstanceOf(SimulatedSpawnFailure), false)));
      return results;
    };
    const first = await outcomes(42);
    expect(await outcomes(42)).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
    const always = driver({ spawnFailureRate: 1 });
    await expect(always.spawn(spec(1))).rejects.toThrow(/spawn_failure_rate=1/);
    expect(always.has('uuid-1')).toBe(false);
  });

  it('rejects a failure rate outside 0..1', () => {
    expect(() => driver({ spawnFailureRate: 1.5 })).toThrow(/spawnFailureRate/);
  });

  it('reboots, powers off and on, appending to the console log', async () => {
    const fake = driver();
    await fake.spawn(spec(1));
    await fake.reboot('uuid-1', 'SOFT');
    expect(fake.getConsoleOutput('uuid-1', null)).toContain('reboot: Restarting system');
    await fake.powerOff('uuid-1');
    expect(fake.powerState('uuid-1')).toBe(PowerState.SHUTDOWN);
    expect(fake.getConsoleOutput('uuid-1', 1)).toContain('reboot: Power down');
    await fake.powerOn('uuid-1');
    expect(fake.powerState('uuid-1')).toBe(PowerState.RUNNING);
    const boots = fake.getConsoleOutput('uuid-1', null).split('\n').filter((line) => line.includes('fjord-fake: booting'));
    expect(boots).toHaveLength(3);
  });

  it('returns the tail of the console log', async () => {
    const fake = driver();
    await fake.spawn(spec(1));
    const all = fake.getConsoleOutput('uuid-1', null).split('\n');
    expect(fake.getConsoleOutput('uuid-1', 2).split('\n')).toEqual(all.slice(-2));
    expect(fake.getConsoleOutput('uuid-1', 0)).toBe('');
  });

  it('destroys idempotently and then knows nothing of the instance', async () => {
    const fake = driver();
    await fake.spawn(spec(1));
    await fake.destroy('uuid-1');
    await fake.destroy('uuid-1');
    expect(fake.powerState('uuid-1')).toBe(PowerState.NOSTATE);
    expect(() => fake.getConsoleOutput('uuid-1', null)).toThrow(/could not be found/);
    await expect(fake.reboot('uuid-1', 'HARD')).rejects.toThrow(HypervisorError);
  });

  it('adopts guests that survived a service restart', () => {
    const fake = driver();
    fake.adopt(spec(1), PowerState.RUNNING);
    fake.adopt(spec(2), PowerState.SHUTDOWN);
    expect(fake.listInstanceUuids()).toEqual(['uuid-1', 'uuid-2']);
    expect(fake.powerState('uuid-2')).toBe(PowerState.SHUTDOWN);
    expect(fake.getConsoleOutput('uuid-1', null)).toContain('vm1');
  });
});
