package doctor

import (
	"fmt"
	"strings"
	"testing"
)

// The /proc and /sys parsers read files the doctor does not control. For
// any input: a port range that parses is ordered, in range, and reads back
// the same when printed; a cgroup path never leaves its hierarchy; a
// MemAvailable or VmRSS that parses is bounded, and a well-formed line
// among arbitrary ones reads back exactly.
func FuzzProcParsers(f *testing.F) {
	f.Add("32768\t60999\n", "0::/system.slice/x\n4:memory:/../y\n", uint64(1572864))
	f.Add("1 2 3", "1:name=systemd:/\n", uint64(0))
	f.Fuzz(func(t *testing.T, ports, cgroup string, kb uint64) {
		if lo, hi, err := parsePortRange(ports); err == nil {
			if lo > hi || hi > 65535 {
				t.Fatalf("%q: %d %d", ports, lo, hi)
			}
			if lo2, hi2, err := parsePortRange(fmt.Sprintf("%d\t%d\n", lo, hi)); err != nil || lo2 != lo || hi2 != hi {
				t.Fatalf("round trip %d %d", lo, hi)
			}
		}
		v2, v1 := parseProcCgroup(cgroup)
		for _, cg := range []string{v2, v1, cgroup} {
			p := cgroupFile("sys/fs/cgroup", cg, "memory.max")
			if !strings.HasPrefix(p, "sys/fs/cgroup/") || !strings.HasSuffix(p, "/memory.max") {
				t.Fatalf("%q -> %q", cg, p)
			}
			for _, seg := range strings.Split(p, "/") {
				if seg == ".." || seg == "." || seg == "" {
					t.Fatalf("%q -> %q", cg, p)
				}
			}
		}
		for _, parse := range []func(string) (uint64, error){parseMemAvailable, parseVmRSS} {
			if n, err := parse(cgroup); err == nil && n >= 1<<54 {
				t.Fatalf("%q: %d", cgroup, n)
			}
		}
		kb %= 1 << 44
		noise := strings.ReplaceAll(strings.ReplaceAll(cgroup, "MemAvailable", "X"), "VmRSS", "X")
		if n, err := parseMemAvailable(noise + "\nMemAvailable:   " + fmt.Sprint(kb) + " kB\n"); err != nil || n != kb<<10 {
			t.Fatalf("MemAvailable %d: %d %v", kb, n, err)
		}
		if n, err := parseVmRSS(noise + "\nVmRSS:\t" + fmt.Sprint(kb) + " kB\n"); err != nil || n != kb<<10 {
			t.Fatalf("VmRSS %d: %d %v", kb, n, err)
		}
	})
}
