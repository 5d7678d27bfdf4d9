/**
 * Records what really crosses between the services while a flow runs on the embedded default:
 * every publish on the RPC and notification buses (memory:// taps, read as oslo messages) and
 * every REST call between projects (the service kit's REST tap), each as an arrow from one lane
 * to another.
 */
import { describeMessage, type MessageView } from '@fjord/messaging';
import { getMemoryBroker, type TappedPublish } from '@fjord/messaging/drivers/memory';
import { tapRest, type RestHop } from '@fjord/service-kit';

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
}

/** `compute@compute1` → `compute1` (each host its lane), `scheduler@scheduler1` → `scheduler`. */
export function laneOfClient(client: string): string {
  const [service, host] = client.split('@');
  return service === 'compute' && host ? host : (service ?? client);
}

/** The lane a request on `topic` (to `server`) reaches: compute hosts by name, the rest by project. */
function laneOfTarget(topic: string | undefined, server: string | undefined): string {
  if (topic === 'compute' && server) return server;
  return topic ?? '?';
}

/** Ids out of REST paths, so that two runs draw the same arrow. */
export function normalizePath(path: string): string {
  return path
    .replace(/\?.*$/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')
    .replace(/\/[0-9a-f]{32}(?=\/|$)/gi, '/{project_id}');
}

export class FlowRecorder {
  readonly arrows: Arrow[] = [];
  private readonly callers = new Map<string, string>();
  private readonly untaps: Array<() => void> = [];

  /** Taps the memory:// brokers of these virtual hosts and the REST calls of this process. */
  constructor(virtualHosts: string[]) {
    for (const vhost of virtualHosts) {
      const broker = getMemoryBroker(vhost);
      if (!broker) throw new Error(`no memory:// broker for virtual host "${vhost}": start the stack first`);
      this.untaps.push(broker.tap((message) => this.onPublish(message)));
    }
    this.untaps.push(tapRest((hop) => this.onRest(hop)));
  }

  stop(): void {
    for (const untap of this.untaps.splice(0)) untap();
  }

  /** The first arrow (already recorded or still to come) that `matches`. */
  async next(matches: (arrow: Arrow) => boolean, timeoutMs: number): Promise<Arrow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.arrows.find(matches);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching arrow within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The arrows of one request: its own, and the replies to its calls. */
  ofRequest(requestId: string): Arrow[] {
    const calls = new Set(this.arrows.filter((a) => a.requestId === requestId && a.msgId).map((a) => a.msgId));
    return this.arrows.filter((a) => a.requestId === requestId || (a.kind === 'reply' && calls.has(a.msgId)));
  }

  private onPublish(message: TappedPublish): void {
    const view = describeMessage(message.exchange, message.routingKey, message.body);
    const from = laneOfClient(message.connection.split(':')[0] ?? '?');
    const arrow = this.arrowOf(view, from, message);
    if (arrow) this.arrows.push(arrow);
  }

  private arrowOf(view: MessageView, from: string, message: TappedPublish): Arrow | undefined {
    // A reply queue's name is new in every run: the diagram names its kind, not the instance.
    const routingKey = (message.routingKey || '(none)').replace(/^reply_[0-9a-f]{32}$/, 'reply_{uuid}');
    const base = { time: message.time, from, via: `${message.exchange || '(default)'} · ${routingKey}` };
    const ids = { ...(view.requestId ? { requestId: view.requestId } : {}), ...(view.msgId ? { msgId: view.msgId } : {}) };
    const version = view.version ? ` v${view.version}` : '';
    switch (view.kind) {
      case 'call':
        if (view.msgId) this.callers.set(view.msgId, from);
        return { ...base, ...ids, kind: 'call', to: laneOfTarget(view.topic, view.server), label: `call ${view.method}${version}` };
      case 'cast':
        return { ...base, ...ids, kind: 'cast', to: laneOfTarget(view.topic, view.server), label: `cast ${view.method}${version}` };
      case 'fanout':
        return { ...base, ...ids, kind: 'fanout', to: laneOfTarget(view.topic, undefined), label: `fanout ${view.method}${version}` };
      case 'reply': {
        // oslo sends a reply and then an `ending` marker: one arrow, the first.
        const to = view.msgId ? this.callers.get(view.msgId) : undefined;
        if (!to) return undefined;
        this.callers.delete(view.msgId as string);
        return { ...base, ...ids, kind: 'reply', to, label: view.outcome === 'failure' ? `failure ${view.failure}` : 'reply' };
      }
      case 'notification':
        if (message.queues.length === 0) return undefined;
        return { ...base, ...ids, kind: 'notification', to: 'metering', label: `${view.eventType} (${view.priority})` };
      default:
        return undefined;
    }
  }

  private onRest(hop: RestHop): void {
    this.arrows.push({
      time: hop.time,
      from: laneOfClient(hop.caller),
      to: hop.service,
      kind: 'rest',
      label: `${hop.method} ${normalizePath(hop.path)}${hop.action ? ` ${hop.action}` : ''} → ${hop.status}`,
      via: `REST ${hop.service}`,
      requestId: hop.requestId,
    });
  }
}
