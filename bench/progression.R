# R's side of bench/progression.ts: the same two fits on the same file, timed the same way (data in
# memory, the fit only; median of `runs`), and their numbers.
#   Rscript bench/progression.R panel.csv runs > r.json
# The CSV is long: id, arm, site, week, y (one row per observed measurement).
suppressMessages({library(lme4); library(estimatr); library(jsonlite)})
args <- commandArgs(TRUE)
d <- read.csv(args[1], colClasses = c(id = "character", arm = "character", site = "character"))
runs <- as.integer(args[2])
weeks <- sort(unique(d$week)); arms <- c("usual", "ips", "ips_e")
X <- data.frame(row.names = seq_len(nrow(d)))
for (w in weeks[-1]) X[[sprintf("w%d", w)]] <- as.numeric(d$week == w)
for (s in sort(unique(d$site))[-1]) X[[sprintf("s%s", s)]] <- as.numeric(d$site == s)
effect <- character()
for (w in weeks[-1]) for (a in arms[-1]) { nm <- sprintf("%s_w%d", a, w); effect <- c(effect, nm); X[[nm]] <- as.numeric(d$arm == a & d$week == w) }
dd <- cbind(d, X)
f_lmm <- as.formula(paste("y ~", paste(names(X), collapse = " + "), "+ (1 | id)"))
last <- max(weeks)
wide <- data.frame(id = d$id[d$week == 0], y0 = d$y[d$week == 0])
fu <- d[d$week == last, c("id", "arm", "site", "y")]
wide <- merge(fu, wide, by = "id")
wide$arm <- factor(wide$arm, levels = arms)
time_of <- function(expr) { t <- numeric(runs); for (k in seq_len(runs)) t[k] <- system.time(res <<- eval.parent(substitute(expr)))[["elapsed"]]; median(t) }
res <- NULL
t_lmm <- time_of(lmer(f_lmm, data = dd, REML = TRUE))
lmm <- res
t_anc <- time_of(lm_robust(y ~ arm + y0 + factor(site), data = wide, se_type = "HC2"))
anc <- summary(res)$coefficients
cat(toJSON(list(
  mixed_model = list(seconds = t_lmm, estimate = unname(fixef(lmm)[effect]), std_error = unname(sqrt(diag(as.matrix(vcov(lmm))))[match(effect, names(fixef(lmm)))]),
                     sigma = sigma(lmm), theta = unname(getME(lmm, "theta"))),
  ancova = list(seconds = t_anc, estimate = unname(anc[c("armips", "armips_e"), "Estimate"]), std_error = unname(anc[c("armips", "armips_e"), "Std. Error"]))
), auto_unbox = TRUE, digits = NA))
