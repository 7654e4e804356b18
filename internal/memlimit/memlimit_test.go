package memlimit

import (
	"testing"
	"testing/fstest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// A systemd unit with MemoryMax=2G (cgroup v2): the limit becomes 90% of it.
func TestApplyCgroupV2(t *testing.T) {
	root := fstest.MapFS{
		"proc/self/cgroup": {Data: []byte("0::/system.slice/densecable.service\n")},
		"sys/fs/cgroup/system.slice/densecable.service/memory.max": {Data: []byte("2147483648\n")},
	}
	var got int64 = -1
	r, err := Apply(env(nil), root, func(n int64) int64 { got = n; return 0 })
	if err != nil {
		t.Fatal(err)
	}
	want := int64(2147483648 / 100 * 90)
	if got != want || r.Limit != want || r.Source != "cgroup" || r.Cgroup.Version != 2 {
		t.Fatalf("set %d, result %+v; want %d", got, r, want)
	}
	if s := r.String(); s != "Go memory limit 1843 MiB (90% of the cgroup v2 memory limit 2048 MiB, /sys/fs/cgroup/system.slice/densecable.service/memory.max; GOMEMLIMIT overrides)" {
		t.Errorf("log line %q", s)
	}
}

// cgroup v1 (an older Docker): memory.limit_in_bytes.
func TestApplyCgroupV1(t *testing.T) {
	root := fstest.MapFS{
		"proc/self/cgroup": {Data: []byte("12:cpu,cpuacct:/x\n4:memory:/docker/abc\n")},
		"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": {Data: []byte("1073741824\n")},
	}
	var got int64
	r, err := Apply(env(nil), root, func(n int64) int64 { got = n; return 0 })
	if err != nil || got != 1073741824/100*90 || r.Cgroup.Version != 1 {
		t.Fatalf("set %d, %+v, %v", got, r, err)
	}
}

// An explicit GOMEMLIMIT wins, whatever the cgroup says; no limit (v2 "max",
// v1's huge number, no cgroup file) sets nothing.
func TestApplyLeavesAlone(t *testing.T) {
	limited := fstest.MapFS{
		"proc/self/cgroup":           {Data: []byte("0::/a\n")},
		"sys/fs/cgroup/a/memory.max": {Data: []byte("1073741824\n")},
	}
	cases := map[string]struct {
		env  map[string]string
		root fstest.MapFS
		src  string
	}{
		"GOMEMLIMIT set": {map[string]string{"GOMEMLIMIT": "500MiB"}, limited, "GOMEMLIMIT"},
		"GOMEMLIMIT off": {map[string]string{"GOMEMLIMIT": "off"}, limited, "GOMEMLIMIT"},
		"v2 max": {nil, fstest.MapFS{
			"proc/self/cgroup":           {Data: []byte("0::/a\n")},
			"sys/fs/cgroup/a/memory.max": {Data: []byte("max\n")},
		}, ""},
		"v1 unlimited": {nil, fstest.MapFS{
			"proc/self/cgroup":                           {Data: []byte("4:memory:/\n")},
			"sys/fs/cgroup/memory/memory.limit_in_bytes": {Data: []byte("9223372036854771712\n")},
		}, ""},
		"no controller": {nil, fstest.MapFS{"proc/self/cgroup": {Data: []byte("1:name=systemd:/\n")}}, ""},
	}
	for name, c := range cases {
		called := false
		r, err := Apply(env(c.env), c.root, func(int64) int64 { called = true; return 0 })
		if err != nil || called || r.Source != c.src || r.Limit != 0 {
			t.Errorf("%s: called %v, %+v, %v", name, called, r, err)
		}
	}
	// No /proc (not Linux): reported, nothing set.
	called := false
	if _, err := Apply(env(nil), fstest.MapFS{}, func(int64) int64 { called = true; return 0 }); err == nil || called {
		t.Errorf("no /proc: err %v, called %v", err, called)
	}
}

// Without GOGC the collector gets densecable's target; GOGC (even "off" or
// Go's own 100) is left to the runtime.
func TestApplyGC(t *testing.T) {
	got := -1
	line := ApplyGC(env(nil), func(p int) int { got = p; return 100 })
	if got != GCPercent || line != "GC target GOGC=50 (densecable's default for many idle connections; GOGC overrides)" {
		t.Fatalf("set %d, %q", got, line)
	}
	for _, v := range []string{"100", "off", "200"} {
		called := false
		line := ApplyGC(env(map[string]string{"GOGC": v}), func(int) int { called = true; return 0 })
		if called || line != "GC target from GOGC="+v {
			t.Errorf("GOGC=%s: called %v, %q", v, called, line)
		}
	}
}
