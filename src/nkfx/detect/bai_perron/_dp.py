"""Exact least-squares segmentation by dynamic programming (Bai & Perron 2003).

The recursion is the classical one,

    F_{s+1}(i) = min_j  F_s(j) + RSS(j+1 .. i),        i - j >= h,

where ``F_s(i)`` is the smallest residual sum of squares of ``y[0..i]`` cut into
``s`` segments. Every segment RSS is read off cumulative cross-products, so the
n x n RSS matrix is never stored: it is built block by block (a block is a few
hundred consecutive end points ``i``) and each block serves every ``s`` before
it is discarded. Memory is O(n * max_breaks); time is O(n^2).

Writing ``RSS(a..b) = Syy(a..b) - E(a..b)``, with ``E`` the explained sum of
squares, the ``Syy`` part splits into a term in ``j`` and a term in ``i``, so the
inner minimisation is ``min_j G_s(j) - E(j+1..i)`` with ``G_s(j) = F_s(j) -
cumsum(y^2)[j+1]``: one subtraction and one ``argmin`` per block and ``s``.
Ties go to the smallest ``j`` (numpy's ``argmin``), as ``which.min`` in R's
strucchange.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import NDArray

from nkfx.errors import NkfxValueError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Explained sum of squares for segments ``j+1..i``: ``efun(i0, i1, j0, j1)``
#: returns an array of shape ``(i1 - i0, j1 - j0)`` for ``i`` in ``[i0, i1)`` and
#: ``j`` in ``[j0, j1)`` (``j = -1`` means the segment starts at 0). Pairs with
#: ``i - j < h`` may hold any finite value; the caller masks them.
ExplainedFn = Callable[[int, int, int, int], FloatArray]

_BLOCK = 192  # end points per block: keeps a block matrix within a few MB of cache


def standardise(y: FloatArray, X: FloatArray | None) -> tuple[FloatArray, FloatArray | None]:
    """Return ``(z, Xs)``: a well-conditioned version of the problem with the same optimum.

    Segment RSS are unchanged (up to one common factor) when ``X`` is replaced by
    any basis of its column space and ``y`` by ``y - X c`` for any ``c``, because
    every coefficient changes at every break. Using an orthonormal basis and the
    global residual keeps the cumulative sums small, so subtracting them loses few
    digits.
    """
    n = y.shape[0]
    if X is None:
        z = y - y.mean()
        scale = float(np.sqrt(np.dot(z, z) / n))
        if scale == 0.0:
            raise NkfxValueError("y is constant: every segmentation has RSS 0, nothing to detect")
        return z / scale, None
    norms = np.sqrt((X * X).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero column fails the rank test
        Q, R = np.linalg.qr(np.nan_to_num(X / norms))  # unit columns: days, seconds alike
    diag = np.abs(np.diag(R))
    if diag.min() <= 1e-10 * diag.max():
        raise NkfxValueError(
            f"X must have full column rank; its {X.shape[1]} columns are linearly dependent"
        )
    z = y - Q @ (Q.T @ y)
    scale = float(np.sqrt(np.dot(z, z) / n))
    if scale <= 1e-13 * float(np.sqrt(np.dot(y, y) / n)):
        raise NkfxValueError("y is fitted exactly by X over the whole sample: nothing to detect")
    return z / scale, Q * np.sqrt(n)


def explained_fn(z: FloatArray, Xs: FloatArray | None, h: int) -> ExplainedFn:
    """Build the block function of explained sums of squares from cumulative sums.

    ``h`` is only used to tell real candidate segments (length >= h) from the
    short ones the caller masks, when checking that ``X`` is non-singular.
    """
    if Xs is None:
        return _explained_mean(z)
    k = Xs.shape[1]
    if k == 1:
        return _explained_k1(z, Xs[:, 0], h)
    if k == 2:
        return _explained_k2(z, Xs, h)
    return _explained_general(z, Xs, h)


def _cum(a: FloatArray) -> FloatArray:
    """Cumulative sum along axis 0 with a leading zero row (``c[i] = sum(a[:i])``)."""
    out = np.zeros((a.shape[0] + 1, *a.shape[1:]))
    np.cumsum(a, axis=0, out=out[1:])
    return out


def _explained_mean(z: FloatArray) -> ExplainedFn:
    c1 = _cum(z)
    n = z.shape[0]
    # inv[L] = 1/L for L >= 1; the Toeplitz matrix 1/(i - j) of a block is a strided view.
    inv = np.zeros(2 * n + 1)
    inv[n + 1 :] = 1.0 / np.arange(1, n + 1)

    def efun(i0: int, i1: int, j0: int, j1: int) -> FloatArray:
        out = np.subtract.outer(c1[i0 + 1 : i1 + 1], c1[j0 + 1 : j1 + 1])
        np.square(out, out=out)
        # element [c, r] needs 1/(i0 + c - j0 - r): start at L = i0 - j0, step +1 down
        # the rows and -1 along the columns.
        start = n + i0 - j0
        lens = np.lib.stride_tricks.as_strided(
            inv[start:], shape=out.shape, strides=(inv.strides[0], -inv.strides[0])
        )
        np.multiply(out, lens, out=out)
        return out

    return efun


def _explained_k1(z: FloatArray, x: FloatArray, h: int) -> ExplainedFn:
    cxx, cxy = _cum(x * x), _cum(x * z)

    def efun(i0: int, i1: int, j0: int, j1: int) -> FloatArray:
        a = np.subtract.outer(cxx[i0 + 1 : i1 + 1], cxx[j0 + 1 : j1 + 1])
        u = np.subtract.outer(cxy[i0 + 1 : i1 + 1], cxy[j0 + 1 : j1 + 1])
        _check_det(a, i0, j0, h)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _finite(u * u / a)

    return efun


def _explained_k2(z: FloatArray, Xs: FloatArray, h: int) -> ExplainedFn:
    """Use the closed form for two regressors: E = (c u^2 - 2 b u v + a v^2) / (a c - b^2)."""
    x0, x1 = Xs[:, 0], Xs[:, 1]
    cums = [_cum(v) for v in (x0 * x0, x0 * x1, x1 * x1, x0 * z, x1 * z)]

    def efun(i0: int, i1: int, j0: int, j1: int) -> FloatArray:
        a, b, c, u, v = (np.subtract.outer(s[i0 + 1 : i1 + 1], s[j0 + 1 : j1 + 1]) for s in cums)
        det = a * c - b * b
        _check_det(det, i0, j0, h, scale=a * c)
        num = c * u * u
        num -= 2.0 * b * u * v
        num += a * v * v
        with np.errstate(divide="ignore", invalid="ignore"):
            return _finite(num / det)

    return efun


def _explained_general(z: FloatArray, Xs: FloatArray, h: int) -> ExplainedFn:
    k = Xs.shape[1]
    cxx = _cum(Xs[:, :, None] * Xs[:, None, :])
    cxy = _cum(Xs * z[:, None])

    def efun(i0: int, i1: int, j0: int, j1: int) -> FloatArray:
        sxx = cxx[i0 + 1 : i1 + 1, None] - cxx[None, j0 + 1 : j1 + 1]
        sxy = cxy[i0 + 1 : i1 + 1, None] - cxy[None, j0 + 1 : j1 + 1]
        # segments shorter than h are masked later (and may be singular): solve an identity
        short = np.subtract.outer(np.arange(i0, i1), np.arange(j0, j1)) < h
        sxx[short] = np.eye(k)
        det = np.linalg.det(sxx)
        scale = np.prod(np.diagonal(sxx, axis1=-2, axis2=-1), axis=-1)
        _check_det(det, i0, j0, h, scale=scale)
        beta = np.linalg.solve(sxx, sxy[..., None])[..., 0]
        return np.asarray(np.einsum("...k,...k->...", sxy, beta), dtype=np.float64)

    return efun


def _check_det(
    det: FloatArray, i0: int, j0: int, h: int, scale: FloatArray | None = None
) -> None:
    """Raise when the cross-product matrix of a candidate segment is (nearly) singular."""
    bad = det <= 0.0 if scale is None else det <= 1e-12 * scale
    if not bad.any():
        return
    c, r = np.nonzero(bad)
    real = (i0 + c) - (j0 + r) >= h  # shorter pairs are masked by the caller
    if real.any():
        raise NkfxValueError(
            "X is singular within a candidate segment "
            f"(observations {j0 + r[real][0] + 1}..{i0 + c[real][0]}); every segment of "
            "length >= h must identify all coefficients"
        )


def _finite(a: FloatArray) -> FloatArray:
    """Replace non-finite entries (only in masked short segments) by 0."""
    a[~np.isfinite(a)] = 0.0
    return a


def optimal_partitions(
    z: FloatArray, Xs: FloatArray | None, h: int, max_breaks: int
) -> list[IntArray]:
    """Break indices of the least-squares optimum for each m = 0..max_breaks.

    ``z``/``Xs`` come from :func:`standardise`; ``2 * h <= n`` and
    ``max_breaks <= n // h - 1`` are the caller's responsibility. Element ``m`` of
    the result holds the ``m`` sorted break indices (last observation of each
    old regime).
    """
    n = z.shape[0]
    if max_breaks == 0:
        return [np.zeros(0, dtype=np.int64)]
    efun = explained_fn(z, Xs, h)
    cyy = _cum(z * z)
    F = np.full((max_breaks + 1, n), np.inf)  # F[s, i]: best RSS of z[0..i] in s segments
    arg = np.zeros((max_breaks + 1, n), dtype=np.int64)
    F[1, h - 1 :] = cyy[h:] - efun(h - 1, n, -1, 0)[:, 0]
    if max_breaks >= 2:
        if h >= 32:
            _fill_shared(F, arg, efun, cyy, h)
        else:
            _fill_by_level(F, arg, efun, cyy, h)
    return _backtrack(F, arg, efun, cyy, h)


@cache
def _triangle(width: int) -> NDArray[np.bool_]:
    """Mask of too-short pairs in the last ``width - 1`` rows of a block (see ``_relax``)."""
    return np.triu(np.ones((width, max(width - 1, 0)), dtype=bool))


def _block(efun: ExplainedFn, i0: int, i1: int, j0: int, h: int) -> FloatArray:
    """Explained SS for ends ``[i0, i1)`` and breaks ``[j0, i1 - h)``, short pairs at -inf.

    For end ``i0 + c`` only breaks ``j <= i0 + c - h`` are allowed; the forbidden
    pairs form an upper triangle in the last ``i1 - i0 - 1`` columns.
    """
    E = efun(i0, i1, j0, i1 - h)
    width = i1 - i0
    if width > 1:
        np.copyto(E[:, E.shape[1] - (width - 1) :], -np.inf, where=_triangle(width))
    return E


def _relax(
    F: FloatArray, arg: IntArray, E: FloatArray, cyy: FloatArray, s: int, i0: int, j0: int
) -> None:
    """F[s+1, i] = min_j F[s, j] + RSS(j+1..i) for the block's ends, given its E."""
    i1 = i0 + E.shape[0]
    G = F[s, j0 : j0 + E.shape[1]] - cyy[j0 + 1 : j0 + 1 + E.shape[1]]
    tmp = G[None, :] - E
    best = np.argmin(tmp, axis=1)
    F[s + 1, i0:i1] = tmp[np.arange(tmp.shape[0]), best] + cyy[i0 + 1 : i1 + 1]
    arg[s + 1, i0:i1] = best + j0


def _fill_shared(
    F: FloatArray, arg: IntArray, efun: ExplainedFn, cyy: FloatArray, h: int
) -> None:
    """Blocks of at most h ends: one E block feeds every level s (its rows are final)."""
    n, top = F.shape[1], F.shape[0] - 1
    width = min(h, _BLOCK)
    for i0 in range(2 * h - 1, n - h, width):
        i1 = min(i0 + width, n - h)
        E = _block(efun, i0, i1, h - 1, h)
        for s in range(1, top):
            off = (s - 1) * h  # F[s, j] is finite only for j >= s*h - 1
            if off >= E.shape[1]:
                break
            _relax(F, arg, E[:, off:], cyy, s, i0, h - 1 + off)


def _fill_by_level(
    F: FloatArray, arg: IntArray, efun: ExplainedFn, cyy: FloatArray, h: int
) -> None:
    """Small h: level by level, so blocks can be wider than h (E is recomputed per s)."""
    n, top = F.shape[1], F.shape[0] - 1
    for s in range(1, top):
        j0 = s * h - 1
        for i0 in range((s + 1) * h - 1, n - h, _BLOCK):
            i1 = min(i0 + _BLOCK, n - h)
            # ends inside this block depend on F[s] only, which is complete
            _relax(F, arg, _block(efun, i0, i1, j0, h), cyy, s, i0, j0)


def _backtrack(
    F: FloatArray, arg: IntArray, efun: ExplainedFn, cyy: FloatArray, h: int
) -> list[IntArray]:
    """Close the last segment at n - 1 for each m and follow the stored arg-minima."""
    n, top = F.shape[1], F.shape[0] - 1
    last = efun(n - 1, n, h - 1, n - h)[0]  # explained SS of j+1..n-1 for j in [h-1, n-h)
    out: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    for m in range(1, top + 1):
        off = (m - 1) * h
        vals = F[m, h - 1 + off : n - h] - cyy[h + off : n - h + 1] - last[off:]
        b = [int(np.argmin(vals)) + h - 1 + off]
        for s in range(m, 1, -1):
            b.append(int(arg[s, b[-1]]))
        out.append(np.array(b[::-1], dtype=np.int64))
    return out
