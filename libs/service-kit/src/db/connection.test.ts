import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseConfigError, parseConnection, redactUrl } from './connection.js';

describe('parseConnection', () => {
  it('defaults to an embedded PGlite under the state path', () => {
    expect(parseConnection('compute', null, '/var/lib/fjord')).toMatchObject({ kind: 'pglite', dataDir: '/var/lib/fjord/compute-db' });
    expect(parseConnection('volume', '  ', 'data')).toMatchObject({ kind: 'pglite', dataDir: path.resolve('data/volume-db') });
  });

  it('knows in-memory, shared in-memory and directory PGlite URLs', () => {
    expect(parseConnection('c', 'pglite://memory', '/s')).toMatchObject({ kind: 'pglite', dataDir: null, shareKey: null });
    expect(parseConnection('c', 'pglite://memory/e2e', '/s')).toMatchObject({ kind: 'pglite', dataDir: null, shareKey: 'e2e' });
    expect(parseConnection('c', 'pglite:///tmp/x', '/s')).toMatchObject({ kind: 'pglite', dataDir: '/tmp/x' });
    expect(() => parseConnection('c', 'pglite://relative', '/s')).toThrow(/not a valid pglite URL/);
  });

  it('accepts PostgreSQL URLs, oslo.db driver suffix included, and never shows the password', () => {
    const pg = parseConnection('compute', 'postgresql+psycopg2://nova:s3cret@db.example:5433/nova', '/s');
    expect(pg).toMatchObject({ kind: 'postgresql', database: 'nova', url: 'postgresql://nova:s3cret@db.example:5433/nova' });
    expect(pg.describe).toBe('PostgreSQL postgresql://nova:***@db.example:5433/nova');
    expect(parseConnection('c', 'postgres://u@h/d', '/s')).toMatchObject({ kind: 'postgresql', database: 'd' });
  });

  it('names the bad part of a bad URL without leaking the password', () => {
    const cases: [string, RegExp][] = [
      ['mysql+pymysql://nova:s3cret@h/nova', /unsupported scheme 'mysql\+pymysql'/],
      ['postgresql://nova:s3cret@h', /names no database/],
      ['postgresql://nova:s3cret@h:notaport/db', /not a valid URL/],
      ['postgresql://nova:s3cret@/db', /not a valid URL/],
      ['postgresql:///db?password=s3cret', /has no host/],
      ['//nova:s3cret@h/nova', /has no scheme/],
      ['pglite://nova:s3cret@h/nova', /not a valid pglite URL/],
    ];
    for (const [url, pattern] of cases) {
      let error: unknown;
      try {
        parseConnection('compute', url, '/s');
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(DatabaseConfigError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).toMatch(/compute database/);
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('redacts passwords', () => {
    expect(redactUrl('postgresql://u:p@h/d')).toBe('postgresql://u:***@h/d');
    expect(redactUrl('postgresql://u@h/d')).toBe('postgresql://u@h/d');
    expect(redactUrl('postgresql://u@h/d?sslmode=require&password=p')).toBe('postgresql://u@h/d?sslmode=require&password=***');
    expect(redactUrl('::nonsense::p@ss')).toBe('<unparsable URL>');
  });
});
