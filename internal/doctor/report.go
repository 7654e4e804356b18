package doctor

import (
	"fmt"
	"io"
)

// Write prints the checks and the estimate.
func Write(w io.Writer, checks []Check, e Estimate) {
	fmt.Fprintln(w, "densecable doctor: the host limits that decide how many connections this machine holds")
	fmt.Fprintln(w, "(recommended values: docs/os-tuning.md, sized for about 1,000,000 connections)")
	fmt.Fprintln(w)
	for _, c := range checks {
		fmt.Fprintf(w, "%-8s %s: %s\n", "["+c.Status.String()+"]", c.Name, c.Value)
		fmt.Fprintf(w, "         recommended: %s\n", c.Want)
		if c.Fix != "" && c.Status != OK {
			fmt.Fprintf(w, "         fix: %s\n", c.Fix)
		}
	}
	fmt.Fprintln(w)
	src := "the benchmark figure compiled in, docs/benchmarks.md"
	if e.Measured {
		src = "measured on this host by --measure"
	}
	fmt.Fprintf(w, "Per idle connection: %d bytes of densecable memory (%s) + %d bytes of kernel socket memory.\n",
		e.PerConn, src, KernelBytesPerConn)
	fmt.Fprintf(w, "Open files allow %s connections: %s.\n", group(e.ByFiles), e.FilesLimit)
	if e.MemBudget > 0 {
		fmt.Fprintf(w, "Memory allows %s connections: %s of %s, less %s for the idle process.\n",
			group(e.ByMemory), bytesString(e.MemBudget), e.MemSource, bytesString(BaseBytes))
	} else {
		fmt.Fprintln(w, "Memory: unknown (no MemAvailable and no cgroup limit read).")
	}
	fmt.Fprintf(w, "Capacity: about %s connections (limited by %s), idle; traffic adds write queues and socket buffers.\n",
		about(e.Conns), e.LimitedBy)
}

// Failed reports whether any check failed (--strict turns it into the exit
// status).
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}
