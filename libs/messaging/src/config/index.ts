export { Config, envVarName, type ConfigSources, type OptionSpec, type OptionType } from './config.js';
export { parseIni, readIniFile, type IniSections, type IniValue } from './ini.js';
export {
  AMQP1_GROUP,
  AMQP1_OPTIONS,
  DEFAULT_GROUP,
  DEFAULT_OPTIONS,
  KAFKA_GROUP,
  KAFKA_OPTIONS,
  NOTIFICATION_OPTIONS,
  NOTIFICATIONS_GROUP,
  RABBIT_GROUP,
  RABBIT_OPTIONS,
  registerCoreOptions,
} from './options.js';
