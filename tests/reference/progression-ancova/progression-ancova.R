# Progression at a planned week by ANCOVA (follow-up on arm + baseline + strata, HC2) per factor and
# for the total, Holm over the factors; measurements assigned to planned weeks by window (nearest
# to the planned day, ties to the earlier); completeness per arm and week; and the mixed model on
# the same panel. Missing visits, extra visits, visits outside every window, missing factor scores,
# and one factor scored with lower = closer to work.
# Run from the project root: Rscript tests/reference/progression-ancova/progression-ancova.R
suppressMessages({library(estimatr); library(nlme); library(jsonlite)})
dir <- "tests/reference/progression-ancova/"
set.seed(51)
n <- 240
weeks <- c(0, 13, 26, 52); before <- c(1, 4, 6, 8); after <- c(2, 4, 6, 8)
arms <- c("usual", "ips", "ips_e")
p <- data.frame(id = sprintf("c%03d", 1:n), arm = sample(arms, n, TRUE), site = sample(c("101", "751", "851"), n, TRUE))
u <- rnorm(n, 0, 0.7)
factors <- c("health", "motivation", "job_seeking", "barriers")   # barriers: lower is closer to work
rows <- list()
for (k in seq_along(weeks)) for (i in 1:n) {
  present <- runif(1) < c(0.96, 0.8, 0.7, 0.6)[k]
  extra <- runif(1) < 0.15
  for (j in seq_len(present + extra)) {
    day <- 7 * weeks[k] + round(rnorm(1, 0, c(3, 12, 15, 25)[k]))
    rows[[length(rows) + 1]] <- data.frame(participant = p$id[i], day = day, k = k)
  }
}
m <- do.call(rbind, rows)
stray <- data.frame(participant = sample(p$id, 25, TRUE), day = sample(c(20:60, 122:138, 230:300), 25, TRUE), k = NA)
m <- rbind(m, stray)
m <- m[sample(nrow(m)), ]   # recorded in no particular order
ii <- match(m$participant, p$id)
arm_eff <- c(usual = 0, ips = 0.5, ips_e = 0.25)[p$arm[ii]] * pmax(0, m$day) / 364
latent <- 2.6 + u[ii] + 0.4 * pmax(0, m$day) / 364 + arm_eff + c("101" = 0, "751" = 0.3, "851" = -0.3)[p$site[ii]]
for (f in factors) {
  s <- pmin(5, pmax(1, round(latent + rnorm(nrow(m), 0, 0.8))))
  if (f == "barriers") s <- 6 - s
  s[runif(nrow(m)) < 0.04] <- NA
  m[[f]] <- s
}
m$k <- NULL
m$row <- seq_len(nrow(m)) - 1
write.csv(p, paste0(dir, "participants.csv"), row.names = FALSE)
write.csv(m[, c("participant", "day", factors)], paste0(dir, "measurements.csv"), row.names = FALSE, na = "")

# Window assignment, written independently of the TypeScript code.
m$slot <- NA
for (k in seq_along(weeks)) m$slot[m$day >= 7 * (weeks[k] - before[k]) & m$day <= 7 * (weeks[k] + after[k])] <- k
inside <- m[!is.na(m$slot), ]
inside$dist <- abs(inside$day - 7 * weeks[inside$slot])
inside <- inside[order(inside$participant, inside$slot, inside$dist, inside$day, inside$row), ]
used <- inside[!duplicated(inside[, c("participant", "slot")]), ]
counts <- list(rows = nrow(m), used = nrow(used), outside_window = sum(is.na(m$slot)), superseded = nrow(inside) - nrow(used))

oriented <- used
oriented$barriers <- 6 - oriented$barriers
oriented$total <- rowMeans(oriented[, factors])          # NA unless every factor was scored
measures <- c(factors, "total")
score <- function(measure, k) { s <- oriented[oriented$slot == k, ]; s[[measure]][match(p$id, s$participant)] }

ancova <- function(k, strata) {
  res <- list()
  for (mm in measures) {
    d <- data.frame(y = score(mm, k), y0 = score(mm, 1), arm = factor(p$arm, levels = arms), site = p$site)
    d <- d[!is.na(d$y) & !is.na(d$y0), ]
    f <- if (strata) y ~ arm + y0 + factor(site) else y ~ arm + y0
    s <- summary(lm_robust(f, data = d, se_type = "HC2"))$coefficients
    for (a in arms[-1]) {
      r <- s[paste0("arm", a), ]
      res[[length(res) + 1]] <- list(measure = mm, arm = a, estimate = r[["Estimate"]], std_error = r[["Std. Error"]],
        p_value = r[["Pr(>|t|)"]], ci_lower = r[["CI Lower"]], ci_upper = r[["CI Upper"]], df = r[["DF"]], n = nrow(d))
    }
  }
  for (a in arms[-1]) {
    idx <- which(sapply(res, function(x) x$arm == a && x$measure != "total"))
    adj <- p.adjust(sapply(res[idx], function(x) x$p_value), "holm")
    for (j in seq_along(idx)) res[[idx[j]]]$p_holm <- adj[j]
  }
  res
}

completeness <- list()
for (a in arms) for (k in seq_along(weeks)) {
  ids <- p$id[p$arm == a]
  completeness[[length(completeness) + 1]] <- list(arm = a, week = weeks[k], randomized = length(ids),
    measured = sum(!is.na(score("total", k)[p$arm == a])))
}

# The mixed model on the panel's total: constrained baseline, site strata.
long <- do.call(rbind, lapply(seq_along(weeks), function(k) data.frame(id = p$id, arm = p$arm, site = p$site, week = weeks[k], y = score("total", k))))
long <- long[!is.na(long$y), ]
X <- data.frame(w13 = as.numeric(long$week == 13), w26 = as.numeric(long$week == 26), w52 = as.numeric(long$week == 52),
                s751 = as.numeric(long$site == "751"), s851 = as.numeric(long$site == "851"))
for (w in weeks[-1]) for (a in arms[-1]) X[[sprintf("%s_w%d", a, w)]] <- as.numeric(long$arm == a & long$week == w)
dl <- cbind(long, X)
fit <- lme(as.formula(paste("y ~", paste(names(X), collapse = " + "))), random = ~ 1 | id, data = dl, method = "REML",
           control = lmeControl(tolerance = 1e-14, msTol = 1e-14, niterEM = 500, msMaxIter = 500, maxIter = 500))
tt <- summary(fit)$tTable
mixed <- list(names = rownames(tt), estimate = unname(tt[, "Value"]), std_error = unname(tt[, "Std.Error"]), df = unname(tt[, "DF"]),
              p_value = unname(tt[, "p-value"]), sigma = fit$sigma, sd_intercept = unname(sqrt(getVarCov(fit)[1, 1])), n = nrow(dl))

out <- list(source = paste0(dir, "progression-ancova.R"), R = R.version.string, estimatr = as.character(packageVersion("estimatr")),
  counts = counts, completeness = completeness,
  week26_strata = ancova(3, TRUE), week52_strata = ancova(4, TRUE), week52_no_strata = ancova(4, FALSE), mixed_model_total = mixed)
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
