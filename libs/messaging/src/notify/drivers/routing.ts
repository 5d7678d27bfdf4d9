/**
 * `routing`: pick other drivers per notification from a YAML file named by
 * `[oslo_messaging_notifications] routing_config`:
 *
 *     group_1:
 *       messagingv2:
 *         accepted_events: ['compute.instance.*']
 *       log:
 *         accepted_priorities: ['error', 'critical']
 *     group_2:
 *       messagingv2:
 *         accepted_priorities: ['info']
 *
 * Within one entry both lists must match (a list that is absent does not constrain); entries and
 * groups are OR'ed; a driver that several entries accept is still called once.
 *
 * Unlike oslo, which reads the file on the first notification and warns about what it cannot
 * load, we read and check it when the Notifier is built, so a bad file is a ConfigurationError
 * at startup instead of a log line per notification (the Notifier swallows driver errors).
 * For the same reason an unknown key in an entry is an error rather than ignored: oslo would
 * treat a misspelt `accepted_event` as "no constraint" and route everything.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigurationError } from '../../errors.js';
import type { NotificationDriver, NotificationDriverInit } from './contract.js';
import { globToRegExp } from './glob.js';

interface RoutingRule {
  driver: string;
  events: RegExp[] | undefined;
  priorities: RegExp[] | undefined;
}

const RULE_KEYS = ['accepted_events', 'accepted_priorities'] as const;

export function createRoutingDriver(init: NotificationDriverInit): NotificationDriver {
  const file = init.conf.get<string>('oslo_messaging_notifications', 'routing_config');
  const rules = file ? loadRoutingRules(file) : [];
  if (!file) init.logger.warn('routing notification driver: [oslo_messaging_notifications] routing_config is empty, nothing will be sent');

  const drivers = new Map<string, NotificationDriver>();
  for (const { driver } of rules) {
    if (drivers.has(driver)) continue;
    if (driver === 'routing') throw new ConfigurationError(`routing_config ${file}: the routing driver cannot route to itself`);
    try {
      drivers.set(driver, init.createDriver(driver));
    } catch (err) {
      throw new ConfigurationError(`routing_config ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    async notify(ctxt, message, priority, retry) {
      const accepted = acceptedDrivers(rules, message.event_type, priority.toLowerCase());
      for (const name of accepted) {
        init.logger.info(`Routing '${message.event_type}' notification to '${name}' driver`);
        try {
          await (drivers.get(name) as NotificationDriver).notify(ctxt, message, priority, retry);
        } catch (err) {
          init.logger.error(`routing: the ${name} notification driver failed`, { error: err, message_id: message.message_id });
        }
      }
    },
  };
}

/** Drivers accepted by at least one rule, each once, in the order the file names them. */
function acceptedDrivers(rules: readonly RoutingRule[], eventType: string, priority: string): string[] {
  const accepted = new Set<string>();
  for (const rule of rules) {
    if (accepted.has(rule.driver)) continue;
    const eventOk = rule.events === undefined || rule.events.some((re) => re.test(eventType));
    const priorityOk = rule.priorities === undefined || rule.priorities.some((re) => re.test(priority));
    if (eventOk && priorityOk) accepted.add(rule.driver);
  }
  return [...accepted];
}

export function loadRoutingRules(file: string): RoutingRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`routing_config ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigurationError(`routing_config ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return parseRoutingGroups(doc, file);
}

function parseRoutingGroups(doc: unknown, file: string): RoutingRule[] {
  const fail = (problem: string) => new ConfigurationError(`routing_config ${file}: ${problem}`);
  if (doc === null || doc === undefined) return []; // an empty file routes nothing, as oslo
  if (!isMapping(doc)) throw fail('the top level must be a mapping of group names to groups');
  const rules: RoutingRule[] = [];
  for (const [group, drivers] of Object.entries(doc)) {
    if (!isMapping(drivers)) throw fail(`group "${group}" must be a mapping of driver names to rules`);
    for (const [driver, spec] of Object.entries(drivers)) {
      const where = `${group}.${driver}`;
      if (!isMapping(spec)) throw fail(`"${where}" must be a mapping with accepted_events and/or accepted_priorities`);
      const unknown = Object.keys(spec).filter((key) => !(RULE_KEYS as readonly string[]).includes(key));
      if (unknown.length > 0) throw fail(`"${where}" has unknown key(s) ${unknown.join(', ')} (expected ${RULE_KEYS.join(', ')})`);
      rules.push({
        driver,
        events: patternList(spec['accepted_events'], `${where}.accepted_events`, fail, (p) => p),
        // Priorities compare lower-cased on both sides, as oslo.
        priorities: patternList(spec['accepted_priorities'], `${where}.accepted_priorities`, fail, (p) => p.toLowerCase()),
      });
    }
  }
  return rules;
}

function patternList(value: unknown, where: string, fail: (problem: string) => Error, normalise: (p: string) => string): RegExp[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string')) throw fail(`"${where}" must be a list of glob strings`);
  return (value as string[]).map((p) => globToRegExp(normalise(p)));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
