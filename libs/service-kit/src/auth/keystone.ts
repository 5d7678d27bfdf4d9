/**
 * Token checks against the identity service, as keystonemiddleware's auth_token does: the
 * service logs in as its own user, asks `GET /v3/auth/tokens` about each token it is given, and
 * reuses each answer (valid or not) for `token_cache_time` seconds, so a revoked token stops
 * working within that time. The tokens themselves are never kept: the cache is keyed by their
 * SHA-256.
 */
import { createHash } from 'node:crypto';
import { ServiceUnavailable } from '../errors.js';
import type { ServiceLogger } from '../logger.js';
import type { KeystoneAuthSettings } from './options.js';

/** Who a valid token is for. */
export interface TokenIdentity {
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  expiresAt: number;
}

interface TokenAnswer {
  token?: {
    expires_at?: string;
    user?: { id?: string; name?: string };
    project?: { id?: string; name?: string };
    roles?: Array<{ name?: string }>;
  };
}

const MAX_CACHED = 10_000;
/** A service token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 60_000;

export class KeystoneTokenValidator {
  private readonly cache = new Map<string, { identity: TokenIdentity | undefined; until: number }>();
  private serviceToken?: Promise<{ token: string; expiresAt: number }>;

  constructor(
    private readonly settings: KeystoneAuthSettings,
    private readonly logger: ServiceLogger,
  ) {}

  /** Who the token is for; undefined when it is not valid (forged, expired, revoked). ServiceUnavailable when identity cannot tell. */
  async validate(token: string, now = Date.now()): Promise<TokenIdentity | undefined> {
    const key = createHash('sha256').update(token).digest('base64');
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.identity;
    const identity = await this.ask(token);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    const until = Math.min(now + this.settings.cacheTimeS * 1000, identity?.expiresAt ?? Number.POSITIVE_INFINITY);
    this.cache.set(key, { identity, until });
    return identity;
  }

  private async ask(token: string): Promise<TokenIdentity | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        let answer = await this.check(token, (await this.ownToken()).token);
        if (answer.status === 401) {
          // Our own token expired or was revoked: log in again, once.
          this.serviceToken = undefined;
          answer = await this.check(token, (await this.ownToken()).token);
        }
        if (answer.status === 404) return undefined;
        if (answer.status !== 200) throw new Error(`the identity service answered ${answer.status} to a token check`);
        return identityOf((await answer.json()) as TokenAnswer);
      } catch (error) {
        this.serviceToken = undefined;
        if (attempt >= this.settings.retries) {
          this.logger.error({ err: error, auth_url: this.settings.authUrl }, 'cannot check a token with the identity service');
          throw new ServiceUnavailable('The identity service could not be reached to check the token.');
        }
      }
    }
  }

  private check(token: string, ownToken: string): Promise<Response> {
    return fetch(`${this.settings.authUrl}/auth/tokens?nocatalog`, {
      headers: { 'x-auth-token': ownToken, 'x-subject-token': token, accept: 'application/json' },
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
  }

  private ownToken(): Promise<{ token: string; expiresAt: number }> {
    const current = this.serviceToken;
    if (current) {
      return current.then((own) => (own.expiresAt - RENEW_BEFORE_MS > Date.now() ? own : ((this.serviceToken = undefined), this.ownToken())));
    }
    const login = this.login();
    this.serviceToken = login;
    login.catch(() => {
      if (this.serviceToken === login) this.serviceToken = undefined;
    });
    return login;
  }

  private async login(): Promise<{ token: string; expiresAt: number }> {
    const { username, password, projectName } = this.settings;
    const answer = await fetch(`${this.settings.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: username, password, domain: { name: 'Default' } } } },
          scope: { project: { name: projectName, domain: { name: 'Default' } } },
        },
      }),
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    const token = answer.headers.get('x-subject-token');
    if (answer.status !== 201 || !token) throw new Error(`the service user ${username} could not log in to ${this.settings.authUrl}: ${answer.status}`);
    const identity = identityOf((await answer.json()) as TokenAnswer);
    return { token, expiresAt: identity?.expiresAt ?? Date.now() + RENEW_BEFORE_MS * 2 };
  }
}

function identityOf(answer: TokenAnswer): TokenIdentity | undefined {
  const token = answer.token;
  const expiresAt = Date.parse(token?.expires_at ?? '');
  if (!token?.user?.id || !token.project?.id || Number.isNaN(expiresAt)) return undefined;
  return {
    userId: token.user.id,
    userName: token.user.name ?? '',
    projectId: token.project.id,
    projectName: token.project.name ?? '',
    roles: (token.roles ?? []).map((role) => role.name).filter((name): name is string => typeof name === 'string'),
    expiresAt,
  };
}
