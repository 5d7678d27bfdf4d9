/** RPC API version rules (oslo's utils.version_is_compatible). */

const VERSION_PATTERN = /^\d+\.\d+(\.\d+)?$/;

export function isValidVersion(version: unknown): version is string {
  return typeof version === 'string' && VERSION_PATTERN.test(version);
}

function parts(version: string): [number, number, number] {
  const [major = '0', minor = '0', rev = '0'] = version.split('.');
  return [Number(major), Number(minor), Number(rev)];
}

/**
 * Can an implementation at `implVersion` serve a request for `requested`? Same major, and the
 * requested minor not above ours; the revision counts only when the minors are equal.
 */
export function versionIsCompatible(implVersion: string, requested: string): boolean {
  const key = `${implVersion}|${requested}`;
  let compatible = verdicts.get(key);
  if (compatible === undefined) {
    compatible = computeCompatible(implVersion, requested);
    // Servers see a handful of distinct versions; the bound only guards against junk input.
    if (verdicts.size > 1024) verdicts.clear();
    verdicts.set(key, compatible);
  }
  return compatible;
}

/** Every dispatch asks this for every endpoint: remember the answers. */
const verdicts = new Map<string, boolean>();

function computeCompatible(implVersion: string, requested: string): boolean {
  const [impMajor, impMinor, impRev] = parts(implVersion);
  const [major, minor, rev] = parts(requested);
  if (major !== impMajor) return false;
  if (minor > impMinor) return false;
  if (minor === impMinor && rev > impRev) return false;
  return true;
}
