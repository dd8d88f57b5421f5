# Heavy ties: a three-arm trial whose times are whole months 1..6 (every time shared by dozens),
# plus an exact 0.5 plateau (arm "plateau") for R's median averaging rule. Simulated, seed fixed.
# (summary.coxph rounds the Wald statistic, so the tests are read from the fit itself.)
# Run in this folder:  Rscript make.R   (writes data.csv and expected.json)
suppressMessages({library(survival); library(jsonlite)})
set.seed(20261123)
n <- 240
d <- data.frame(arm = sample(c("a", "b", "c"), n, TRUE))
d$x <- round(rnorm(n), 3)
d$time <- pmin(6, 1 + rpois(n, c(a = 1.5, b = 2, c = 2.5)[d$arm] * exp(0.2 * d$x)))
d$status <- rbinom(n, 1, 0.75)
# Four people, two events at 1 and 2 of four → S = 0.5 on [2, 3), then an event at 3.
d <- rbind(d, data.frame(arm = "plateau", x = c(0.1, -0.2, 0.3, 0), time = c(1, 2, 3, 4), status = c(1, 1, 1, 0)))
write.csv(d, "data.csv", row.names = FALSE)
km <- survfit(Surv(time, status) ~ arm, data = d)
taus <- c(4, 10)
arms <- list()
for (a in sort(unique(d$arm))) {
  f <- survfit(Surv(time, status) ~ 1, data = d[d$arm == a, ])
  t4 <- summary(f, rmean = 4)$table; t10 <- summary(f, rmean = 10)$table
  arms[[a]] <- list(time = f$time, n_risk = f$n.risk, n_event = f$n.event, n_censor = f$n.censor, surv = f$surv,
                    std_err = summary(f, censored = TRUE)$std.err, lower = f$lower, upper = f$upper,
                    median = t4[["median"]], median_lower = t4[["0.95LCL"]], median_upper = t4[["0.95UCL"]],
                    rmean_4 = t4[["rmean"]], rmean_4_se = t4[["se(rmean)"]], rmean_10 = t10[["rmean"]], rmean_10_se = t10[["se(rmean)"]])
}
abc <- d[d$arm != "plateau", ]
lr <- survdiff(Surv(time, status) ~ arm, data = abc)
cox_fields <- function(fit) {
  s <- summary(fit)
  list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))), loglik = fit$loglik,
       lrt = 2 * diff(fit$loglik), wald = unname(fit$wald.test), score = unname(fit$score))
}
out <- list(
  arms = arms,
  logrank_abc = list(chisq = lr$chisq, df = 2, p_value = pchisq(lr$chisq, 2, lower.tail = FALSE), observed = unname(lr$obs), expected = unname(lr$exp)),
  cox_efron = cox_fields(coxph(Surv(time, status) ~ arm + x, data = abc)),
  cox_breslow = cox_fields(coxph(Surv(time, status) ~ arm + x, data = abc, ties = "breslow"))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected.json")
