# Three-arm survival trial: survival::colon (adjuvant chemotherapy for colon cancer), one record
# per person (etype == 1, recurrence or death), arms Obs (control), Lev, Lev+5FU.
# (summary.coxph rounds the Wald statistic, so the tests are read from the fit itself.)
# Run in this folder:  Rscript make.R   (writes data.csv and expected.json)
suppressMessages({library(survival); library(jsonlite)})
d <- subset(survival::colon, etype == 1, select = c(id, rx, time, status, age, sex))
d$rx <- as.character(d$rx)
write.csv(d, "data.csv", row.names = FALSE)
d$rx <- factor(d$rx, levels = c("Obs", "Lev", "Lev+5FU"))
km <- survfit(Surv(time, status) ~ rx, data = d)
tau <- 1825
tab <- summary(km, rmean = tau)$table
times <- c(365, 730, 1095, 1825, 2555)
at <- lapply(levels(d$rx), function(a) {
  s <- summary(survfit(Surv(time, status) ~ 1, data = d[d$rx == a, ]), times = times)
  list(time = s$time, n_risk = s$n.risk, n_event = s$n.event, surv = s$surv, std_err = s$std.err, lower = s$lower, upper = s$upper)
})
names(at) <- levels(d$rx)
arms <- lapply(levels(d$rx), function(a) {
  r <- tab[paste0("rx=", a), ]
  list(n = r[["records"]], events = r[["events"]], median = r[["median"]], median_lower = r[["0.95LCL"]],
       median_upper = r[["0.95UCL"]], rmean = r[["rmean"]], rmean_se = r[["se(rmean)"]])
})
names(arms) <- levels(d$rx)
lr <- survdiff(Surv(time, status) ~ rx, data = d)
cox_fields <- function(fit) {
  s <- summary(fit)
  list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))), hr = unname(exp(coef(fit))),
       hr_lower = unname(s$conf.int[, "lower .95"]), hr_upper = unname(s$conf.int[, "upper .95"]),
       p = unname(s$coefficients[, "Pr(>|z|)"]), loglik = fit$loglik,
       lrt = 2 * diff(fit$loglik), wald = unname(fit$wald.test), score = unname(fit$score),
       lrt_p = unname(s$logtest[["pvalue"]]), wald_p = pchisq(fit$wald.test, length(coef(fit)), lower.tail = FALSE), score_p = unname(s$sctest[["pvalue"]]))
}
out <- list(
  tau = tau, times = times, arms = arms, survival_at = at,
  logrank = list(chisq = lr$chisq, df = length(lr$n) - 1, p_value = pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE),
                 observed = unname(lr$obs), expected = unname(lr$exp)),
  cox_rx_efron = cox_fields(coxph(Surv(time, status) ~ rx, data = d)),
  cox_rx_breslow = cox_fields(coxph(Surv(time, status) ~ rx, data = d, ties = "breslow")),
  cox_rx_age_sex_efron = cox_fields(coxph(Surv(time, status) ~ rx + age + sex, data = d))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected.json")
