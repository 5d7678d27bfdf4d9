/** @fjord/console — the live view of the bus: arrows between the services as they happen. */
export { createConsoleService } from './service.js';
export type { ConsoleService, ConsoleServiceOptions } from './service.js';
export { registerConsoleOptions, readConsoleSettings } from './options.js';
export type { ConsoleSettings } from './options.js';
export { BusFeed, ofRequest } from './feed.js';
export type { FeedArrow, Counter, BusFeedOptions } from './feed.js';
export { ArrowReader, compareLanes, laneOfClient, normalizePath, wireMessage } from './arrows.js';
export type { Arrow, ArrowKind, WireMessage } from './arrows.js';
export { tapBus, tapRestCalls, TapConfigurationError, UntappableTransport } from './taps.js';
export type { Tap, BusTapOptions } from './taps.js';
