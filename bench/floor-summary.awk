#!/usr/bin/awk -f
# Summarises bench/floor.sh: input lines "server case round us_per_delivery
# lost" (tab-separated); prints per case each server's median µs of server
# CPU per delivery with the rounds, the per-round ratio densecable / floor
# and its median; with a "baseline" server (BASELINE=), also its µs, the
# ratio baseline / floor and densecable / baseline per round. POSIX awk.

# ratios "a / b" per round (a space-separated list).
function ratio_list(a, b, c,    r, out) {
  out = ""
  for (r = 1; r <= nrounds; r++)
    if ((a, c, r) in byround && (b, c, r) in byround && byround[b, c, r] > 0)
      out = out " " sprintf("%.2f", byround[a, c, r] / byround[b, c, r])
  return substr(out, 2)
}

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

{
  if (!($2 in seen)) { seen[$2] = 1; cases[++ncases] = $2 }
  us[$1, $2] = us[$1, $2] " " sprintf("%.2f", $4)
  byround[$1, $2, $3] = $4
  lost[$1, $2] += $5
  if ($3 > nrounds) nrounds = $3
}
END {
  printf "%-6s %-30s %-30s %s\n", "case", "densecable µs/delivery", "floor µs/delivery", "ratio dc/floor per round (median)"
  for (k = 1; k <= ncases; k++) {
    c = cases[k]
    ratios = ""
    for (r = 1; r <= nrounds; r++)
      if (("densecable", c, r) in byround && ("floor", c, r) in byround && byround["floor", c, r] > 0)
        ratios = ratios " " sprintf("%.2f", byround["densecable", c, r] / byround["floor", c, r])
    printf "%-6s %-30s %-30s %s\n", c,
      sprintf("%.2f (%s)", median(us["densecable", c]), substr(us["densecable", c], 2)),
      sprintf("%.2f (%s)", median(us["floor", c]), substr(us["floor", c], 2)),
      sprintf("%s (%.2f)", substr(ratios, 2), median(ratios))
    if (("baseline", c) in us) {
      printf "%-6s %-30s %-30s %s\n", "", sprintf("baseline %.2f (%s)", median(us["baseline", c]), substr(us["baseline", c], 2)),
        sprintf("baseline/floor %s (%.2f)", ratio_list("baseline", "floor", c), median(ratio_list("baseline", "floor", c))),
        sprintf("densecable/baseline %s (%.2f)", ratio_list("densecable", "baseline", c), median(ratio_list("densecable", "baseline", c)))
      lost["densecable", c] += lost["baseline", c]
    }
    if (lost["densecable", c] + lost["floor", c] > 0)
      printf "       lost deliveries: densecable %d, floor %d\n", lost["densecable", c], lost["floor", c]
  }
}
