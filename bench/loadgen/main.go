// Command densecable-loadgen is a WebSocket load generator for Action
// Cable servers (densecable, anycable-go, or any other): it holds tens of
// thousands of connections per process on an epoll loop, spreads them over
// loopback source addresses and child processes, and measures connection
// rate, idle memory per connection, broadcast delivery latency to every
// subscriber, and echo round trips, in JSON, Msgpack or Protobuf.
//
//	densecable-loadgen connect   --conns 19000 --url ws://127.0.0.1:8080/cable
//	densecable-loadgen idle      --conns 19000 --hold 30s --server-pid 1234
//	densecable-loadgen broadcast --steps 5000,10000 --sample-size 100
//	densecable-loadgen echo      --conns 100 --sample-size 1000
//	densecable-loadgen report    results.jsonl
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usage = `usage: densecable-loadgen <scenario> [flags]

scenarios:
  connect     open --conns connections at --rate (0: as fast as possible)
  idle        hold --conns subscribed connections for --hold, report server RSS per connection
  broadcast   for each of --steps subscriber counts, time --sample-size broadcasts to every subscriber
  echo        time --sample-size echo round trips over --conns connections
  report      print the table of JSON-line result files (or stdin)

run 'densecable-loadgen <scenario> -h' for the flags.
`

func main() {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		if err := childMain(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "densecable-loadgen:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, usage)
		return flag.ErrHelp
	}
	scenario, args := args[0], args[1:]
	if scenario == "report" {
		return report(args)
	}
	o := &common{}
	fs := newFlagSet(o)
	conns := fs.Int("conns", 1000, "connections (subscribers)")
	hold := fs.Duration("hold", 10*time.Second, "idle: how long to hold the connections")
	every := fs.Duration("sample-every", time.Second, "idle: sampling interval while holding")
	steps := fs.String("steps", "", "broadcast: comma-separated subscriber counts, one sample each (default: --conns)")
	size := fs.Int("sample-size", 0, "broadcast/echo: actions per sample (default 100 broadcasts, 1000 echoes)")
	conc := fs.Int("concurrent", 0, "broadcast/echo: actions in flight (default 4 broadcasts, like websocket-bench; 50 echoes)")
	padding := fs.Int("padding", 0, "broadcast/echo: payload padding bytes")
	quiet := fs.Duration("wait", 5*time.Second, "broadcast: stop waiting for deliveries after this long without progress")
	resultTimeout := fs.Duration("result-timeout", 10*time.Second, "broadcast/echo: give up on a missing result after this long")
	cpuProfile := fs.String("cpuprofile", "", "write the load generator's own CPU profile (this process only) to this file")
	heapProfile := fs.String("heap-profile", "", "idle: save the server's heap profile (after a GC) at the end of the hold to this file")
	pprofURL := fs.String("pprof-url", "", "idle: server pprof base URL for --heap-profile (e.g. http://127.0.0.1:6060)")
	bRate := fs.Float64("broadcast-rate", 0, "broadcast: send this many broadcasts per second (a steady load) instead of keeping --concurrent in flight like websocket-bench")
	rssWindow := fs.Duration("rss-window", 0, "broadcast: before broadcasting, sample server RSS over this window (median) for KB per connection above the pre-connect baseline (0: off)")
	rssDelay := fs.Duration("rss-delay", 2*time.Second, "broadcast: wait this long after the last subscription before the --rss-window")
	settle := fs.Duration("settle", 500*time.Millisecond, "broadcast: pause after opening a step's connections, before measuring")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := o.finish(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	opts := sampleOpts{size: *size, concurrent: *conc, padding: strings.Repeat("x", max(*padding, 0)), resultTimeout: *resultTimeout, settle: *settle}

	var rows []*Row
	switch scenario {
	case "connect":
		r, err := runConnect(ctx, o, *conns, log)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	case "idle":
		r, err := runIdle(ctx, o, *conns, *hold, *every, heapCapture{*pprofURL, *heapProfile}, log)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	case "broadcast":
		list, err := parseSteps(*steps, *conns)
		if err != nil {
			return err
		}
		opts.size = defaultInt(opts.size, 100)
		opts.concurrent = defaultInt(opts.concurrent, 4)
		if *bRate > 0 {
			opts.interval = time.Duration(float64(time.Second) / *bRate)
		}
		rs, err := runBroadcast(ctx, o, list, opts, *quiet, rssSampling{*rssDelay, *rssWindow}, log)
		rows = append(rows, rs...)
		if err != nil {
			emitAll(o, rows)
			return err
		}
	case "echo":
		opts.size = defaultInt(opts.size, 1000)
		opts.concurrent = defaultInt(opts.concurrent, 50)
		r, err := runEcho(ctx, o, *conns, opts, log)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown scenario %q", scenario)
	}
	return emitAll(o, rows)
}

// newFlagSet registers the shared flags on a fresh flag set.
func newFlagSet(o *common) *flag.FlagSet {
	fs := flag.NewFlagSet("densecable-loadgen", flag.ContinueOnError)
	o.register(fs)
	return fs
}

func emitAll(o *common, rows []*Row) error {
	if o.note != "" {
		for _, r := range rows {
			r.Note = appendNote(o.note, r.Note)
		}
	}
	return emitRows(o, rows, os.Stdout)
}

func defaultInt(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

func parseSteps(s string, fallback int) ([]int, error) {
	if s == "" {
		return []int{fallback}, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("--steps: bad count %q", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// report prints the table of one or more JSON-line files ("-" or none:
// stdin).
func report(files []string) error {
	if len(files) == 0 {
		files = []string{"-"}
	}
	var rows []Row
	for _, name := range files {
		in := os.Stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
		rs, err := readRows(in)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rows = append(rows, rs...)
	}
	return printTable(os.Stdout, rows)
}
