/**
 * Fjord over amqp:// (AMQP 1.0 on Apache Artemis): RpcClient.call → RpcServer, one transport (one
 * rhea connection) on each side, against raw rhea request/reply on the same broker in the same
 * run, with interleaved rounds (the side that goes first alternates) and each scenario's median.
 */
import { Config } from '@fjord/messaging';
import type { CallRig } from './amqplib-baseline.js';
import { openFjordCallRig } from './fjord-rig.js';
import { concurrent, medianRun, sequential, type Result } from './harness.js';
import { openRawRheaRig, PAYLOAD, RAW_BODY } from './rhea-baseline.js';

export const SCENARIOS = {
  fjordSequential: 'Fjord amqp call, sequential',
  rawSequential: 'raw rhea request/reply, sequential',
  fjordConcurrent: 'Fjord amqp call, 64 in flight',
  rawConcurrent: 'raw rhea request/reply, 64 in flight',
};

/** Fjord over amqp:// with default options. */
export function openFjordAmqpRig(url: string): Promise<CallRig> {
  return openFjordCallRig(url, () => Config.load({ env: {} }), PAYLOAD);
}

export async function benchAmqp1(url: string, rounds: number, calls: number): Promise<Result[]> {
  const rigs: CallRig[] = [];
  try {
    const raw = await openRawRheaRig(url);
    rigs.push(raw);
    const fjord = await openFjordAmqpRig(url);
    rigs.push(fjord);
    const fjordNote = `echo of a ${JSON.stringify(PAYLOAD).length}-byte JSON value (oslo body each way)`;
    const rawNote = `${RAW_BODY.length}-byte JSON body each way`;
    const note = (r: Result, text: string): Result => ({ ...r, note: text });
    const runs = new Map<string, Result[]>();
    const record = (result: Result) => runs.set(result.scenario, [...(runs.get(result.scenario) ?? []), result]);
    const sequentials = [
      async () => note(await sequential(SCENARIOS.fjordSequential, calls, fjord.call), fjordNote),
      async () => note(await sequential(SCENARIOS.rawSequential, calls, raw.call), rawNote),
    ];
    const concurrents = [
      async () => note(await concurrent(SCENARIOS.fjordConcurrent, calls * 4, 64, fjord.call), fjordNote),
      async () => note(await concurrent(SCENARIOS.rawConcurrent, calls * 4, 64, raw.call), rawNote),
    ];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) record(await (sequentials[i] as () => Promise<Result>)());
      for (const i of order) record(await (concurrents[i] as () => Promise<Result>)());
    }
    return Object.values(SCENARIOS).map((scenario) => medianRun(runs.get(scenario) ?? []));
  } finally {
    for (const rig of rigs.reverse()) await rig.close().catch((err: unknown) => console.warn(`closing an amqp rig failed: ${(err as Error).message}`));
  }
}
