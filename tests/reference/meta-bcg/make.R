# Multi-trial meta-analysis: metafor's dat.bcg (13 trials of the BCG vaccine), log risk ratios.
# Run in this folder:  Rscript make.R   (writes data.csv and expected.json)
suppressMessages({library(metafor); library(jsonlite)})
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
write.csv(data.frame(trial = dat$trial, yi = as.numeric(dat$yi), vi = as.numeric(dat$vi)), "data.csv", row.names = FALSE)
fields <- function(fit) {
  p <- predict(fit)
  list(estimate = as.numeric(fit$beta), se = fit$se, ci_lower = fit$ci.lb, ci_upper = fit$ci.ub, p_value = fit$pval,
       statistic = fit$zval, tau2 = fit$tau2, se_tau2 = if (is.na(fit$se.tau2)) NULL else fit$se.tau2,
       I2 = fit$I2, H2 = fit$H2, Q = fit$QE, Q_p_value = fit$QEp, pi_lower = p$pi.lb, pi_upper = p$pi.ub,
       weights = unname(weights(fit)))
}
out <- list(
  REML = fields(rma(yi, vi, data = dat)),
  DL = fields(rma(yi, vi, data = dat, method = "DL")),
  FE = fields(rma(yi, vi, data = dat, method = "FE")),
  REML_knha = fields(rma(yi, vi, data = dat, test = "knha")),
  DL_knha = fields(rma(yi, vi, data = dat, method = "DL", test = "knha"))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected.json")
