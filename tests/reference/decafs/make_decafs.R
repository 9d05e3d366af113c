# Reference results from the R package DeCAFS for nkfx's exact jump detector
# (src/nkfx/detect/_jumps.py). See README.md in this folder.
#
# Run from the repository root, with DeCAFS installed in /opt/rlib (or set DECAFS_LIB):
#     Rscript tests/reference/decafs/make_decafs.R
# It rewrites tests/reference/decafs/decafs_reference.json. Needs only base R and DeCAFS
# (a small JSON writer with 17 significant digits is defined below, no jsonlite).
#
# Index convention: DeCAFS's changepoint k (1-based) means observation k is the LAST one
# before the jump (its backtracking pushes t + 1 for a change between 0-based t and t + 1).
# nkfx's jump position is the 0-based index of the FIRST observation after the jump, which
# is the same number: jumps = k.

lib <- Sys.getenv("DECAFS_LIB", "/opt/rlib")
suppressPackageStartupMessages(library(DeCAFS, lib.loc = lib))

out_dir <- file.path("tests", "reference", "decafs")
if (!dir.exists(out_dir)) stop("run this script from the repository root")

num <- function(v) {
  if (!all(is.finite(v))) stop("non-finite number cannot be written to JSON")
  sprintf("%.17g", v)
}
arr <- function(v) paste0("[", paste(v, collapse = ", "), "]")
str <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")

# Random walk (sd sdEta per step) + piecewise-constant jumps + stationary AR(1) noise
# (innovation sd sdNu, autocorrelation phi), rounded to 10 digits so R and Python read the
# same numbers.
simulate <- function(n, sdEta, sdNu, phi, jump_at, jump_size, seed) {
  set.seed(seed)
  mu <- cumsum(rnorm(n, 0, sdEta))
  for (i in seq_along(jump_at)) {
    idx <- (jump_at[i] + 1):n  # jump_at: 0-based first new position
    mu[idx] <- mu[idx] + jump_size[i]
  }
  eps <- numeric(n)
  eps[1] <- rnorm(1, 0, sdNu / sqrt(1 - phi^2))
  nu <- rnorm(n, 0, sdNu)
  for (t in 2:n) eps[t] <- phi * eps[t - 1] + nu[t]
  round(mu + eps, 10)
}

cases <- list(
  list(name = "phi0_n50_smallratio", n = 50, sdEta = 0.1, sdNu = 1, phi = 0,
       jump_at = c(20, 35), jump_size = c(5, -4), seed = 1),
  list(name = "phi0.3_n200_largeratio", n = 200, sdEta = 1, sdNu = 0.5, phi = 0.3,
       jump_at = c(60, 120, 150), jump_size = c(8, -10, 7), seed = 2),
  list(name = "phi0.5_n500_updown", n = 500, sdEta = 0.2, sdNu = 1, phi = 0.5,
       jump_at = c(100, 200, 300, 400), jump_size = c(6, -6, 5, -7), seed = 3),
  list(name = "phi0.8_n1000_smallratio", n = 1000, sdEta = 0.05, sdNu = 1, phi = 0.8,
       jump_at = c(250, 500, 750), jump_size = c(10, -8, 9), seed = 4),
  list(name = "phi0.8_n2000_largeratio", n = 2000, sdEta = 1, sdNu = 0.3, phi = 0.8,
       jump_at = c(300, 700, 1100, 1500, 1800), jump_size = c(10, -12, 9, -10, 11),
       seed = 5),
  list(name = "phi0.5_n100_nojump", n = 100, sdEta = 0.5, sdNu = 2, phi = 0.5,
       jump_at = integer(0), jump_size = numeric(0), seed = 6),
  list(name = "phi0_n2000_largeratio", n = 2000, sdEta = 0.5, sdNu = 0.2, phi = 0,
       jump_at = c(400, 900, 1300, 1700), jump_size = c(-5, 6, -4, 5), seed = 7)
)

items <- character(0)
for (cs in cases) {
  y <- simulate(cs$n, cs$sdEta, cs$sdNu, cs$phi, cs$jump_at, cs$jump_size, cs$seed)
  beta <- 2 * log(cs$n)
  fit <- DeCAFS(y, beta = beta,
                modelParam = list(sdEta = cs$sdEta, sdNu = cs$sdNu, phi = cs$phi))
  cp_r <- as.integer(fit$changepoints)
  items <- c(items, paste0(
    "    {\n",
    "      \"name\": ", str(cs$name), ",\n",
    "      \"n\": ", cs$n, ",\n",
    "      \"sdEta\": ", num(cs$sdEta), ",\n",
    "      \"sdNu\": ", num(cs$sdNu), ",\n",
    "      \"phi\": ", num(cs$phi), ",\n",
    "      \"beta\": ", num(beta), ",\n",
    "      \"true_jumps\": ", arr(as.integer(cs$jump_at)), ",\n",
    "      \"changepoints_r\": ", arr(cp_r), ",\n",
    "      \"jumps\": ", arr(cp_r), ",\n",
    "      \"y\": ", arr(num(y)), ",\n",
    "      \"signal\": ", arr(num(fit$signal)), "\n",
    "    }"))
  cat(sprintf("%-26s n=%5d  DeCAFS changepoints: %s\n", cs$name, cs$n,
              paste(cp_r, collapse = " ")))
}

json <- paste0(
  "{\n",
  "  \"generator\": \"tests/reference/decafs/make_decafs.R\",\n",
  "  \"r_version\": ", str(R.version.string), ",\n",
  "  \"decafs_version\": ", str(as.character(packageVersion("DeCAFS", lib.loc = lib))), ",\n",
  "  \"decafs_commit\": ", str(Sys.getenv("DECAFS_COMMIT", "unknown")), ",\n",
  "  \"convention\": \"jumps = 0-based index of the first observation after each jump",
  " = DeCAFS's 1-based changepoints_r (last observation before the jump)\",\n",
  "  \"cases\": [\n", paste(items, collapse = ",\n"), "\n  ]\n}\n")
writeLines(json, file.path(out_dir, "decafs_reference.json"), sep = "")
