/**
 * What the kafka:// interop files share: the priorities, a record of what a Fjord transport's
 * driver was given, a wait for Fjord pool members to hold partitions, and the wait until a Python
 * listener really reads its topics (probes).
 */
import { expect } from 'vitest';
import type { NotificationListener, Transport } from '@fjord/messaging';
import type { JsonRecord, PythonPeer } from './peers.js';

export const PRIORITIES = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Python's kafka listener needs 5 s of its own first poll before it prints ready; a loaded machine more. */
export const OSLO_KAFKA_READY_MS = 60_000;

/** What Fjord's Notifier handed the kafka driver: the topic (before the virtual host), context and message. */
export interface FjordSent {
  topic: string;
  ctxt: JsonRecord;
  message: JsonRecord;
}

/** Record every notification `transport`'s driver sends from now on (the driver still sends it). */
export function recordFjordSends(transport: Transport): FjordSent[] {
  const sent: FjordSent[] = [];
  const driver = transport.driver;
  const send = driver.sendNotification.bind(driver);
  driver.sendNotification = (target, ctxt, message, version, retry) => {
    sent.push({ topic: target.topic ?? '', ctxt: structuredClone(ctxt) as JsonRecord, message: structuredClone(message) as JsonRecord });
    return send(target, ctxt, message, version, retry);
  };
  return sent;
}

/** Wait until every Fjord listener of a pool holds at least one partition (the group settled). */
export async function untilEachHoldsPartitions(listeners: NotificationListener[], timeoutMs = 60_000): Promise<void> {
  await expect
    .poll(() => listeners.map((l) => l.health().detail), { timeout: timeoutMs, interval: 200 })
    .toSatisfy((details: string[]) => details.every((d) => /: [1-9]\d* partition/.test(d)));
}

export const PROBE_EVENT_TYPE = 'interop.probe';
export const isProbe = (event: JsonRecord): boolean => typeof event['event_type'] === 'string' && event['event_type'].startsWith(`${PROBE_EVENT_TYPE}.`);

/**
 * oslo's Python kafka listener prints ready before it surely reads: it starts at the end of each
 * topic (auto.offset.reset=latest) once librdkafka got its partitions and looked the end up, which
 * may come after the 5 s first poll that start() makes. So send probes (event type
 * `interop.probe.<n>`), one per priority still unseen, until every listener got one of each:
 * from then on each of its partitions has a position and nothing sent later is missed.
 * Needs one partition per topic (a probe shows only its own partition is read). Returns how many
 * probes were sent.
 */
export async function untilOsloListenersRead(
  peers: PythonPeer[],
  priorities: readonly Priority[],
  sendProbe: (priority: Priority, eventType: string) => Promise<void>,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const seen = (peer: PythonPeer, priority: Priority) => peer.events.some((e) => isProbe(e) && e['priority'] === priority);
  let sent = 0;
  for (;;) {
    const missing = priorities.filter((p) => !peers.every((peer) => seen(peer, p)));
    if (missing.length === 0) return sent;
    if (Date.now() > deadline) {
      throw new Error(
        `Python kafka listener(s) read no probe of ${missing.join(', ')} within ${timeoutMs} ms (${sent} sent):\n` +
          peers.map((peer) => `${peer.describe()}: events ${JSON.stringify(peer.events)}\n${peer.stderrTail(15)}`).join('\n'),
      );
    }
    for (const priority of missing) await sendProbe(priority, `${PROBE_EVENT_TYPE}.${++sent}`);
    // The Python listener hands a notification over about 0.5-1 s after it was sent.
    const waitUntil = Date.now() + 2_000;
    while (Date.now() < waitUntil && !missing.every((p) => peers.every((peer) => seen(peer, p)))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
