/**
 * Tokens, as keystone's Fernet tokens are: the token itself says who it is for and until when,
 * signed so that it cannot be forged; nothing is stored per token. Revoking one stores its audit
 * id until it would have expired anyway.
 *
 * Form: `<payload>.<signature>`, both base64url; the payload is JSON
 * `{u: user id, p: project id, a: audit id, i: issued, e: expires}` (seconds since the epoch),
 * the signature HMAC-SHA256 over the payload's text with the identity service's signing key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  userId: string;
  projectId: string;
  auditId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export class InvalidToken extends Error {}

/** A new audit id: 16 random bytes, base64url (keystone: 22 characters). */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}

export class TokenSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('a token signing key must have at least 32 bytes');
  }

  issue(claims: TokenClaims): string {
    const payload = Buffer.from(
      JSON.stringify({ u: claims.userId, p: claims.projectId, a: claims.auditId, i: seconds(claims.issuedAt), e: seconds(claims.expiresAt) }),
    ).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The claims of a token this service signed; InvalidToken for anything else, expired or not. */
  read(token: string, now = new Date()): TokenClaims {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0 || token.length > 2048) throw new InvalidToken('not a token of this cloud');
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidToken('not a token of this cloud');
    let body: { u?: unknown; p?: unknown; a?: unknown; i?: unknown; e?: unknown };
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidToken('not a token of this cloud');
    }
    if (typeof body.u !== 'string' || typeof body.p !== 'string' || typeof body.a !== 'string' || typeof body.i !== 'number' || typeof body.e !== 'number') {
      throw new InvalidToken('not a token of this cloud');
    }
    const claims = { userId: body.u, projectId: body.p, auditId: body.a, issuedAt: new Date(body.i * 1000), expiresAt: new Date(body.e * 1000) };
    if (claims.expiresAt <= now) throw new InvalidToken('the token has expired');
    return claims;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
