package doctor

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Main runs `densecable doctor [--strict] [--measure] [--measure_conns=N]`
// and returns the exit status: 0, or 1 with --strict when a check failed
// (2 for bad flags).
func Main(args []string, stdout, stderr io.Writer, h Host) int {
	fs := flag.NewFlagSet("densecable doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "exit 1 when a check fails")
	measure := fs.Bool("measure", false, "measure the per-connection cost: start densecable on loopback and open idle connections")
	conns := fs.Int("measure_conns", 2000, "connections --measure opens (capped by the open-file limit)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "densecable doctor: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	checks, r := Collect(h)
	var own uint64
	if *measure {
		m, err := runMeasure(stdout, r, *conns)
		if err != nil {
			fmt.Fprintln(stderr, "densecable doctor: --measure:", err)
		} else {
			own = m.PerConn
		}
	}
	Write(stdout, checks, Capacity(r, own))
	if *strict && Failed(checks) {
		return 1
	}
	return 0
}

// maxMeasureConns bounds --measure whatever is asked: it is a quick
// check, not a benchmark (bench/ is).
const maxMeasureConns = 20000

func runMeasure(w io.Writer, r Readings, want int) (Measurement, error) {
	exe, err := os.Executable()
	if err != nil {
		return Measurement{}, err
	}
	// This process and the server each hold one descriptor per connection.
	n := min(max(want, 1), maxMeasureConns)
	if r.NOFILEHard > 0 && uint64(n) > r.NOFILEHard-2*ReservedFDs {
		n = int(r.NOFILEHard - 2*ReservedFDs)
	}
	if n <= 0 {
		return Measurement{}, fmt.Errorf("open-file limit %d too low to measure", r.NOFILEHard)
	}
	fmt.Fprintf(w, "Measuring: starting %s on 127.0.0.1 and opening %d idle connections...\n", exe, n)
	m, err := Measure(context.Background(), MeasureOptions{Exe: exe, Conns: n, Limit: 60 * time.Second, Root: os.DirFS("/")})
	if err != nil {
		return m, err
	}
	fmt.Fprintf(w, "Measured: server RSS %s idle, %s with %d connections: %s per connection (in %.1f s).\n",
		bytesString(m.BaseRSS), bytesString(m.RSS), m.Conns, bytesString(m.PerConn), m.Duration.Seconds())
	fmt.Fprintln(w, "(RSS grows in steps as the runtime maps memory, so a small count is noisy; docs/benchmarks.md has 15,000-19,000)")
	fmt.Fprintln(w)
	return m, nil
}
