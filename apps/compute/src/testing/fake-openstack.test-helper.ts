/**
 * Test fakes of the two REST APIs nova-compute calls: a FakeCinder (volumes and their
 * os-reserve / os-attach / os-begin_detaching / os-detach actions, with cinder's status
 * transitions) and a FakeGlance (images by id). Plain node:http servers on port 0; they record
 * every request so tests can check paths and the X-Openstack-Request-Id that reached them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  requestId: string | undefined;
  body: unknown;
}

interface FakeVolume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  project_id: string;
  attachments: Array<{ id: string; attachment_id: string; volume_id: string; server_id: string; device: string }>;
}

abstract class FakeHttpService {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  protected abstract handle(method: string, path: string, body: unknown): { status: number; body?: unknown };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : undefined;
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const header = req.headers['x-openstack-request-id'];
    this.requests.push({ method, path, requestId: Array.isArray(header) ? header[0] : header, body });
    const reply = this.handle(method, path, body);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }
}

const fault = (status: number, name: string, message: string) => ({ status, body: { [name]: { code: status, message } } });

export class FakeCinder extends FakeHttpService {
  readonly volumes = new Map<string, FakeVolume>();
  /** New volumes go to `error` instead of `available` (a backend failure). */
  failCreates = false;
  /** How many GETs a new volume stays `creating` for. */
  creatingPolls = 1;
  private readonly pendingPolls = new Map<string, number>();

  /** The endpoint compute is configured with: `[cinder] endpoint_override`. */
  get endpoint(): string {
    return `${this.url}/v3`;
  }

  addVolume(projectId: string, size: number, name = 'existing'): FakeVolume {
    const volume: FakeVolume = { id: randomUUID(), name, status: 'available', size, project_id: projectId, attachments: [] };
    this.volumes.set(volume.id, volume);
    return volume;
  }

  protected handle(method: string, path: string, body: unknown): { status: number; body?: unknown } {
    const match = /^\/v3\/([^/]+)\/volumes(?:\/([^/]+))?(\/action)?$/.exec(path);
    if (!match) return fault(404, 'itemNotFound', `no route ${method} ${path}`);
    const [, projectId = '', volumeId, action] = match;
    if (!volumeId) {
      if (method !== 'POST') return fault(405, 'badMethod', method);
      const request = (body as { volume: { size: number; name: string; imageRef?: string | null; availability_zone?: string | null } }).volume;
      // As apps/volume: no volumes from images, and only its own zone.
      if (request.imageRef) return fault(400, 'badRequest', 'Invalid input for field/attribute imageRef. Creating volumes from images is not supported by this deployment.');
      if (request.availability_zone && request.availability_zone !== 'nova') return fault(400, 'badRequest', `Availability zone '${request.availability_zone}' is invalid.`);
      const volume: FakeVolume = { id: randomUUID(), name: request.name, status: 'creating', size: request.size, project_id: projectId, attachments: [] };
      this.volumes.set(volume.id, volume);
      this.pendingPolls.set(volume.id, this.creatingPolls);
      return { status: 202, body: { volume } };
    }
    const volume = this.volumes.get(volumeId);
    if (!volume) return fault(404, 'itemNotFound', `Volume ${volumeId} could not be found.`);
    if (action) return this.act(volume, body as Record<string, Record<string, string>>);
    if (method === 'GET') {
      const polls = this.pendingPolls.get(volume.id);
      if (polls !== undefined) {
        if (polls <= 0) {
          volume.status = this.failCreates ? 'error' : 'available';
          this.pendingPolls.delete(volume.id);
        } else this.pendingPolls.set(volume.id, polls - 1);
      }
      return { status: 200, body: { volume } };
    }
    if (method === 'DELETE') {
      if (volume.status === 'in-use' || volume.attachments.length > 0) return fault(400, 'badRequest', 'Invalid volume: Volume status must be available or error');
      this.volumes.delete(volume.id);
      return { status: 202 };
    }
    return fault(405, 'badMethod', method);
  }

  private act(volume: FakeVolume, body: Record<string, Record<string, string>>): { status: number; body?: unknown } {
    const [name, args = {}] = Object.entries(body)[0] ?? [];
    const invalid = () => fault(400, 'badRequest', `Invalid volume: ${name} not allowed in status ${volume.status}`);
    switch (name) {
      case 'os-reserve':
        if (volume.status !== 'available') return invalid();
        volume.status = 'attaching';
        return { status: 202 };
      case 'os-attach':
        if (volume.status !== 'attaching' && volume.status !== 'available') return invalid();
        volume.status = 'in-use';
        volume.attachments.push({ id: volume.id, attachment_id: randomUUID(), volume_id: volume.id, server_id: args['instance_uuid'] ?? '', device: args['mountpoint'] ?? '' });
        return { status: 202 };
      case 'os-unreserve':
        if (volume.status !== 'attaching') return invalid();
        volume.status = 'available';
        return { status: 202 };
      case 'os-begin_detaching':
        if (volume.status !== 'in-use') return invalid();
        volume.status = 'detaching';
        return { status: 202 };
      case 'os-roll_detaching':
        if (volume.status === 'detaching') volume.status = 'in-use';
        return { status: 202 };
      case 'os-detach': {
        const id = args['attachment_id'];
        volume.attachments = id ? volume.attachments.filter((a) => a.attachment_id !== id) : [];
        volume.status = volume.attachments.length > 0 ? 'in-use' : 'available';
        return { status: 202 };
      }
      default:
        return fault(400, 'badRequest', `unknown action ${name}`);
    }
  }
}

export class FakeGlance extends FakeHttpService {
  readonly images = new Map<string, { id: string; name: string; status: string; min_disk: number; min_ram: number }>();

  addImage(name = 'cirros-0.6.2-x86_64-disk'): string {
    const id = randomUUID();
    this.images.set(id, { id, name, status: 'active', min_disk: 0, min_ram: 0 });
    return id;
  }

  protected handle(method: string, path: string): { status: number; body?: unknown } {
    const match = /^\/v2\/images\/([^/]+)$/.exec(path);
    const image = match && method === 'GET' ? this.images.get(decodeURIComponent(match[1] ?? '')) : undefined;
    if (!image) return { status: 404, body: `404 Not Found\n\nNo image found with ID ${match?.[1] ?? path}` };
    return { status: 200, body: image };
  }
}
