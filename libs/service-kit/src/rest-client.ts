/**
 * REST between projects (nova → cinder, nova → glance): JSON over fetch with a timeout, the
 * request id passed on in X-Openstack-Request-Id, one log line per hop, and typed failures.
 */
import { Taps } from '@fjord/messaging';
import type { ServiceLogger } from './logger.js';
import type { RequestContext } from './context.js';

export class RestError extends Error {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${service} ${method} ${path} failed with HTTP ${status}${faultMessage(body) ? `: ${faultMessage(body)}` : ''}`);
    this.name = 'RestError';
  }
}

/** The `message` of an OpenStack fault body (`{"badRequest": {"message": ...}}`), if any. */
export function faultMessage(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const first = Object.values(body as Record<string, unknown>)[0];
  if (first !== null && typeof first === 'object' && typeof (first as { message?: unknown }).message === 'string') {
    return (first as { message: string }).message;
  }
  return undefined;
}

export interface RestClientOptions {
  /** e.g. http://127.0.0.1:8776/v3 — paths are appended to it. */
  baseUrl: string;
  /** The project called, for logs and errors ('volume', 'image'). */
  service: string;
  /** Who calls, as the service's bus client name (`compute@compute1`), for REST taps. */
  caller?: string;
  logger: ServiceLogger;
  timeoutMs?: number;
}

type Ctxt = Pick<RequestContext, 'request_id'> & Partial<RequestContext>;

/** One REST call between projects, as a REST tap sees it once it is answered (status 0: no answer). */
export interface RestHop {
  /** When the request was sent, in ms since the epoch, with sub-millisecond precision (for ordering). */
  time: number;
  caller: string;
  service: string;
  method: string;
  path: string;
  /** A `POST …/action` body's one key (`os-attach`, `reboot`): which action it was. */
  action?: string;
  status: number;
  ms: number;
  requestId: string;
}

const restTaps = new Taps<RestHop>();

/**
 * Every REST call between projects made in this process from now on, until the returned function
 * is called: the REST side of a bus tap. A tap only reads; one that throws is dropped.
 */
export function tapRest(listener: (hop: RestHop) => void): () => void {
  return restTaps.add(listener);
}

export class RestClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: RestClientOptions) {
    const url = new URL(options.baseUrl); // throws on a malformed endpoint, at start-up
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${options.service} endpoint must be http(s), got ${url.protocol}`);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  get<T>(path: string, ctxt: Ctxt): Promise<T> {
    return this.request<T>('GET', path, undefined, ctxt);
  }

  post<T>(path: string, body: unknown, ctxt: Ctxt): Promise<T> {
    return this.request<T>('POST', path, body, ctxt);
  }

  put<T>(path: string, body: unknown, ctxt: Ctxt): Promise<T> {
    return this.request<T>('PUT', path, body, ctxt);
  }

  delete<T = void>(path: string, ctxt: Ctxt): Promise<T> {
    return this.request<T>('DELETE', path, undefined, ctxt);
  }

  async request<T>(method: string, path: string, body: unknown, ctxt: Ctxt): Promise<T> {
    const started = performance.now();
    const sentAt = performance.timeOrigin + started;
    const hop = (status: number) =>
      restTaps.size > 0 &&
      restTaps.report({
        time: sentAt,
        caller: this.options.caller ?? 'unknown',
        service: this.options.service,
        method,
        path,
        ...actionOf(path, body),
        status,
        ms: Math.round(performance.now() - started),
        requestId: ctxt.request_id,
      });
    const headers: Record<string, string> = { accept: 'application/json', 'x-openstack-request-id': ctxt.request_id };
    if (ctxt.project_id) headers['x-auth-project-id'] = ctxt.project_id;
    // The caller's token goes on, as nova passes the user's token to cinder and glance.
    if (ctxt.auth_token) headers['x-auth-token'] = ctxt.auth_token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const log = this.options.logger.child({ request_id: ctxt.request_id, peer: this.options.service });
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      log.warn({ method, path, err: error }, 'REST call failed');
      hop(0);
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : errorText(error);
      throw new RestError(this.options.service, method, path, 0, { error: { message: reason } });
    }
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : safeParse(text);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    log.info({ method, path, status: response.status, ms }, 'REST call');
    hop(response.status);
    if (!response.ok) throw new RestError(this.options.service, method, path, response.status, parsed);
    return parsed as T;
  }
}

function actionOf(path: string, body: unknown): { action?: string } {
  if (!path.endsWith('/action') || body === null || typeof body !== 'object') return {};
  const keys = Object.keys(body);
  return keys.length === 1 ? { action: keys[0] as string } : {};
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
