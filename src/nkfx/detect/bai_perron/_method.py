"""Bai–Perron method behind ``detect(method="bai-perron")``: search, choice, intervals."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from nkfx.detect._prepare import (
    DEFAULT_MAX_BREAKS,
    Prepared,
    boot_args,
    fmt_date,
    resolve_h,
    resolve_max_breaks,
    resolve_pvalue,
    run_params,
)
from nkfx.detect._tables import (
    breaks_frame,
    criteria_frame,
    exact_fit,
    make_test_result,
    no_break_result,
    segments_frame,
)
from nkfx.detect.bai_perron import _core as bp
from nkfx.detect.bai_perron._partial import partial_design, partial_fit, partial_path
from nkfx.detect.ftests import _critical as cv
from nkfx.detect.ftests import _single as ft
from nkfx.detect.ftests._multiple import seq_f, udmax, wdmax
from nkfx.detect.ftests._single import LEVELS, FTest, bootstrap_note
from nkfx.detect.results import Breaks, TestResult
from nkfx.errors import DataQualityWarning, NkfxTypeError, NkfxValueError, NkfxWarning

__all__ = ["bai_perron_method"]


def bai_perron_method(
    prep: Prepared,
    *,
    trim: Any,
    max_breaks: Any,
    n_breaks: str | int,
    level: float,
    alpha: float,
    hac: bool,
    het_reg: bool,
    het_err: bool,
    **options: Any,
) -> Breaks:
    """Run the exact Bai–Perron search on a prepared series and build :class:`Breaks`."""
    unknown = sorted(set(options) - {"pvalue", "n_boot", "seed"})
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise NkfxTypeError(
            f"detect(method='bai-perron') got unexpected option(s) {names}; it takes model, "
            "scale, trim, max_breaks, n_breaks, level, alpha, hac, het_reg, het_err, "
            "pvalue, n_boot and seed"
        )
    boot = resolve_pvalue(
        options.get("pvalue", "auto"), hac, options.get("n_boot", 199), options.get("seed", 0)
    )
    h, rule = resolve_h(trim, prep.dates, prep.k)
    m_max = resolve_max_breaks(max_breaks, prep.n, h)
    if not isinstance(n_breaks, str) and n_breaks > m_max:
        raise NkfxValueError(
            f"n_breaks={n_breaks} is more than max_breaks={m_max} (the data allow at most "
            f"{prep.n // h - 1} with h={h}); raise max_breaks or ask for fewer breaks"
        )
    params = run_params(
        prep,
        method="bai-perron",
        trim=trim,
        h=h,
        rule=rule,
        level=level,
        alpha=alpha,
        hac=hac,
        het_reg=het_reg,
        het_err=het_err,
        **boot,
    )
    params.update(
        # "auto" is recorded as the number it stands for; max_breaks_used says what fitted
        max_breaks=DEFAULT_MAX_BREAKS if isinstance(max_breaks, str) else max_breaks,
        max_breaks_used=m_max,
        n_breaks=n_breaks,
        hac_scope="break-date intervals and supF (its p-value by sieve bootstrap unless "
        "pvalue='asymptotic'); UDmax and supF(l+1|l) are not HAC-robust; segments always "
        "report both se and se_hac",
    )
    if exact_fit(prep):
        return no_break_result(prep, params, m_max, n_breaks)
    if prep.n_fixed:
        _check_partial(n_breaks, hac)
        return _partial_method(prep, h=h, m_max=m_max, n_breaks=n_breaks, level=level,
                               het_reg=het_reg, het_err=het_err, params=params)
    path = bp.bai_perron(prep.y, prep.X, h=h, max_breaks=m_max)
    params["max_breaks_used"] = int(path.max_breaks)
    ic = bp.information_criteria(path)
    test_params = {"h": h, "hac": hac, **boot, "model": prep.model, "scale": prep.scale}
    tests = _global_tests(prep, path, h=h, hac=hac, boot=boot, params=test_params)
    seq_notes: tuple[str, ...] = ()
    if n_breaks == "sequential":
        m, seq_notes = _sequential(prep, path, tests, h=h, alpha=alpha, params=test_params)
    elif isinstance(n_breaks, str):
        m = int(np.nanargmin(np.asarray(ic[n_breaks], dtype=np.float64)))
    else:
        m = int(n_breaks)
    breaks = np.asarray(path.breaks[m], dtype=np.int64)
    fit = bp.segment_fit(prep.y, prep.X, breaks)
    ci, ci_notes = _intervals(prep, breaks, level=level, het_reg=het_reg, het_err=het_err, hac=hac)
    table, notes = breaks_frame(prep, breaks, ci, fit, level)
    return Breaks(
        series=prep.series,
        breaks=table,
        segments=segments_frame(prep, fit),
        criteria=criteria_frame(path.rss, ic, m),
        tests=tests,
        method="bai-perron",
        model=prep.model,
        scale=prep.scale,
        params=params,
        notes=(*seq_notes, *ci_notes, *notes, *tests["supF"].notes, *_udmax_note(hac),
               *_lag_note(prep, boot)),
        design=_design(prep),
    )


def _lag_note(prep: Prepared, boot: dict[str, Any]) -> tuple[str, ...]:
    if not prep.meta.get("lags") or boot.get("pvalue_method") != "bootstrap":
        return ()
    return ("The sup-F bootstrap keeps the regressors fixed, the lags of the rate included "
            "(a fixed-design bootstrap); it does not regenerate the lags from the simulated "
            "series.",)


def _design(prep: Prepared) -> pd.DataFrame | None:
    if prep.model != "regression" or prep.X is None:
        return None
    return pd.DataFrame(prep.X, index=prep.dates.copy(), columns=list(prep.names))


def _check_partial(n_breaks: Any, hac: bool) -> None:
    if n_breaks == "sequential":
        raise NkfxValueError(
            "n_breaks='sequential' is not available with fixed= (partial structural change); "
            "use n_breaks='bic', 'lwz' or an int"
        )
    if hac:
        raise NkfxValueError(
            "hac=True is not available with fixed= (partial structural change); got hac=True"
        )


def _partial_method(
    prep: Prepared, *, h: int, m_max: int, n_breaks: Any, level: float, het_reg: bool,
    het_err: bool, params: dict[str, Any],
) -> Breaks:
    """Partial structural change: iterate breaks and fixed coefficients (see ``_partial``)."""
    X = prep.X if prep.X is not None else np.ones((prep.n, 1))  # regression: X is set
    q = prep.k - prep.n_fixed
    Z, Xf = X[:, :q], X[:, q:]
    path = partial_path(prep.y, Z, Xf, h=h, max_breaks=m_max)
    ic = partial_criteria(path)
    tests = _partial_tests(prep, path, h=h, params={"h": h, "model": prep.model, "scale": prep.scale})
    m = int(np.nanargmin(ic[n_breaks])) if isinstance(n_breaks, str) else int(n_breaks)
    breaks = np.asarray(path.breaks[m], dtype=np.int64)
    coef, rss = partial_fit(prep.y, Z, Xf, breaks)
    D = _partial_se(prep.y, Z, Xf, breaks, coef, rss)
    y_star = prep.y - Xf @ path.delta[m]
    fit = bp.segment_fit(y_star, Z, breaks)
    sub = Prepared(prep.series, y_star, Z, prep.days, prep.model, prep.scale, prep.meta)
    ci, ci_notes = _intervals(sub, breaks, level=level, het_reg=het_reg, het_err=het_err, hac=False)
    table, notes = breaks_frame(prep, breaks, ci, fit, level, X=Z)
    params["partial_change"] = (
        f"{', '.join(prep.names[q:])} fixed across regimes; breaks by iterating the exact search "
        "given the fixed coefficients and OLS given the breaks (Bai & Perron 2003); intervals "
        "(Bai 1997) treat the fixed coefficients as known"
    )
    return Breaks(
        series=prep.series, breaks=table,
        segments=segments_frame(prep, fit, fixed=(coef[-prep.n_fixed :], D)),
        criteria=criteria_frame(path.rss, ic, m), tests=tests, method="bai-perron",
        model=prep.model, scale=prep.scale, params=params, notes=(*ci_notes, *notes),
        design=_design(prep),
    )


def _partial_se(y: np.ndarray, Z: np.ndarray, Xf: np.ndarray, breaks: np.ndarray,
                coef: np.ndarray, rss: float) -> np.ndarray:
    """Classical OLS standard errors of the fixed coefficients in the joint regression."""
    D = partial_design(Z, Xf, breaks)
    dof = D.shape[0] - D.shape[1]
    cov = np.linalg.pinv(D.T @ D) * rss / max(dof, 1)
    return np.asarray(np.sqrt(np.diag(cov))[-Xf.shape[1] :], dtype=np.float64)


def partial_criteria(path: Any) -> dict[str, np.ndarray]:
    """BIC and LWZ of the partial-change model: ``q (m + 1) + p`` coefficients.

    BIC counts one variance as strucchange does (``df = q (m + 1) + p + 1``), LWZ counts the
    break dates instead (``q (m + 1) + p + m``), as for the pure-change model.
    """
    n, q, p = path.n, path.k, path.p
    m = np.arange(path.max_breaks + 1)
    df = q * (m + 1) + p + 1
    npar = q * (m + 1) + p + m
    with np.errstate(divide="ignore"):
        loglik = -0.5 * n * (np.log(path.rss) + 1.0 - np.log(n) + np.log(2.0 * np.pi))
        lwz = np.log(path.rss / np.where(npar < n, n - npar, 1)) + npar / n * 0.299 * np.log(n) ** 2.1
    return {
        "loglik": loglik,
        "bic": -2.0 * loglik + np.log(n) * df,
        "lwz": np.where(npar < n, lwz, np.inf),
    }


def _partial_tests(prep: Prepared, path: Any, *, h: int, params: dict[str, Any]) -> dict[str, TestResult]:
    """SupF (m = 1) and UDmax from the partial-change RSS path, with q breaking regressors.

    ``F(m) = (n - (m + 1) q - p) / m * (RSS_0 - RSS_m) / RSS_m`` (Bai & Perron 2003, partial
    change); the nulls are those of the pure-change tests with q regressors.
    """
    n, q, p, trim = path.n, path.k, path.p, h / path.n
    m = np.arange(1, path.max_breaks + 1)
    fm = (n - (m + 1) * q - p) / m * (path.rss[0] - path.rss[1:]) / path.rss[1:]
    df = (float(q), float(n - 2 * q - p))
    out = {}
    for name in ("supF", "UDmax"):
        stat = float(fm[0]) if name == "supF" else float(fm.max())
        try:
            if name == "supF":
                pvalue = cv.null_pvalue(stat, q=q, trim=trim)
                crits = {lv: cv.null_quantile(lv, q=q, trim=trim) for lv in LEVELS}
            else:
                pvalue = cv.udmax_pvalue(stat, q=q, trim=trim, max_breaks=len(fm), n=n)
                crits = {lv: cv.udmax_quantile(lv, q=q, trim=trim, max_breaks=len(fm), n=n)
                         for lv in LEVELS}
        except NkfxValueError:
            pvalue, crits = float("nan"), {}
        at = int(path.breaks[1][0]) if name == "supF" else None
        detail: dict[str, Any] = {"supF_m": fm} if name == "UDmax" else {}
        null = ("no break (alternative: one break at an unknown date)" if name == "supF"
                else f"no break (alternative: 1 to {len(fm)} breaks)")
        ftest = FTest(name, stat, pvalue, df, crits, at, detail)
        out[name] = make_test_result(ftest, prep, name, f"{null}; {p} fixed regressor(s)", params)

    out.update(_wdmax_test(prep, wdmax(fm, q=q, trim=trim, n=n), len(fm), params))
    return out


def _udmax_note(hac: bool) -> tuple[str, ...]:
    if not hac:
        return ()
    return ("UDmax and sup-F(l+1|l) use the ordinary F statistic and asymptotic p-values: they "
            "are not HAC-robust and over-reject with autocorrelated errors.",)


def _intervals(
    prep: Prepared, breaks: np.ndarray, *, level: float, het_reg: bool, het_err: bool, hac: bool
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Bai (1997) intervals; bounds the core cannot compute are warned about with dates."""
    if breaks.size == 0:
        return np.zeros((0, 2), dtype=np.int64), ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NkfxWarning)  # re-issued below, with dates
        ci = np.asarray(
            bp.breakdate_ci(prep.y, prep.X, breaks, level=level, het_reg=het_reg, het_err=het_err, hac=hac),
            dtype=np.int64,
        )
    notes = []
    for i in np.flatnonzero((ci == bp.CI_UNAVAILABLE).any(axis=1)):
        b = int(breaks[i])
        notes.append(
            f"The {level:.0%} interval of break {i + 1} ({fmt_date(prep.dates[b])} | "
            f"{fmt_date(prep.dates[b + 1])}) cannot be computed: the limiting distribution "
            "of Bai (1997) puts too little mass on one side (as strucchange, which returns "
            "NA); it is reported as NaT."
        )
        warnings.warn(notes[-1], DataQualityWarning, stacklevel=4)
    return ci, tuple(notes)


def _global_tests(
    prep: Prepared, path: Any, *, h: int, hac: bool, boot: dict[str, Any], params: dict[str, Any]
) -> dict[str, TestResult]:
    """SupF (one break) and UDmax (1 to max_breaks breaks) against no break."""
    sup = ft.sup_f(prep.y, prep.X, h=h, hac=hac, **boot_args(boot))
    ud = udmax(prep.y, prep.X, h=h, max_breaks=int(path.max_breaks))
    out = {
        "supF": make_test_result(
            sup,
            prep,
            "supF",
            "no break (alternative: one break at an unknown date)",
            params,
            bootstrap_note(sup),
        ),
        "UDmax": make_test_result(
            ud,
            prep,
            "UDmax",
            f"no break (alternative: 1 to {path.max_breaks} breaks at unknown dates)",
            params,
        ),
    }
    out.update(_wdmax_test(prep, dict(ud.detail), int(path.max_breaks), params))
    return out


def _wdmax_test(
    prep: Prepared, detail: dict[str, Any], max_breaks: int, params: dict[str, Any]
) -> dict[str, TestResult]:
    """WDmax as a test with critical values (its weights depend on the level: no p-value)."""
    if "WDmax" not in detail:
        return {}
    stats, crits = detail["WDmax"], detail["WDmax_critical"]
    ftest = FTest("WDmax", stats[0.95], float("nan"), (float(prep.k - prep.n_fixed), float(prep.n)),
                  {0.95: crits[0.95]}, None, {"statistic_by_level": stats, "critical_by_level": crits})
    note = ("WDmax (Bai & Perron 1998) weighs the m-break F statistics by c(1)/c(m) at the test's "
            "level, so it has critical values, not a p-value; the statistic shown uses the 5% "
            "weights, detail['statistic_by_level'] the others.",)
    null = f"no break (alternative: 1 to {max_breaks} breaks at unknown dates)"
    return {"WDmax": make_test_result(ftest, prep, "WDmax", null, params, note)}


def _sequential(
    prep: Prepared,
    path: Any,
    tests: dict[str, TestResult],
    *,
    h: int,
    alpha: float,
    params: dict[str, Any],
) -> tuple[int, tuple[str, ...]]:
    """Bai–Perron's sequential rule: UDmax first, then sup-F(l+1|l) while it rejects."""
    decided = _rejects(tests["UDmax"], alpha)
    if not decided:
        return 0, _undecided(tests["UDmax"], alpha, decided)
    m = 1
    while m < path.max_breaks:
        name = f"supF({m + 1}|{m})"
        result = make_test_result(
            seq_f(prep.y, prep.X, path.breaks[m], h=h),
            prep,
            name,
            f"{m} break(s) (alternative: {m + 1})",
            params,
        )
        tests[name] = result
        decided = _rejects(result, alpha)
        if not decided:
            return m, _undecided(result, alpha, decided)
        m += 1
    return m, ()


def _undecided(test: TestResult, alpha: float, decided: bool | None) -> tuple[str, ...]:
    if decided is not None:
        return ()
    return (
        f"The sequential rule stopped at {test.name}: it has neither a p-value nor a "
        f"critical value at alpha={alpha:g} (see the test's detail).",
    )


def _rejects(test: TestResult, alpha: float) -> bool | None:
    """True/False if the test rejects at ``alpha``; None if that cannot be decided."""
    if np.isfinite(test.pvalue):
        return bool(test.pvalue < alpha)
    if not np.isfinite(test.statistic):
        return False  # no statistic: no evidence for another break
    for lvl, crit in test.critical_values.items():
        if abs(lvl - (1.0 - alpha)) < 1e-9:
            return bool(test.statistic > crit)
    return None


