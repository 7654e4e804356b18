package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/densecable/densecable/bench/internal/hist"
)

// Row is one scenario result: a table row and a JSON line. Fields that do
// not apply to a scenario stay zero and print as "-".
type Row struct {
	Scenario string `json:"scenario"`
	Label    string `json:"label,omitempty"`
	Encoding string `json:"encoding"`
	Conns    int    `json:"conns"`     // connections / subscribers targeted
	OK       int    `json:"ok"`        // subscribed
	Failed   int    `json:"failed"`    // never subscribed
	Dropped  int    `json:"dropped"`   // subscribed, then lost
	Procs    int    `json:"processes"` // load generator processes

	ElapsedS float64 `json:"elapsed_s,omitempty"`
	ConnPerS float64 `json:"conn_per_s,omitempty"`
	Sent     int     `json:"sent,omitempty"` // broadcasts or echoes sent
	PerS     float64 `json:"per_s,omitempty"`

	// broadcast: first send → last receipt, and receipts per second over it.
	FanoutS    float64 `json:"fanout_s,omitempty"`
	FanoutPerS float64 `json:"fanout_msg_per_s,omitempty"`

	Expected  int64 `json:"expected,omitempty"`
	Delivered int64 `json:"delivered,omitempty"`
	Lost      int64 `json:"lost"`
	Extra     int64 `json:"extra,omitempty"`

	// Latency of the scenario's measure, ms: connect → subscribed
	// (connect, idle), send → every receipt (broadcast), round trip (echo).
	P50 float64 `json:"p50_ms,omitempty"`
	P95 float64 `json:"p95_ms,omitempty"`
	P99 float64 `json:"p99_ms,omitempty"`
	Max float64 `json:"max_ms,omitempty"`
	// broadcast only: send → broadcastResult at the sender, the number
	// websocket-bench reports.
	ResultP50 float64 `json:"result_p50_ms,omitempty"`
	ResultP95 float64 `json:"result_p95_ms,omitempty"`

	ServerRSSBaseMB float64 `json:"server_rss_base_mb,omitempty"`
	ServerRSSMB     float64 `json:"server_rss_mb,omitempty"`
	ServerRSSIdleMB float64 `json:"server_rss_idle_mb,omitempty"` // broadcast --rss-window: before the broadcasts
	ServerPeakMB    float64 `json:"server_rss_peak_mb,omitempty"`
	KBPerConn       float64 `json:"kb_per_conn,omitempty"`
	ServerCPUS      float64 `json:"server_cpu_s,omitempty"`
	GoroutinesBase  int     `json:"goroutines_base,omitempty"`
	Goroutines      int     `json:"goroutines,omitempty"`
	GoroutineSource string  `json:"goroutine_source,omitempty"`
	ClientRSSMB     float64 `json:"client_rss_mb,omitempty"`
	ClientCPUS      float64 `json:"client_cpu_s,omitempty"` // load generator CPU in the measured phase
	ClientReads     int64   `json:"client_reads,omitempty"` // read syscalls in the measured phase
	ClientPolls     int64   `json:"client_polls,omitempty"` // epoll_wait calls in the measured phase

	Errors map[string]int `json:"errors,omitempty"`
	Note   string         `json:"note,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(b uint64) float64        { return float64(b) / (1 << 20) }

// setLatency fills P50..Max from h.
func (r *Row) setLatency(h *hist.Histogram) {
	if h == nil || h.Count() == 0 {
		return
	}
	r.P50, r.P95, r.P99, r.Max = ms(h.Percentile(50)), ms(h.Percentile(95)), ms(h.Percentile(99)), ms(h.Max())
}

// emitRows appends the rows to --out and prints them: one table, or JSON
// lines with --json.
func emitRows(o *common, rows []*Row, stdout io.Writer) error {
	var lines []byte
	for _, r := range rows {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		lines = append(append(lines, line...), '\n')
	}
	if o.outFile != "" {
		f, err := os.OpenFile(o.outFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		_, werr := f.Write(lines)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("--out: %w", werr)
		}
	}
	if o.jsonOut {
		_, err := stdout.Write(lines)
		return err
	}
	table := make([]Row, len(rows))
	for i, r := range rows {
		table[i] = *r
	}
	return printTable(stdout, table)
}

// readRows parses JSON lines.
func readRows(in io.Reader) ([]Row, error) {
	var rows []Row
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r Row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("bad result line %q: %w", line, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

func num(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// cell keeps a text field on its line and in its column: control
// characters (a newline, a tab) are shown escaped.
func cell(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// printTable renders rows as one aligned table, errors listed below it.
func printTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tlabel\tenc\tconns\tok\tfail\tdrop\ttime s\tconn/s\tsent\tdelivered\tlost\tmsg/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tres p95\tRSS MB\tpeak MB\tKB/conn\tCPU s\tgorout.\t")
	var notes []string
	for _, r := range rows {
		label := r.Label
		if label == "" {
			label = "-"
		}
		gor := "-"
		if r.Goroutines > 0 {
			gor = fmt.Sprintf("%d", r.Goroutines)
			if r.GoroutineSource != "" && r.GoroutineSource != "debug" && r.GoroutineSource != "metrics" {
				gor += "(" + cell(r.GoroutineSource) + ")"
			}
		}
		delivered, lost := "-", "-"
		if r.Expected > 0 {
			delivered = fmt.Sprintf("%d/%d", r.Delivered, r.Expected)
			lost = fmt.Sprintf("%d", r.Lost)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			cell(r.Scenario), cell(label), cell(r.Encoding), r.Conns, r.OK, r.Failed, r.Dropped,
			num(r.ElapsedS, "%.2f"), num(r.ConnPerS, "%.0f"), num(float64(r.Sent), "%.0f"), delivered, lost, num(r.FanoutPerS, "%.0f"),
			num(r.P50, "%.1f"), num(r.P95, "%.1f"), num(r.P99, "%.1f"), num(r.Max, "%.1f"), num(r.ResultP95, "%.1f"),
			num(r.ServerRSSMB, "%.1f"), num(r.ServerPeakMB, "%.1f"), num(r.KBPerConn, "%.2f"), num(r.ServerCPUS, "%.2f"), gor)
		if len(r.Errors) > 0 || r.Note != "" {
			keys := make([]string, 0, len(r.Errors))
			for k := range r.Errors {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, 0, len(keys)+1)
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s ×%d", cell(k), r.Errors[k]))
			}
			if r.Note != "" {
				parts = append(parts, cell(r.Note))
			}
			notes = append(notes, fmt.Sprintf("  %s/%s %d: %s", cell(r.Scenario), cell(r.Encoding), r.Conns, strings.Join(parts, "; ")))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	return nil
}
