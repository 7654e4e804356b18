#!/usr/bin/awk -f
# Summarises bench/compare-anycable.sh's results.tsv: for each scenario,
# encoding and metric, each server's median over the rounds with the range
# (min-max), the per-round ratio densecable / anycable-go, and its median.
# POSIX awk (no gawk extensions).

function median(list,    a, n, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) {
    t = a[i] + 0
    for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
    a[j + 1] = t
  }
  if (n == 0) return ""
  if (n % 2) return a[(n + 1) / 2]
  return (a[n / 2] + a[n / 2 + 1]) / 2
}
function range(list,    a, n, i, lo, hi) {
  n = split(list, a, " ")
  if (n == 0) return ""
  lo = hi = a[1] + 0
  for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
  return fmt(lo) "-" fmt(hi)
}
function fmt(v) {
  if (v == "") return "-"
  if (v >= 100 || v == int(v)) return sprintf("%.0f", v)
  return sprintf("%.2f", v)
}
function cell(list) {
  if (list == "") return "-"
  return fmt(median(list)) " (" range(list) ")"
}

BEGIN { FS = "\t" }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
  key = $col["scenario"] SUBSEP $col["encoding"]
  if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key; size[key] = $col["expected"] }
  rounds[$col["round"]] = 1
  for (m in col) {
    v = $col[m]
    if (v == "-" || v == "") continue
    vals[key, m, $col["server"]] = vals[key, m, $col["server"]] " " v
    byround[key, m, $col["server"], $col["round"]] = v
  }
}
END {
  metrics["connect"] = "rate p50_ms p95_ms kb_per_conn cpu_s missing_conns"
  metrics["broadcast"] = "p50_ms p95_ms cpu_s peak_rss_mb missing slow_clients"
  label["rate"] = "connections/s"
  label["p50_ms"] = "p50 ms"
  label["p95_ms"] = "p95 ms"
  label["kb_per_conn"] = "RSS KB per connection"
  label["cpu_s"] = "server CPU s"
  label["peak_rss_mb"] = "peak RSS MB"
  label["missing"] = "missing broadcasts"
  label["slow_clients"] = "slow clients cut off"
  label["missing_conns"] = "connections not established"
  for (k = 1; k <= nkeys; k++) {
    key = order[k]
    split(key, sk, SUBSEP)
    # Derived metrics.
    for (s = 1; s <= 2; s++) {
      srv = s == 1 ? "densecable" : "anycable-go"
      for (r in rounds) {
        if ((key, "peak_rss_kb", srv, r) in byround) {
          v = byround[key, "peak_rss_kb", srv, r] / 1024
          byround[key, "peak_rss_mb", srv, r] = v
          vals[key, "peak_rss_mb", srv] = vals[key, "peak_rss_mb", srv] " " v
        }
        if (sk[1] == "connect" && (key, "clients", srv, r) in byround) {
          v = byround[key, "expected", srv, r] - byround[key, "clients", srv, r]
          byround[key, "missing_conns", srv, r] = v
          vals[key, "missing_conns", srv] = vals[key, "missing_conns", srv] " " v
        }
      }
    }
    printf "\n%s %s, %s: median over rounds (min-max)\n", sk[1], size[key], sk[2]
    printf "  %-28s %-24s %-24s %s\n", "", "densecable", "anycable-go", "densecable/anycable-go per round -> median"
    n = split(metrics[sk[1]], ms, " ")
    for (i = 1; i <= n; i++) {
      m = ms[i]
      ratios = ""
      # Counts (missing) have no meaningful ratio: their values are shown.
      for (r = 1; r <= 1000 && m !~ /^missing|^slow/; r++) {
        if (!(r in rounds)) continue
        if (((key, m, "densecable", r) in byround) && ((key, m, "anycable-go", r) in byround) && byround[key, m, "anycable-go", r] + 0 != 0) {
          ratios = ratios " " sprintf("%.2f", byround[key, m, "densecable", r] / byround[key, m, "anycable-go", r])
        }
      }
      rtxt = ratios == "" ? "-" : substr(ratios, 2) " -> " sprintf("%.2f", median(ratios))
      printf "  %-28s %-24s %-24s %s\n", label[m], cell(vals[key, m, "densecable"]), cell(vals[key, m, "anycable-go"]), rtxt
    }
  }
}
