// The layout of the axis tests, written plainly: a shape with its class axis is outer x classes
// x inner, element (o, c, j) at (o * classes + c) * inner + j, line (o, j) numbered o * inner + j;
// moving the classes last and back, and each line's first argmax and its one-hot.

/** outer x classes x inner, from a shape and the class axis. */
export interface Layout {
  outer: number;
  classes: number;
  inner: number;
}

/** The layout of `shape` with its classes along `axis` (negative counts from the end). */
export function layoutOf(shape: readonly number[], axis: number): Layout {
  const a = axis < 0 ? shape.length + axis : axis;
  const prod = (d: readonly number[]) => d.reduce((p, q) => p * q, 1);
  return { outer: prod(shape.slice(0, a)), classes: shape[a]!, inner: prod(shape.slice(a + 1)) };
}

/** The lines as rows: (o, c, j) -> row o * inner + j, column c (the class axis moved last). */
export function toRows(v: ArrayLike<number>, { outer, classes, inner }: Layout): Float32Array {
  const out = new Float32Array(v.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < classes; c++) {
      for (let j = 0; j < inner; j++) out[(o * inner + j) * classes + c] = v[(o * classes + c) * inner + j]!;
    }
  }
  return out;
}

/** The inverse of toRows. */
export function fromRows(v: ArrayLike<number>, { outer, classes, inner }: Layout): Float32Array {
  const out = new Float32Array(v.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < classes; c++) {
      for (let j = 0; j < inner; j++) out[(o * classes + c) * inner + j] = v[(o * inner + j) * classes + c]!;
    }
  }
  return out;
}

/** First maximum of each line (strict >: the lowest class wins ties; -1 when all are -Inf). */
export function lineArgmax(t: ArrayLike<number>, L: Layout): Int32Array {
  const out = new Int32Array(L.outer * L.inner);
  for (let o = 0; o < L.outer; o++) {
    for (let j = 0; j < L.inner; j++) {
      let best = -Infinity;
      let idx = -1;
      for (let c = 0; c < L.classes; c++) {
        const v = t[(o * L.classes + c) * L.inner + j]!;
        if (v > best) {
          best = v;
          idx = c;
        }
      }
      out[o * L.inner + j] = idx;
    }
  }
  return out;
}

/** The one-hot of one class index per line, in the input's layout. */
export function lineOneHot(idx: Int32Array, L: Layout): Float32Array {
  const out = new Float32Array(L.outer * L.classes * L.inner);
  for (let o = 0; o < L.outer; o++) for (let j = 0; j < L.inner; j++) out[(o * L.classes + idx[o * L.inner + j]!) * L.inner + j] = 1;
  return out;
}

/** The class of each line's one-hot (line order); throws unless every line is one (a single 1, the rest 0). */
export function oneHotIndex(d: ArrayLike<number>, L: Layout): number[] {
  const out: number[] = [];
  for (let o = 0; o < L.outer; o++) {
    for (let j = 0; j < L.inner; j++) {
      const line = Array.from({ length: L.classes }, (_, c) => d[(o * L.classes + c) * L.inner + j]!);
      const i = line.indexOf(1);
      if (i < 0 || line.some((v, c) => v !== (c === i ? 1 : 0))) throw new Error(`line (${o}, ${j}) is not one-hot: ${line.join(", ")}`);
      out.push(i);
    }
  }
  return out;
}
