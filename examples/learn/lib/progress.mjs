// Progress of a long run on stderr: done / total, elapsed, and the time left at the mean rate so far; and where a run ran, for its record.

import { cpus } from "node:os";

/** @param {number} s seconds */
export function duration(s) {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(1)}s`;
}

/**
 * @param {number} total units of work in the whole run
 * @param {{ every?: number, quiet?: boolean }} [options] seconds between lines
 */
export function progress(total, { every = 10, quiet = false } = {}) {
  const start = performance.now();
  let last = -Infinity;
  let done = 0;
  return {
    /** @param {number} units done since the last call @param {string} what the current state */
    tick(units, what) {
      done += units;
      const now = performance.now();
      if (quiet || (now - last < every * 1000 && done < total)) return;
      last = now;
      const elapsed = (now - start) / 1000;
      const left = (elapsed / done) * (total - done);
      process.stderr.write(`${what} | ${((100 * done) / total).toFixed(1)}% in ${duration(elapsed)}, about ${duration(left)} left\n`);
    },
    elapsed: () => (performance.now() - start) / 1000,
  };
}

/**
 * Where a run ran, for its record: date, CPU, cores, Node and the tfjs backend.
 * @param {{ getBackend(): string }} tf
 */
export function machine(tf) {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    node: process.versions.node,
    backend: tf.getBackend(),
  };
}
