/**
 * What crosses between the services, as arrows from one lane to another: every publish on the
 * buses (read as oslo messages) and every REST call between projects. The one reading of a bus
 * tap that both the live view and the recorded flow pages (tools/flows) use, so they cannot
 * disagree on what a message was.
 *
 * Lanes are the services a reader of nova knows: `api`, `scheduler`, each compute host by name,
 * `volume` (cinder's API) and each cinder backend manager by its host (`volume1@lvm`), `image`
 * and `metering`.
 */
import { describeMessage, maskSecrets, type MessageView } from '@fjord/messaging';
import type { TappedPublish } from '@fjord/messaging/drivers/memory';
import type { RestHop } from '@fjord/service-kit';

export type ArrowKind = 'call' | 'reply' | 'cast' | 'fanout' | 'notification' | 'rest';

export interface Arrow {
  time: number;
  from: string;
  to: string;
  kind: ArrowKind;
  /** What the diagram says: the method and version, the event type and priority, the REST call. */
  label: string;
  /** Where it went on the bus: `exchange · routing key`, or the REST endpoint. */
  via: string;
  requestId?: string;
  msgId?: string;
  /** A reply: ms since its call was published. A REST call: how long it took. */
  ms?: number;
  /** What the counters count it under: `topic · method` (a reply: its call's), the event type, or the REST service and call. */
  counter: string;
}

/** A bus message as it was on the wire: routing, properties and the body, secrets masked. */
export interface WireMessage {
  exchange: string;
  routingKey: string;
  queues: string[];
  publisher: string;
  headers: Record<string, unknown>;
  /** The body as published (oslo's envelope with `oslo.message` parsed), secrets masked. */
  body: unknown;
  /** The parts a reader looks for first: the context and the arguments, result or payload. */
  context: Record<string, unknown>;
  payload?: unknown;
  /** Why the body could not be read as an oslo message. */
  error?: string;
}

/** Lanes in the order a reader meets them in nova: the api first, metering last. */
const LANE_ORDER = ['api', 'image', 'scheduler', 'compute', 'volume', 'volume-backend', 'metering'];

function laneGroup(lane: string): string {
  if (/^compute\d+$/.test(lane)) return 'compute';
  if (lane.includes('@')) return 'volume-backend';
  return lane;
}

/** Orders lanes: the api first, then image, scheduler, the compute hosts (compute2 before compute10), volume, its backends, metering. */
export function compareLanes(a: string, b: string): number {
  const rank = (lane: string) => {
    const index = LANE_ORDER.indexOf(laneGroup(lane));
    return index === -1 ? LANE_ORDER.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true });
}

/** `compute@compute1` → `compute1` (each host its lane), `scheduler@scheduler1` → `scheduler`. */
export function laneOfClient(client: string): string {
  const [service, host] = client.split('@');
  return service === 'compute' && host ? host : (service ?? client);
}

/** The lane a request on `topic` (to `server`) reaches: compute hosts and cinder backends by name, the rest by project. */
function laneOfTarget(topic: string | undefined, server: string | undefined): string {
  if ((topic === 'compute' || topic === 'volume') && server) return server;
  return topic ?? '?';
}

/**
 * A notification's sender from its publisher id (`compute.compute1`, `volume.volume1@lvm`), else
 * its connection, else (Kafka records do not name their producer) the publisher's service.
 */
function laneOfPublisher(publisherId: string | undefined, connectionLane: string): string {
  const [service, host] = (publisherId ?? '').split(/\.(.*)/s);
  if (service === 'compute' && host) return host;
  if (service === 'volume' && host?.includes('@')) return host;
  return connectionLane || service || '?';
}

/** Ids out of REST paths, so that two runs draw the same arrow. */
export function normalizePath(path: string): string {
  return path
    .replace(/\?.*$/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')
    .replace(/\/[0-9a-f]{32}(?=\/|$)/gi, '/{project_id}');
}

/** Calls whose reply has not come yet, by `_msg_id`: at most this many. */
const MAX_OPEN_CALLS = 10_000;

interface OpenCall {
  from: string;
  to: string;
  time: number;
  counter: string;
}

export class ArrowReader {
  private readonly openCalls = new Map<string, OpenCall>();

  /** The arrow of one publish, with what describeMessage read of it; none for a reply's `ending` marker, an unrouted notification or a stray reply. */
  fromPublish(message: TappedPublish, view = describeMessage(message.exchange, message.routingKey, message.body)): Arrow | undefined {
    const connectionLane = laneOfClient(message.connection.split(':')[0] ?? '?');
    // A reply queue's name is new in every run: the arrow names its kind, not the instance.
    const routingKey = (message.routingKey || '(none)').replace(/^reply_[0-9a-f]{32}$/, 'reply_{uuid}');
    const via = message.via ?? `${message.exchange || '(default)'} · ${routingKey}`;
    const ids = { ...(view.requestId ? { requestId: view.requestId } : {}), ...(view.msgId ? { msgId: view.msgId } : {}) };
    const base = { time: message.time, from: connectionLane, via, ...ids };
    const version = view.version ? ` v${view.version}` : '';
    const rpcCounter = `${view.topic ?? '?'} · ${view.method ?? '?'}`;
    switch (view.kind) {
      case 'call': {
        const to = laneOfTarget(view.topic, view.server);
        if (view.msgId) this.rememberCall(view.msgId, { from: connectionLane, to, time: message.time, counter: rpcCounter });
        return { ...base, kind: 'call', to, label: `call ${view.method}${version}`, counter: rpcCounter };
      }
      case 'cast':
        return { ...base, kind: 'cast', to: laneOfTarget(view.topic, view.server), label: `cast ${view.method}${version}`, counter: rpcCounter };
      case 'fanout':
        return { ...base, kind: 'fanout', to: laneOfTarget(view.topic, undefined), label: `fanout ${view.method}${version}`, counter: rpcCounter };
      case 'reply': {
        // oslo sends a reply and then an `ending` marker: one arrow, the first. The reply goes
        // back from the lane the call went to, to the lane that called.
        const call = view.msgId ? this.openCalls.get(view.msgId) : undefined;
        if (!call) return undefined;
        this.openCalls.delete(view.msgId as string);
        const label = view.outcome === 'failure' ? `failure ${view.failure}` : 'reply';
        return { ...base, from: call.to, kind: 'reply', to: call.from, label, ms: round(message.time - call.time), counter: call.counter };
      }
      case 'notification':
        if (message.queues.length === 0) return undefined;
        return {
          ...base,
          from: laneOfPublisher(view.publisherId, connectionLane),
          kind: 'notification',
          to: 'metering',
          label: `${view.eventType} (${view.priority})`,
          counter: view.eventType ?? '?',
        };
      default:
        return undefined;
    }
  }

  fromRest(hop: RestHop): Arrow {
    const call = `${hop.method} ${normalizePath(hop.path)}${hop.action ? ` ${hop.action}` : ''}`;
    return {
      time: hop.time,
      from: laneOfClient(hop.caller),
      to: hop.service,
      kind: 'rest',
      label: `${call} → ${hop.status}`,
      via: `REST ${hop.service}`,
      requestId: hop.requestId,
      ms: round(hop.ms),
      counter: `${hop.service} · ${call}`,
    };
  }

  private rememberCall(msgId: string, call: OpenCall): void {
    // A call whose reply never comes (its server gone) must not be remembered forever.
    if (this.openCalls.size >= MAX_OPEN_CALLS) this.openCalls.delete(this.openCalls.keys().next().value as string);
    this.openCalls.set(msgId, call);
  }
}

/** The message of a publish as it was on the wire, for a reader: secrets masked, oslo's inner message parsed. */
export function wireMessage(message: TappedPublish, view: MessageView): WireMessage {
  let body: unknown;
  try {
    const parsed = JSON.parse(message.body.toString('utf8')) as Record<string, unknown>;
    const inner = parsed['oslo.message'];
    body = maskSecrets(typeof inner === 'string' ? { ...parsed, 'oslo.message': JSON.parse(inner) } : parsed);
  } catch {
    body = `(${message.body.length} bytes, not JSON)`;
  }
  return {
    exchange: message.exchange,
    routingKey: message.routingKey,
    queues: message.queues,
    publisher: message.connection,
    headers: maskSecrets(message.headers) as Record<string, unknown>,
    body,
    context: view.context,
    ...(view.payload !== undefined ? { payload: view.payload } : {}),
    ...(view.error ? { error: view.error } : {}),
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
