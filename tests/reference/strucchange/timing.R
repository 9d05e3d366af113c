# Time strucchange's breakpoints(y ~ 1, h = 0.15, breaks = 5) for the benchmark of issue 4.
#
# Usage (from anywhere):  Rscript tests/reference/strucchange/timing.R [n ...]
#   default n values: 200 500 1000 2000
# Output: one line per n, "n seconds" (elapsed wall-clock seconds from system.time), nothing
# else on stdout, so a Python benchmark can parse it. Not run by the tests.
#
# Data: mean-shift series with 3 breaks (at 25%, 50%, 80% of n; jumps of 2, -1.5, 2.5) plus
# N(0, 1) noise, set.seed(n) for each n so repeated runs use the same series.

suppressPackageStartupMessages(library(strucchange))

args <- commandArgs(trailingOnly = TRUE)
ns <- if (length(args)) as.integer(args) else c(200L, 500L, 1000L, 2000L)
if (anyNA(ns) || any(ns < 20L)) stop("n values must be integers >= 20")

make_series <- function(n) {
  set.seed(n)
  bps <- floor(n * c(0.25, 0.5, 0.8))
  mu <- c(0, 2, 0.5, 3)
  rep(mu, diff(c(0, bps, n))) + rnorm(n)
}

for (n in ns) {
  y <- make_series(n)
  secs <- system.time(bp <- breakpoints(y ~ 1, h = 0.15, breaks = 5))[["elapsed"]]
  cat(sprintf("%d %.4f\n", n, secs))
}
