#!/usr/bin/env python3
"""Golden values for dash's Student-t p-values (src/pvalue.rs).

For every (df, t) on a fixed grid this computes the exact two-sided p-value

    p = P(|T_df| >= |t|) = I_x(df/2, 1/2),   x = df / (df + t^2)

with mpmath at 60 significant digits and writes -log10(p), printed with 25
significant digits, to tests/data/pvalue_golden.tsv (columns: df, t,
neg_log10_p). tests/it/pvalue_golden.rs checks ln_two_sided_p against it.

Two independent evaluations are used:

* mpmath.betainc (the regularized incomplete beta function), on the smaller
  tail: I_x(a, 1/2) directly, or 1 - I_{1-x}(1/2, a) when p is close to 1;
* the hypergeometric series I_x(a, b) = x^a (1-x)^b / (a B(a, b)) *
  sum_n (a+b)_n / (a+1)_n x^n, whose terms are all positive (no
  cancellation), summed explicitly in log space.

mpmath.betainc gives up for a few rows (huge df with p ~ 1e-2000, where its
hypergeometric transformations need unbounded precision); those rows use the
series. Wherever the series is cheap it is also evaluated for rows betainc
handles, and the two must agree to 45 digits or the script aborts.

The output is deterministic (fixed grid, fixed precision, no randomness), so
regenerating it produces a byte-identical file. From the repository root:

    python3 scripts/pvalue_golden.py

Requires Python 3.11+ and mpmath.
"""

from pathlib import Path

import mpmath
from mpmath import mp, mpf

mp.dps = 60

# Degrees of freedom: small, large, and a couple of non-integer values.
DFS = ["5", "7.5", "10", "30", "100", "1000", "1234.5", "10000", "100000", "1000000"]
# |t| values: the p ~ 1 corner (small t, large df) and the far tail (p far
# below the smallest positive f64) are both covered.
TS = ["0.1", "0.5", "1", "2", "3", "5", "10", "30", "100", "1000", "10000"]

# The explicit series is only used when its term ratio is at most this
# (so it needs at most a few tens of thousands of terms).
SERIES_MAX_RATIO = mpf("0.995")


def ln_beta(a: mpf, b: mpf) -> mpf:
    return mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)


def ln_ibeta_series(a: mpf, b: mpf, x: mpf, y: mpf) -> mpf:
    """ln I_x(a, b) (y = 1 - x) from the all-positive hypergeometric series."""
    total, term, n = mpf(0), mpf(1), 0
    while True:
        total += term
        ratio = (a + b + n) / (a + 1 + n) * x
        term *= ratio
        n += 1
        # Once the ratio is decreasing below 1 the tail is bounded by a
        # geometric series: term / (1 - ratio).
        if ratio < 1 and term / (1 - ratio) < total * mpf(10) ** (-(mp.dps + 5)):
            break
    return a * mpmath.log(x) + b * mpmath.log(y) - mpmath.log(a) - ln_beta(a, b) + mpmath.log(total)


def series_is_cheap(a: mpf, b: mpf, x: mpf) -> bool:
    # The term ratio tends to x from below (b < 1) or above (b > 1, where it
    # first exceeds 1 only for a while); cap the work either way.
    return x <= SERIES_MAX_RATIO and (a + b) * x / (a + 1) < 50


def ln_two_sided_p(df: mpf, t: mpf) -> mpf:
    a, b = df / 2, mpf(1) / 2
    x = df / (df + t * t)  # argument of I_x(df/2, 1/2)
    y = t * t / (df + t * t)  # 1 - x, formed without cancellation
    direct = x < (a + 1) / (a + b + 2)  # p is the smaller tail

    via_betainc = None
    try:
        if direct:
            via_betainc = mpmath.log(mpmath.betainc(a, b, 0, x, regularized=True))
        else:
            via_betainc = mpmath.log(1 - mpmath.betainc(b, a, 0, y, regularized=True))
    except ValueError:
        pass

    via_series = None
    if direct and series_is_cheap(a, b, x):
        via_series = ln_ibeta_series(a, b, x, y)
    elif not direct and series_is_cheap(b, a, y):
        via_series = mpmath.log(1 - mpmath.exp(ln_ibeta_series(b, a, y, x)))

    if via_betainc is None and via_series is None:
        raise RuntimeError(f"no method for df={df} t={t}")
    if via_betainc is not None and via_series is not None:
        rel = abs(via_betainc - via_series) / abs(via_series)
        if rel > mpf(10) ** -45:
            raise RuntimeError(f"methods disagree at df={df} t={t}: rel {rel}")
    return via_betainc if via_betainc is not None else via_series


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    out = root / "tests" / "data" / "pvalue_golden.tsv"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["df\tt\tneg_log10_p"]
    for df_s in DFS:
        for t_s in TS:
            ln_p = ln_two_sided_p(mpf(df_s), mpf(t_s))
            nl10 = -ln_p / mpmath.log(10)
            lines.append(f"{df_s}\t{t_s}\t{mpmath.nstr(nl10, 25, min_fixed=-5, max_fixed=8)}")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} rows to {out}")


if __name__ == "__main__":
    main()
