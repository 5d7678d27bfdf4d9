/**
 * The same load as Traffic, run by Python oslo.messaging 14 (tools/interop/oslo_fault_load.py), so
 * each fault scenario can be measured for both and put side by side.
 */
import { PythonPeer } from '@fjord/interop-tests/peers';
import { callFigures, firstSuccess, type Figures, type Load } from './traffic.js';
import { management } from './nodes.js';

type CallRow = [number, number, boolean, string | null];
type Books = { calls: CallRow[]; casts: Figures['casts']; notifications: Figures['notifications'] };

export interface PythonLoadOptions {
  url: string;
  topic: string;
  durable?: boolean;
  quorum?: boolean;
  heartbeatThreshold?: number;
  callTimeout?: number;
  /** A fault node whose management API lists the load's connections. */
  managementNode: number;
}

export class PythonLoad implements Load {
  readonly label = 'Python oslo.messaging 14';
  private peer: PythonPeer | undefined;
  private last: Books = {
    calls: [],
    casts: { sent: 0, confirmed: 0, lost: 0, duplicated: 0 },
    notifications: { sent: 0, confirmed: 0, lost: 0, duplicated: 0 },
  };
  private polling: NodeJS.Timeout | undefined;

  constructor(private readonly options: PythonLoadOptions) {}

  async open(): Promise<void> {
    const { topic, durable, quorum, heartbeatThreshold, callTimeout } = this.options;
    const args = ['--topic', topic, '--timeout', String(callTimeout ?? 5)];
    if (durable) args.push('--durable');
    if (quorum) args.push('--quorum');
    if (heartbeatThreshold !== undefined) args.push('--heartbeat-threshold', String(heartbeatThreshold));
    this.peer = await PythonPeer.start('oslo_fault_load', args, { url: this.options.url, readyTimeoutMs: 60_000 });
  }

  start(): void {
    void this.peer?.command({ op: 'start' });
    // The scenarios poll firstSuccessAfter(); keep the books fresh.
    this.polling = setInterval(() => void this.refresh(), 250);
  }

  async stop(): Promise<void> {
    if (this.polling) clearInterval(this.polling);
    await this.peer?.command({ op: 'stop' }, 180_000);
    await this.refresh();
  }

  async settle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.refresh();
    while ((this.last.casts.lost > 0 || this.last.notifications.lost > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await this.refresh();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    await this.refresh();
  }

  figures(): Figures {
    const calls = this.calls();
    return { ...callFigures(calls, this.options.callTimeout ?? 5), casts: this.last.casts, notifications: this.last.notifications };
  }

  firstSuccessAfter(since: number): number | undefined {
    return firstSuccess(this.calls(), since);
  }

  /** oslo names its connections `<program>:<pid>:<uuid>`; the broker lists them with that name. */
  async clientConnections(): Promise<string[]> {
    const pid = this.peer?.pid;
    const { body } = await management<Array<{ client_properties?: { connection_name?: string } }>>(this.options.managementNode, '/connections?columns=client_properties');
    return (body ?? []).map((c) => c.client_properties?.connection_name ?? '').filter((name) => name.includes(`:${pid}:`));
  }

  async close(): Promise<void> {
    if (this.polling) clearInterval(this.polling);
    await this.peer?.stop();
  }

  private calls() {
    return this.last.calls.map(([startedAt, endedAt, ok, error]) => ({ startedAt, endedAt, ok, error: error ?? undefined }));
  }

  private async refresh(): Promise<void> {
    const answer = await this.peer?.command({ op: 'figures' }).catch(() => undefined);
    if (answer?.ok) this.last = answer as unknown as Books;
  }
}
