/**
 * The volume project (cinder v3) as the compute API sees it: show a volume and the attach
 * bookkeeping actions nova-api drives (reserve before an attach, begin_detaching before a
 * detach, unreserve or roll_detaching when the attach or detach does not happen). The compute host does os-attach
 * and os-detach.
 */
import { RestClient, RestError, faultMessage, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import { unavailable } from './image.js';

export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  availability_zone?: string;
  attachments?: Array<{ server_id: string; device?: string | null; attachment_id?: string }>;
  [field: string]: unknown;
}

/** A refusal from cinder (4xx), with cinder's own message. */
export class VolumeRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeRefused';
  }
}

export class VolumeClient {
  private readonly rest: RestClient;

  /** `baseUrl` without the project id (`http://127.0.0.1:8776/v3`); each request names its project. */
  constructor(baseUrl: string, logger: ServiceLogger, caller?: string) {
    this.rest = new RestClient({ baseUrl, service: 'volume', logger, ...(caller ? { caller } : {}) });
  }

  /** The volume, or null when cinder says 404. */
  async find(ctxt: RequestContext, volumeId: string): Promise<Volume | null> {
    try {
      const body = await this.rest.get<{ volume: Volume }>(this.path(ctxt, volumeId), ctxt);
      return body.volume;
    } catch (error) {
      if (error instanceof RestError && error.status === 404) return null;
      throw this.failure(error);
    }
  }

  reserve(ctxt: RequestContext, volumeId: string): Promise<void> {
    return this.action(ctxt, volumeId, { 'os-reserve': {} });
  }

  unreserve(ctxt: RequestContext, volumeId: string): Promise<void> {
    return this.action(ctxt, volumeId, { 'os-unreserve': {} });
  }

  beginDetaching(ctxt: RequestContext, volumeId: string): Promise<void> {
    return this.action(ctxt, volumeId, { 'os-begin_detaching': {} });
  }

  /** Back from `detaching` to `in-use` when the detach did not go ahead. */
  rollDetaching(ctxt: RequestContext, volumeId: string): Promise<void> {
    return this.action(ctxt, volumeId, { 'os-roll_detaching': {} });
  }

  /** in-use or detaching → available (cinder's os-detach; the attachment may be left out when it is the only one). */
  detach(ctxt: RequestContext, volumeId: string, attachmentId: string | null): Promise<void> {
    return this.action(ctxt, volumeId, { 'os-detach': attachmentId ? { attachment_id: attachmentId } : {} });
  }

  async delete(ctxt: RequestContext, volumeId: string): Promise<void> {
    try {
      await this.rest.delete(this.path(ctxt, volumeId), ctxt);
    } catch (error) {
      throw this.failure(error);
    }
  }

  private async action(ctxt: RequestContext, volumeId: string, body: Record<string, object>): Promise<void> {
    try {
      await this.rest.post(`${this.path(ctxt, volumeId)}/action`, body, ctxt);
    } catch (error) {
      throw this.failure(error);
    }
  }

  private path(ctxt: RequestContext, volumeId: string): string {
    return `/${encodeURIComponent(ctxt.project_id ?? 'admin')}/volumes/${encodeURIComponent(volumeId)}`;
  }

  private failure(error: unknown): Error {
    if (error instanceof RestError && error.status >= 400 && error.status < 500) {
      const message = faultMessage(error.body) ?? error.message;
      return new VolumeRefused(error.status, message);
    }
    return unavailable('volume', error);
  }
}
