import { describe, expect, it } from 'vitest';
import { NoSuchMethod, UnsupportedVersion } from '../errors.js';
import { NoOpSerializer } from '../serializer.js';
import { DefaultRPCAccessPolicy, ExplicitRPCAccessPolicy, LegacyRPCAccessPolicy, expose, type AccessPolicy } from './access-policy.js';
import { RpcDispatcher, checkEndpoints } from './dispatcher.js';
import { Target } from './target.js';
import { versionIsCompatible } from './version.js';

function dispatcher(endpoints: object[], policy: AccessPolicy = DefaultRPCAccessPolicy) {
  return new RpcDispatcher(checkEndpoints(endpoints), new NoOpSerializer(), policy);
}

const request = (method: string, extra: { namespace?: string; version?: string } = {}) => ({ method, args: {}, ...extra });

describe('versionIsCompatible (oslo utils.version_is_compatible)', () => {
  it.each([
    ['1.0', '1.0', true],
    ['1.5', '1.0', true],
    ['1.5', '1.5', true],
    ['1.5', '1.6', false],
    ['2.0', '1.0', false],
    ['1.0', '2.0', false],
    ['1.5.1', '1.5', true],
    ['1.5', '1.5.1', false],
    ['1.5.2', '1.5.1', true],
    ['1.6', '1.5.9', true],
  ])('impl %s serves %s: %s', (impl, requested, expected) => {
    expect(versionIsCompatible(impl, requested)).toBe(expected);
  });
});

describe('RpcDispatcher', () => {
  // The matrix of oslo's test_dispatcher: endpoints with targets, requests with namespace/version.
  const plain = { foo: () => 'plain.foo', bar: () => 'plain.bar' };
  const ns1v21 = { target: new Target({ namespace: 'ns1', version: '2.1' }), foo: () => 'ns1.foo' };
  const ns1v23 = { target: new Target({ namespace: 'ns1', version: '2.3' }), bar: () => 'ns1v23.bar' };
  const legacy = { target: new Target({ namespace: 'new', legacyNamespaces: ['old', null] }), baz: () => 'legacy.baz' };

  it.each([
    ['no namespace, default version -> plain endpoint', request('foo'), 'plain.foo'],
    ['version 1.0 explicit', request('bar', { version: '1.0' }), 'plain.bar'],
    ['namespace ns1 v2.1', request('foo', { namespace: 'ns1', version: '2.1' }), 'ns1.foo'],
    ['namespace ns1 v2.0 served by 2.1', request('foo', { namespace: 'ns1', version: '2.0' }), 'ns1.foo'],
    ['first compatible endpoint with the method wins (2.3 has bar)', request('bar', { namespace: 'ns1', version: '2.2' }), 'ns1v23.bar'],
    ['legacy namespace accepted', request('baz', { namespace: 'old' }), 'legacy.baz'],
    ['new namespace accepted', request('baz', { namespace: 'new' }), 'legacy.baz'],
    ['no namespace accepted through legacyNamespaces [null]', request('baz'), 'legacy.baz'],
  ])('%s', async (_name, req, expected) => {
    await expect(dispatcher([plain, ns1v21, ns1v23, legacy]).dispatch({}, req)).resolves.toBe(expected);
  });

  it('raises NoSuchMethod when an endpoint matches namespace and version but lacks the method', async () => {
    await expect(dispatcher([plain]).dispatch({}, request('missing'))).rejects.toBeInstanceOf(NoSuchMethod);
    await expect(dispatcher([ns1v21]).dispatch({}, request('bar', { namespace: 'ns1', version: '2.1' }))).rejects.toBeInstanceOf(NoSuchMethod);
  });

  it('raises UnsupportedVersion when no endpoint accepts namespace and version', async () => {
    const cases = [
      request('foo', { namespace: 'ns1', version: '2.4' }),
      request('foo', { namespace: 'ns1', version: '3.0' }),
      request('foo', { namespace: 'nsX' }),
      request('foo', { version: '1.1' }),
    ];
    for (const req of cases) {
      const err = await dispatcher([plain, ns1v21]).dispatch({}, req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedVersion);
      expect((err as UnsupportedVersion).method).toBe('foo');
    }
  });

  it('default policy refuses private methods and never exposes object plumbing', async () => {
    const ep = { _secret: () => 'leak', visible: () => 'ok' };
    await expect(dispatcher([ep]).dispatch({}, request('_secret'))).rejects.toBeInstanceOf(NoSuchMethod);
    for (const plumbing of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'target', 'valueOf']) {
      await expect(dispatcher([ep], LegacyRPCAccessPolicy).dispatch({}, request(plumbing))).rejects.toBeInstanceOf(NoSuchMethod);
    }
    await expect(dispatcher([ep]).dispatch({}, request('visible'))).resolves.toBe('ok');
  });

  it('legacy policy allows private methods', async () => {
    await expect(dispatcher([{ _secret: () => 'seen' }], LegacyRPCAccessPolicy).dispatch({}, request('_secret'))).resolves.toBe('seen');
  });

  it('explicit policy allows only exposed methods (wrapper and decorator)', async () => {
    class Endpoint {
      decorated() {
        return 'decorated';
      }
      wrapped = expose(() => 'wrapped');
      hidden() {
        return 'hidden';
      }
    }
    // What a standard method decorator (`@expose`) receives: the method and its context.
    expose(Endpoint.prototype.decorated, { kind: 'method', name: 'decorated' } as ClassMethodDecoratorContext);
    const d = dispatcher([new Endpoint()], ExplicitRPCAccessPolicy);
    await expect(d.dispatch({}, request('decorated'))).resolves.toBe('decorated');
    await expect(d.dispatch({}, request('wrapped'))).resolves.toBe('wrapped');
    await expect(d.dispatch({}, request('hidden'))).rejects.toBeInstanceOf(NoSuchMethod);
  });

  it('calls the method with (ctxt, args) bound to its endpoint', async () => {
    class Counter {
      total = 10;
      add(ctxt: { user: string }, args: { n: number }) {
        return `${ctxt.user}:${this.total + args.n}`;
      }
    }
    await expect(dispatcher([new Counter()]).dispatch({ user: 'u' }, { method: 'add', args: { n: 5 } })).resolves.toBe('u:15');
  });

  it('rejects endpoints that are not objects or whose target is not a Target', () => {
    expect(() => checkEndpoints([null])).toThrow(/endpoints\[0\] must be an object/);
    expect(() => checkEndpoints('x')).toThrow(/endpoints must be an array/);
    expect(() => checkEndpoints([{ target: () => 1 }])).toThrow(/"target" property is reserved/);
  });
});
