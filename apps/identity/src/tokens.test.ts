import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';
import { InvalidToken, TokenSigner, newAuditId } from './tokens.js';

describe('tokens', () => {
  const signer = new TokenSigner(randomBytes(32));
  const claims = { userId: 'u1', projectId: 'p1', auditId: newAuditId(), issuedAt: new Date(), expiresAt: new Date(Date.now() + 3600_000) };

  it('reads back what it signed, and nothing else', () => {
    const token = signer.issue(claims);
    expect(signer.read(token)).toMatchObject({ userId: 'u1', projectId: 'p1', auditId: claims.auditId });
    const [payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), p: 'other' })).toString('base64url');
    expect(() => signer.read(`${forged}.${signature}`)).toThrow(InvalidToken);
    expect(() => new TokenSigner(randomBytes(32)).read(token)).toThrow(/not a token of this cloud/);
    for (const junk of ['', 'a', 'a.b.c', `${payload}.`, '.x', 'x'.repeat(5000)]) expect(() => signer.read(junk)).toThrow(InvalidToken);
  });

  it('refuses an expired token', () => {
    const token = signer.issue({ ...claims, expiresAt: new Date(Date.now() - 1000) });
    expect(() => signer.read(token)).toThrow(/expired/);
  });
});

describe('passwords', () => {
  it('hashes with scrypt and a salt of its own, and checks in constant time', async () => {
    const cost = { N: 1024, r: 8, p: 1 };
    const [a, b] = [await hashPassword('s3cret', cost), await hashPassword('s3cret', cost)];
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    await expect(verifyPassword('s3cret', a)).resolves.toBe(true);
    await expect(verifyPassword('S3cret', a)).resolves.toBe(false);
    await expect(verifyPassword('s3cret', 'md5$whatever')).resolves.toBe(false);
  });
});
