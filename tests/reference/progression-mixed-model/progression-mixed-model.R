# Progression over planned weeks: a linear mixed model with a random intercept per participant and
# arm × week fixed effects (REML), as lme4::lmer and nlme::lme fit it; unbalanced (missing visits)
# and with the design's strata (site) as fixed effects.
# Run from the project root: Rscript tests/reference/progression-mixed-model/progression-mixed-model.R
suppressMessages({library(lme4); library(nlme); library(jsonlite)})
dir <- "tests/reference/progression-mixed-model/"
set.seed(20261123)
n <- 150
weeks <- c(0, 13, 26, 52)
p <- data.frame(id = sprintf("p%03d", 1:n), arm = sample(c("usual", "ips", "ips_e"), n, TRUE),
                site = sample(c("101", "751", "851"), n, TRUE, prob = c(.5, .3, .2)))
u <- rnorm(n, 0, 0.6)
d <- do.call(rbind, lapply(seq_along(weeks), function(k) {
  w <- weeks[k]
  eff <- (p$arm == "ips") * 0.35 * (w / 52) + (p$arm == "ips_e") * 0.2 * (w / 52)
  s <- c("101" = 0, "751" = 0.3, "851" = -0.2)[p$site]
  data.frame(id = p$id, arm = p$arm, site = p$site, week = w,
             total = round(2.4 + 0.012 * w + eff + s + u + rnorm(n, 0, 0.5), 4))
}))
# Missing visits: more missing later; some participants have only one measurement.
keep <- runif(nrow(d)) > c(0.05, 0.2, 0.3, 0.4)[match(d$week, weeks)]
d <- d[keep, ]
d <- d[order(d$id, d$week), ]
write.csv(d, paste0(dir, "data.csv"), row.names = FALSE)

# Explicit numeric columns so that lmer, lme and the TypeScript code see one and the same X.
X <- data.frame(w13 = as.numeric(d$week == 13), w26 = as.numeric(d$week == 26), w52 = as.numeric(d$week == 52),
                site751 = as.numeric(d$site == "751"), site851 = as.numeric(d$site == "851"))
for (a in c("ips", "ips_e")) for (w in weeks) X[[sprintf("%s_w%d", a, w)]] <- as.numeric(d$arm == a & d$week == w)
dd <- cbind(d, X)

# lmer drops columns with no data to estimate them (its default check.rankX = "message+drop.cols");
# lme cannot, so it is given the columns lmer kept.
fit_both <- function(cols, data = dd) {
  f <- as.formula(paste("total ~", paste(cols, collapse = " + ")))
  m1 <- lmer(update(f, . ~ . + (1 | id)), data = data, REML = TRUE,
             control = lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-16, xtol_rel = 1e-14, maxeval = 1e5)))
  kept <- setdiff(names(fixef(m1)), "(Intercept)")
  m2 <- lme(as.formula(paste("total ~", paste(kept, collapse = " + "))), random = ~ 1 | id, data = data, method = "REML",
            control = lmeControl(tolerance = 1e-14, msTol = 1e-14, niterEM = 500, msMaxIter = 500, maxIter = 500))
  tt <- summary(m2)$tTable
  vc <- as.data.frame(VarCorr(m1))
  list(
    names = names(fixef(m1)),
    dropped = as.list(setdiff(cols, kept)),
    lmer = list(estimate = unname(fixef(m1)), std_error = unname(sqrt(diag(as.matrix(vcov(m1))))),
                sigma = sigma(m1), sd_intercept = vc$sdcor[vc$grp == "id"], theta = unname(getME(m1, "theta")),
                reml_criterion = unname(REMLcrit(m1)), n = nobs(m1), groups = unname(ngrps(m1))),
    lme = list(estimate = unname(tt[, "Value"]), std_error = unname(tt[, "Std.Error"]), df = unname(tt[, "DF"]),
               p_value = unname(tt[, "p-value"]),
               ci_lower = unname(tt[, "Value"] - qt(0.975, tt[, "DF"]) * tt[, "Std.Error"]),
               ci_upper = unname(tt[, "Value"] + qt(0.975, tt[, "DF"]) * tt[, "Std.Error"]),
               sigma = m2$sigma, sd_intercept = unname(sqrt(getVarCov(m2)[1, 1])),
               logLik = as.numeric(logLik(m2))))
}
base <- c("w13", "w26", "w52")
arm_weeks <- function(ws) as.vector(outer(c("ips", "ips_e"), ws, function(a, w) sprintf("%s_w%d", a, w)))
out <- list(source = paste0(dir, "progression-mixed-model.R"), R = R.version.string,
  lme4 = as.character(packageVersion("lme4")), nlme = as.character(packageVersion("nlme")),
  constrained = fit_both(c(base, arm_weeks(c(13, 26, 52)))),
  constrained_strata = fit_both(c(base, "site751", "site851", arm_weeks(c(13, 26, 52)))),
  unconstrained_strata = fit_both(c(base, "site751", "site851", arm_weeks(weeks))),
  # An interim look: nobody has reached week 52 yet, and no one in ips_e has been measured at week 26.
  interim = fit_both(c(base, "site751", "site851", arm_weeks(c(13, 26, 52))),
                     dd[dd$week != 52 & !(dd$arm == "ips_e" & dd$week == 26), ]))
write_json(out, paste0(dir, "expected.json"), auto_unbox = TRUE, digits = NA, pretty = TRUE)
