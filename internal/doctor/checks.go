package doctor

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Status is a check's verdict.
type Status int

const (
	// OK meets docs/os-tuning.md.
	OK Status = iota
	// Fail is below it: --strict exits non-zero.
	Fail
	// Advice matters only in some deployments (proxies, containers).
	Advice
	// Info is a reading the estimate uses, with nothing to fix.
	Info
)

func (s Status) String() string {
	return [...]string{"OK", "FAIL", "ADVICE", "INFO"}[s]
}

// Check is one line of the report.
type Check struct {
	Name   string
	Value  string // what this host has
	Want   string // what docs/os-tuning.md recommends
	Fix    string // the exact change, when not OK
	Status Status
}

// The values docs/os-tuning.md gives for about 1,000,000 connections.
const (
	wantNOFILE    = 1048576
	wantNrOpen    = 1048576
	wantFileMax   = 4194304
	wantSomaxconn = 65535
	wantSynBacklg = 65535
	wantConntrack = 2000000
	wantPortLo    = 1024
	wantPortHi    = 65535
)

// sysctlConf is where the fixes make a setting permanent.
const sysctlConf = "/etc/sysctl.d/60-densecable.conf"

func sysctlFix(name string, v any) string {
	return fmt.Sprintf("sudo sysctl -w %s=%v; to keep it: echo '%s = %v' | sudo tee -a %s", name, fmtValue(v), name, v, sysctlConf)
}

// fmtValue quotes a value with a space for `sysctl -w`.
func fmtValue(v any) string {
	s := fmt.Sprint(v)
	if strings.Contains(s, " ") {
		return `"` + s + `"`
	}
	return s
}

// Readings are the numbers the capacity estimate needs.
type Readings struct {
	NOFILESoft, NOFILEHard uint64
	FileMax, NrOpen        uint64
	MemAvailable           uint64 // 0 = unknown
	Cgroup                 cgroupLimit
}

// Collect reads every limit and returns the report lines and the numbers.
func Collect(h Host) ([]Check, Readings) {
	var out []Check
	var r Readings

	soft, hard, err := h.Rlimit()
	c := Check{Name: "open files (RLIMIT_NOFILE)", Want: fmt.Sprintf("hard >= %d (one descriptor per connection)", wantNOFILE)}
	switch {
	case err != nil:
		c.Value, c.Status = "unreadable: "+err.Error(), Fail
	default:
		r.NOFILESoft, r.NOFILEHard = soft, hard
		// Go raises the soft limit to the hard one at start, so the hard
		// limit is what densecable gets.
		c.Value = fmt.Sprintf("soft %d, hard %d (densecable raises soft to hard)", soft, hard)
		if hard < wantNOFILE {
			c.Status = Fail
			c.Fix = fmt.Sprintf("systemd: LimitNOFILE=%d in the unit's [Service]; shell: '* hard nofile %d' in /etc/security/limits.conf, then ulimit -n %d; Docker: --ulimit nofile=%d:%d",
				wantNOFILE, wantNOFILE, wantNOFILE, wantNOFILE, wantNOFILE)
		}
	}
	out = append(out, c)

	c = Check{Name: "systemd DefaultLimitNOFILE", Want: "a LimitNOFILE= in densecable's unit (this default applies without one)"}
	if v, ok := h.SystemdNOFILE(); !ok {
		c.Value, c.Status = "no systemd here (systemctl absent or not PID 1)", Info
	} else {
		c.Value = v
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && n < wantNOFILE {
			c.Status = Advice
			c.Fix = fmt.Sprintf("LimitNOFILE=%d in the densecable unit's [Service] (or DefaultLimitNOFILE=%d in /etc/systemd/system.conf)", wantNOFILE, wantNOFILE)
		}
	}
	out = append(out, c)

	out = append(out, sysctlMin(h.Root, "fs.nr_open", wantNrOpen, "the highest RLIMIT_NOFILE any process may get", &r.NrOpen))
	out = append(out, sysctlMin(h.Root, "fs.file-max", wantFileMax, "open files in the whole system", &r.FileMax))
	out = append(out, sysctlMin(h.Root, "net.core.somaxconn", wantSomaxconn, "listen backlog cap: reconnect storms", nil))
	out = append(out, sysctlMin(h.Root, "net.ipv4.tcp_max_syn_backlog", wantSynBacklg, "half-open connections", nil))
	out = append(out, portRange(h.Root))
	out = append(out, conntrack(h.Root))

	c = Check{Name: "memory available (MemAvailable)", Status: Info, Want: "about 6.6 KB per idle connection (densecable + kernel)"}
	if b, err := fs.ReadFile(h.Root, "proc/meminfo"); err != nil {
		c.Value = "unreadable: " + err.Error()
	} else if n, err := parseMemAvailable(string(b)); err != nil {
		c.Value = "unreadable: " + err.Error()
	} else {
		r.MemAvailable = n
		c.Value = bytesString(n)
	}
	out = append(out, c)

	c = Check{Name: "cgroup memory limit", Status: Info, Want: "no limit, or one sized for the connections"}
	if cg, err := readCgroupLimit(h.Root); err != nil {
		c.Value = "unreadable: " + err.Error()
	} else {
		r.Cgroup = cg
		switch {
		case cg.Version == 0:
			c.Value = "no memory controller found"
		case cg.Bytes == 0:
			c.Value = fmt.Sprintf("none (cgroup v%d, /%s)", cg.Version, cg.Path)
		default:
			c.Value = fmt.Sprintf("%s (cgroup v%d, /%s)", bytesString(cg.Bytes), cg.Version, cg.Path)
		}
	}
	out = append(out, c)

	out = append(out, gomemlimit(h.Getenv("GOMEMLIMIT"), r.Cgroup.Bytes))
	return out, r
}

// sysctlMin checks a sysctl against a minimum; into receives the value.
func sysctlMin(root fs.FS, name string, want uint64, why string, into *uint64) Check {
	c := Check{Name: name, Want: fmt.Sprintf(">= %d (%s)", want, why)}
	v, missing, err := readSysctl(root, name)
	switch {
	case missing:
		c.Value, c.Status = "absent (/"+sysctlPath(name)+")", Info
	case err != nil:
		c.Value, c.Status = "unreadable: "+err.Error(), Fail
	default:
		c.Value = strconv.FormatUint(v, 10)
		if into != nil {
			*into = v
		}
		if v < want {
			c.Status = Fail
			c.Fix = sysctlFix(name, want)
		}
	}
	return c
}

func portRange(root fs.FS) Check {
	const name = "net.ipv4.ip_local_port_range"
	c := Check{Name: name, Want: fmt.Sprintf("%d %d (outgoing connections per address pair: proxies, load generators on this host)", wantPortLo, wantPortHi)}
	b, err := fs.ReadFile(root, sysctlPath(name))
	if err != nil {
		c.Value, c.Status = "unreadable: "+err.Error(), Info
		return c
	}
	lo, hi, err := parsePortRange(string(b))
	if err != nil {
		c.Value, c.Status = "unreadable: "+err.Error(), Info
		return c
	}
	c.Value = fmt.Sprintf("%d %d (%d ports)", lo, hi, hi-lo+1)
	if lo > wantPortLo || hi < wantPortHi {
		c.Status = Advice
		c.Fix = sysctlFix(name, fmt.Sprintf("%d %d", wantPortLo, wantPortHi))
	}
	return c
}

func conntrack(root fs.FS) Check {
	const name = "net.netfilter.nf_conntrack_max"
	c := sysctlMin(root, name, wantConntrack, "every tracked connection is an entry; a full table drops new ones", nil)
	if strings.HasPrefix(c.Value, "absent") {
		c.Value, c.Status = "nf_conntrack not loaded: no table to fill", OK
		return c
	}
	if c.Status == Fail {
		c.Fix += "; or exempt the WebSocket port: iptables -t raw -A PREROUTING -p tcp --dport 8080 -j NOTRACK"
	}
	return c
}

// gomemlimit advises a Go memory limit under a cgroup limit, so the
// collector works harder before the kernel kills the process.
func gomemlimit(v string, cgroupBytes uint64) Check {
	c := Check{Name: "GOMEMLIMIT", Value: v, Status: Info, Want: "about 90% of the cgroup memory limit when there is one"}
	if v == "" {
		c.Value = "unset"
		if cgroupBytes > 0 {
			c.Status = Advice
			c.Fix = fmt.Sprintf("Environment=GOMEMLIMIT=%dMiB in the unit (or the container's environment)", cgroupBytes*9/10>>20)
		}
	}
	return c
}

// bytesString prints bytes in binary units with one decimal.
func bytesString(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
