/** The image project (glance v2) as the compute API sees it: look an image up by id. */
import { RestClient, RestError, ServiceUnavailable, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import type { ImageMeta } from '@fjord/compute-rpcapi';

export class ImageClient {
  private readonly rest: RestClient;

  constructor(baseUrl: string, logger: ServiceLogger, caller?: string) {
    this.rest = new RestClient({ baseUrl, service: 'image', logger, ...(caller ? { caller } : {}) });
  }

  /** The image record, or null when glance says 404. Any other failure is a 503 for our caller. */
  async find(ctxt: RequestContext, imageId: string): Promise<ImageMeta | null> {
    try {
      return await this.rest.get<ImageMeta>(`/v2/images/${encodeURIComponent(imageId)}`, ctxt);
    } catch (error) {
      if (error instanceof RestError && (error.status === 404 || error.status === 400)) return null;
      throw unavailable('image', error);
    }
  }
}

/** nova answers 503 when a service it depends on is unreachable or failing. */
export function unavailable(service: string, error: unknown): Error {
  if (error instanceof RestError && error.status >= 400 && error.status < 500) return error;
  return new ServiceUnavailable(`The ${service} service is unavailable: ${error instanceof Error ? error.message : String(error)}`);
}
