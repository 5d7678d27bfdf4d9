/**
 * Password masking for logged notifications, after oslo.utils' `mask_dict_password`: a key
 * that contains any sanitize word has its value replaced by `***`; string values are scanned
 * for `word=value` / `"word": "value"` pairs. Unlike oslo, arrays are walked too.
 */
const SANITIZE_WORDS = [
  'adminpass',
  'admin_pass',
  'password',
  'admin_password',
  'auth_token',
  'new_pass',
  'auth_password',
  'secret_uuid',
  'secret',
  'sys_pswd',
  'token',
  'configdrive',
  'chappassword',
  'encrypted_key',
  'private_key',
  'fernetkey',
  'sslkey',
  'passphrase',
  'cephxkey',
  'keystoneauthtoken',
  'cacheauthtoken',
];

export const MASK = '***';

function isSensitiveKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SANITIZE_WORDS.some((word) => lower.includes(word));
}

// key, then `=`/`:` with optional quotes and spaces, then the value up to a quote, space, comma or brace.
const IN_STRING = new RegExp(`((?:${SANITIZE_WORDS.join('|')})["']?\\s*[=:]\\s*["']?)[^"'\\s,}&]+`, 'gi');

export function maskPasswordInString(text: string): string {
  return text.replace(IN_STRING, `$1${MASK}`);
}

export function maskSecrets(value: unknown): unknown {
  if (typeof value === 'string') return maskPasswordInString(value);
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // As oslo: a nested dict is always walked, anything else under a sensitive key is masked.
    const isDict = inner !== null && typeof inner === 'object' && !Array.isArray(inner);
    out[key] = !isDict && isSensitiveKey(key) ? MASK : maskSecrets(inner);
  }
  return out;
}
