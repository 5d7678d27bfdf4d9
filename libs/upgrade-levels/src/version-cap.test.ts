import { Config, ConfigurationError } from '@fjord/messaging';
import { describe, expect, it } from 'vitest';
import { UPGRADE_LEVELS_GROUP, readVersionCap, registerVersionCapOption } from './index.js';

const confWith = (values: Record<string, unknown>) => {
  const conf = new Config({ env: {}, values: { [UPGRADE_LEVELS_GROUP]: values } });
  registerVersionCapOption(conf, 'compute', '6.0');
  return conf;
};

describe('[upgrade_levels] <service>', () => {
  it('is no cap when unset or blank', () => {
    expect(readVersionCap(confWith({}), 'compute')).toBeUndefined();
    expect(readVersionCap(confWith({ compute: '  ' }), 'compute')).toBeUndefined();
  });

  it('is the version it names, trimmed', () => {
    expect(readVersionCap(confWith({ compute: ' 6.1 ' }), 'compute')).toBe('6.1');
  });

  it('registering twice is harmless (every client constructor registers it)', () => {
    const conf = confWith({ compute: '6.0' });
    registerVersionCapOption(conf, 'compute', '6.0');
    expect(readVersionCap(conf, 'compute')).toBe('6.0');
  });

  it('a release name is a ConfigurationError naming the option', () => {
    const conf = confWith({ compute: 'dalmatian' });
    expect(() => readVersionCap(conf, 'compute')).toThrow(ConfigurationError);
    expect(() => readVersionCap(conf, 'compute')).toThrow('invalid value for option [upgrade_levels] compute: "dalmatian" is not a version like "X.Y"');
  });
});
