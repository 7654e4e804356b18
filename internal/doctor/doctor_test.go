package doctor

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// fakeHost is a host with the given files under a fake / and limits.
func fakeHost(files map[string]string, soft, hard uint64, env map[string]string, systemd string) Host {
	m := fstest.MapFS{}
	for p, s := range files {
		m[p] = &fstest.MapFile{Data: []byte(s)}
	}
	return Host{
		Root:   m,
		Rlimit: func() (uint64, uint64, error) { return soft, hard, nil },
		Getenv: func(k string) string { return env[k] },
		SystemdNOFILE: func() (string, bool) {
			return systemd, systemd != ""
		},
	}
}

// A default Linux install: everything below os-tuning.md, cgroup v2 with
// a 512 MiB limit.
var defaultHost = map[string]string{
	"proc/sys/fs/nr_open":                                      "1048576\n",
	"proc/sys/fs/file-max":                                     "9223372036854775807\n",
	"proc/sys/net/core/somaxconn":                              "4096\n",
	"proc/sys/net/ipv4/tcp_max_syn_backlog":                    "512\n",
	"proc/sys/net/ipv4/ip_local_port_range":                    "32768\t60999\n",
	"proc/sys/net/netfilter/nf_conntrack_max":                  "65536\n",
	"proc/meminfo":                                             "MemTotal:  2000000 kB\nMemFree: 1000 kB\nMemAvailable:    1572864 kB\n",
	"proc/self/cgroup":                                         "0::/system.slice/densecable.service\n",
	"sys/fs/cgroup/system.slice/densecable.service/memory.max": "536870912\n",
}

func byName(checks []Check) map[string]Check {
	m := map[string]Check{}
	for _, c := range checks {
		m[c.Name] = c
	}
	return m
}

func TestCollectDefaultHost(t *testing.T) {
	checks, r := Collect(fakeHost(defaultHost, 1024, 524288, nil, "524288"))
	c := byName(checks)
	want := map[string]Status{
		"open files (RLIMIT_NOFILE)":     Fail,
		"systemd DefaultLimitNOFILE":     Advice,
		"fs.nr_open":                     OK,
		"fs.file-max":                    OK,
		"net.core.somaxconn":             Fail,
		"net.ipv4.tcp_max_syn_backlog":   Fail,
		"net.ipv4.ip_local_port_range":   Advice,
		"net.netfilter.nf_conntrack_max": Fail,
		"GOMEMLIMIT":                     Advice,
	}
	for name, st := range want {
		if c[name].Status != st {
			t.Errorf("%s: %v, want %v (%+v)", name, c[name].Status, st, c[name])
		}
	}
	if f := c["net.core.somaxconn"].Fix; f != "sudo sysctl -w net.core.somaxconn=65535; to keep it: echo 'net.core.somaxconn = 65535' | sudo tee -a /etc/sysctl.d/60-densecable.conf" {
		t.Errorf("somaxconn fix %q", f)
	}
	if f := c["net.ipv4.ip_local_port_range"].Fix; !strings.HasPrefix(f, `sudo sysctl -w net.ipv4.ip_local_port_range="1024 65535";`) {
		t.Errorf("port range fix %q", f)
	}
	if f := c["open files (RLIMIT_NOFILE)"].Fix; !strings.Contains(f, "LimitNOFILE=1048576") || !strings.Contains(f, "ulimit -n 1048576") {
		t.Errorf("nofile fix %q", f)
	}
	if f := c["GOMEMLIMIT"].Fix; f != "Environment=GOMEMLIMIT=460MiB in the unit (or the container's environment)" {
		t.Errorf("GOMEMLIMIT fix %q", f)
	}
	if r.Cgroup.Version != 2 || r.Cgroup.Bytes != 512<<20 || r.MemAvailable != 1536<<20 || r.NOFILEHard != 524288 {
		t.Fatalf("readings %+v", r)
	}
	if !Failed(checks) {
		t.Fatal("no failure reported")
	}

	// The capacity is the smaller of files and memory: 512 MiB less 23 MiB
	// at 6,600 bytes per connection.
	e := Capacity(r, 0)
	wantMem := uint64((512<<20 - 23<<20) / (3000 + 3600))
	if e.ByMemory != wantMem || e.Conns != wantMem || e.LimitedBy != "memory" || e.MemSource != "the cgroup memory limit" {
		t.Fatalf("estimate %+v, want %d by memory", e, wantMem)
	}
	if e.ByFiles != 524288-ReservedFDs {
		t.Fatalf("by files %d", e.ByFiles)
	}
	var out bytes.Buffer
	Write(&out, checks, e)
	if !strings.Contains(out.String(), "Capacity: about 77,000 connections (limited by memory)") {
		t.Fatalf("report:\n%s", out.String())
	}
}

// A host tuned as docs/os-tuning.md says passes every check; conntrack
// absent is fine; cgroup v1 without a limit reads as none.
func TestCollectTunedHost(t *testing.T) {
	files := map[string]string{
		"proc/sys/fs/nr_open":                                   "2097152",
		"proc/sys/fs/file-max":                                  "4194304",
		"proc/sys/net/core/somaxconn":                           "65535",
		"proc/sys/net/ipv4/tcp_max_syn_backlog":                 "65535",
		"proc/sys/net/ipv4/ip_local_port_range":                 "1024 65535",
		"proc/meminfo":                                          "MemAvailable: 16777216 kB\n",
		"proc/self/cgroup":                                      "12:cpu,cpuacct:/x\n4:memory:/docker/abc\n",
		"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n",
	}
	checks, r := Collect(fakeHost(files, 1100000, 1100000, map[string]string{"GOMEMLIMIT": "14GiB"}, ""))
	for _, c := range checks {
		if c.Status == Fail || c.Status == Advice {
			t.Errorf("%s: %v (%s)", c.Name, c.Status, c.Value)
		}
	}
	c := byName(checks)
	if v := c["net.netfilter.nf_conntrack_max"].Value; !strings.Contains(v, "not loaded") {
		t.Errorf("conntrack: %q", v)
	}
	if v := c["systemd DefaultLimitNOFILE"].Value; !strings.Contains(v, "no systemd") {
		t.Errorf("systemd: %q", v)
	}
	if r.Cgroup.Version != 1 || r.Cgroup.Bytes != 0 {
		t.Errorf("cgroup %+v", r.Cgroup)
	}
	e := Capacity(r, 0)
	if e.LimitedBy != "open files" || e.Conns != 1100000-ReservedFDs {
		t.Fatalf("estimate %+v", e)
	}
	var out bytes.Buffer
	if Main([]string{"--strict"}, &out, &out, fakeHost(files, 1100000, 1100000, nil, "")) != 0 {
		t.Fatalf("--strict failed a tuned host:\n%s", out.String())
	}
}

// Exit status: 0 without --strict whatever the host, 1 with it when a
// check fails, 2 for an unknown flag.
func TestMainExitStatus(t *testing.T) {
	h := fakeHost(defaultHost, 1024, 4096, nil, "")
	var out, errOut bytes.Buffer
	if rc := Main(nil, &out, &errOut, h); rc != 0 {
		t.Fatalf("rc %d", rc)
	}
	if !strings.Contains(out.String(), "[FAIL]   open files (RLIMIT_NOFILE): soft 1024, hard 4096") {
		t.Fatalf("report:\n%s", out.String())
	}
	if rc := Main([]string{"--strict"}, &out, &errOut, h); rc != 1 {
		t.Fatalf("--strict rc %d", rc)
	}
	if rc := Main([]string{"--nope"}, &out, &errOut, h); rc != 2 {
		t.Fatalf("bad flag rc %d", rc)
	}
	if rc := Main([]string{"extra"}, &out, &errOut, h); rc != 2 {
		t.Fatalf("stray argument rc %d", rc)
	}
	errOut.Reset()
	if rc := Main([]string{"--help"}, &out, &errOut, h); rc != 0 || !strings.Contains(errOut.String(), "-measure_conns") {
		t.Fatalf("--help rc %d: %s", rc, errOut.String())
	}
}

// Unreadable and absent readings are reported, not fatal.
func TestCollectEmptyHost(t *testing.T) {
	h := fakeHost(nil, 0, 0, nil, "")
	h.Rlimit = func() (uint64, uint64, error) { return 0, 0, errors.New("denied") }
	checks, r := Collect(h)
	c := byName(checks)
	if c["open files (RLIMIT_NOFILE)"].Status != Fail || !strings.Contains(c["fs.nr_open"].Value, "absent") ||
		!strings.Contains(c["memory available (MemAvailable)"].Value, "unreadable") {
		t.Fatalf("%+v", checks)
	}
	e := Capacity(r, 0)
	var out bytes.Buffer
	Write(&out, checks, e)
	if e.Conns != 0 || !strings.Contains(out.String(), "Memory: unknown") {
		t.Fatalf("%+v\n%s", e, out.String())
	}
}

func TestAbout(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 7: "7", 99: "99", 123: "120", 19872: "19,000", 1234567: "1,200,000", 77556: "77,000"} {
		if got := about(n); got != want {
			t.Errorf("about(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParsers(t *testing.T) {
	if lo, hi, err := parsePortRange("32768\t60999\n"); err != nil || lo != 32768 || hi != 60999 {
		t.Fatal(lo, hi, err)
	}
	for _, bad := range []string{"", "1", "2 1", "1 70000", "a b", "1 2 3"} {
		if _, _, err := parsePortRange(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if v2, v1 := parseProcCgroup("0::/a/b\n"); v2 != "/a/b" || v1 != "" {
		t.Fatal(v2, v1)
	}
	if v2, v1 := parseProcCgroup("5:cpu,memory:/m\n1:name=systemd:/s\n0::/u\n"); v2 != "/u" || v1 != "/m" {
		t.Fatal(v2, v1)
	}
	if p := cgroupFile("sys/fs/cgroup", "/../../etc/./x", "memory.max"); p != "sys/fs/cgroup/etc/x/memory.max" {
		t.Fatal(p)
	}
	if n, err := parseVmRSS("Name:\tx\nVmRSS:\t  2048 kB\n"); err != nil || n != 2<<20 {
		t.Fatal(n, err)
	}
	if _, err := parseMemAvailable("MemAvailable: 12 MB\n"); err == nil {
		t.Fatal("accepted MB")
	}
}
