# Fits the polynomials of the noise transform's two logarithms and of exp (assembly/inline/
# transform.ts, exp.ts; the coefficients live in consts.ts) and checks them by emulating the
# kernels' float32 operations step by step. Not part of the build: it documents where the
# numbers come from. Needs Python 3 with numpy and scipy.
#
#   python3 tools/minimax.py            # coefficients, their errors, the emulated noise error
#   python3 tools/minimax.py --all      # the same, over all 2^32 words (a few minutes)
#
# Each fit is a weighted minimax: minimise max |w(x) (p(x) - f(x))| on a dense Chebyshev grid,
# solved as a linear programme around a least-squares start (scaled, so that the solver's
# tolerance does not limit errors of 1e-7).
import math
import sys

import numpy as np
from scipy.optimize import linprog

f32 = np.float32


def minimax(f, deg, lo, hi, weight, n=20000):
    x = np.cos(np.linspace(0, np.pi, n)) * (hi - lo) / 2 + (hi + lo) / 2
    x = x[np.abs(x) > 1e-6]
    a = np.stack([x**p for p in range(deg + 1)], 1) * weight(x)[:, None]
    b = f(x) * weight(x)
    c = np.linalg.lstsq(a, b, rcond=None)[0]
    for _ in range(3):
        res = a @ c - b
        scale = np.max(np.abs(res))
        ones = np.ones((len(x), 1))
        a_ub = np.vstack([np.hstack([a / scale, -ones]), np.hstack([-a / scale, -ones])])
        b_ub = np.concatenate([-res / scale, res / scale])
        sol = linprog(np.r_[np.zeros(deg + 1), 1], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * (deg + 2), method="highs")
        c = c + sol.x[: deg + 1]
    return c, np.max(np.abs(a @ c - b))


def series(r, first, term, fallback):
    out = fallback(r)
    small = np.abs(r) < 1e-2
    out[small] = sum(term(r[small], k) for k in range(first, first + 10))
    return out


# log1p(r) = r + r^2 Q(r) on [sqrt(1/2) - 1, sqrt(2) - 1); exp(r) = 1 + r + r^2 P(r) on |r| <= ln(2)/2.
LO, HI = math.sqrt(0.5) - 1, math.sqrt(2) - 1
q_true = lambda r: series(r, 2, lambda s, k: (-1) ** (k + 1) * s ** (k - 2) / k, lambda s: (np.log1p(s) - s) / s**2)
p_true = lambda r: series(r, 2, lambda s, k: s ** (k - 2) / math.factorial(k), lambda s: (np.expm1(s) - s) / s**2)
# First log: E = kn ln2 - log1p(r) (+ a tiny correction); its relative error is g's absolute error.
# r < 0 comes with kn >= 0 (E >= -log1p(r)), r > 0 with kn >= 1 (E >= ln 2 - log1p(r)).
weight_first = lambda r: r**2 / np.where(r < 0, np.abs(np.log1p(r)), math.log(2) - np.log1p(r))
weight_second = lambda r: r**2  # g = kn ln2 - log1p(r): absolute error
weight_exp = lambda r: r**2 / np.exp(r)  # relative error

LOG_OFFSET = np.int32(0x3F800000 - 0x3F3504F3)
MANTISSA = np.int32(0x007FFFFF)
SQRT_HALF_BITS = np.int32(0x3F3504F3)
LN2 = f32(math.log(2))


def horner(c, r):
    q = f32(c[-1]) * r + f32(c[-2])
    for v in reversed(c[:-2]):
        q = q * r + f32(v)
    return q


def split(t):
    ix = t.view(np.int32) + LOG_OFFSET
    r = ((ix & MANTISSA) + SQRT_HALF_BITS).view(np.float32) - f32(1)
    kn = (np.int32(127) - (ix >> 23)).astype(np.float32)
    return r, kn


def gumbel(x, qa, qb):
    """gumbelFromBits (transform.ts), operation for operation in float32."""
    xi = x.view(np.int32)
    hi = xi >> 31
    f = ((xi ^ hi).astype(np.float32) + f32(0.5)) * f32(2.0**-32)
    c = np.where(hi != 0, f32(0), f32(1)).astype(np.float32)
    s = c - f
    r, kn = split(np.abs(s))
    e = (kn * LN2 + ((s - c) + f)) - ((r * r) * horner(qa, r) + r)
    r, kn = split(e)
    return kn * LN2 - ((r * r) * horner(qb, r) + r)


def main():
    qa, ea = minimax(q_true, 5, LO, HI, weight_first)
    qb, eb = minimax(q_true, 4, LO, HI, weight_second)
    p, ep = minimax(p_true, 4, -math.log(2) / 2 - 1e-3, math.log(2) / 2 + 1e-3, weight_exp)
    fmt = lambda c: ", ".join(repr(float(f32(v))) for v in c)
    print(f"LA0..LA5 (first log, error relative to E {ea:.3g}): {fmt(qa)}")
    print(f"LB0..LB4 (second log, absolute error {eb:.3g}): {fmt(qb)}")
    print(f"EXP_P4..EXP_P0 (exp, relative error {ep:.3g}): {fmt(p)}")
    qa, qb = [float(f32(v)) for v in qa], [float(f32(v)) for v in qb]
    step = 1 if "--all" in sys.argv else 997
    worst, at = 0.0, 0
    # The strided words, then every one of the first and last 2^20 (the tails).
    chunks = [np.arange(s, min(s + 2**26, 2**32), step, dtype=np.uint64) for s in range(0, 2**32, 2**26)]
    chunks += [np.arange(0, 2**20, dtype=np.uint64), np.arange(2**32 - 2**20, 2**32, dtype=np.uint64)]
    for x in chunks:
        x = x.astype(np.uint32)
        exact = -np.log(-np.log1p(-(x.astype(np.float64) + 0.5) * 2.0**-32))
        err = np.abs(gumbel(x, qa, qb).astype(np.float64) - exact)
        i = int(np.argmax(err))
        if err[i] > worst:
            worst, at = float(err[i]), int(x[i])
    print(f"noise: |g - exact| <= {worst:.4g} (word {at}) over every {step}th word and both tails")


if __name__ == "__main__":
    main()
