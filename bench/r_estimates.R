# R's numbers for the six benchmark estimators, so bench/estimators.ts can check that it gives the
# same numbers as well as the time:  Rscript bench/r_estimates.R data.csv > r-estimates.json
# Same calls as ../shared/bench/r_peer.R.
suppressMessages({library(estimatr); library(survival); library(jsonlite)})
d <- read.csv(commandArgs(TRUE)[1])
coef_of <- function(fit, term) {
  s <- summary(fit)$coefficients[term, ]
  list(estimate = s[["Estimate"]], std_error = s[["Std. Error"]], df = s[["DF"]], p_value = s[["Pr(>|t|)"]])
}
out <- list()
out$difference_in_means <- coef_of(difference_in_means(y ~ t, data = d), "t")
out$difference_in_means_blocked <- coef_of(difference_in_means(y ~ t, blocks = site, data = d), "t")
out$lin_10_covariates_hc2 <- coef_of(lm_lin(y ~ t, covariates = ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10, data = d), "t")
out$ols_interaction_hc2 <- coef_of(lm_robust(y ~ t * x1, data = d, se_type = "HC2"), "t:x1")
km <- survfit(Surv(time, status) ~ t, data = d)
tab <- summary(km)$table
s10 <- summary(km, times = 10)
out$kaplan_meier <- list(median = unname(tab[, "median"]), surv_at_10 = s10$surv, std_err_at_10 = s10$std.err)
lr <- survdiff(Surv(time, status) ~ t, data = d)
out$logrank <- list(chisq = lr$chisq, p_value = 1 - pchisq(lr$chisq, 1))
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "\n")
