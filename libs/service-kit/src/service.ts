/**
 * A service is a composition: config, logger, transports, database, HTTP, RPC servers, listeners
 * and periodic tasks, started in order and stopped in the reverse order that loses no work:
 * HTTP intake → periodic tasks → RPC servers and listeners (after in-flight work) → stop hooks →
 * transports → database.
 */
import {
  Notifier,
  Target,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  type Config,
  type NotificationListener,
  type RpcServer,
  type RpcServerOptions,
  type Transport,
} from '@fjord/messaging';
import { LogFile, createLogger, messagingLogger, type ServiceLogger } from './logger.js';
import { ServiceMetrics } from './metrics.js';
import { HealthChecks, type HealthCheck } from './health.js';
import { createHttpApp, type HttpApp } from './http/app.js';
import type { ErrorFormat } from './errors.js';
import type { Policy } from './policy.js';
import { KeystoneTokenValidator } from './auth/keystone.js';
import { readAuthSettings, registerAuthOptions } from './auth/options.js';
import { instrumentEndpoint } from './rpc-metrics.js';
import { noauthIdentity, registerNoauthOptions } from './noauth.js';
import { registerKitOptions } from './config.js';

export interface ServiceOptions {
  /** 'api', 'compute', … — the name in logs and metrics. */
  name: string;
  conf: Config;
  logger?: ServiceLogger;
}

export interface HttpOptions {
  host: string;
  port: number;
  title: string;
  version: string;
  description?: string;
  bodyLimit?: number;
  requestIdHeaders?: readonly string[];
  /** The error body: nova's and cinder's fault (default), or keystone's. */
  errorFormat?: ErrorFormat;
  /** Who may do what: each route's `config.policy` is checked against this table. */
  policy?: Policy;
}

export interface DatabaseOpenArgs {
  connection: string | null;
  stateDir: string;
  logger: ServiceLogger;
}

export interface Closable {
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Where it is, without credentials: shown by /healthz. */
  location?: string;
}

type Stoppable = RpcServer | NotificationListener;

interface PeriodicTask {
  name: string;
  ms: number;
  run: () => Promise<void>;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Service {
  readonly name: string;
  readonly conf: Config;
  readonly logger: ServiceLogger;
  readonly metrics: ServiceMetrics;
  readonly health: HealthChecks;
  /** Where the service listens once started, e.g. { http: 'http://127.0.0.1:8774' }. */
  readonly urls: { http?: string } = {};

  private state: State = 'new';
  /** `[DEFAULT] log_file`, closed by stop(). */
  private readonly logFile?: LogFile;
  private rpc?: Promise<Transport>;
  private notifications?: Promise<Transport>;
  private app?: HttpApp;
  private httpOptions?: HttpOptions;
  private readonly servers: Stoppable[] = [];
  private readonly tasks: PeriodicTask[] = [];
  private readonly databases: Closable[] = [];
  private checkedDatabases = 0;
  private readonly startHooks: Array<() => Promise<void>> = [];
  private readonly stopHooks: Array<() => Promise<void>> = [];

  constructor(options: ServiceOptions) {
    this.name = options.name;
    this.conf = options.conf;
    registerNoauthOptions(this.conf);
    registerKitOptions(this.conf);
    registerAuthOptions(this.conf);
    this.conf.setDefault('DEFAULT', 'rpc_ping_enabled', true);
    const level = this.conf.get<string | null>('DEFAULT', 'log_level') ?? (this.conf.get<boolean>('DEFAULT', 'debug') ? 'debug' : undefined);
    const logFile = options.logger ? null : this.conf.get<string | null>('DEFAULT', 'log_file');
    if (logFile) this.logFile = new LogFile(logFile);
    this.logger = options.logger ?? createLogger({ service: options.name, level: level ?? null, ...(this.logFile ? { destination: this.logFile } : {}) });
    this.metrics = new ServiceMetrics(options.name);
    this.health = new HealthChecks(options.name);
  }

  get host(): string {
    return this.conf.get<string>('DEFAULT', 'host');
  }

  /**
   * `<service>@<host>` (`compute@compute1`): the first part of this service's connection names on
   * the bus, so that RabbitMQ's connection list and a bus tap tell who sent what.
   */
  get clientName(): string {
    return `${this.name}@${this.host}`;
  }

  /** The RPC transport of `[DEFAULT] transport_url`, made once. */
  rpcTransport(): Promise<Transport> {
    this.rpc ??= getRpcTransport(this.conf, undefined, { logger: messagingLogger(this.logger.child({ component: 'messaging' })), clientName: this.clientName });
    return this.rpc;
  }

  /** The notification transport (`[oslo_messaging_notifications] transport_url`, else the RPC one). */
  notificationTransport(): Promise<Transport> {
    this.notifications ??= getNotificationTransport(this.conf, undefined, {
      logger: messagingLogger(this.logger.child({ component: 'notifications' })),
      clientName: this.clientName,
    });
    return this.notifications;
  }

  /** A notifier on the notification transport; driver and topics from [oslo_messaging_notifications]. */
  async notifier(options: { publisherId: string }): Promise<Notifier> {
    return new Notifier(await this.notificationTransport(), { publisherId: options.publisherId });
  }

  /** Open a database through a project's opener; closed last at shutdown; checked by /healthz. */
  async database<D extends Closable>(open: (args: DatabaseOpenArgs) => Promise<D>): Promise<D> {
    const db = await open({
      connection: this.conf.get<string | null>('database', 'connection') || null,
      stateDir: this.conf.get<string>('DEFAULT', 'state_path'),
      logger: this.logger.child({ component: 'database' }),
    });
    this.databases.push(db);
    this.checkDatabase(db);
    return db;
  }

  /** A database its caller opened and closes (one shared by several services in a process): checked by /healthz only. */
  useDatabase<D extends Pick<Closable, 'ping' | 'location'>>(db: D): D {
    this.checkDatabase(db);
    return db;
  }

  private checkDatabase(db: Pick<Closable, 'ping' | 'location'>): void {
    this.checkedDatabases++;
    this.health.register(this.checkedDatabases === 1 ? 'database' : `database-${this.checkedDatabases}`, async () => {
      await db.ping();
      return db.location ? { ok: true, detail: db.location } : { ok: true };
    });
  }

  /** The REST API of this service; routes are registered on the returned fastify app. */
  async http(options: HttpOptions): Promise<HttpApp> {
    if (this.app || this.httpOptions) throw new Error(`${this.name}: http() was already called`);
    this.httpOptions = options;
    this.app = await this.makeApp(options, true);
    return this.app;
  }

  /** Serve RPC: an RpcServer, or a target and endpoints (then counted in /metrics by method). */
  async rpcServer(target: Target | RpcServer, endpoints: object[] = [], options: RpcServerOptions = {}): Promise<RpcServer> {
    let server: RpcServer;
    if (target instanceof Target) {
      const instrumented = endpoints.map((endpoint) => instrumentEndpoint(endpoint, this.metrics, this.logger));
      server = getRpcServer(await this.rpcTransport(), target, instrumented, options);
      this.healthCheckRpc(target);
    } else {
      server = target;
    }
    this.servers.push(server);
    if (this.state === 'running') await server.start();
    return server;
  }

  /**
   * A notification listener, started with the service and stopped after its in-flight work.
   * /healthz reports it as `listener:<name>` (a crashed Kafka consumer shows there).
   */
  listener(listener: NotificationListener, name = 'notifications'): void {
    this.servers.push(listener);
    this.health.register(`listener:${name}`, () => listener.health());
  }

  /** A periodic task: runs every `ms` after start, never overlapping itself; failures are logged. */
  every(ms: number, name: string, run: () => Promise<void>): void {
    if (!(ms > 0)) throw new Error(`periodic task ${name}: interval must be positive, got ${ms}`);
    this.tasks.push({ name, ms, run });
  }

  onStart(hook: () => Promise<void>): void {
    this.startHooks.push(hook);
  }

  onStop(hook: () => Promise<void>): void {
    this.stopHooks.push(hook);
  }

  healthCheck(name: string, check: HealthCheck): void {
    this.health.register(name, check);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`${this.name} was already started`);
    this.state = 'starting';
    // A service without a REST API answers /healthz from the start, so that one still waiting for
    // its broker says so; a REST API opens only once its RPC servers listen.
    if (!this.httpOptions) await this.listen(await this.makeApp(this.healthOptions(), false), this.healthOptions());
    for (const server of this.servers) await server.start();
    for (const hook of this.startHooks) await hook();
    for (const task of this.tasks) this.schedule(task);
    if (this.httpOptions && this.app) await this.listen(this.app, this.httpOptions);
    this.state = 'running';
    this.logger.info({ url: this.urls.http }, `${this.name} started`);
  }

  private healthOptions(): HttpOptions {
    return {
      host: this.conf.get<string>('healthcheck', 'host'),
      port: this.conf.get<number>('healthcheck', 'port'),
      title: this.name,
      version: '1',
    };
  }

  private async listen(app: HttpApp, options: HttpOptions): Promise<void> {
    this.app = app;
    const address = await app.listen({ host: options.host, port: options.port });
    this.urls.http = address.replace('[::1]', 'localhost');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        this.logger.error({ err: error }, `${this.name}: stopping ${what} failed`);
      }
    };
    await step('HTTP', async () => this.app?.close());
    for (const task of this.tasks) clearTimeout(task.timer);
    await step('periodic tasks', () => Promise.all(this.tasks.map((task) => task.running)));
    await step('RPC servers and listeners', () => Promise.all(this.servers.map((server) => server.stop())));
    await step('in-flight work', () => Promise.all(this.servers.map((server) => server.wait())));
    // After in-flight work (whose last reports and casts they may still send), before the bus closes.
    for (const hook of this.stopHooks) await step('a stop hook', hook);
    await step('transports', async () => {
      const transports = await Promise.allSettled([this.rpc, this.notifications].filter(Boolean) as Array<Promise<Transport>>);
      await Promise.all(transports.map((result) => (result.status === 'fulfilled' ? result.value.cleanup() : undefined)));
    });
    await step('databases', () => Promise.all(this.databases.map((db) => db.close())));
    this.state = 'stopped';
    this.logger.info(`${this.name} stopped`);
    this.logFile?.close();
  }

  private makeApp(options: HttpOptions, docs: boolean): Promise<HttpApp> {
    // Only a REST API checks tokens; the health listener of an RPC-only service has nothing to guard.
    const auth = docs ? readAuthSettings(this.conf) : undefined;
    const tokens = auth ? { validator: new KeystoneTokenValidator(auth, this.logger.child({ component: 'auth_token' })), authUrl: auth.authUrl } : undefined;
    return createHttpApp({
      ...options,
      logger: this.logger,
      metrics: this.metrics,
      health: this.health,
      noauth: noauthIdentity(this.conf),
      docs,
      ...(tokens ? { tokens } : {}),
    });
  }

  private schedule(task: PeriodicTask): void {
    task.timer = setTimeout(() => {
      task.running = task
        .run()
        .catch((error: unknown) => this.logger.error({ err: error, task: task.name }, 'periodic task failed'))
        .finally(() => {
          task.running = undefined;
          if (this.state === 'running' || this.state === 'starting') this.schedule(task);
        });
    }, task.ms);
    task.timer.unref();
  }

  /** The bus is healthy when our own server answers oslo's ping through it. */
  private healthCheckRpc(target: Target): void {
    this.healthCheckPeer(`rpc:${target.topic}.${target.server}`, target);
  }

  /**
   * /healthz pings an RPC peer (oslo_rpc_server_ping, which every Fjord server answers) through
   * the bus: proves the broker and that someone serves `target` (a topic, or topic and server).
   */
  healthCheckPeer(name: string, target: Target): void {
    // oslo's ping endpoint answers version 1.0: ping without the API's own version.
    const pingTarget = new Target({ topic: target.topic, server: target.server, exchange: target.exchange });
    this.health.register(name, async () => {
      const client = getRpcClient(await this.rpcTransport(), pingTarget, { timeout: 2 });
      const started = performance.now();
      await client.call({}, 'oslo_rpc_server_ping');
      return { ok: true, detail: `ping answered in ${Math.round(performance.now() - started)} ms` };
    });
  }

}
