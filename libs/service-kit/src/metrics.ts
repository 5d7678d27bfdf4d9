/**
 * Prometheus metrics (prom-client), one registry per service so several services in one
 * process (the all-in-one launcher) keep their numbers apart.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly rpcCalls: Counter<'method' | 'outcome'>;
  readonly rpcDuration: Histogram<'method'>;
  readonly notificationsHandled: Counter<'event_type' | 'outcome'>;
  readonly notificationsSent: Counter<'event_type'>;

  constructor(service: string, options: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: 'fjord_http_request_duration_seconds',
      help: 'REST request latency by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.rpcCalls = new Counter({
      name: 'fjord_rpc_requests_total',
      help: 'RPC requests handled by this service, by method and outcome (ok, error).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.rpcDuration = new Histogram({
      name: 'fjord_rpc_request_duration_seconds',
      help: 'Time to handle an RPC request, by method.',
      labelNames: ['method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.notificationsHandled = new Counter({
      name: 'fjord_notifications_handled_total',
      help: 'Notifications handled by listeners of this service, by event type and outcome (handled, requeue, error).',
      labelNames: ['event_type', 'outcome'],
      registers,
    });
    this.notificationsSent = new Counter({
      name: 'fjord_notifications_sent_total',
      help: 'Notifications emitted by this service, by event type.',
      labelNames: ['event_type'],
      registers,
    });
  }
}
