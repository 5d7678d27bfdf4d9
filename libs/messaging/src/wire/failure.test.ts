import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NoSuchMethod, RemoteError } from '../errors.js';
import { deserializeRemoteException, registerRemoteError, serializeRemoteException, unregisterRemoteErrors } from './failure.js';
import { KeyError, ValueError } from './python-errors.js';

const samples = JSON.parse(readFileSync(new URL('./__fixtures__/oslo-wire-samples.json', import.meta.url), 'utf8')) as {
  failure_reply: { body: { 'oslo.message(parsed)': { failure: string } } };
};
const pythonFailure = samples.failure_reply.body['oslo.message(parsed)'].failure;

class VolumeNotFound extends Error {
  override name = 'VolumeNotFound';
  constructor(readonly volumeId: string) {
    super(`Volume ${volumeId} could not be found.`);
  }
}

describe('remote exceptions (oslo failure JSON)', () => {
  afterEach(() => unregisterRemoteErrors('cinder.exception'));

  it('rebuilds the ValueError a Python server sent, with its traceback', () => {
    const err = deserializeRemoteException(pythonFailure);
    expect(err).toBeInstanceOf(ValueError);
    expect(err.message).toBe('kaboom from python');
    expect((err as ValueError).args).toEqual(['kaboom from python']);
    expect((err as unknown as { remoteTraceback: string[] }).remoteTraceback.at(-1)).toBe('ValueError: kaboom from python\n');
  });

  it('encodes every key Python clients read', () => {
    const failure = JSON.parse(serializeRemoteException(new KeyError('missing'))) as Record<string, unknown>;
    expect(Object.keys(failure)).toEqual(['class', 'module', 'message', 'tb', 'args', 'kwargs']);
    expect(failure).toMatchObject({ class: 'KeyError', module: 'builtins', message: 'missing', args: ['missing'], kwargs: {} });
    expect((failure['tb'] as string[]).every((line) => line.endsWith('\n'))).toBe(true);
  });

  it('sends JS TypeError as Python builtins.TypeError and back', () => {
    const failure = JSON.parse(serializeRemoteException(new TypeError('wrong'))) as Record<string, unknown>;
    expect(failure).toMatchObject({ class: 'TypeError', module: 'builtins' });
    const back = deserializeRemoteException(JSON.stringify(failure));
    expect(back).toBeInstanceOf(TypeError);
    expect(back.message).toBe('wrong');
  });

  it('reports dispatcher errors under oslo module names', () => {
    const failure = JSON.parse(serializeRemoteException(new NoSuchMethod('frob'))) as Record<string, unknown>;
    expect(failure).toMatchObject({ class: 'NoSuchMethod', module: 'oslo_messaging.rpc.dispatcher', args: ['frob'] });
  });

  it('rebuilds a registered class with its constructor arguments', () => {
    registerRemoteError('cinder.exception', VolumeNotFound);
    const err = new VolumeNotFound('vol-1');
    Object.assign(err, { args: ['vol-1'] });
    const failureText = serializeRemoteException(err);
    expect(JSON.parse(failureText)).toMatchObject({ class: 'VolumeNotFound', module: 'cinder.exception' });
    const back = deserializeRemoteException(failureText);
    expect(back).toBeInstanceOf(VolumeNotFound);
    expect((back as VolumeNotFound).volumeId).toBe('vol-1');
    expect(back.message).toBe('Volume vol-1 could not be found.');
  });

  it('falls back to RemoteError for an unregistered class', () => {
    const err = deserializeRemoteException(JSON.stringify({ class: 'VolumeNotFound', module: 'cinder.exception', message: 'gone', tb: ['t\n'], args: [], kwargs: {} }));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toBe('Remote error: VolumeNotFound gone\nt\n.');
    expect((err as RemoteError).module).toBe('cinder.exception');
  });

  it('strips the _Remote suffix oslo adds to rebuilt classes', () => {
    const err = Object.assign(new Error('x'), { remoteClass: 'Boom_Remote', remoteModule: 'nova.exception_Remote' });
    expect(JSON.parse(serializeRemoteException(err))).toMatchObject({ class: 'Boom', module: 'nova.exception' });
  });

  it('never throws on garbage failures', () => {
    expect(deserializeRemoteException('not json')).toBeInstanceOf(RemoteError);
    expect(deserializeRemoteException('null')).toBeInstanceOf(RemoteError);
    expect(deserializeRemoteException('{"class": 5}')).toBeInstanceOf(RemoteError);
  });

  it('validates registerRemoteError arguments', () => {
    expect(() => registerRemoteError('', VolumeNotFound)).toThrow(/module must be a non-empty string/);
    expect(() => registerRemoteError('m', (() => 1) as never)).toThrow(/must be an Error subclass/);
  });
});
