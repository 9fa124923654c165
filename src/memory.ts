// Memory of one wasm instance: a first-fit allocator over the region above the kernels'
// static data, and tensors whose `data` is a typed-array view on that memory.
//
// Allocation happens here, in JS, and only here: the kernels never allocate. Blocks are
// 16-byte aligned (one f32x4). When no free block fits, the memory grows; growing detaches
// every ArrayBuffer view on the old buffer, so views are re-derived from `memory.buffer`
// whenever they are used (Tensor.data does this on every access).

const ALIGN = 16;
const PAGE = 65536;
/** wasm32 memories end at 4 GiB (65536 pages). */
const MAX_BYTES = 65536 * PAGE;

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** First-fit allocator with coalescing, over [base, memory end). */
export class Heap {
  readonly memory: WebAssembly.Memory;
  /** Free blocks as [start, size], sorted by start, never adjacent. */
  private readonly freeList: Array<[number, number]> = [];
  /** Live blocks: start -> size. */
  private readonly live = new Map<number, number>();

  constructor(memory: WebAssembly.Memory, base: number) {
    this.memory = memory;
    const start = alignUp(base);
    const end = memory.buffer.byteLength;
    if (end > start) this.freeList.push([start, end - start]);
  }

  /** Bytes currently handed out. */
  get bytesInUse(): number {
    let n = 0;
    for (const size of this.live.values()) n += size;
    return n;
  }

  /** Allocates `bytes` (rounded up to 16, at least 16); returns the byte offset. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, alignUp(bytes));
    let i = this.findFit(size);
    if (i < 0) {
      this.grow(size);
      i = this.findFit(size);
    }
    const block = this.freeList[i]!;
    const start = block[0];
    if (block[1] === size) this.freeList.splice(i, 1);
    else {
      block[0] += size;
      block[1] -= size;
    }
    this.live.set(start, size);
    return start;
  }

  /** Whether `ptr` is the start of a live block. */
  isLive(ptr: number): boolean {
    return this.live.has(ptr);
  }

  /** Bytes in live blocks (what has been allocated and not released). */
  liveBytes(): number {
    let total = 0;
    for (const size of this.live.values()) total += size;
    return total;
  }

  /** Returns a block to the free list. Throws on a pointer that is not live. */
  release(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new RangeError(`free: ${ptr} is not a live allocation (already freed?)`);
    this.live.delete(ptr);
    this.insertFree(ptr, size);
  }

  private findFit(size: number): number {
    const list = this.freeList;
    for (let i = 0; i < list.length; i++) if (list[i]![1] >= size) return i;
    return -1;
  }

  private insertFree(start: number, size: number): void {
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i]![0] < start) i++;
    list.splice(i, 0, [start, size]);
    // Coalesce with the next block, then with the previous one.
    const cur = list[i]!;
    const next = list[i + 1];
    if (next && cur[0] + cur[1] === next[0]) {
      cur[1] += next[1];
      list.splice(i + 1, 1);
    }
    const prev = list[i - 1];
    if (prev && prev[0] + prev[1] === cur[0]) {
      prev[1] += cur[1];
      list.splice(i, 1);
    }
  }

  /** Whether the memory is shared (a SharedArrayBuffer): then growth never detaches views. */
  get shared(): boolean {
    return typeof SharedArrayBuffer !== "undefined" && this.memory.buffer instanceof SharedArrayBuffer;
  }

  /** The memory's maximum: 2 GiB for the shared binaries, 4 GiB otherwise. */
  private maxBytes(): number {
    return this.shared ? 2 ** 31 : MAX_BYTES;
  }

  /** Grows the memory so that a block of `size` bytes fits at its end. */
  private grow(size: number): void {
    const end = this.memory.buffer.byteLength;
    const last = this.freeList[this.freeList.length - 1];
    const tailFree = last && last[0] + last[1] === end ? last[1] : 0;
    const need = size - tailFree;
    const pages = Math.ceil(need / PAGE);
    if (end + pages * PAGE > this.maxBytes()) {
      throw new RangeError(
        `cannot allocate ${size} bytes: the wasm memory would exceed its maximum of ${this.maxBytes() / 2 ** 30} GiB; nothing was allocated`,
      );
    }
    try {
      this.memory.grow(pages);
    } catch {
      const mib = (end / 2 ** 20).toFixed(1);
      throw new RangeError(
        `cannot allocate ${size} bytes: the wasm memory (${mib} MiB) cannot grow by ${pages} pages ` +
          `(its maximum is ${this.maxBytes() / 2 ** 30} GiB, or the system refused); nothing was allocated`,
      );
    }
    this.insertFree(end, pages * PAGE);
  }
}

export type DType = "float32" | "int32";
export type ArrayOf<D extends DType> = D extends "int32" ? Int32Array : Float32Array;

/** Ties a tensor to the heap of the instance that made it. */
export interface TensorOwner {
  readonly heap: Heap;
}

declare global {
  interface SymbolConstructor {
    /**
     * `Symbol.dispose` (TypeScript's lib "esnext.disposable"), declared here as well so that
     * projects compiled without that lib still get Tensor's types (as @types/node does).
     */
    readonly dispose: unique symbol;
    /** `Symbol.asyncDispose`, likewise (GumbelWasm closes its worker pool with it). */
    readonly asyncDispose: unique symbol;
  }
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");

/**
 * An array of any shape in wasm memory, row-major (`gw.tensor([2, 3, 4])`, or
 * `gw.tensor(rows, cols)` for a matrix). `data` is a view on that memory: reading and writing
 * it copies nothing, and passing the tensor to a call copies nothing either; calls read its
 * `shape` (the classes on its last axis unless `axis` says otherwise) and give results of the
 * shape they imply. Free it with `free()` or a `using` declaration.
 */
export class Tensor<D extends DType = "float32"> {
  /** The tensor's dimensions (frozen). */
  readonly shape: readonly number[];
  /** The matrix view of the shape: the last dimension (1 for a shape of no dimensions). */
  readonly cols: number;
  /** The matrix view of the shape: the product of the other dimensions. */
  readonly rows: number;
  readonly dtype: D;
  /** rows * cols. */
  readonly length: number;
  /** Where the elements start in the instance's memory. */
  readonly byteOffset: number;
  /** @internal The instance whose memory holds the tensor (not enumerable). */
  declare readonly owner: TensorOwner;
  #view: ArrayOf<D> | null = null;
  #freed = false;

  /**
   * @internal Use `gw.tensor(shape)` or `gw.tensor(rows, cols)`. `shape` (default
   * [rows, cols]) must hold rows * cols elements.
   */
  constructor(owner: TensorOwner, rows: number, cols: number, dtype: D, shape: readonly number[] | null = null) {
    Object.defineProperty(this, "owner", { value: owner, enumerable: false });
    this.shape = Object.freeze(shape === null ? [rows, cols] : shape.slice());
    const last = shape === null ? cols : this.shape.length === 0 ? 1 : this.shape[this.shape.length - 1]!;
    this.cols = last;
    this.rows = shape === null ? rows : this.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    this.dtype = dtype;
    this.length = rows * cols;
    this.byteOffset = owner.heap.alloc(this.length * 4);
  }

  get byteLength(): number {
    return this.length * 4;
  }

  /** Whether free() has been called. */
  get isFreed(): boolean {
    return this.#freed;
  }

  /**
   * The elements, as a view on wasm memory, re-derived when the memory has grown. On a shared
   * memory (the default where SharedArrayBuffer exists: `gw.sharedMemory`) a view held across
   * a growth stays valid, on the same bytes. On an ordinary memory growth detaches it (length
   * 0): read `tensor.data` again after any call that may allocate.
   */
  get data(): ArrayOf<D> {
    if (this.#freed) throw new TypeError("tensor.data: this tensor has been freed");
    const buffer = this.owner.heap.memory.buffer;
    let v = this.#view;
    if (v === null || v.buffer !== buffer) {
      v = (this.dtype === "int32"
        ? new Int32Array(buffer, this.byteOffset, this.length)
        : new Float32Array(buffer, this.byteOffset, this.length)) as ArrayOf<D>;
      this.#view = v;
    }
    return v;
  }

  /** Returns the memory to the instance. Further use of the tensor, or a second free(), throws. */
  free(): void {
    if (this.#freed) throw new TypeError("tensor.free: this tensor has already been freed");
    this.#freed = true;
    this.#view = null;
    this.owner.heap.release(this.byteOffset);
  }

  /** For `using`: frees the tensor unless free() was already called. */
  [disposeSymbol](): void {
    if (!this.#freed) this.free();
  }
}

/** A reusable block of wasm memory, grown (never shrunk) as calls need. */
export class Region {
  ptr = 0;
  bytes = 0;

  /** At least `bytes` bytes: the block, reallocated (doubling, from 4 KiB) when too small. */
  reserve(heap: Heap, bytes: number): number {
    if (bytes > this.bytes) {
      const size = Math.max(bytes, this.bytes * 2, 4096);
      const ptr = heap.alloc(size);
      if (this.bytes) heap.release(this.ptr);
      this.ptr = ptr;
      this.bytes = size;
    }
    return this.ptr;
  }
}
