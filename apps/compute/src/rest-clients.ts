/**
 * nova-compute talks to the other projects over their REST APIs, as nova does (cinderclient,
 * glanceclient), never over their RPC: thin typed wrappers over the kit's RestClient, which
 * passes the request id on in X-Openstack-Request-Id.
 */
import type { Config } from '@fjord/messaging';
import { RestClient, type RequestContext, type ServiceLogger } from '@fjord/service-kit';

type Ctxt = Pick<RequestContext, 'request_id'> & Partial<RequestContext>;

/** The fields of a cinder v3 volume compute reads. */
export interface CinderVolume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  attachments: Array<{ attachment_id?: string; id?: string; server_id?: string; device?: string }>;
}

export interface CreateVolumeRequest {
  size: number;
  name: string;
  description?: string | null;
  imageRef?: string | null;
  availability_zone?: string | null;
}

/** nova.exception.VolumeNotCreated: the volume never became available. */
export class VolumeNotCreated extends Error {
  override name = 'VolumeNotCreated';
}

export class CinderClient {
  constructor(private readonly rest: RestClient) {}

  static fromConfig(conf: Config, logger: ServiceLogger, caller?: string): CinderClient {
    return new CinderClient(new RestClient({ baseUrl: conf.get<string>('cinder', 'endpoint_override'), service: 'volume', logger, ...(caller ? { caller } : {}) }));
  }

  async createVolume(ctxt: Ctxt, projectId: string, request: CreateVolumeRequest): Promise<CinderVolume> {
    const body = { volume: { description: null, imageRef: null, availability_zone: null, metadata: {}, ...request } };
    const reply = await this.rest.post<{ volume: CinderVolume }>(`/${projectId}/volumes`, body, ctxt);
    return reply.volume;
  }

  async getVolume(ctxt: Ctxt, projectId: string, volumeId: string): Promise<CinderVolume> {
    const reply = await this.rest.get<{ volume: CinderVolume }>(`/${projectId}/volumes/${volumeId}`, ctxt);
    return reply.volume;
  }

  /**
   * Poll until the volume is `available` (nova's _await_block_device_map_created); VolumeNotCreated
   * when it turns `error` or is still not available after `attempts` polls.
   */
  async waitUntilAvailable(ctxt: Ctxt, projectId: string, volumeId: string, attempts: number, intervalMs: number): Promise<CinderVolume> {
    const started = Date.now();
    let volume = await this.getVolume(ctxt, projectId, volumeId);
    for (let attempt = 1; volume.status !== 'available'; attempt++) {
      if (volume.status === 'error' || attempt > attempts) {
        const seconds = Math.round((Date.now() - started) / 100) / 10;
        throw new VolumeNotCreated(
          `Volume ${volumeId} did not finish being created even after we waited ${seconds} seconds or ${attempt} attempts. And its status is ${volume.status}.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      volume = await this.getVolume(ctxt, projectId, volumeId);
    }
    return volume;
  }

  reserve(ctxt: Ctxt, projectId: string, volumeId: string): Promise<void> {
    return this.action(ctxt, projectId, volumeId, { 'os-reserve': {} });
  }

  attach(ctxt: Ctxt, projectId: string, volumeId: string, args: { instance_uuid: string; mountpoint: string; mode?: 'rw' | 'ro' }): Promise<void> {
    return this.action(ctxt, projectId, volumeId, { 'os-attach': { mode: 'rw', ...args } });
  }

  /** Back from `attaching` to `available` after a failed attach. */
  unreserve(ctxt: Ctxt, projectId: string, volumeId: string): Promise<void> {
    return this.action(ctxt, projectId, volumeId, { 'os-unreserve': {} });
  }

  beginDetaching(ctxt: Ctxt, projectId: string, volumeId: string): Promise<void> {
    return this.action(ctxt, projectId, volumeId, { 'os-begin_detaching': {} });
  }

  /** Back from `detaching` to `in-use` when the detach failed. */
  rollDetaching(ctxt: Ctxt, projectId: string, volumeId: string): Promise<void> {
    return this.action(ctxt, projectId, volumeId, { 'os-roll_detaching': {} });
  }

  detach(ctxt: Ctxt, projectId: string, volumeId: string, attachmentId: string | null): Promise<void> {
    return this.action(ctxt, projectId, volumeId, { 'os-detach': attachmentId ? { attachment_id: attachmentId } : {} });
  }

  async deleteVolume(ctxt: Ctxt, projectId: string, volumeId: string): Promise<void> {
    await this.rest.delete(`/${projectId}/volumes/${volumeId}`, ctxt);
  }

  private async action(ctxt: Ctxt, projectId: string, volumeId: string, body: Record<string, unknown>): Promise<void> {
    await this.rest.post(`/${projectId}/volumes/${volumeId}/action`, body, ctxt);
  }
}

/** The fields of a glance v2 image compute reads. */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  min_disk?: number;
  min_ram?: number;
  size?: number | null;
  disk_format?: string | null;
}

export class GlanceClient {
  constructor(
    private readonly rest: RestClient,
    readonly endpoint: string,
  ) {}

  static fromConfig(conf: Config, logger: ServiceLogger, caller?: string): GlanceClient {
    const endpoint = conf.get<string>('glance', 'endpoint_override');
    return new GlanceClient(new RestClient({ baseUrl: endpoint, service: 'image', logger, ...(caller ? { caller } : {}) }), endpoint.replace(/\/+$/, ''));
  }

  /** glance v2 answers the bare image object, without a wrapper. */
  getImage(ctxt: Ctxt, imageId: string): Promise<GlanceImage> {
    return this.rest.get<GlanceImage>(`/v2/images/${encodeURIComponent(imageId)}`, ctxt);
  }

  /** nova's image_ref_url in notifications: `<glance>/images/<id>`. */
  imageUrl(imageRef: string): string {
    return imageRef ? `${this.endpoint}/images/${imageRef}` : '';
  }
}
