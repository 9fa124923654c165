// The launcher: runs a Call's kernel. Directly (one call); as runs of rows sharing a temperature
// (per-row tau: every row validated first, then one call per run, each row exactly as alone);
// or, for an async call's large batch, split by rows across the worker pool (the stream counter
// moves with the rows, so the bits are those of one call).

import type { KernelName, Kernels } from "./abi.js";
import type { RowSpec } from "./specs.js";
import { addWords, type Words } from "./checks.js";
import { Call, type Host, type KernelFn } from "./marshal.js";
import { WorkerLost, type Pool } from "./pool.js";
import type { Streams } from "./streams.js";

/**
 * Batches smaller than this many elements run on the calling thread even in threaded mode:
 * below it, handing the rows to workers costs more than it saves (measured by
 * `node bench/threads.mjs`; see the README).
 */
export const PARALLEL_MIN_ELEMENTS = 65536;

/** Calls a kernel with the first `n` of `a` (no argument array made). */
function invoke(f: KernelFn, a: readonly number[], n: number): number {
  switch (n) {
    case 5:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!) ?? -1;
    case 6:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!) ?? -1;
    case 7:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!) ?? -1;
    case 8:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!) ?? -1;
    case 11:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!) ?? -1;
    case 13:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!) ?? -1;
    default:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!) ?? -1;
  }
}

/** Writes into `out` the arguments of rows r0 .. r1-1 of a batch (pointers, rows and stream counter moved). */
export function sliceArgs(args: readonly number[], spec: RowSpec, r0: number, r1: number, cols: number, out: number[]): number[] {
  for (let i = 0; i < args.length; i++) out[i] = args[i]!;
  for (const [arg, per] of spec.ptrs) {
    if (out[arg] !== 0) out[arg] = out[arg]! + r0 * 4 * (per === "cols" ? cols : per === "inner" ? args[spec.inner]! : per);
  }
  out[spec.rows] = r1 - r0;
  if (spec.stream) {
    const [lo, hi] = spec.stream;
    const w: Words = { lo: out[lo]!, hi: out[hi]! };
    addWords(w, r0 * cols, w);
    out[lo] = w.lo;
    out[hi] = w.hi;
  }
  return out;
}

export class Launcher {
  /** The workers (null on one thread, and after close()). */
  pool: Pool | null = null;
  private readonly runArgs: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  /** Async calls in flight on the workers. */
  private readonly inFlight = new Set<Promise<unknown>>();

  /**
   * @param stopped called when the pool must end (a worker that cannot be started again): the
   * instance then runs on the calling thread and says why.
   */
  constructor(
    private readonly kernels: Kernels,
    private readonly fns: KernelFn[],
    private readonly streams: Streams,
    readonly threshold: number,
    private readonly stopped: (pool: Pool, note: string) => Promise<void>,
  ) {}

  private fn(spec: RowSpec): KernelFn {
    return this.fns[spec.id]!;
  }

  /** Runs the call's launch on this thread; the first bad row, or -1 (also when there is no launch). */
  run(c: Call): number {
    const spec = c.spec;
    if (!spec) return -1;
    if (c.ran) return c.bad;
    const f = this.fn(spec);
    const n = spec.arity;
    if (!c.taus) return invoke(f, c.args, n);
    const bad = this.validate(c);
    if (bad >= 0) return bad;
    const { rows, cols, taus } = c;
    for (let r0 = 0; r0 < rows; ) {
      let r1 = r0 + 1;
      while (r1 < rows && taus[r1] === taus[r0]) r1++;
      const a = sliceArgs(c.args, spec, r0, r1, cols, this.runArgs);
      a[spec.tau] = taus[r0]!;
      invoke(f, a, n);
      r0 = r1;
    }
    return -1;
  }

  /** Whether an async call's launch goes to the workers: a large batch of two rows or more, one temperature, not run yet. */
  deferrable(c: Call): boolean {
    return this.pool !== null && c.spec !== null && !c.ran && c.taus === null && c.rows >= 2 && c.rows * c.cols >= this.threshold;
  }

  /** The first bad row of the whole batch (or -1), checked before any part runs. */
  validate(c: Call): number {
    const spec = c.spec;
    if (!spec?.validates) return -1;
    return spec.inner >= 0 ? this.kernels.check_lines(c.args[0]!, c.rows, c.cols, c.args[spec.inner]!) : this.kernels.check_rows(c.args[0]!, c.rows, c.cols);
  }

  /**
   * Splits a validated launch's rows across the workers and waits for them. A launch with a
   * workspace (`spec.work`) gives each part after the first a block of its own.
   */
  async split(c: Call): Promise<void> {
    const spec = c.spec!;
    const pool = this.pool!;
    const { rows, cols } = c;
    const args = c.args.slice(0, spec.arity);
    const parts = Math.min(pool.size, rows);
    const work = spec.work >= 0 && parts > 1 ? c.stage((parts - 1) * c.work) : 0;
    const jobs: Job[][] = [];
    for (let i = 0; i < parts; i++) {
      const a = sliceArgs(args, spec, Math.floor((rows * i) / parts), Math.floor((rows * (i + 1)) / parts), cols, new Array<number>(args.length));
      if (work && i > 0) a[spec.work] = work + (i - 1) * c.work;
      jobs.push([[spec.kernel, a]]);
    }
    await this.runParts(pool, jobs);
  }

  /**
   * Runs each part's kernel calls (in order) on its worker, part i on worker i, and waits for
   * them. A kernel's own error (a trap) rejects; parts whose worker is lost run here.
   */
  private async runParts(pool: Pool, jobs: Job[][]): Promise<void> {
    // A part settles when every call of it has (not at its first failure): a part rerun here
    // must not race a call of it still running on its worker.
    const results = await Promise.allSettled(jobs.map((part, i) => settled(part.map(([kernel, a]) => pool.call(i, kernel, a as number[])))));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
    const error = failed.find((e) => !(e instanceof WorkerLost));
    if (error) throw error;
    if (failed.length === 0) return;
    // Parts whose worker is gone run here: the same bits (the noise depends on the element
    // index only), and rerunning a part a dying worker had begun rewrites the same values
    // (outputs never overlap inputs; a part's calls run again in order). A worker that cannot
    // be started again ends the pool.
    for (let i = 0; i < jobs.length; i++) {
      if (results[i]!.status !== "fulfilled") this.runHere(jobs[i]!);
    }
    const lost = failed.find((e) => (e as WorkerLost).starting) as WorkerLost | undefined;
    if (lost) await this.stopped(pool, `the worker pool stopped: ${lost.message}`);
  }

  /** Runs kernel calls here, in order. */
  private runHere(jobs: readonly Job[]): void {
    const k = this.kernels as unknown as Record<string, KernelFn>;
    for (const [kernel, a] of jobs) k[kernel]!(...a);
  }

  /**
   * An async batch of `units` independent units (rows, elements) of `weight` elements each, that
   * `part(u0, u1)` turns into the kernel calls doing units u0 .. u1-1 (run in order; parts never
   * write where another reads). A batch of two units or more and `threshold` elements or more,
   * on a pool: one contiguous part per worker (a part whose worker is lost runs here);
   * otherwise one part, run here at once. For the distribution classes, whose kernels have no
   * launch of their own; what they stage and check is theirs. A failure rejects naming `fn`.
   */
  spread(fn: string, units: number, weight: number, part: (u0: number, u1: number) => Job[]): Promise<void> {
    const pool = this.pool;
    if (pool === null || units < 2 || units * weight < this.threshold) {
      try {
        this.runHere(part(0, units));
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const parts = Math.min(pool.size, units);
    const jobs: Job[][] = [];
    for (let i = 0; i < parts; i++) jobs.push(part(Math.floor((units * i) / parts), Math.floor((units * (i + 1)) / parts)));
    return this.track(this.runParts(pool, jobs).catch((e: unknown) => {
      throw new Error(`${fn}: ${(e as Error).message}`);
    }));
  }

  /** Keeps `p` among the calls in flight (close() waits for them) until it settles. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /**
   * A prepared call, run here: what `finish` makes of the finished call (by default its first
   * output, any `soft` delivered first; `pairResult`: `{ dlogits, dtau }`).
   */
  sync(c: Call, finish: Finish = result): unknown {
    const bad = this.run(c);
    if (bad >= 0) c.check(bad);
    if (c.spec !== null && c.spec.draws) this.streams.drawn();
    return finish(c);
  }

  /**
   * A Call of its own for an async call: its staged arrays live in blocks of its own until its
   * workers are done (and are released with it, on one thread too).
   */
  asyncCall(host: Host, fn: string): Call {
    return new Call(host, null, false).begin(fn);
  }

  /**
   * An async call: prepared now (its errors reject the promise, nothing drawn), then, for a large
   * batch on a pool, validated here and run by the workers; otherwise run here. The result as
   * `sync` says.
   */
  async(c: Call, prepare: () => void, finish: Finish = result): Promise<unknown> {
    try {
      prepare();
      if (!this.deferrable(c)) return Promise.resolve(this.sync(c, finish));
      if (c.checks) c.checks.all(c);
      else c.check(this.validate(c));
      if (c.spec?.draws) this.streams.drawn();
    } catch (e) {
      c.release();
      return Promise.reject(e);
    }
    const p = this.split(c).then(
      () => finish(c),
      (e: unknown) => {
        c.freeFresh();
        c.release();
        throw new Error(`${c.fn}: ${(e as Error).message}`);
      },
    );
    return this.track(p);
  }

  /** Waits for the async calls in flight. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}

/** One kernel call: the kernel's name and its arguments. */
export type Job = readonly [kernel: KernelName, args: readonly number[]];

/** What a finished call returns, made from its outputs (its blocks released). */
export type Finish = (c: Call) => unknown;

/** A finished call's result: its first output (any `soft` delivered first). */
function result(c: Call): unknown {
  if (c.out2.used) c.deliver(c.out2);
  const r = c.deliver(c.out1);
  c.release();
  return r;
}

/** A finished call's `{ dlogits, dtau }`, from its two outputs (`dtau` undefined when the second was not planned). */
export function pairResult(c: Call): unknown {
  const dlogits = c.deliver(c.out1);
  const r = { dlogits, dtau: c.out2.used ? c.deliver(c.out2) : undefined };
  c.release();
  return r;
}

/** Waits for every promise; then rejects with the first failure, if any. */
async function settled(calls: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(calls);
  const bad = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (bad) throw bad.reason;
}
