/** /healthz: named checks (bus, database, consumers), each with a detail, run on demand. */
export interface HealthResult {
  ok: boolean;
  detail?: string;
}

export type HealthCheck = () => Promise<HealthResult> | HealthResult;

export interface HealthReport {
  ok: boolean;
  service: string;
  checks: Record<string, HealthResult>;
}

const CHECK_TIMEOUT_MS = 2_000;

export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();
  constructor(private readonly service: string) {}

  register(name: string, check: HealthCheck): void {
    if (this.checks.has(name)) throw new Error(`health check ${name} is registered twice`);
    this.checks.set(name, check);
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all([...this.checks].map(async ([name, check]) => [name, await runOne(check)] as const));
    const checks = Object.fromEntries(entries);
    return { ok: entries.every(([, result]) => result.ok), service: this.service, checks };
  }
}

async function runOne(check: HealthCheck): Promise<HealthResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
