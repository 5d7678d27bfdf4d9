/**
 * A load of calls, casts and notifications between two sides — a client side (RpcClient and
 * Notifier) and a server side (RpcServer and NotificationListener), each with transports of its
 * own, as two services would have — and the books kept on it while a fault happens:
 * which confirmed casts and notifications arrived (once, twice, never), how each call ended and
 * how long after its timeout, and when the service was back.
 */
import { Config, MessagingTimeout, Notifier, getNotificationListener, getNotificationTransport, getRpcClient, getRpcServer, getRpcTransport, type Logger, type Transport } from '@fjord/messaging';

export interface TrafficOptions {
  url: string;
  /** Option values for both sides, e.g. `{ oslo_messaging_rabbit: { rabbit_quorum_queue: true } }`. */
  values?: Record<string, Record<string, unknown>>;
  topic: string;
  logger: Logger;
  /** Call timeout in seconds. */
  callTimeout?: number;
  /** Call loops running at once. */
  callers?: number;
  /** Pause between two messages of one loop, in ms. */
  pauseMs?: number;
}

interface CallRecord {
  startedAt: number;
  endedAt: number;
  ok: boolean;
  error?: string;
}

export interface Figures {
  calls: number;
  callsOk: number;
  callsFailed: Record<string, number>;
  /** The longest a call went on past its timeout, in ms (0 when none did). */
  worstOverrunMs: number;
  casts: { sent: number; confirmed: number; lost: number; duplicated: number };
  notifications: { sent: number; confirmed: number; lost: number; duplicated: number };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A load the fault scenarios can run: Fjord's (Traffic) or Python oslo.messaging's (PythonLoad). */
export interface Load {
  readonly label: string;
  open(): Promise<void>;
  start(): void;
  /** Stop sending; resolves once every loop has ended. */
  stop(): Promise<void>;
  /** Wait until every confirmed cast and notification has arrived, or `timeoutMs` passed. */
  settle(timeoutMs?: number): Promise<void>;
  figures(): Figures;
  /** When (ms epoch) the first call that started at or after `since` ended well. */
  firstSuccessAfter(since: number): number | undefined;
  /** The connection_name of the client's sending connection(s), as the broker lists them. */
  clientConnections(): Promise<string[]>;
  close(): Promise<void>;
}

/** Books on calls, the same for every load. */
export function callFigures(calls: ReadonlyArray<{ startedAt: number; endedAt: number; ok: boolean; error?: string | undefined }>, timeoutS: number) {
  const failed: Record<string, number> = {};
  let worst = 0;
  for (const call of calls) {
    if (!call.ok) failed[call.error ?? 'Error'] = (failed[call.error ?? 'Error'] ?? 0) + 1;
    worst = Math.max(worst, call.endedAt - call.startedAt - timeoutS * 1000);
  }
  return { calls: calls.length, callsOk: calls.filter((c) => c.ok).length, callsFailed: failed, worstOverrunMs: Math.max(0, worst) };
}

export function firstSuccess(calls: ReadonlyArray<{ startedAt: number; endedAt: number; ok: boolean }>, since: number): number | undefined {
  const ok = calls.filter((c) => c.ok && c.startedAt >= since).map((c) => c.endedAt);
  return ok.length ? Math.min(...ok) : undefined;
}

export class Traffic implements Load {
  readonly label = 'Fjord';
  private readonly sides: Transport[] = [];
  private readonly calls: CallRecord[] = [];
  private readonly castsSent = new Set<number>();
  private readonly castsConfirmed = new Set<number>();
  private readonly castsReceived = new Map<number, number>();
  private readonly notesSent = new Set<number>();
  private readonly notesConfirmed = new Set<number>();
  private readonly notesReceived = new Map<number, number>();
  /** Sends the Notifier logged and swallowed (oslo's notifier never raises): not confirmed. */
  private notifyFailures = 0;
  private loops: Array<Promise<void>> = [];
  private running = false;
  private stopServer: (() => Promise<void>) | undefined;
  private client: ReturnType<typeof getRpcClient> | undefined;
  private notifier: Notifier | undefined;
  private readonly callTimeout: number;

  constructor(private readonly options: TrafficOptions) {
    this.callTimeout = options.callTimeout ?? 5;
  }

  /** The client side's transports, for tests that look at their connections. */
  get clientTransports(): Transport[] {
    return this.sides.slice(0, 2);
  }

  get serverTransports(): Transport[] {
    return this.sides.slice(2, 4);
  }

  async open(): Promise<void> {
    const { url, topic, logger } = this.options;
    const conf = () => Config.load({ env: {}, values: { ...this.options.values, DEFAULT: { control_exchange: topic, ...this.options.values?.['DEFAULT'] } } });
    const clientConf = conf();
    const serverConf = conf();
    const [clientRpc, clientNotes, serverRpc, serverNotes] = [
      await getRpcTransport(clientConf, url, { logger }),
      await getNotificationTransport(clientConf, url, { logger: this.countingNotifyFailures(logger) }),
      await getRpcTransport(serverConf, url, { logger }),
      await getNotificationTransport(serverConf, url, { logger }),
    ];
    this.sides.push(clientRpc, clientNotes, serverRpc, serverNotes);
    const count = (map: Map<number, number>, n: number) => map.set(n, (map.get(n) ?? 0) + 1);
    const server = getRpcServer(serverRpc, { topic, server: 'fault-server' }, [
      { echo: (_c: unknown, args: { n: number }) => args.n, record: (_c: unknown, args: { n: number }) => void count(this.castsReceived, args.n) },
    ]);
    await server.start();
    const listener = getNotificationListener(serverNotes, [{ topic }], [{ info: (_c: unknown, _p: unknown, _e: string, payload: { n: number }) => void count(this.notesReceived, payload.n) }]);
    await listener.start();
    this.stopServer = async () => {
      await listener.stop();
      await server.stop();
    };
    this.client = getRpcClient(clientRpc, { topic }, { timeout: this.callTimeout });
    this.notifier = new Notifier(clientNotes, { driver: 'messagingv2', topics: [topic], publisherId: 'faults' });
    // The path works before any fault.
    await this.client.call({}, 'echo', { n: -1 });
  }

  start(): void {
    this.running = true;
    const pause = this.options.pauseMs ?? 20;
    const callers = this.options.callers ?? 4;
    let next = 0;
    const client = this.client as NonNullable<typeof this.client>;
    const notifier = this.notifier as Notifier;
    for (let i = 0; i < callers; i++) {
      this.loops.push(
        (async () => {
          while (this.running) {
            const record: CallRecord = { startedAt: Date.now(), endedAt: 0, ok: false };
            try {
              await client.call({}, 'echo', { n: next++ });
              record.ok = true;
            } catch (err) {
              record.error = err instanceof MessagingTimeout ? 'MessagingTimeout' : (err as Error).name || 'Error';
            }
            record.endedAt = Date.now();
            this.calls.push(record);
            await sleep(pause);
          }
        })(),
      );
    }
    // A cast or notification counts as confirmed once its send resolved (the broker confirmed it)
    // and, for a notification, the Notifier logged no failure while it was on its way.
    const confirmedLoop = async (sent: Set<number>, confirmed: Set<number>, send: (n: number) => Promise<void>) => {
      for (let n = 0; this.running; n++) {
        sent.add(n);
        await send(n).then(
          () => void confirmed.add(n),
          () => undefined,
        );
        await sleep(pause);
      }
    };
    this.loops.push(
      confirmedLoop(this.castsSent, this.castsConfirmed, (n) => client.cast({}, 'record', { n })),
      confirmedLoop(this.notesSent, this.notesConfirmed, async (n) => {
        const failuresBefore = this.notifyFailures;
        await notifier.info({}, 'fault.test', { n });
        if (this.notifyFailures !== failuresBefore) throw new Error('the notifier could not send it');
      }),
    );
  }

  private countingNotifyFailures(logger: Logger): Logger {
    return {
      debug: (msg, fields) => logger.debug(msg, fields),
      info: (msg, fields) => logger.info(msg, fields),
      warn: (msg, fields) => logger.warn(msg, fields),
      error: (msg, fields) => {
        if (msg.startsWith('Could not send notification')) this.notifyFailures++;
        logger.error(msg, fields);
      },
    };
  }

  /** Stop sending; resolves once every loop has ended (a send waiting for the broker included). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Wait until every confirmed cast and notification has arrived, or `timeoutMs` passed. */
  async settle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const missing = () => [...this.castsConfirmed].some((n) => !this.castsReceived.has(n)) || [...this.notesConfirmed].some((n) => !this.notesReceived.has(n));
    while (missing() && Date.now() < deadline) await sleep(100);
    await sleep(500); // late duplicates
  }

  firstSuccessAfter(since: number): number | undefined {
    return firstSuccess(this.calls, since);
  }

  async clientConnections(): Promise<string[]> {
    const sender = (this.clientTransports[0]?.driver as unknown as { bus: { connectionNames: string[] } }).bus.connectionNames[0];
    return sender ? [sender] : [];
  }

  figures(): Figures {
    const books = (sent: Set<number>, confirmed: Set<number>, received: Map<number, number>) => ({
      sent: sent.size,
      confirmed: confirmed.size,
      lost: [...confirmed].filter((n) => !received.has(n)).length,
      duplicated: [...received.values()].filter((times) => times > 1).length,
    });
    return {
      ...callFigures(this.calls, this.callTimeout),
      casts: books(this.castsSent, this.castsConfirmed, this.castsReceived),
      notifications: books(this.notesSent, this.notesConfirmed, this.notesReceived),
    };
  }

  async close(): Promise<void> {
    await this.stop();
    await this.stopServer?.().catch(() => undefined);
    await Promise.all(this.sides.map((transport) => transport.cleanup().catch(() => undefined)));
  }
}
