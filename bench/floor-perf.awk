#!/usr/bin/awk -f
# Summarises `perf script -F comm,tid,ip,sym,dso` of one server (bench/
# floor-perf.sh): samples in the delivery loop (any frame in fanout's
# runGate or the floor's broadcast) split by the leaf frame: kernel, Go's
# system-call glue, the rest (the server's own code, its top leaves), and
# the samples outside the loop by what they were doing. POSIX awk; one
# paragraph (blank-line separated) per sample.
BEGIN { RS = ""; FS = "\n" }

function frame(line,    sym) {
  sub(/^[ \t]*[0-9a-f]+[ \t]+/, "", line)
  fdso = ""
  if (match(line, /\([^()]*\)$/)) {
    fdso = substr(line, RSTART + 1, RLENGTH - 2)
    line = substr(line, 1, RSTART - 2)
  }
  sub(/\+0x[0-9a-f]+$/, "", line)
  return line
}

{
  total++
  inloop = 0; all = ""
  for (i = 2; i <= NF; i++) {
    s = frame($i)
    if (i == 2) { leaf = s; leafdso = fdso }
    all = all " " s
  }
  if (NF < 2) next
  if (all ~ /fanout\.\(\*Hub\)\.runGate|main\.\(\*server\)\.broadcast/) {
    loop++
    if (leafdso ~ /kernel/ || leafdso ~ /^\[/) { kern++; next }
    user++
    if (leaf ~ /^(syscall\.|runtime\.(entersyscall|exitsyscall|reentersyscall)|internal\/runtime\/syscall|golang\.org\/x\/sys\/unix\.)/) { glue++; next }
    own++
    n = split(leaf, p, "/"); name = p[n]
    owns[name]++
    next
  }
  out++
  if (all ~ /runtime\.sysmon/) k = "sysmon"
  else if (all ~ /gcBgMarkWorker|runtime\.gcDrain|bgsweep|bgscavenge/) k = "gc"
  else if (all ~ /rpcclient|grpc/) k = "rpc"
  else if (all ~ /fasthttp|api\/broadcast/) k = "http-broadcast"
  else if (all ~ /sweeper/) k = "sweeper"
  else if (all ~ /runtime\.(schedule|park_m|findRunnable|mcall)/) k = "scheduler"
  else k = "other"
  outs[k]++
}

END {
  printf "samples %d: delivery loop %d (kernel %d, user %d: syscall glue %d, own code %d); outside the loop %d\n",
    total, loop, kern, user, glue, own, out
  line = ""
  for (j = 0; j < 8; j++) {
    best = ""; bv = 0
    for (f in owns) if (owns[f] > bv) { bv = owns[f]; best = f }
    if (best == "") break
    line = line sprintf("%s%s %d", (line == "" ? "" : ", "), best, bv)
    delete owns[best]
  }
  print "  own code, by leaf: " line
  line = ""
  for (k in outs) line = line sprintf("%s%s %d", (line == "" ? "" : ", "), k, outs[k])
  print "  outside the loop: " line
}
