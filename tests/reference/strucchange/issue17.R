# Reference results from R strucchange for nkfx's Bai-Perron with regressors and many breaks
# (issue 17).
#
# Run from the repository root:
#     Rscript tests/reference/strucchange/issue17.R
# It writes bp_seatbelt_pure.json, bp_seatbelt_partial.json and classic_grossarl.json (a few
# seconds).
#
# The Seatbelt model of strucchange's ?breakpoints example: y = log10(UKDriverDeaths) on its lags
# 1 and 12, 1970-01 to 1984-12 (n = 180), h = 0.1 (18 observations).
# * pure structural change: breakpoints(y ~ ylag1 + ylag12, h = 0.1), every coefficient breaks.
# * partial structural change (Bai & Perron 2003): only the intercept breaks, the lag
#   coefficients are held fixed across regimes. strucchange cannot fit this model
#   (breakpoints() always lets every coefficient change), so the optimum is found here by an
#   exhaustive search with lm.fit on the implied design (one dummy-intercept column per regime
#   plus ylag1 and ylag12), for m = 1 and m = 2 (every admissible pair of break dates).
# Index convention as in generate.R: *_r are R's 1-based breakpoints (observation i is the last
# of the old regime); nkfx's 0-based index is i - 1.

suppressPackageStartupMessages(library(strucchange))
source_dir <- file.path("tests", "reference", "strucchange")
if (!dir.exists(source_dir)) stop("run this script from the repository root")

num <- function(v) ifelse(is.na(v), "null", sprintf("%.17g", v))
arr <- function(v) paste0("[", paste(num(v), collapse = ", "), "]")
esc <- function(v) gsub("\t", "\\\\t", gsub("\n", "\\\\n", gsub("\"", "\\\\\"", v)))
str_arr <- function(v) paste0("[", paste0("\"", esc(v), "\"", collapse = ", "), "]")
mat <- function(m) paste0("[", paste(apply(m, 1, arr), collapse = ", "), "]")
obj <- function(...) {
  x <- list(...)
  paste0("{", paste0("\"", names(x), "\": ", unlist(x), collapse = ",\n "), "}")
}

data("UKDriverDeaths", package = "datasets")
full <- log10(UKDriverDeaths)  # 1969-01 .. 1984-12, 192 months
seatbelt <- cbind(full, lag(full, k = -1), lag(full, k = -12))
colnames(seatbelt) <- c("y", "ylag1", "ylag12")
seatbelt <- window(seatbelt, start = c(1970, 1), end = c(1984, 12))
n <- nrow(seatbelt)
month <- function(t) sprintf("%04d-%02d-01", floor(t + 1e-8), round((t - floor(t + 1e-8)) * 12) + 1)
full_dates <- month(as.numeric(time(full)))
dates <- month(as.numeric(time(seatbelt)))

bp <- breakpoints(y ~ ylag1 + ylag12, data = seatbelt, h = 0.1)
s <- summary(bp)
max_m <- ncol(s$RSS) - 1
path <- vapply(0:max_m, function(m) {
  b <- if (m == 0) numeric(0) else breakpoints(bp, breaks = m)$breakpoints
  obj(m = m, breakpoints_r = arr(b), rss = num(s$RSS["RSS", m + 1]), bic = num(s$RSS["BIC", m + 1]))
}, "")
ci <- vapply(1:max_m, function(m) {
  w <- character(0)
  ci <- withCallingHandlers(confint(bp, breaks = m)$confint,
                            warning = function(e) { w <<- c(w, conditionMessage(e)); invokeRestart("muffleWarning") })
  obj(m = m, lower_r = arr(ci[, 1]), breakpoints_r = arr(ci[, 2]), upper_r = arr(ci[, 3]),
      warnings = if (length(w)) str_arr(w) else "[]")
}, "")
fs <- Fstats(y ~ ylag1 + ylag12, data = seatbelt, from = 0.1)
st <- sctest(fs, type = "supF")
stopifnot(length(fs$Fstats) == n - 2 * floor(0.1 * n) + 1)
fstats_json <- obj(r_call = "\"sctest(Fstats(y ~ ylag1 + ylag12, data = seatbelt, from = 0.1), type = 'supF')\"",
                   from_r = as.integer(floor(0.1 * n)), to_r = as.integer(n - floor(0.1 * n)),
                   fstats = arr(as.numeric(fs$Fstats)),
                   sup_f = num(unname(st$statistic)), p_value = num(st$p.value),
                   argmax_r = fs$breakpoint)
fm2 <- lm(y ~ breakfactor(breakpoints(bp, breaks = 2))/(ylag1 + ylag12) - 1, data = seatbelt)
coef2 <- matrix(coef(fm2), nrow = 3)  # rows: segments; columns: intercept, ylag1, ylag12
pure <- obj(
  kind = "\"breakpoints_regression\"", name = "\"seatbelt_pure\"",
  r_call = "\"breakpoints(y ~ ylag1 + ylag12, data = seatbelt, h = 0.1)\"",
  description = "\"log10(UKDriverDeaths) on its lags 1 and 12, 1970-01..1984-12 (?breakpoints example)\"",
  n = n, h = as.integer(floor(0.1 * n)), max_breaks = max_m,
  full_dates = str_arr(full_dates), full_y = arr(as.numeric(full)),
  dates = str_arr(dates), y = arr(seatbelt[, "y"]),
  ylag1 = arr(seatbelt[, "ylag1"]), ylag12 = arr(seatbelt[, "ylag12"]),
  path = paste0("[", paste(path, collapse = ",\n"), "]"),
  bic_breaks = length(breakpoints(bp)$breakpoints[!is.na(breakpoints(bp)$breakpoints)]),
  ci = paste0("[", paste(ci, collapse = ",\n"), "]"),
  coef_m2 = mat(coef2), rss_m2 = num(sum(residuals(fm2)^2)),
  fstats = fstats_json
)
writeLines(pure, file.path(source_dir, "bp_seatbelt_pure.json"))

# Partial change: intercept breaks, ylag1 and ylag12 fixed; exhaustive search.
y <- as.numeric(seatbelt[, "y"])
Xf <- cbind(as.numeric(seatbelt[, "ylag1"]), as.numeric(seatbelt[, "ylag12"]))
h <- as.integer(floor(0.1 * n))
rss_of <- function(b) {
  seg <- findInterval(seq_len(n), b + 1) + 1  # segment of each observation (b = last of old)
  D <- outer(seg, seq_len(length(b) + 1), "==") * 1
  fit <- lm.fit(cbind(D, Xf), y)
  sum(fit$residuals^2)
}
best1 <- NULL
for (i in h:(n - h)) {
  r <- rss_of(i)
  if (is.null(best1) || r < best1$rss) best1 <- list(b = i, rss = r)
}
best2 <- NULL
for (i in h:(n - 2 * h)) for (j in (i + h):(n - h)) {
  r <- rss_of(c(i, j))
  if (is.null(best2) || r < best2$rss) best2 <- list(b = c(i, j), rss = r)
}
rss0 <- sum(lm.fit(cbind(1, Xf), y)$residuals^2)
coef_of <- function(b) {
  seg <- findInterval(seq_len(n), b + 1) + 1
  D <- outer(seg, seq_len(length(b) + 1), "==") * 1
  unname(lm.fit(cbind(D, Xf), y)$coefficients)
}
partial <- obj(
  kind = "\"breakpoints_partial\"", name = "\"seatbelt_partial\"",
  description = "\"Seatbelt, only the intercept breaks (ylag1, ylag12 fixed); exhaustive lm.fit search\"",
  n = n, h = h, fixed = str_arr(c("ylag1", "ylag12")),
  rss0 = num(rss0),
  m1_breakpoints_r = arr(best1$b), m1_rss = num(best1$rss), m1_coef = arr(coef_of(best1$b)),
  m2_breakpoints_r = arr(best2$b), m2_rss = num(best2$rss), m2_coef = arr(coef_of(best2$b)),
  coef_order = "\"regime intercepts, then ylag1, ylag12\"",
  r_version = paste0("\"", R.version.string, "\""),
  strucchange_version = paste0("\"", packageVersion("strucchange"), "\"")
)
writeLines(partial, file.path(source_dir, "bp_seatbelt_partial.json"))

# Grossarl (strucchange's ?Grossarl): fraction of illegitimate births, 1700-1899, y ~ 1, h = 0.1.
# The interval warnings are those of breakdates(confint(bp, breaks = m)).
data("Grossarl", package = "strucchange")
fr <- as.numeric(Grossarl[, "fraction"])
ng <- length(fr)
bpg <- breakpoints(fr ~ 1, h = 0.1)
sg <- summary(bpg)
max_g <- ncol(sg$RSS) - 1
path_g <- vapply(0:max_g, function(m) {
  b <- if (m == 0) numeric(0) else breakpoints(bpg, breaks = m)$breakpoints
  obj(m = m, breakpoints_r = arr(b), rss = num(sg$RSS["RSS", m + 1]), bic = num(sg$RSS["BIC", m + 1]))
}, "")
ci_g <- vapply(1:max_g, function(m) {
  w <- character(0)
  keep <- function(e) { w <<- c(w, conditionMessage(e)); invokeRestart("muffleWarning") }
  ci <- withCallingHandlers(confint(bpg, breaks = m), warning = keep)
  withCallingHandlers(breakdates(ci), warning = keep)
  obj(m = m, lower_r = arr(ci$confint[, 1]), breakpoints_r = arr(ci$confint[, 2]),
      upper_r = arr(ci$confint[, 3]), warnings = if (length(w)) str_arr(w) else "[]")
}, "")
grossarl <- obj(
  kind = "\"breakpoints\"", name = "\"grossarl\"",
  r_call = "\"breakpoints(fraction ~ 1, h = 0.1)\"",
  description = "\"strucchange::Grossarl, fraction of illegitimate births, annual 1700-1899\"",
  n = ng, h = as.integer(floor(0.1 * ng)), max_breaks = max_g,
  years = arr(1700:(1700 + ng - 1)), y = arr(fr),
  path = paste0("[", paste(path_g, collapse = ",\n"), "]"),
  ci = paste0("[", paste(ci_g, collapse = ",\n"), "]")
)
writeLines(grossarl, file.path(source_dir, "classic_grossarl.json"))
cat("wrote bp_seatbelt_pure.json, bp_seatbelt_partial.json and classic_grossarl.json\n")
