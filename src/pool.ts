// The worker pool of a threaded instance: N workers, each with its own instance of the
// shared-memory binary on the one WebAssembly.Memory the main instance uses. Workers get byte
// offsets and run one kernel call on their slice of the rows; nothing is copied. All allocation
// stays on the main thread (each wasm instance would otherwise keep its own allocator state).
//
// How a worker is started depends on the runtime (node:worker_threads in Node and Bun, Web
// Workers in browsers and Deno): the entry point passes a `WorkerFactory`.

/** What the pool needs of a worker, whatever the runtime. */
export interface PoolWorker {
  post(message: unknown): void;
  /** Lets an idle worker not keep the process alive (Node); a no-op where there is no such thing. */
  hold(busy: boolean): void;
  terminate(): Promise<unknown> | void;
}

/** Starts a worker and wires its messages and failures to the pool. */
export type WorkerFactory = (handlers: {
  message(data: unknown): void;
  /** The worker died or failed to start. */
  failed(error: Error): void;
}) => PoolWorker;

/** Sent to a worker once: the module to instantiate, the memory, and its scratch area. */
export interface StartMessage {
  type: "start";
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  scratch: number;
}

/** One kernel call. */
export interface JobMessage {
  type: "job";
  id: number;
  kernel: string;
  args: number[];
  /** Also return check_fault() after the call (validation passes). */
  fault?: boolean;
}

/** A worker's answer: ready, a job's result, or an error message. */
export type Reply =
  | { type: "ready" }
  | { type: "done"; id: number; result: number; fault: number }
  | { type: "error"; id: number; message: string }
  | { type: "start-failed"; message: string };

/**
 * A job that did not run because its worker is gone: it died, a new one could not start
 * (`starting`), or the pool was closed. Unlike a kernel's own error, the job can run elsewhere.
 */
export class WorkerLost extends Error {
  constructor(
    message: string,
    /** No worker could be started for it (as opposed to one dying with the job). */
    readonly starting: boolean,
  ) {
    super(message);
    this.name = "WorkerLost";
  }
}

/** An error's message, with its code when it has one (`ERR_ACCESS_DENIED`, ...). */
function describe(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown } | null;
  const message = String(e?.message ?? error);
  return typeof e?.code === "string" && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

interface Pending {
  resolve(value: { result: number; fault: number }): void;
  reject(error: Error): void;
}

class Slot {
  worker: PoolWorker | null = null;
  ready: Promise<void> | null = null;
  readonly pending = new Map<number, Pending>();
}

export class Pool {
  readonly size: number;
  private readonly slots: Slot[];
  private nextId = 1;
  private closed = false;

  constructor(
    size: number,
    private readonly factory: WorkerFactory,
    private readonly start: (index: number) => StartMessage,
  ) {
    this.size = size;
    this.slots = Array.from({ length: size }, () => new Slot());
  }

  /** Starts every worker now (otherwise each starts on its first job); rejects if one cannot start. */
  async warm(): Promise<void> {
    await Promise.all(this.slots.map((_, i) => this.ensure(i)));
  }

  /**
   * Runs one kernel call on worker `index`; rejects with the kernel's error, or a `WorkerLost`
   * if the worker died, could not start or the pool was closed.
   */
  async call(index: number, kernel: string, args: number[], fault = false): Promise<{ result: number; fault: number }> {
    if (this.closed) throw new WorkerLost("the worker pool was closed", false);
    const slot = this.slots[index]!;
    await this.ensure(index);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker!.hold(true);
      const message: JobMessage = { type: "job", id, kernel, args, fault };
      slot.worker!.post(message);
    });
  }

  /** Ends every worker; pending calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const w = slot.worker;
        slot.worker = null;
        slot.ready = null;
        this.failAll(slot, new WorkerLost("the worker pool was closed", false));
        if (w) await w.terminate();
      }),
    );
  }

  private ensure(index: number): Promise<void> {
    const slot = this.slots[index]!;
    if (slot.ready) return slot.ready;
    let refused = false;
    const ready = new Promise<void>((resolve, reject) => {
      let started = false;
      const notStarted = (why: unknown) => new WorkerLost(`worker ${index} failed to start: ${describe(why)}`, true);
      let worker: PoolWorker;
      let start: StartMessage;
      try {
        start = this.start(index);
        worker = this.factory({
          message: (data) => {
            const reply = data as Reply;
            if (reply.type === "ready") {
              started = true;
              worker.hold(slot.pending.size > 0);
              resolve();
            } else if (reply.type === "start-failed") {
              const error = notStarted(reply.message);
              this.drop(slot, worker, error);
              reject(error);
            } else {
              const p = slot.pending.get(reply.id);
              if (!p) return;
              slot.pending.delete(reply.id);
              if (slot.pending.size === 0) worker.hold(false);
              if (reply.type === "done") p.resolve({ result: reply.result, fault: reply.fault });
              else p.reject(new Error(`worker ${index} failed: ${reply.message}`));
            }
          },
          failed: (error) => {
            // A dead worker: its calls fail, and the next call starts a new one.
            this.drop(slot, worker, started ? new WorkerLost(`worker ${index} died: ${describe(error)}`, false) : notStarted(error));
            if (!started) reject(notStarted(error));
          },
        });
      } catch (e) {
        // The runtime refused to start a worker at all (a permission, a bad option, ...), or
        // its scratch area could not be allocated.
        refused = true;
        reject(notStarted(e));
        return;
      }
      slot.worker = worker;
      worker.hold(true);
      worker.post(start);
    });
    ready.catch(() => undefined);
    // A refused start is not remembered: the next call tries again.
    slot.ready = refused ? null : ready;
    return ready;
  }

  private drop(slot: Slot, worker: PoolWorker, error: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.ready = null;
    this.failAll(slot, error);
    void Promise.resolve(worker.terminate()).catch(() => undefined);
  }

  private failAll(slot: Slot, error: Error): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) p.reject(error);
  }
}

/** The worker's side: instantiate on start, then run jobs. Shared by the Node and Web workers. */
export function workerHandler(post: (reply: Reply) => void): (message: StartMessage | JobMessage) => void {
  let kernels: Record<string, (...args: number[]) => number> | null = null;
  return (message) => {
    if (message.type === "start") {
      try {
        const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
        kernels = instance.exports as unknown as Record<string, (...args: number[]) => number>;
        kernels.set_scratch!(message.scratch);
        post({ type: "ready" });
      } catch (e) {
        post({ type: "start-failed", message: String((e as Error)?.message ?? e) });
      }
      return;
    }
    try {
      const fn = kernels?.[message.kernel];
      if (typeof fn !== "function") throw new Error(`no kernel ${message.kernel}`);
      const result = fn(...message.args);
      post({ type: "done", id: message.id, result: result ?? 0, fault: message.fault ? kernels!.check_fault!() : 0 });
    } catch (e) {
      post({ type: "error", id: message.id, message: `${(e as Error)?.name ?? "Error"}: ${(e as Error)?.message ?? e}` });
    }
  };
}
