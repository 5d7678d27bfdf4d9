import { describe, expect, it } from 'vitest';
import { BackendCapacityError, BackendFailure, SimulatedBackend } from './backend.js';
import type { BackendSettings } from './options.js';

const settings: BackendSettings = {
  section: 'lvm',
  backendName: 'lvm',
  totalCapacityGb: 10,
  createDelayMs: 0,
  deleteDelayMs: 0,
  attachDelayMs: 0,
  createFailureRate: 0,
};

describe('SimulatedBackend', () => {
  it('accounts capacity across creates and deletes', async () => {
    const backend = new SimulatedBackend(settings);
    await backend.createVolume('a', 4);
    await backend.createVolume('a', 4); // redelivered: counted once
    await backend.createVolume('b', 6);
    expect(backend.stats()).toMatchObject({ total_capacity_gb: 10, allocated_capacity_gb: 10, free_capacity_gb: 0 });
    await expect(backend.createVolume('c', 1)).rejects.toThrow(BackendCapacityError);
    await backend.deleteVolume('a');
    await backend.deleteVolume('missing');
    expect(backend.freeGb).toBe(4);
  });

  it('restores what the database places on it and injects failures', async () => {
    const backend = new SimulatedBackend({ ...settings, createFailureRate: 0.5 }, () => 0.4);
    backend.restore([{ id: 'x', size: 3 }]);
    expect(backend.allocatedGb).toBe(3);
    await expect(backend.createVolume('y', 1)).rejects.toThrow(BackendFailure);
  });
});
