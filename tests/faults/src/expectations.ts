/** What every fault scenario of Fjord's must show, whatever the fault. */
import { expect } from 'vitest';
import type { ScenarioFigures } from './report.js';

/** How long a call may end after its timeout: timers and a busy 2-core machine, never a retry loop. */
export const OVERRUN_ALLOWED_MS = 500;

export function expectPromisesKept(figures: ScenarioFigures): void {
  expect(figures.callsOk).toBeGreaterThan(0);
  expect(figures.worstOverrunMs).toBeLessThan(OVERRUN_ALLOWED_MS);
  expect(figures.casts?.lost).toBe(0);
  expect(figures.notifications?.lost).toBe(0);
  expect(figures.casts?.duplicated).toBe(0);
  expect(figures.notifications?.duplicated).toBe(0);
}
