# Multi-site trial: eight jobcentres, each a two-arm trial; the effect at each site is estimatr's
# difference in means (Neyman SE), pooled across sites by metafor::rma. Simulated, seed fixed;
# the true site effects spread with SD 0.5, so tau² > 0.
# Run in this folder:  Rscript make.R   (writes data.csv, sites.csv and expected.json)
suppressMessages({library(metafor); library(estimatr); library(jsonlite)})
set.seed(5)
sites <- sprintf("jc%02d", 1:8)
size <- c(40, 60, 80, 50, 120, 70, 30, 90)
effect <- 0.3 + rnorm(8, 0, 0.5)
d <- do.call(rbind, lapply(1:8, function(s) {
  t <- sample(rep(0:1, length.out = size[s]))
  data.frame(site = sites[s], t = t, y = round(effect[s] * t + rnorm(size[s], 10 + s / 4, 1 + s / 8), 4))
}))
write.csv(d, "data.csv", row.names = FALSE)
est <- do.call(rbind, lapply(sites, function(s) {
  f <- difference_in_means(y ~ t, data = d[d$site == s, ])
  data.frame(site = s, yi = unname(f$coefficients), sei = unname(f$std.error))
}))
write.csv(est, "sites.csv", row.names = FALSE)
fields <- function(fit) {
  p <- predict(fit)
  list(estimate = as.numeric(fit$beta), se = fit$se, ci_lower = fit$ci.lb, ci_upper = fit$ci.ub, p_value = fit$pval,
       tau2 = fit$tau2, se_tau2 = if (is.na(fit$se.tau2)) NULL else fit$se.tau2, I2 = fit$I2, H2 = fit$H2,
       Q = fit$QE, Q_p_value = fit$QEp, pi_lower = p$pi.lb, pi_upper = p$pi.ub)
}
out <- list(
  site_estimates = est$yi, site_se = est$sei,
  REML = fields(rma(yi, sei = sei, data = est)),
  DL = fields(rma(yi, sei = sei, data = est, method = "DL")),
  FE = fields(rma(yi, sei = sei, data = est, method = "FE")),
  REML_knha = fields(rma(yi, sei = sei, data = est, test = "knha")),
  DL_knha = fields(rma(yi, sei = sei, data = est, method = "DL", test = "knha"))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected.json")
