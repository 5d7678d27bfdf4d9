/** Placement and capacity: concurrent creates never overcommit a backend; failed or deleted volumes give their room back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, startVolumeService, type Harness } from './service.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startVolumeService({ lvm: { total_capacity_gb: 10 } });
}, 30_000);
afterAll(async () => h?.stop());

const volumes = `/v3/${PROJECT}/volumes`;

describe('capacity', () => {
  it('lets concurrent creates exactly fill the backend, refusing the rest with 413', async () => {
    const answers = await Promise.all(Array.from({ length: 14 }, (_, i) => h.request('POST', volumes, { volume: { size: 1, name: `fill-${i}` } })));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);
    expect(statuses.filter((status) => status === 413)).toHaveLength(4);
    const ids = answers.filter((answer) => answer.status === 202).map((answer) => (answer.body['volume'] as { id: string }).id);
    for (const id of ids) await h.waitFor(id, 'available');

    // Deleting one gives its room back.
    expect((await h.request('DELETE', `${volumes}/${ids[0]}`)).status).toBe(202);
    await h.waitFor(ids[0]!, 404);
    const again = await h.request('POST', volumes, { volume: { size: 1, name: 'after-delete' } });
    expect(again.status).toBe(202);
    expect((await h.request('POST', volumes, { volume: { size: 1 } })).status).toBe(413);
  });
});
