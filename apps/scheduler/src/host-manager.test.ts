import { ValueError } from '@fjord/messaging';
import { describe, expect, it } from 'vitest';
import { checkHostReport, resourcesOf } from './host-manager.js';
import { TINY, hostManager, manualClock, report } from './testing.test-helper.js';

const tiny = resourcesOf(TINY);

describe('HostManager', () => {
  it('claims count on top of the reported usage', () => {
    const hosts = hostManager();
    hosts.updateFromReport(report('h1', { memory_mb_used: 1024, vcpus_used: 1, local_gb_used: 2 }));
    hosts.claim('h1', 'u1', tiny);
    const state = hosts.get('h1')!;
    expect([state.memoryMbUsed, state.vcpusUsed, state.diskMbUsed, state.runningVms]).toEqual([1536, 2, 3 * 1024, 1]);
    expect(state.freeRamMb).toBe(8192 - 1536);
  });

  it('a report that lists the instance settles its claim (the reported usage now includes it)', () => {
    const hosts = hostManager();
    hosts.updateFromReport(report('h1'));
    hosts.claim('h1', 'u1', tiny);
    hosts.claim('h1', 'u2', tiny);
    expect(hosts.updateFromReport(report('h1', { memory_mb_used: 512, instance_uuids: ['u1'], updated_at: new Date(2_000).toISOString() }))).toEqual(['u1']);
    expect(hosts.get('h1')!.memoryMbUsed).toBe(1024);
    expect([...hosts.get('h1')!.claims.keys()]).toEqual(['u2']);
  });

  it('a report older than the current one is ignored', () => {
    const hosts = hostManager();
    hosts.updateFromReport(report('h1', { memory_mb_used: 512, updated_at: new Date(5_000).toISOString() }));
    expect(hosts.updateFromReport(report('h1', { memory_mb_used: 0, updated_at: new Date(4_000).toISOString() }))).toBeNull();
    expect(hosts.get('h1')!.memoryMbUsed).toBe(512);
  });

  it('release_claim gives the resources back', () => {
    const hosts = hostManager();
    hosts.updateFromReport(report('h1'));
    hosts.claim('h1', 'u1', tiny);
    expect(hosts.releaseClaim('h1', 'u1')).toBe(true);
    expect(hosts.releaseClaim('h1', 'u1')).toBe(false);
    expect(hosts.releaseClaim('nowhere', 'u1')).toBe(false);
    expect(hosts.get('h1')!.memoryMbUsed).toBe(0);
  });

  it('claims expire after claim_timeout', () => {
    const clock = manualClock();
    const hosts = hostManager(clock, 60, 120);
    hosts.updateFromReport(report('h1'));
    hosts.claim('h1', 'u1', tiny);
    clock.advance(120_000);
    expect(hosts.expireClaims()).toEqual([]);
    clock.advance(1);
    expect(hosts.expireClaims()).toEqual(['h1/u1']);
    expect(hosts.get('h1')!.claims.size).toBe(0);
  });

  it('a host is down once service_down_time passes without a report', () => {
    const clock = manualClock();
    const hosts = hostManager(clock, 60);
    hosts.updateFromReport(report('h1'));
    clock.advance(60_000);
    expect(hosts.isUp(hosts.get('h1')!)).toBe(true);
    clock.advance(1);
    expect(hosts.isUp(hosts.get('h1')!)).toBe(false);
    hosts.updateFromReport(report('h1', { updated_at: new Date(9_000).toISOString() }));
    expect(hosts.isUp(hosts.get('h1')!)).toBe(true);
  });

  it('lists hosts in name order', () => {
    const hosts = hostManager();
    for (const name of ['c', 'a', 'b']) hosts.updateFromReport(report(name));
    expect(hosts.hostStates().map((h) => h.host)).toEqual(['a', 'b', 'c']);
  });
});

describe('checkHostReport', () => {
  it.each([
    ['memory_mb', -1, /capabilities\.memory_mb must be a number >= 0/],
    ['vcpus', '4', /capabilities\.vcpus/],
    ['host', '', /capabilities\.host must be a non-empty string/],
    ['instance_uuids', 'u1', /capabilities\.instance_uuids/],
    ['disabled', 'no', /capabilities\.disabled/],
    ['updated_at', 'yesterday', /capabilities\.updated_at/],
  ])('rejects a bad %s', (field, value, message) => {
    const bad = { ...report('h1'), [field]: value };
    expect(() => checkHostReport(bad)).toThrow(ValueError);
    expect(() => checkHostReport(bad)).toThrow(message);
  });

  it('accepts a good report', () => {
    expect(checkHostReport(report('h1'))).toEqual(report('h1'));
  });
});
