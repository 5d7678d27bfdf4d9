/**
 * Host weighing (nova's weights module): each weigher scores every host, the scores are
 * normalized to 0..1 across the candidates and multiplied by the weigher's multiplier, and the
 * host with the highest sum wins. Equal sums keep the hosts' name order, so choices are repeatable.
 */
import type { HostState } from './host-manager.js';

export interface HostWeigher {
  readonly name: string;
  readonly multiplier: number;
  weigh(host: HostState): number;
}

/** More free RAM first (spread) with a positive multiplier; a negative one stacks (nova's RAMWeigher). */
export function ramWeigher(multiplier: number): HostWeigher {
  return { name: 'RAMWeigher', multiplier, weigh: (host) => host.freeRamMb };
}

export interface WeighedHost {
  host: HostState;
  weight: number;
}

/** nova's normalize: min → 0, max → 1; all equal → all 0. */
function normalize(values: number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((value) => (max === min ? 0 : (value - min) / (max - min)));
}

/** The hosts, best first. */
export function weighHosts(hosts: readonly HostState[], weighers: readonly HostWeigher[]): WeighedHost[] {
  const weighed = hosts.map((host) => ({ host, weight: 0 }));
  if (hosts.length === 0) return weighed;
  for (const weigher of weighers) {
    if (weigher.multiplier === 0) continue;
    const scores = normalize(hosts.map((host) => weigher.weigh(host)));
    scores.forEach((score, index) => (weighed[index]!.weight += weigher.multiplier * score));
  }
  // Array.prototype.sort is stable: equal weights keep the input (name) order.
  return weighed.sort((a, b) => b.weight - a.weight);
}
