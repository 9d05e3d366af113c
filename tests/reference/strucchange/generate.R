# Reference results from R strucchange for nkfx's Bai-Perron / F-test code (issue 4).
#
# Run from the repository root:
#     Rscript tests/reference/strucchange/generate.R
# It rewrites every *.json file in tests/reference/strucchange/ (see README.md there).
# Needs only base R, strucchange and sandwich (jsonlite is not installed here, so a small
# JSON writer with 17 significant digits is defined below).
#
# Index convention: strucchange's 1-based breakpoint i means observation i is the LAST one of
# the old regime. nkfx's 0-based break index is b = i - 1. Files store both ("*_r" = R/1-based).

suppressPackageStartupMessages({
  library(strucchange)
  library(sandwich)
})

out_dir <- file.path("tests", "reference", "strucchange")
if (!dir.exists(out_dir)) stop("run this script from the repository root")
shared_csv <- file.path("..", "shared", "data", "dailynk_usd_kpw_by_city.csv")

# ---------------------------------------------------------------------------------------------
# Minimal JSON writer. Atomic vectors of length 1 become scalars unless wrapped with A();
# matrices become arrays of rows; NA becomes null; doubles keep 17 significant digits.
# ---------------------------------------------------------------------------------------------
A <- function(x) {
  attr(x, "json_array") <- TRUE
  x
}

json_atom <- function(v) {
  if (is.na(v)) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.character(v)) {
    v <- gsub("\\\\", "\\\\\\\\", v)
    v <- gsub("\"", "\\\\\"", v)
    v <- gsub("\n", "\\\\n", v)
    return(paste0("\"", v, "\""))
  }
  if (is.integer(v)) return(as.character(v))
  if (!is.finite(v)) stop("non-finite number cannot be written to JSON")
  if (v == round(v) && abs(v) < 1e15) return(format(v, scientific = FALSE))
  sprintf("%.17g", v)
}

to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent + 2)
  end <- strrep(" ", indent)
  if (is.null(x)) return("null")
  if (is.factor(x)) x <- as.character(x)
  if (inherits(x, "Date")) x <- format(x)
  if (is.matrix(x) && is.atomic(x)) {
    rows <- vapply(seq_len(nrow(x)), function(i) to_json(A(unname(x[i, ]))), "")
    if (length(rows) == 0) return("[]")
    return(paste0("[\n", paste0(pad, rows, collapse = ",\n"), "\n", end, "]"))
  }
  if (is.atomic(x)) {
    as_array <- isTRUE(attr(x, "json_array")) || length(x) != 1
    x <- unname(as.vector(x))
    items <- vapply(seq_along(x), function(i) json_atom(x[i]), "")
    if (!as_array) return(items)
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    items <- vapply(x, to_json, "", indent = indent + 2)
    if (is.null(names(x))) {
      return(paste0("[\n", paste0(pad, items, collapse = ",\n"), "\n", end, "]"))
    }
    keys <- vapply(names(x), json_atom, "")
    return(paste0("{\n", paste0(pad, keys, ": ", items, collapse = ",\n"), "\n", end, "}"))
  }
  stop("cannot write object of class ", class(x)[1])
}

write_case <- function(case, file) {
  writeLines(to_json(case), file.path(out_dir, file), useBytes = TRUE)
  cat(sprintf("wrote %-40s\n", file))
}

# ---------------------------------------------------------------------------------------------
# Covariance estimators used for the HAC variants (the exact calls are also stored in the files).
# ---------------------------------------------------------------------------------------------
# As in strucchange's ?RealInt example (Bai & Perron 2003 replication). These are kernHAC's
# defaults: Quadratic Spectral kernel, AR(1) prewhitening, Andrews (1991) plug-in bandwidth
# from AR(1) approximations (ar.method = "ols"), adjust = TRUE (factor n / (n - k)).
KERNHAC_CALL <- paste0('function(x, ...) sandwich::kernHAC(x, kernel = "Quadratic Spectral", ',
                       'prewhite = 1, approx = "AR(1)", ...)')
vcov_kernhac <- function(x, ...) {
  sandwich::kernHAC(x, kernel = "Quadratic Spectral", prewhite = 1, approx = "AR(1)", ...)
}
# A simple Newey-West (Bartlett weights 1 - j / (L + 1), j = 0..L) with a FIXED lag, no
# prewhitening and no small-sample adjustment: easy to reproduce without sandwich.
nw_lag <- function(n) as.integer(floor(4 * (n / 100)^(2 / 9)))
make_vcov_nw <- function(lag) {
  force(lag)
  function(x, ...) sandwich::NeweyWest(x, lag = lag, prewhite = FALSE, adjust = FALSE)
}
nw_call <- function(lag) {
  sprintf("function(x, ...) sandwich::NeweyWest(x, lag = %d, prewhite = FALSE, adjust = FALSE)",
          lag)
}

# ---------------------------------------------------------------------------------------------
# Break-date confidence intervals: strucchange's confint() plus the intermediate quantities of
# Bai (1997) that produce it, recomputed here and checked against confint() itself.
# ---------------------------------------------------------------------------------------------
segment_fits <- function(X, y, bounds) {
  lapply(seq_len(length(bounds) - 1), function(j) {
    idx <- (bounds[j] + 1):bounds[j + 1]
    Xs <- X[idx, , drop = FALSE]
    ys <- y[idx]
    fm <- lm(ys ~ 0 + Xs)
    list(fm = fm, beta = unname(coef(fm)), Q = crossprod(Xs) / length(idx),
         sigma2 = sum(residuals(fm)^2) / length(idx), ns = length(idx))
  })
}

ci_details <- function(bp, m, level, het.reg, het.err, vcov.) {
  X <- bp$X
  y <- bp$y
  n <- bp$nobs
  a2 <- (1 - level) / 2
  brk <- breakpoints(bp, breaks = m)$breakpoints
  bounds <- c(0, brk, n)
  res <- residuals(bp, breaks = m)
  segs <- segment_fits(X, y, bounds)
  q_full <- crossprod(X) / n
  s2_full <- sum(res^2) / n
  if (is.null(vcov.)) {
    om_full <- s2_full * q_full
  } else {
    y_nb <- rowSums(X) + res  # pseudo response: coefficients 1, residuals = segmented residuals
    om_full <- n * crossprod(q_full, vcov.(lm(y_nb ~ 0 + X))) %*% q_full
  }
  per_seg <- lapply(segs, function(s) {
    Q <- if (het.reg) s$Q else q_full
    s2 <- if (het.err) s$sigma2 else s2_full
    om <- if (!het.err) om_full
          else if (is.null(vcov.)) s2 * Q
          else s$ns * crossprod(Q, vcov.(s$fm)) %*% Q
    list(Q = Q, s2 = s2, om = om, beta = s$beta)
  })
  quad <- function(d, M) as.vector(crossprod(d, M) %*% d)
  lapply(seq_len(m), function(i) {
    s1 <- per_seg[[i]]
    s2 <- per_seg[[i + 1]]
    d <- s2$beta - s1$beta
    qp1 <- quad(d, s1$Q)
    qp2 <- quad(d, s2$Q)
    xi <- if (het.reg) qp2 / qp1 else 1
    phi1 <- if (is.null(vcov.)) sqrt(s1$s2) else sqrt(quad(d, s1$om) / qp1)
    phi2 <- if (is.null(vcov.)) sqrt(s2$s2) else sqrt(quad(d, s2$om) / qp2)
    p0 <- strucchange:::pargmaxV(0, phi1 = phi1, phi2 = phi2, xi = xi)
    f <- function(x, lev) strucchange:::pargmaxV(x, xi = xi, phi1 = phi1, phi2 = phi2) - lev
    out <- list(break_r = brk[i], delta = A(d), Qprod1 = qp1, Qprod2 = qp2, xi = xi,
                phi1 = phi1, phi2 = phi2, p0 = p0, scale = phi1^2 / qp1)
    if (is.nan(p0) || p0 < a2 || p0 > 1 - a2) return(c(out, computable = FALSE))
    ub <- 0
    lb <- 0
    while (f(ub, 1 - a2) < 0) ub <- ub + 1000
    while (f(lb, a2) > 0) lb <- lb - 1000
    # strucchange uses uniroot's default tolerance (~1.2e-4); the tight roots are for checking.
    r_up <- uniroot(f, c(0, ub), lev = 1 - a2)$root
    r_lo <- uniroot(f, c(lb, 0), lev = a2)$root
    r_up_t <- uniroot(f, c(0, ub), lev = 1 - a2, tol = 1e-13)$root
    r_lo_t <- uniroot(f, c(lb, 0), lev = a2, tol = 1e-13)$root
    c(out, list(computable = TRUE,
                root_upper = r_up, root_lower = r_lo,
                root_upper_tight = r_up_t, root_lower_tight = r_lo_t,
                shift_lower = r_up * out$scale, shift_upper = r_lo * out$scale,
                shift_lower_tight = r_up_t * out$scale, shift_upper_tight = r_lo_t * out$scale,
                lower_r = brk[i] - ceiling(r_up * out$scale),
                upper_r = brk[i] - floor(r_lo * out$scale)))
  })
}

CI_VARIANTS <- list(
  list(id = "default", het.reg = TRUE, het.err = TRUE, vcov = "none"),
  list(id = "het_reg_only", het.reg = TRUE, het.err = FALSE, vcov = "none"),
  list(id = "het_err_only", het.reg = FALSE, het.err = TRUE, vcov = "none"),
  list(id = "homogeneous", het.reg = FALSE, het.err = FALSE, vcov = "none"),
  list(id = "kernhac", het.reg = TRUE, het.err = TRUE, vcov = "kernhac"),
  list(id = "kernhac_homogeneous", het.reg = FALSE, het.err = FALSE, vcov = "kernhac"),
  list(id = "neweywest", het.reg = TRUE, het.err = TRUE, vcov = "neweywest")
)

ci_entries <- function(bp, m, nw) {
  out <- list()
  for (v in CI_VARIANTS) {
    vc <- switch(v$vcov, none = NULL, kernhac = vcov_kernhac, neweywest = nw$fun)
    vc_txt <- switch(v$vcov, none = "NULL", kernhac = KERNHAC_CALL, neweywest = nw$call)
    for (level in c(0.90, 0.95, 0.99)) {
      warns <- character(0)
      ci <- withCallingHandlers(
        confint(bp, breaks = m, level = level, het.reg = v$het.reg, het.err = v$het.err,
                vcov. = vc)$confint,
        warning = function(w) {
          warns <<- c(warns, conditionMessage(w))
          invokeRestart("muffleWarning")
        })
      det <- ci_details(bp, m, level, v$het.reg, v$het.err, vc)
      mine_lo <- vapply(det, function(d) if (d$computable) d$lower_r else NA_real_, 0)
      mine_up <- vapply(det, function(d) if (d$computable) d$upper_r else NA_real_, 0)
      if (!identical(as.numeric(mine_lo), as.numeric(ci[, 1])) ||
          !identical(as.numeric(mine_up), as.numeric(ci[, 3]))) {
        stop("ci_details() does not reproduce confint() for variant ", v$id)
      }
      call <- sprintf("confint(bp, breaks = %d, level = %s, het.reg = %s, het.err = %s, vcov. = %s)",
                      m, format(level), v$het.reg, v$het.err,
                      switch(v$vcov, none = "NULL", kernhac = "vcov_kernhac", neweywest = "vcov_nw"))
      out[[length(out) + 1]] <- list(
        m = m, variant = v$id, level = level, het_reg = v$het.reg, het_err = v$het.err,
        vcov = v$vcov, vcov_function = vc_txt, r_call = call,
        breakpoints_r = A(as.integer(ci[, 2])), lower_r = A(as.integer(ci[, 1])),
        upper_r = A(as.integer(ci[, 3])),
        breaks = A(as.integer(ci[, 2]) - 1L), lower = A(as.integer(ci[, 1]) - 1L),
        upper = A(as.integer(ci[, 3]) - 1L),
        warnings = A(warns), details = det)
    }
  }
  out
}

# ---------------------------------------------------------------------------------------------
# Segment estimates for a given number of breaks.
# ---------------------------------------------------------------------------------------------
segment_table <- function(bp, m, nw) {
  n <- bp$nobs
  brk <- if (m == 0) integer(0) else breakpoints(bp, breaks = m)$breakpoints
  bounds <- c(0, brk, n)
  segs <- segment_fits(bp$X, bp$y, bounds)
  se_of <- function(V) unname(lapply(V, function(v) A(unname(sqrt(diag(v))))))
  k <- bp$nreg
  bw <- vapply(segs, function(s) {
    sandwich::bwAndrews(s$fm, kernel = "Quadratic Spectral", prewhite = 1, approx = "AR(1)")
  }, 0)
  list(
    m = m,
    start_r = A(as.integer(bounds[-length(bounds)] + 1)), end_r = A(as.integer(bounds[-1])),
    start = A(as.integer(bounds[-length(bounds)])), end = A(as.integer(bounds[-1] - 1)),
    n = A(vapply(segs, function(s) s$ns, 0L)),
    coef = unname(matrix(coef(bp, breaks = m), ncol = k)),
    rss = A(vapply(segs, function(s) s$sigma2 * s$ns, 0)),
    sigma_ml = A(vapply(segs, function(s) sqrt(s$sigma2), 0)),
    sigma_ols = A(vapply(segs, function(s) sqrt(s$sigma2 * s$ns / (s$ns - k)), 0)),
    se_ols = lapply(segs, function(s) A(unname(summary(s$fm)$coefficients[, 2]))),
    se_strucchange = se_of(vcov(bp, breaks = m)),
    se_kernhac = se_of(vcov(bp, breaks = m, vcov. = vcov_kernhac)),
    se_neweywest = se_of(vcov(bp, breaks = m, vcov. = nw$fun)),
    kernhac_bandwidth = A(bw),
    notes = paste("se_ols: summary(lm) per segment (sigma with n_i - k);",
                  "se_strucchange: vcov(bp, breaks = m), i.e. ML sigma^2 = RSS_i / n_i times",
                  "(X_i'X_i)^-1; se_kernhac / se_neweywest: vcov(bp, breaks = m, vcov. = ...),",
                  "i.e. the HAC function applied to lm(y_i ~ 0 + X_i) of each segment;",
                  "kernhac_bandwidth: sandwich::bwAndrews for that segment fit.")
  )
}

# ---------------------------------------------------------------------------------------------
# Criterion path: RSS, log-likelihood, BIC, LWZ for m = 0..max.
# ---------------------------------------------------------------------------------------------
LWZ_C0 <- 0.299
LWZ_DELTA0 <- 0.1

criterion_path <- function(bp) {
  n <- bp$nobs
  k <- bp$nreg
  max_m <- ncol(bp$RSS.table) / 2
  sm <- summary(bp)
  lapply(0:max_m, function(m) {
    bpm <- breakpoints(bp, breaks = m)
    brk <- if (m == 0) integer(0) else as.integer(bpm$breakpoints)
    ll <- logLik(bpm)
    df <- attr(ll, "df")
    bic <- AIC(bpm, k = log(n))
    if (!isTRUE(all.equal(bic, unname(sm$RSS["BIC", m + 1]), tolerance = 1e-14))) {
      stop("BIC from AIC(k = log(n)) differs from summary()")
    }
    pstar <- (m + 1) * k + m
    list(m = m, breakpoints_r = A(brk), breaks = A(brk - 1L), rss = bpm$RSS,
         loglik = as.numeric(ll), df = as.integer(df),
         bic = unname(sm$RSS["BIC", m + 1]),
         lwz_aic = AIC(bpm, k = LWZ_C0 * log(n)^(2 + LWZ_DELTA0)),
         lwz97 = log(bpm$RSS / (n - pstar)) + pstar * LWZ_C0 * log(n)^(2 + LWZ_DELTA0) / n,
         lwz97_p = pstar)
  })
}

CRITERIA_DOC <- list(
  loglik = "-0.5 * n * (log(RSS) + 1 - log(n) + log(2 * pi))   [strucchange logLik.breakpoints]",
  df = "(k + 1) * (m + 1)   [strucchange: k coefficients per segment + 1; k = ncol(X)]",
  bic = "-2 * loglik + log(n) * df   [= summary(bp)$RSS['BIC', ] = AIC(bp, breaks = m, k = log(n))]",
  lwz_aic = "-2 * loglik + 0.299 * log(n)^2.1 * df   [AIC(bp, breaks = m, k = 0.299 * log(n)^2.1); strucchange has no LWZ of its own]",
  lwz97 = "log(RSS / (n - p)) + p * 0.299 * log(n)^2.1 / n with p = (m + 1) * k + m   [Liu, Wu & Zidek 1997 as in Bai & Perron 2003; computed here, not by strucchange]"
)

# ---------------------------------------------------------------------------------------------
# A complete breakpoints case.
# ---------------------------------------------------------------------------------------------
describe_bp <- function(bp, info, ci_ms = NULL, store_data = TRUE) {
  n <- bp$nobs
  k <- bp$nreg
  nw <- list(lag = nw_lag(n))
  nw$fun <- make_vcov_nw(nw$lag)
  nw$call <- nw_call(nw$lag)
  path <- criterion_path(bp)
  sm <- summary(bp)
  pick <- function(key) which.min(vapply(path, function(p) p[[key]], 0)) - 1L
  m_bic <- pick("bic")
  default_bp <- breakpoints(bp)$breakpoints
  default_bp <- if (all(is.na(default_bp))) integer(0) else as.integer(default_bp)
  stopifnot(identical(default_bp, as.integer(path[[m_bic + 1]]$breakpoints_r)))
  true_m <- length(info$true_breakpoints_r)
  seg_ms <- unique(c(m_bic, if (true_m <= length(path) - 1) true_m))
  if (is.null(ci_ms)) ci_ms <- seg_ms
  ci_ms <- ci_ms[ci_ms >= 1]
  case <- c(
    list(kind = "breakpoints"),
    info[setdiff(names(info), c("y", "x", "true_breakpoints_r"))],
    list(n = n, k = k, h = as.integer(bp$RSS.table[1, 1]),
         max_breaks = as.integer(ncol(bp$RSS.table) / 2),
         true_breakpoints_r = A(as.integer(info$true_breakpoints_r)),
         true_breaks = A(as.integer(info$true_breakpoints_r) - 1L)),
    if (store_data) list(y = A(info$y), x = info$x) else list(y = NULL, x = NULL),
    list(criteria_definitions = CRITERIA_DOC,
         path = path,
         summary_rss = A(unname(sm$RSS["RSS", ])), summary_bic = A(unname(sm$RSS["BIC", ])),
         selected = list(bic = m_bic, lwz_aic = pick("lwz_aic"), lwz97 = pick("lwz97"),
                         default_breakpoints_r = A(default_bp)),
         hac = list(kernhac = KERNHAC_CALL, neweywest = nw$call, neweywest_lag = nw$lag,
                    neweywest_lag_rule = "floor(4 * (n / 100)^(2 / 9)) with the full-sample n"),
         segments = lapply(seg_ms, function(m) segment_table(bp, m, nw)),
         ci = c(list(), do.call(c, lapply(ci_ms, function(m) ci_entries(bp, m, nw)))))
  )
  case
}

# ---------------------------------------------------------------------------------------------
# F statistics (Andrews 1993 sup-F etc.) and Chow tests.
# ---------------------------------------------------------------------------------------------
describe_fstats <- function(fs, call, vcov_txt) {
  from <- as.integer(fs$breakpoint - which.max(fs$Fstats) + 1L)  # sup.point = argmax + from - 1
  pts <- from + seq_along(fs$Fstats) - 1L
  tests <- lapply(c("supF", "aveF", "expF"), function(tp) {
    st <- sctest(fs, type = tp)
    list(type = tp, statistic = unname(st$statistic), p_value = unname(st$p.value),
         method = st$method)
  })
  names(tests) <- c("supF", "aveF", "expF")
  list(r_call = call, vcov_function = vcov_txt, from_r = from, to_r = max(pts),
       lambda = fs$par, tau = 1 / (1 + sqrt(fs$par)),
       points_r = A(pts), points = A(pts - 1L), fstats = A(as.numeric(fs$Fstats)),
       argmax_r = as.integer(fs$breakpoint), argmax = as.integer(fs$breakpoint) - 1L,
       min_rss = if (is.na(fs$RSS)) NULL else fs$RSS, tests = tests)
}

chow_entry <- function(formula, data, point) {
  st <- sctest(formula, type = "Chow", point = point, data = data)
  list(r_call = sprintf("sctest(%s, type = \"Chow\", point = %d)", deparse(formula), point),
       point_r = as.integer(point), point = as.integer(point) - 1L,
       statistic = unname(st$statistic), p_value = unname(st$p.value),
       df1 = ncol(model.matrix(formula, data)),
       df2 = nrow(data) - 2L * ncol(model.matrix(formula, data)))
}

fstats_case <- function(info, formula, data, from, chow_points) {
  n <- nrow(data)
  lag <- nw_lag(n)
  txt <- deparse(formula)
  variants <- list(
    ols = describe_fstats(Fstats(formula, from = from, data = data),
                          sprintf("Fstats(%s, from = %s)", txt, format(from)), "NULL"),
    kernhac = describe_fstats(Fstats(formula, from = from, data = data, vcov. = vcov_kernhac),
                              sprintf("Fstats(%s, from = %s, vcov. = vcov_kernhac)", txt,
                                      format(from)), KERNHAC_CALL),
    neweywest = describe_fstats(Fstats(formula, from = from, data = data,
                                       vcov. = make_vcov_nw(lag)),
                                sprintf("Fstats(%s, from = %s, vcov. = vcov_nw)", txt,
                                        format(from)), nw_call(lag))
  )
  x <- if ("tt" %in% names(data)) list(tt = A(data$tt)) else NULL
  c(list(kind = "fstats"), info[setdiff(names(info), "true_breakpoints_r")],
    list(n = n, k = ncol(model.matrix(formula, data)), from_arg = from,
         true_breakpoints_r = A(as.integer(info$true_breakpoints_r)),
         true_breaks = A(as.integer(info$true_breakpoints_r) - 1L),
         y = A(data$y), x = x,
         statistic_definition = paste(
           "without vcov.: F(i) = (RSS_0 - RSS_1(i)) / (RSS_1(i) / (n - 2k)), NOT divided by k;",
           "with vcov.: Wald statistic b' V^-1 b for the k coefficient differences in",
           "lm(y ~ 0 + [X, X * 1(t > i)]) with V = vcov.(fit)[diff, diff].",
           "supF = max F, aveF = mean F, expF = log(mean(exp(F / 2))); p-values from",
           "strucchange's Hansen (1997) approximation with k and lambda."),
         variants = variants,
         chow = lapply(chow_points, function(p) chow_entry(formula, data, p))))
}

# ---------------------------------------------------------------------------------------------
# Simulated data.
# ---------------------------------------------------------------------------------------------
piecewise <- function(n, bps, values) rep(values, diff(c(0, bps, n)))

mean_sim <- function(seed, n, bps, mu, sd = 1) {
  set.seed(seed)
  e <- rnorm(n, sd = sd)
  piecewise(n, bps, mu) + e
}

RNG_DOC <- paste(RNGkind(), collapse = "/")
index <- list()
add_index <- function(file, case) {
  index[[length(index) + 1]] <<- list(file = file, kind = case$kind, name = case$name,
                                      description = case$description)
}

mean_case <- function(name, description, seed, n, bps, mu, h, breaks = NULL, gen = NULL,
                      y = NULL, sd = 1) {
  if (is.null(y)) y <- mean_sim(seed, n, bps, mu, sd)
  d <- data.frame(y = y)
  bp <- breakpoints(y ~ 1, h = h, breaks = breaks, data = d)
  call <- sprintf("breakpoints(y ~ 1, h = %s%s)", format(h),
                  if (is.null(breaks)) "" else sprintf(", breaks = %d", breaks))
  if (is.null(gen)) {
    gen <- sprintf("set.seed(%d); y <- rep(mu, diff(c(0, bps, n))) + rnorm(n, sd = %s); mu = c(%s)",
                   seed, format(sd), paste(format(mu), collapse = ", "))
  }
  info <- list(name = name, description = description, model = "mean", formula = "y ~ 1",
               r_call = call, seed = seed, rng_kind = RNG_DOC, generator = gen,
               h_arg = h, breaks_arg = breaks, true_breakpoints_r = bps, y = y)
  case <- describe_bp(bp, info)
  file <- paste0("bp_", name, ".json")
  write_case(case, file)
  add_index(file, case)
  invisible(case)
}

cat("R:", R.version.string, " strucchange:", format(packageVersion("strucchange")),
    " sandwich:", format(packageVersion("sandwich")), "\n")

# 1. Mean-shift cases ---------------------------------------------------------------------------
mean_case("mean_n120_2breaks", "mean shift, 2 breaks (40, 80), jumps of 2 and 1.5 sd",
          seed = 101, n = 120, bps = c(40, 80), mu = c(0, 2, 0.5), h = 0.15)
mean_case("mean_n200_3breaks", "mean shift, 3 breaks (50, 110, 160)",
          seed = 102, n = 200, bps = c(50, 110, 160), mu = c(0, 1.5, -0.5, 1.2), h = 0.15)
mean_case("mean_n60_nobreak", "pure N(0, 1) noise, no break",
          seed = 103, n = 60, bps = integer(0), mu = 0, h = 0.15)
mean_case("mean_n100_h10", "h given as a count (10); n/h is an integer so max breaks = ceiling(n/h) - 2 = 8",
          seed = 104, n = 100, bps = c(30, 65), mu = c(0, -1.8, 0.2), h = 10)
mean_case("mean_n150_breaks2", "3 true breaks but breaks = 2 requested (max breaks limited)",
          seed = 105, n = 150, bps = c(40, 80, 115), mu = c(0, 2, 0, 2), h = 0.15, breaks = 2)
# AR(1) errors (phi = 0.5) whose innovation sd changes at the break: HAC and het.err matter.
set.seed(106)
n_ar <- 160
innov <- rnorm(n_ar, sd = rep(c(0.8, 1.4), c(90, 70)))
e_ar <- as.numeric(stats::filter(innov, 0.5, method = "recursive"))
y_ar <- rep(c(0, 2.5), c(90, 70)) + e_ar
mean_case("mean_n160_ar1", "1 break (90), AR(1) errors phi = 0.5, innovation sd 0.8 then 1.4",
          seed = 106, n = n_ar, bps = 90, mu = c(0, 2.5), h = 0.15, y = y_ar,
          gen = paste("set.seed(106); innov <- rnorm(160, sd = rep(c(0.8, 1.4), c(90, 70)));",
                      "e <- as.numeric(stats::filter(innov, 0.5, method = 'recursive'));",
                      "y <- rep(c(0, 2.5), c(90, 70)) + e"))

# 2. Trend model on an irregular grid ---------------------------------------------------------
trend_sim <- function(seed, n, bps) {
  set.seed(seed)
  gaps <- sample(3:20, n - 1, replace = TRUE)
  tt <- c(0, cumsum(gaps))
  seg <- rep(seq_len(length(bps) + 1), diff(c(0, bps, n)))
  t1 <- tt[bps[1] + 1]
  t2 <- tt[bps[2] + 1]
  level <- c(9.00, 9.15 - 0.0006 * t1, 9.00 + 0.0003 * t2)
  slope <- c(0, 0.0006, -0.0003)
  y <- level[seg] + slope[seg] * tt + rnorm(n, sd = 0.04)
  list(y = y, tt = tt)
}
sim <- trend_sim(201, 150, c(50, 100))
d_tr <- data.frame(y = sim$y, tt = sim$tt)
bp_tr <- breakpoints(y ~ tt, h = 0.15, data = d_tr)
info_tr <- list(
  name = "trend_n150_irregular", model = "trend", formula = "y ~ tt",
  description = paste("intercept and slope break at 50 and 100; tt = elapsed days on an",
                      "irregular grid (gaps 3-20 days); dates = 2015-01-01 + tt"),
  r_call = "breakpoints(y ~ tt, h = 0.15)", seed = 201L, rng_kind = RNG_DOC,
  generator = paste("set.seed(201); gaps <- sample(3:20, 149, replace = TRUE); tt <- c(0, cumsum(gaps));",
                    "segments 1..50, 51..100, 101..150; slope c(0, 0.0006, -0.0003) per day;",
                    "level c(9, 9.15 - 0.0006 * tt[51], 9 + 0.0003 * tt[101]);",
                    "y <- level + slope * tt + rnorm(150, sd = 0.04)"),
  h_arg = 0.15, breaks_arg = NULL, true_breakpoints_r = c(50, 100), y = sim$y,
  x = list(tt = A(sim$tt)), dates = A(format(as.Date("2015-01-01") + sim$tt)))
case_tr <- describe_bp(bp_tr, info_tr)
write_case(case_tr, "bp_trend_n150_irregular.json")
add_index("bp_trend_n150_irregular.json", case_tr)

# 4. F statistics -----------------------------------------------------------------------------
set.seed(301)
y_f1 <- rep(c(0, 1), c(70, 50)) + rnorm(120)
fc <- fstats_case(list(name = "fstats_mean_n120_1break", seed = 301L, rng_kind = RNG_DOC,
                       description = "mean shift of 1 sd after observation 70 of 120",
                       generator = "set.seed(301); y <- rep(c(0, 1), c(70, 50)) + rnorm(120)",
                       model = "mean", formula = "y ~ 1", true_breakpoints_r = 70),
                  y ~ 1, data.frame(y = y_f1), from = 0.15, chow_points = c(70, 30))
write_case(fc, "fstats_mean_n120_1break.json")
add_index("fstats_mean_n120_1break.json", fc)

set.seed(302)
y_f0 <- rnorm(100)
fc <- fstats_case(list(name = "fstats_mean_n100_null", seed = 302L, rng_kind = RNG_DOC,
                       description = "N(0, 1) noise, no break; trimming from = 0.10",
                       generator = "set.seed(302); y <- rnorm(100)",
                       model = "mean", formula = "y ~ 1", true_breakpoints_r = integer(0)),
                  y ~ 1, data.frame(y = y_f0), from = 0.10, chow_points = 50)
write_case(fc, "fstats_mean_n100_null.json")
add_index("fstats_mean_n100_null.json", fc)

fc <- fstats_case(list(name = "fstats_trend_n150_irregular", seed = 201L, rng_kind = RNG_DOC,
                       description = "same data as bp_trend_n150_irregular (2 true breaks)",
                       generator = info_tr$generator, model = "trend", formula = "y ~ tt",
                       true_breakpoints_r = c(50, 100)),
                  y ~ tt, d_tr, from = 0.15, chow_points = c(50, 100))
write_case(fc, "fstats_trend_n150_irregular.json")
add_index("fstats_trend_n150_irregular.json", fc)

# p-values and critical values of sup/ave/exp-F (strucchange's pvalue.Fstats) on a grid.
pv_grid <- seq(0.5, 40, by = 0.5)
trims <- c(0.05, 0.10, 0.15, 0.20, 0.25)
pv_tables <- list()
for (tp in c("supF", "aveF", "expF")) for (k in 1:3) for (tr in trims) {
  lambda <- ((1 - tr) / tr)^2
  pfun <- function(x) strucchange:::pvalue.Fstats(x, type = tp, k = k, lambda = lambda)
  # The polynomial approximation is not monotone for large statistics (for aveF/expF with
  # k >= 2 it even returns p = 1 far out), so bracket the first crossing on a fine grid.
  fine <- seq(0.01, 60, by = 0.01)
  pf_fine <- vapply(fine, pfun, 0)
  crit <- vapply(c(0.10, 0.05, 0.01), function(a) {
    j <- which(pf_fine < a)[1]
    uniroot(function(x) pfun(x) - a, c(fine[j - 1], fine[j]), tol = 1e-12)$root
  }, 0)
  rises <- which(diff(pf_fine) > 0)
  monotone_to <- if (length(rises)) fine[rises[1]] else max(fine)
  pv_tables[[length(pv_tables) + 1]] <- list(
    type = tp, k = k, trim = tr, lambda = lambda,
    statistic = A(pv_grid), p_value = A(vapply(pv_grid, pfun, 0)),
    critical_levels = A(c(0.90, 0.95, 0.99)), critical = A(crit),
    nonincreasing_up_to = monotone_to)
}
pv <- list(kind = "fstats_pvalues", name = "fstats_pvalues",
           description = paste("strucchange:::pvalue.Fstats(x, type, k, lambda) on a grid;",
                               "lambda = ((1 - trim) / trim)^2 for symmetric trimming",
                               "(Fstats: lambda = ((n - from) * to) / (from * (n - to)),",
                               "tau = 1 / (1 + sqrt(lambda)) = from / n); critical values by",
                               "uniroot(pvalue - alpha) with tol 1e-12"),
           tables = pv_tables)
write_case(pv, "fstats_pvalues.json")
add_index("fstats_pvalues.json", pv)

# 5. Classic public series --------------------------------------------------------------------
data("Nile", package = "datasets")
bp_nile <- breakpoints(Nile ~ 1)
nile_years <- as.integer(time(Nile))
info_nile <- list(
  name = "nile", model = "mean", formula = "Nile ~ 1",
  description = paste("annual Nile flow at Aswan 1871-1970 (R datasets::Nile); the 1898 break",
                      "(Aswan dam) is observation 28"),
  r_call = "breakpoints(Nile ~ 1)  # default h = 0.15", seed = NULL, h_arg = 0.15,
  breaks_arg = NULL, true_breakpoints_r = 28, y = as.numeric(Nile), x = NULL,
  dates = A(nile_years), date_kind = "year")
case_nile <- describe_bp(bp_nile, info_nile)
case_nile$breakdates_selected <- A(as.numeric(breakdates(breakpoints(bp_nile))))
case_nile$published <- paste("strucchange vignette / Zeileis et al. (2003): one break at 1898",
                             "(obs 28), 95% interval 1895-1902 (obs 25-32)")
write_case(case_nile, "classic_nile.json")
add_index("classic_nile.json", case_nile)

fc <- fstats_case(list(name = "fstats_nile", seed = NULL, model = "mean", formula = "y ~ 1",
                       description = "Fstats(Nile ~ 1, from = 0.15); Nile as a plain vector",
                       generator = "datasets::Nile", true_breakpoints_r = 28),
                  y ~ 1, data.frame(y = as.numeric(Nile)), from = 0.15, chow_points = 28)
fc$dates <- A(nile_years)
write_case(fc, "fstats_nile.json")
add_index("fstats_nile.json", fc)

data("RealInt", package = "strucchange")
bp_ri <- breakpoints(RealInt ~ 1, h = 0.15)
stopifnot(identical(breakpoints(bp_ri, breaks = 3)$breakpoints,
                    breakpoints(breakpoints(RealInt ~ 1, h = 15), breaks = 3)$breakpoints))
ri_q <- sprintf("%dQ%d", floor(time(RealInt) + 1e-8), cycle(RealInt))
info_ri <- list(
  name = "realint", model = "mean", formula = "RealInt ~ 1",
  description = paste("US ex-post real interest rate, quarterly 1961Q1-1986Q3",
                      "(strucchange::RealInt), the Bai & Perron (2003) example. h = 0.15 gives",
                      "h = floor(103 * 0.15) = 15, the same as ?RealInt's h = 15"),
  r_call = "breakpoints(RealInt ~ 1, h = 0.15)", seed = NULL, h_arg = 0.15, breaks_arg = NULL,
  true_breakpoints_r = c(24, 47, 79), y = as.numeric(RealInt), x = NULL,
  dates = A(ri_q), date_kind = "quarter")
case_ri <- describe_bp(bp_ri, info_ri, ci_ms = NULL)
case_ri$published <- paste("Bai & Perron (2003, Table 1 / strucchange ?RealInt): 3 breaks at",
                           "1966Q4, 1972Q3, 1980Q3 (obs 24, 47, 79); 'true_breakpoints_r' holds",
                           "these published estimates, not a simulation truth")
case_ri$realint_example <- list(
  r_call = "confint(bp.ri, breaks = 3, vcov = vcov.ri)  # ?RealInt; vcov.ri = kernHAC QS/prewhite 1/AR(1)",
  confint = unname(confint(bp_ri, breaks = 3, vcov. = vcov_kernhac)$confint),
  coef = A(unname(as.numeric(coef(bp_ri, breaks = 3)))),
  se = A(unname(sapply(vcov(bp_ri, breaks = 3, vcov. = vcov_kernhac), sqrt))))
write_case(case_ri, "classic_realint.json")
add_index("classic_realint.json", case_ri)

# 6. Real nkfx data (values are NOT written: third-party data) ------------------------------
if (file.exists(shared_csv)) {
  raw <- read.csv(shared_csv, stringsAsFactors = FALSE)
  pj <- raw[raw$entity == "pyongyang", ]
  pj$time <- as.Date(pj$time)
  pj <- pj[order(pj$time), ]
  pj <- pj[pj$time >= as.Date("2013-01-01"), ]
  stopifnot(!anyDuplicated(pj$time), all(is.finite(pj$value)), all(pj$value > 0))
  dn <- data.frame(y = log(pj$value), tt = as.numeric(pj$time - pj$time[1]))
  for (model in c("mean", "trend")) {
    fml <- if (model == "mean") y ~ 1 else y ~ tt
    bp_dn <- breakpoints(fml, h = 0.15, data = dn)
    info_dn <- list(
      name = paste0("dailynk_pyongyang_", model), model = model, formula = deparse(fml),
      description = paste("log Daily NK KPW per USD, Pyongyang, from 2013-01-01; read from",
                          "../shared/data/dailynk_usd_kpw_by_city.csv (rows entity ==",
                          "'pyongyang', time >= 2013-01-01, sorted by time);",
                          "y = log(value), tt = days since the first date. Data values are not",
                          "stored (third-party data)."),
      r_call = sprintf("breakpoints(%s, h = 0.15)", deparse(fml)), seed = NULL, h_arg = 0.15,
      breaks_arg = NULL, true_breakpoints_r = integer(0),
      source_file = "../shared/data/dailynk_usd_kpw_by_city.csv",
      first_date = format(pj$time[1]), last_date = format(pj$time[nrow(pj)]))
    case_dn <- describe_bp(bp_dn, info_dn, store_data = FALSE)
    # Dates only for the breaks: last date of the old regime and first date of the new one.
    for (i in seq_along(case_dn$path)) {
      b <- case_dn$path[[i]]$breakpoints_r
      case_dn$path[[i]]$last_date_old <- A(format(pj$time[b]))
      case_dn$path[[i]]$first_date_new <- A(format(pj$time[b + 1]))
    }
    # strucchange does not clip intervals to the sample: indices outside 1..n get no date.
    date_at <- function(i) {
      ok <- !is.na(i) & i >= 1 & i <= nrow(pj)
      out <- rep(NA_character_, length(i))
      out[ok] <- format(pj$time[i[ok]])
      A(out)
    }
    for (i in seq_along(case_dn$ci)) {
      ci <- case_dn$ci[[i]]
      case_dn$ci[[i]]$lower_date <- date_at(ci$lower_r)
      case_dn$ci[[i]]$upper_date <- date_at(ci$upper_r)
    }
    for (i in seq_along(case_dn$segments)) {
      s <- case_dn$segments[[i]]
      case_dn$segments[[i]]$start_date <- A(format(pj$time[s$start_r]))
      case_dn$segments[[i]]$end_date <- A(format(pj$time[s$end_r]))
    }
    file <- paste0("dailynk_pyongyang_", model, ".json")
    write_case(case_dn, file)
    add_index(file, case_dn)
  }
} else {
  message("skipping the Daily NK case: ", shared_csv, " not found")
  # Keep files written by an earlier run listed, so index.json still matches the folder.
  for (model in c("mean", "trend")) {
    file <- paste0("dailynk_pyongyang_", model, ".json")
    if (file.exists(file.path(out_dir, file))) {
      add_index(file, list(kind = "breakpoints", name = paste0("dailynk_pyongyang_", model),
                           description = "kept from an earlier run (data folder absent)"))
    }
  }
}

write_case(list(
  generated_by = "Rscript tests/reference/strucchange/generate.R (from the repository root)",
  r_version = R.version.string,
  strucchange_version = format(packageVersion("strucchange")),
  sandwich_version = format(packageVersion("sandwich")),
  zoo_version = format(packageVersion("zoo")),
  index_convention = paste("*_r fields are strucchange's 1-based breakpoints (observation i is the",
                           "last of the old regime); fields without _r are nkfx 0-based break",
                           "indices b = i - 1"),
  cases = index), "index.json")
