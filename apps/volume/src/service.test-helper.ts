/** A whole volume service (api + one lvm manager) on memory:// and an in-memory PGlite, for the tests. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadServiceConfig, type Service } from '@fjord/service-kit';
import { createVolumeService } from './index.js';

export const PROJECT = 'f1d2c3b4a5968778695a4b3c2d1e0f00';

export interface Harness {
  svc: Service;
  base: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** GET the volume until it has `status` (or is gone, for 404). */
  waitFor(id: string, status: string | 404): Promise<Answer>;
  stop(): Promise<void>;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function startVolumeService(values: Record<string, Record<string, unknown>> = {}): Promise<Harness> {
  const conf = loadServiceConfig({
    env: {},
    values: {
      ...values,
      DEFAULT: {
        transport_url: `memory:///t-${randomUUID()}`,
        host: 'cinder1',
        osapi_volume_listen: '127.0.0.1',
        osapi_volume_listen_port: 0,
        ...values['DEFAULT'],
      },
      database: { connection: 'pglite://memory', ...values['database'] },
      oslo_messaging_notifications: { driver: ['test'], ...values['oslo_messaging_notifications'] },
      lvm: { total_capacity_gb: 20, create_delay_ms: 5, delete_delay_ms: 5, attach_delay_ms: 1, ...values['lvm'] },
    },
  });
  const svc = await createVolumeService(conf);
  await svc.start();
  const base = svc.urls.http!;

  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
  };

  const waitFor = async (id: string, status: string | 404): Promise<Answer> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const answer = await request('GET', `/v3/${PROJECT}/volumes/${id}`);
      const current = answer.status === 404 ? 404 : (answer.body['volume'] as { status: string } | undefined)?.status;
      if (current === status) return answer;
      if (Date.now() > deadline) throw new Error(`volume ${id} is ${String(current)}, not ${status}`);
      await sleep(10);
    }
  };

  return { svc, base, request, waitFor, stop: () => svc.stop() };
}
