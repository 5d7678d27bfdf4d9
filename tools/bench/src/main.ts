/**
 * Fjord benchmarks (not tests): `npm run bench [-- --scale 0.2]`. Each scenario set prints a
 * table; baselines run in the same process and the same run, so ratios are comparable.
 * `npm run bench` builds @fjord/messaging first and measures the compiled JS, as apps run it
 * (tsx's on-the-fly transform wraps every closure and would understate the library).
 */
import { printTable } from './harness.js';
import { benchMemory } from './memory.js';

const scaleArg = process.argv.indexOf('--scale');
const scale = scaleArg >= 0 ? Number(process.argv[scaleArg + 1]) : 1;
if (!(scale > 0)) throw new Error('--scale takes a positive number');

const rssBefore = process.memoryUsage().rss;
const memory = await benchMemory(scale);
printTable('memory:// (in-process broker, full oslo wire encoding)', memory);
console.log(`\nRSS ${(rssBefore / 2 ** 20).toFixed(1)} MB -> ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MB`);
