# Time strucchange's HAC F path, Fstats(y ~ 1, from = h, vcov. = kernHAC), for benchmarks/bench_hac.py.
#
# Usage:  Rscript tests/reference/strucchange/timing_hac.R file.txt [file.txt ...]
#   each file holds one series, one value per line; h = floor(0.15 n).
# Output: one line per file, "n seconds max_F" (elapsed wall-clock seconds from system.time and
# the largest F, so the caller can check that both computed the same statistic). Not run by the tests.

suppressPackageStartupMessages({
  library(strucchange)
  library(sandwich)
})

files <- commandArgs(trailingOnly = TRUE)
if (!length(files)) stop("give one or more files with a series each")

for (f in files) {
  y <- scan(f, quiet = TRUE)
  n <- length(y)
  h <- floor(0.15 * n)
  secs <- system.time(fs <- Fstats(y ~ 1, from = h, vcov. = kernHAC))[["elapsed"]]
  cat(sprintf("%d %.4f %.12g\n", n, secs, max(fs$Fstats)))
}
