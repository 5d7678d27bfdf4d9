/**
 * Records what really crosses between the services while a flow runs on the embedded default:
 * every publish on the RPC and notification buses (memory:// taps, read as oslo messages) and
 * every REST call between projects (the service kit's REST tap), each as an arrow from one lane
 * to another.
 */
import { ArrowReader, type Arrow } from '@fjord/console';
import { getMemoryBroker } from '@fjord/messaging/drivers/memory';
import { tapRest } from '@fjord/service-kit';

export type { Arrow, ArrowKind } from '@fjord/console';
export { normalizePath } from '@fjord/console';

export class FlowRecorder {
  readonly arrows: Arrow[] = [];
  private readonly reader = new ArrowReader();
  private readonly untaps: Array<() => void> = [];

  /** Taps the memory:// brokers of these virtual hosts and the REST calls of this process. */
  constructor(virtualHosts: string[]) {
    for (const vhost of virtualHosts) {
      const broker = getMemoryBroker(vhost);
      if (!broker) throw new Error(`no memory:// broker for virtual host "${vhost}": start the stack first`);
      this.untaps.push(broker.tap((message) => this.keep(this.reader.fromPublish(message))));
    }
    this.untaps.push(tapRest((hop) => this.keep(this.reader.fromRest(hop))));
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

  private keep(arrow: Arrow | undefined): void {
    if (arrow) this.arrows.push(arrow);
  }
}
