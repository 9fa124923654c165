// Marshalling: a call's operands into wasm memory and its outputs back out. Every caller goes
// through a `Call`: the public calls, sampleTokens and the distribution classes alike, so a
// tensor is read and written in place everywhere (zero-copy) and an array is copied once.
//
// A Call holds the reusable slots of one call in flight: two inputs, two outputs, and the kernel
// launch (spec, rows, arguments). Synchronous calls reuse the instance's one Call and its staging
// region, so the tensor path allocates nothing; an async call gets a Call of its own, whose staged
// arrays stay in blocks of its own until its workers are done.

import type { Kernels } from "./abi.js";
import { SPECS, type RowSpec } from "./specs.js";
import { article, checkFlag, describe, floatInputError, isNumberArray, rowError } from "./checks.js";
import { Heap, Region, Tensor, type DType, type TensorOwner } from "./memory.js";
import { Layout, resolveLayout, type LayoutOptions } from "./layout.js";

/** A kernel as JS sees it. */
export type KernelFn = (...args: number[]) => number | undefined;

/** Each row spec's kernel function, by spec id (looked up once per instance, not per call). */
export function kernelTable(kernels: Kernels): KernelFn[] {
  return SPECS.map((s) => (kernels as unknown as Record<string, KernelFn>)[s.kernel]!);
}

/** What a call needs of the instance it runs on. */
export interface Host extends TensorOwner {
  readonly heap: Heap;
  readonly kernels: Kernels;
  /** @internal kernelTable(kernels). */
  readonly kernelFns: KernelFn[];
}

/** A launch's own row checks beyond check_rows (sampleTokens: a temperature overflowing a row's max); each throws, nothing written. */
export interface RowChecks {
  /** Checks every row of the batch on the calling thread (before it is split across workers). */
  all(c: Call): void;
  /** The error for bad row `row`, which the kernel returned (check_fault() says why). */
  row(c: Call, row: number): never;
}

/** An input of the current call. */
export class Operand {
  name = "";
  tensor: Tensor | null = null;
  /** An array to copy in (null for tensors and for views on wasm memory). */
  array: ArrayLike<number> | null = null;
  /** Already in wasm memory (a tensor, or a Float32Array view on the memory): read in place. */
  onHeap = false;
  length = 0;
  ptr = 0;
}

/**
 * A fresh output tensor's shape from the call's layout: the input's (`full`), a reduction's
 * (`reduced`: the class axis dropped, or 1 with keepDims), or the class axis of size n.
 */
export type OutShape = "full" | "reduced" | number;

/** An output of the current call. */
export class OutPlan {
  name = "";
  /** Planned by this call (else the slot is unused). */
  used = false;
  dtype: DType = "float32";
  rows = 0;
  cols = 0;
  /** The user's tensor (written in place), or the fresh one made for a tensor input. */
  tensor: Tensor<DType> | null = null;
  /** The user's array: copied into, or written in place when it is a view on wasm memory. */
  array: Float32Array | Int32Array | null = null;
  /** The user's tensor or a view on wasm memory: the kernel writes there directly. */
  onHeap = false;
  /** Allocate a new tensor for the result (tensor inputs, no out given). */
  fresh = false;
  /** The fresh tensor's shape (`Call.shapeOut`); null: rows x cols. */
  shape: OutShape | null = null;
  ptr = 0;
}

/** Bytes an input needs in the staging area (arrays only), 16-byte aligned. */
function stagedIn(x: Operand | null): number {
  return x && !x.onHeap ? Math.ceil((x.length * 4) / 16) * 16 : 0;
}

/** Bytes an output needs in the staging area (no tensor given or made). */
function stagedOut(o: OutPlan | null): number {
  return o && !o.onHeap && !o.fresh ? Math.ceil((o.rows * o.cols * 4) / 16) * 16 : 0;
}

/** Whether byte ranges [a, a + m) and [b, b + n) of wasm memory intersect. */
export function intersects(a: number, m: number, b: number, n: number): boolean {
  return m > 0 && n > 0 && a < b + n && b < a + m;
}

export class Call {
  /** The public call's name, for errors. */
  fn = "";
  readonly in1 = new Operand();
  readonly in2 = new Operand();
  readonly out1 = new OutPlan();
  readonly out2 = new OutPlan();
  /** The kernel launch (null: the call ran its kernels itself). */
  spec: RowSpec | null = null;
  rows = 0;
  cols = 0;
  /** One temperature per row (runs of equal values go in one kernel call), or null. */
  taus: Float32Array | null = null;
  /** The kernel's arguments (the first `spec`'s arity of them), kept for a launch not run at once. */
  readonly args: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  /** The launch has run (`ranNow`); its result is `bad`. */
  ran = false;
  /** The first bad row the kernel reported, or -1. */
  bad = -1;
  /** Bytes of the launch's workspace (its layout's `work`): a part split off needs as many of its own. */
  work = 0;
  /** The launch's own row checks, or null: check_rows and rowError. */
  checks: RowChecks | null = null;
  /** Where the classes are (`resolveLayout`); inner > 1: a strided launch, whose faults are lines. */
  readonly layout = new Layout();

  /**
   * @param staging the instance's reusable region (synchronous calls), or null: blocks of the
   * call's own, released by `release()` (async calls).
   * @param immediate run a launch of one temperature at once, its arguments passed straight to
   * the kernel (the synchronous calls: no argument array read back, nothing boxed); otherwise
   * keep it for the launcher (async calls, which may split it across workers).
   */
  constructor(readonly host: Host, private readonly staging: Region | null, private readonly immediate: boolean) {}

  private readonly blocks: number[] = [];

  get memory(): WebAssembly.Memory {
    return this.host.heap.memory;
  }

  /** Starts a call: every slot unused. */
  begin(fn: string): this {
    this.fn = fn;
    this.spec = null;
    this.taus = null;
    this.ran = false;
    this.work = 0;
    this.checks = null;
    this.layout.inner = 1;
    this.layout.shape = null;
    // What the overlap checks read of the inputs (release() drops the references after a call).
    this.in1.onHeap = false;
    this.in2.onHeap = false;
    this.out1.used = false;
    this.out2.used = false;
    return this;
  }

  /** Sets the kernel launch for the launcher: its spec, shape, per-row temperatures and arguments. */
  launch(
    spec: RowSpec, rows: number, cols: number, taus: Float32Array | null,
    a0: number, a1: number, a2: number, a3: number, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0, a11 = 0, a12 = 0,
  ): void {
    this.spec = spec;
    this.rows = rows;
    this.cols = cols;
    this.taus = taus;
    this.keep(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
  }

  /**
   * Whether a launch of temperature `tau` runs at once, its kernel called directly by the
   * preparation (a synchronous call with one temperature: no argument array, and a call site
   * that sees one kernel, which V8 calls fastest); else `launch` keeps it for the launcher.
   */
  runsNow(tau: number | Float32Array): tau is number {
    return this.immediate && typeof tau === "number";
  }

  /** Records a launch that ran at once (`runsNow`): the kernel's result, -1 or the first bad row. */
  ranNow(spec: RowSpec, rows: number, cols: number, bad: number | void): void {
    this.spec = spec;
    this.rows = rows;
    this.cols = cols;
    this.taus = null;
    this.ran = true;
    this.bad = bad ?? -1;
  }

  /** Keeps a launch's arguments for the launcher. */
  private keep(a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number, a8: number, a9: number, a10: number, a11: number, a12: number): void {
    const a = this.args;
    a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3; a[4] = a4; a[5] = a5;
    a[6] = a6; a[7] = a7; a[8] = a8; a[9] = a9; a[10] = a10; a[11] = a11; a[12] = a12;
  }

  /** A float32 input in `slot`: a tensor of this instance or a view on its memory (read in place), or an array (copied in by `stageOperands`). */
  operand(name: string, x: unknown, slot: Operand): Operand {
    slot.name = name;
    if (x instanceof Tensor) {
      this.checkTensor(name, x, "float32");
      slot.tensor = x;
      slot.array = null;
      slot.onHeap = true;
      slot.length = x.length;
      slot.ptr = x.byteOffset;
      return slot;
    }
    return this.arrayOperand(name, x, slot);
  }

  /** `operand` of anything but a tensor. */
  private arrayOperand(name: string, x: unknown, slot: Operand): Operand {
    if (isNumberArray(x)) {
      // A Float32Array on this memory (say a tensor's data) is read in place: no copy, and no
      // view to go stale if the call grows the memory.
      const onHeap = x instanceof Float32Array && x.buffer === this.memory.buffer;
      slot.tensor = null;
      slot.array = onHeap ? null : x;
      slot.onHeap = onHeap;
      slot.length = x.length;
      slot.ptr = onHeap ? (x as Float32Array).byteOffset : 0;
      return slot;
    }
    throw floatInputError(this.fn, name, x);
  }

  checkTensor(name: string, t: Tensor<DType>, dtype: DType): void {
    if (t.owner === this.host && t.dtype === dtype && !t.isFreed) return;
    this.badTensor(name, t, dtype);
  }

  private badTensor(name: string, t: Tensor<DType>, dtype: DType): never {
    const fn = this.fn;
    if (t.owner !== this.host) throw new TypeError(`${fn}: ${name} is a tensor of another gumbel-wasm instance`);
    if (t.isFreed) throw new TypeError(`${fn}: ${name} is a freed tensor`);
    throw new TypeError(`${fn}: ${name} must be a ${dtype} tensor, got ${t.dtype}`);
  }

  /** The layout of `a`'s classes from the options (`shape`, `axis`, `cols`, `keepDims`) or its tensor's shape. */
  resolveLayout(o: LayoutOptions, a: Operand): Layout {
    const t = a.tensor;
    if (t !== null && o.cols === undefined && o.shape === undefined && o.axis === undefined) {
      // The tensor's own shape, classes last: its matrix view, computed when it was made (a
      // frozen shape), unless the shape has no dimension or an empty last one (their errors).
      const L = this.layout;
      L.keepDims = checkFlag(this.fn, "keepDims", o.keepDims);
      if (t.cols !== 0 && t.shape.length !== 0) return L.lastAxis(t.shape, t.rows, t.cols);
    }
    return resolveLayout(this.layout, this.fn, o, a.name, a.length, t ? t.shape : null);
  }

  sameLength(a: Operand, b: Operand): void {
    if (a.length !== b.length) throw new RangeError(`${this.fn}: ${b.name} has ${b.length} elements but ${a.name} has ${a.length}`);
  }

  /** Plans an output in `slot`; refuses a wrong type or length and overlaps with the inputs. */
  outPlan(name: string, out: unknown, dtype: DType, rows: number, cols: number, tensorIn: boolean, slot: OutPlan, other: OutPlan | null): OutPlan {
    slot.name = name;
    slot.used = true;
    slot.dtype = dtype;
    slot.rows = rows;
    slot.cols = cols;
    slot.tensor = null;
    slot.array = null;
    slot.onHeap = false;
    slot.fresh = false;
    slot.shape = null;
    slot.ptr = 0;
    if (out === undefined) slot.fresh = tensorIn;
    else this.given(out, slot, other);
    return slot;
  }

  /** The user's `out` for `slot`: a tensor or a typed array of the right type and length, overlapping nothing. */
  private given(out: unknown, slot: OutPlan, other: OutPlan | null): void {
    if (out instanceof Tensor) {
      this.checkTensor(slot.name, out, slot.dtype);
      slot.tensor = out;
      slot.onHeap = true;
      slot.ptr = out.byteOffset;
    } else this.givenArray(out, slot, other);
    const length = slot.rows * slot.cols;
    if ((out as { length: number }).length !== length) this.badOut(out, slot, other);
    if (other && slot.array && !slot.onHeap && slot.array === other.array) this.badOut(out, slot, other);
    if (slot.onHeap && this.overlaps(slot.ptr, length * 4, other)) this.badOut(out, slot, other);
  }

  /** `given` of a typed array: written in place when it is a view on this memory (and re-derived if the memory grows). */
  private givenArray(out: unknown, slot: OutPlan, other: OutPlan | null): void {
    if (!(slot.dtype === "int32" ? out instanceof Int32Array : out instanceof Float32Array)) this.badOut(out, slot, other);
    const arr = out as Float32Array | Int32Array;
    slot.array = arr;
    slot.onHeap = arr.buffer === this.memory.buffer;
    slot.ptr = slot.onHeap ? arr.byteOffset : 0;
  }

  /** Whether `bytes` at `ptr` of wasm memory meet an input in wasm memory or the output `other`. */
  private overlaps(ptr: number, bytes: number, other: OutPlan | null): boolean {
    const { in1, in2 } = this;
    return (
      (in1.onHeap && intersects(ptr, bytes, in1.ptr, in1.length * 4)) ||
      (in2.onHeap && intersects(ptr, bytes, in2.ptr, in2.length * 4)) ||
      (other !== null && other.onHeap && intersects(ptr, bytes, other.ptr, other.rows * other.cols * 4))
    );
  }

  /** Why the user's `out` cannot be `slot`: the TypeError or RangeError naming it. */
  private badOut(out: unknown, slot: OutPlan, other: OutPlan | null): never {
    const { name, dtype } = slot;
    const fn = this.fn;
    const length = slot.rows * slot.cols;
    if (!(out instanceof Tensor) && !(dtype === "int32" ? out instanceof Int32Array : out instanceof Float32Array)) {
      const ctor = dtype === "int32" ? "Int32Array" : "Float32Array";
      throw new TypeError(`${fn}: ${name} must be ${article(ctor)} or ${article(dtype)} Tensor, got ${describe(out)}`);
    }
    const n = (out as { length: number }).length;
    if (n !== length) throw new RangeError(`${fn}: ${name} has ${n} elements, expected ${length}`);
    if (other && slot.array && !slot.onHeap && slot.array === other.array) {
      throw new RangeError(`${fn}: ${name} must not be the same array as ${other.name}`);
    }
    const bytes = length * 4;
    for (const x of [this.in1, this.in2]) {
      if (x.onHeap && intersects(slot.ptr, bytes, x.ptr, x.length * 4)) throw new RangeError(`${fn}: ${name} must not overlap ${x.name}`);
    }
    throw new RangeError(`${fn}: ${name} must not overlap ${other!.name}`);
  }

  /** Marks an input slot unused. */
  clear(x: Operand): void {
    x.tensor = null;
    x.array = null;
    x.onHeap = false;
    x.length = 0;
  }

  /**
   * Gives array inputs and array outputs a place in the staging area; copies the inputs in.
   * Returns `work` bytes more of it (16-byte aligned; 0 when none are asked): the call's own
   * intermediate (log p for `probs: true`).
   */
  stageOperands(a: Operand | null, b: Operand | null, o1: OutPlan, o2: OutPlan | null, work = 0): number {
    // The zero-copy case (everything already in wasm memory) has nothing to place.
    if (work === 0 && (!a || a.onHeap) && (!b || b.onHeap) && (o1.onHeap || o1.fresh) && (!o2 || o2.onHeap || o2.fresh)) return 0;
    return this.stageCopies(a, b, o1, o2, work);
  }

  /** `stageOperands` when something is not in wasm memory yet, or `work` is asked. */
  private stageCopies(a: Operand | null, b: Operand | null, o1: OutPlan, o2: OutPlan | null, work: number): number {
    const total = stagedIn(a) + stagedIn(b) + stagedOut(o1) + stagedOut(o2) + Math.ceil(work / 16) * 16;
    if (total === 0) return 0;
    let p = this.stage(total);
    p = this.copyIn(a, p);
    p = this.copyIn(b, p);
    if (stagedOut(o1)) {
      o1.ptr = p;
      p += stagedOut(o1);
    }
    if (o2 && stagedOut(o2)) o2.ptr = p;
    return work === 0 ? 0 : p + stagedOut(o2);
  }

  private copyIn(x: Operand | null, p: number): number {
    const bytes = stagedIn(x);
    if (!bytes) return p;
    x!.ptr = p;
    new Float32Array(this.memory.buffer, p, x!.length).set(x!.array!);
    return p + bytes;
  }

  /** `bytes` of staging: the reusable region, or a block of this call's own. */
  stage(bytes: number): number {
    if (this.staging) return this.staging.reserve(this.host.heap, bytes);
    const p = this.host.heap.alloc(bytes);
    this.blocks.push(p);
    return p;
  }

  /** The shape a fresh output tensor of `o` gets, from the call's layout (default rows x cols). */
  shapeOut(o: OutPlan, shape: OutShape): void {
    o.shape = shape;
  }

  /** Allocates the fresh output tensor (tensor input, no `out`), after every check has passed. */
  allocFresh(o: OutPlan): void {
    if (o.fresh) this.makeFresh(o);
  }

  private makeFresh(o: OutPlan): void {
    const L = this.layout;
    const s = o.shape;
    const shape = s === null || (s === "full" && L.shape === null) ? null : s === "full" ? L.shape : s === "reduced" ? L.reduced() : L.withAxis(s);
    o.tensor = new Tensor(this.host, o.rows, o.cols, o.dtype, shape);
    o.ptr = o.tensor.byteOffset;
  }

  /** The output's result: its tensor, the user's array filled, or a new array. */
  deliver(o: OutPlan): Tensor<DType> | Float32Array | Int32Array {
    const t = o.tensor;
    const arr = o.array;
    // Drop references so the slots keep nothing of the caller's alive.
    o.tensor = null;
    o.array = null;
    if (t) return t;
    const buffer = this.memory.buffer;
    // The user's view on this memory, written in place: hand it back, re-derived if the
    // memory grew during the call (a detached view must never reach the user).
    const length = o.rows * o.cols;
    if (arr && o.onHeap) {
      if (arr.buffer === buffer) return arr;
      return o.dtype === "int32" ? new Int32Array(buffer, o.ptr, length) : new Float32Array(buffer, o.ptr, length);
    }
    const view = o.dtype === "int32" ? new Int32Array(buffer, o.ptr, length) : new Float32Array(buffer, o.ptr, length);
    if (arr) {
      arr.set(view);
      return arr;
    }
    return view.slice();
  }

  /** Frees the output tensors made for this call (a call that failed after making them). */
  freeFresh(): void {
    for (const o of [this.out1, this.out2]) {
      if (o.used && o.fresh && o.tensor) o.tensor.free();
      o.tensor = null;
    }
  }

  /** Ends the call: its blocks released, no reference to the caller's data kept. */
  release(): void {
    if (this.blocks.length > 0) {
      for (const p of this.blocks) this.host.heap.release(p);
      this.blocks.length = 0;
    }
    // Keep nothing of the caller's alive (deliver() already let go of the outputs it delivered).
    const { in1, in2, out1, out2 } = this;
    if (in1.tensor !== null || in1.array !== null) this.clear(in1);
    if (in2.tensor !== null || in2.array !== null) this.clear(in2);
    if (out1.tensor !== null || out1.array !== null) out1.tensor = out1.array = null;
    if (out2.tensor !== null || out2.array !== null) out2.tensor = out2.array = null;
  }

  /**
   * A kernel refused row `row` of `a` (NaN, +Inf, or every class masked; for probabilities, a
   * value that is not one, or every class 0) before writing anything: free the output tensors made for this call and say what is wrong where.
   */
  rowFault(a: Operand, row: number, cols: number, fault = this.host.kernels.check_fault(), line: Layout | null = null): never {
    this.freeFresh();
    const values = line ? lineValues(this.memory, a.ptr, line, row) : new Float32Array(this.memory.buffer, a.ptr + row * cols * 4, cols);
    this.release();
    throw rowError(this.fn, a.name, values, row, fault, line ? (k) => line.index(row, k) : undefined);
  }

  /** Throws the row error when a launch returned a bad row (>= 0): a line of a strided launch. */
  check(bad: number): void {
    if (bad < 0) return;
    if (this.checks) this.checks.row(this, bad);
    else if (this.layout.inner > 1) this.rowFault(this.in1, bad, this.layout.classes, undefined, this.layout);
    else this.rowFault(this.in1, bad, this.cols);
  }
}

/** Line `l` of a strided layout's input at `ptr`: its classes, `inner` elements apart. */
function lineValues(memory: WebAssembly.Memory, ptr: number, L: Layout, l: number): Float32Array {
  const o = Math.floor(l / L.inner);
  const all = new Float32Array(memory.buffer, ptr + (o * L.kCols + (l - o * L.inner)) * 4);
  return Float32Array.from({ length: L.classes }, (_, c) => all[c * L.inner]!);
}
