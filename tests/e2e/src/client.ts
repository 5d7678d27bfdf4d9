/** A small HTTP client for the e2e suites: JSON in and out, the status kept, polling helpers. */
import { randomUUID } from 'node:crypto';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function http<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  const response = await fetch(url, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Polls `probe` until `done` holds, or fails after `timeoutMs` with the last value seen. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

export const CIRROS = '70a599e0-31e7-49b7-b260-868f441e862b';
export const PROJECT = 'f1d2c3b4a5968778695a4b3c2d1e0f00';

/** Who a Cloud acts as: a token and its project (keystone), or nobody (noauth2: the noauth project). */
export interface CloudSession {
  token: string;
  projectId: string;
}

/** The compute and volume REST APIs of one running system, with the calls the suites repeat. */
export class Cloud {
  readonly projectId: string;

  constructor(
    readonly urls: { compute: string; volume: string; metering: string; image: string },
    private readonly session?: CloudSession,
  ) {
    this.projectId = session?.projectId ?? PROJECT;
  }

  /** The X-Auth-Token this cloud sends, if any. */
  get token(): string | undefined {
    return this.session?.token;
  }

  /** Any REST call, with this cloud's token when it has one. */
  request<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
    return http<T>(method, url, body, this.session ? { 'x-auth-token': this.session.token, ...headers } : headers);
  }

  server(id: string) {
    return this.request('GET', `${this.urls.compute}/servers/${id}`);
  }

  async boot(server: Record<string, unknown>, requestId?: string) {
    const headers: Record<string, string> = requestId ? { 'x-openstack-request-id': requestId } : {};
    return this.request('POST', `${this.urls.compute}/servers`, { server: { imageRef: CIRROS, flavorRef: '1', ...server } }, headers);
  }

  /** Waits until the server's status is one of `statuses` and returns it. */
  async waitForStatus(id: string, statuses: string[], timeoutMs = 20_000) {
    const result = await waitFor(`server ${id} to reach ${statuses.join('/')}`, () => this.server(id), (r) => r.status === 200 && statuses.includes(r.body.server.status), timeoutMs);
    return result.body.server;
  }

  async waitForGone(id: string, timeoutMs = 20_000) {
    await waitFor(`server ${id} to be deleted`, () => this.server(id), (r) => r.status === 404, timeoutMs);
  }

  action(id: string, action: Record<string, unknown>) {
    return this.request('POST', `${this.urls.compute}/servers/${id}/action`, action);
  }

  volume(id: string) {
    return this.request('GET', `${this.urls.volume}/${this.projectId}/volumes/${id}`);
  }

  createVolume(size: number, name: string) {
    return this.request('POST', `${this.urls.volume}/${this.projectId}/volumes`, { volume: { size, name } });
  }

  async waitForVolume(id: string, status: string, timeoutMs = 20_000) {
    const result = await waitFor(`volume ${id} to be ${status}`, () => this.volume(id), (r) => r.status === 200 && r.body.volume.status === status, timeoutMs);
    return result.body.volume;
  }

  /**
   * The boot every deployment is checked with: a server with a new 1 GB volume under a fresh
   * request id, until ACTIVE (or ERROR), its volume in-use, and metering holding the boot's and
   * the attach's events. The caller asserts on what it returns.
   */
  async bootWithVolume(name: string, timeoutMs = 30_000) {
    const requestId = `req-${randomUUID()}`;
    const created = await this.boot(
      { name, block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true }] },
      requestId,
    );
    if (created.status !== 202) throw new Error(`POST /servers answered ${created.status}: ${JSON.stringify(created.body)}`);
    const server = await this.waitForStatus(created.body.server.id, ['ACTIVE', 'ERROR'], timeoutMs);
    if (server.status !== 'ACTIVE') return { requestId, server, volume: undefined, events: [] };
    const volume = await this.waitForVolume(server['os-extended-volumes:volumes_attached'][0].id as string, 'in-use', timeoutMs);
    const events = await waitFor(
      'metering to see the boot',
      () => this.events({ request_id: requestId, limit: '100' }),
      (found) => ['compute.instance.create.end', 'volume.attach.end'].every((type) => found.some((e) => e['event_type'] === type)),
      timeoutMs,
    );
    return { requestId, server, volume, events };
  }

  /** Deletes a server and waits until it is gone. */
  async deleteServer(id: string, timeoutMs = 30_000) {
    const answer = await this.request('DELETE', `${this.urls.compute}/servers/${id}`);
    if (answer.status !== 204) throw new Error(`DELETE /servers/${id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    await this.waitForGone(id, timeoutMs);
  }

  async hypervisors() {
    return (await this.request('GET', `${this.urls.compute}/os-hypervisors/detail`)).body.hypervisors as Array<Record<string, any>>;
  }

  async events(query: Record<string, string>) {
    const search = new URLSearchParams(query).toString();
    return (await this.request('GET', `${this.urls.metering}/v2/events?${search}`)).body as Array<Record<string, any>>;
  }
}

/** A password login with project scope (keystone v3); throws unless identity answers 201. */
export async function passwordLogin(identityUrl: string, user: string, password: string, project: string): Promise<{ token: string; projectId: string; userId: string; body: any }> {
  const answer = await http('POST', `${identityUrl}/auth/tokens`, {
    auth: { identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: 'Default' } } } }, scope: { project: { name: project, domain: { name: 'Default' } } } },
  });
  const token = answer.headers.get('x-subject-token');
  if (answer.status !== 201 || !token) throw new Error(`login of ${user} on ${project} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { token, projectId: answer.body.token.project.id, userId: answer.body.token.user.id, body: answer.body };
}
