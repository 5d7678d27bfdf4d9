/** @fjord/metering — a miniature ceilometer: notifications become events; meters derive from them. */
export { createMeteringService } from './service.js';
export type { MeteringServiceOptions } from './service.js';
export { registerMeteringOptions, notificationSettings } from './options.js';
export type { NotificationSettings } from './options.js';
export { createEventListener, listenerTargets, LISTENER_POOL } from './listener.js';
export type { EventSink } from './listener.js';
export { computeMeters, LIFECYCLE_EVENT_TYPES } from './meters.js';
export type { Meter, LifecycleEvent } from './meters.js';
export type { EventRecord } from './events/record.js';
