// What bench/distributions.mjs, bench/tokens.mjs and bench/generate.mjs share: their flags, the seeded generator of
// their inputs and hand-written peers, and the timing: every implementation of a case in one
// tinybench run per round, the order rotated round by round, medians over the rounds.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";

/**
 * `--rounds` (default 5), `--time` (ms per task and round, default 150), `--out` (default bench/results/<name>.json).
 * @param {string} name @param {{ rounds?: number, time?: number }} [defaults] other defaults than 5 and 150
 */
export function benchOptions(name, defaults = {}) {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: String(defaults.rounds ?? 5) },
      time: { type: "string", default: String(defaults.time ?? 150) },
      out: { type: "string", default: fileURLToPath(new URL(`results/${name}.json`, import.meta.url)) },
    },
  });
  return { rounds: Number(values.rounds), time: Number(values.time), out: values.out };
}

let s = 2463534242;
/** xorshift32 as a uniform in (0, 1): the inputs' and the hand-written peers' generator. */
export const xorshift = () => {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return ((s >>> 0) + 0.5) / 4294967296;
};

export const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times `impls` (name -> function, sync or async) in `rounds` tinybench runs of `time` ms per
 * task, the order rotated each round; `more`: other tinybench options (e.g. fewer minimum
 * `iterations` than its 64 for calls of a second); `onRound(r, round)`: called after each round
 * (for progress). @returns one object per round: name -> median ms per call
 */
export async function rotatedRounds(impls, rounds, time, more = {}, onRound = () => {}) {
  const names = Object.keys(impls);
  const perRound = [];
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time, warmupTime: 30, ...more });
    for (const name of names.map((_, j) => names[(j + r) % names.length])) bench.add(name, impls[name]);
    await bench.run();
    const round = {};
    for (const task of bench.tasks) round[task.name] = task.result.latency?.p50 ?? task.result.period;
    perRound.push(round);
    onRound(r, round);
  }
  return perRound;
}

export function writeResults(out, results) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.error(`wrote ${out}`);
}
