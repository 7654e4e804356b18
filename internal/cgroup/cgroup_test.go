package cgroup

import (
	"testing"
	"testing/fstest"
)

// A fake root: the v2 file wins over v1; a v1 file is read when the v2 one
// is missing (hybrid hierarchies); a value that is not a number is an error.
func TestMemoryLimit(t *testing.T) {
	hybrid := "4:memory:/docker/abc\n0::/\n"
	cases := map[string]struct {
		files   fstest.MapFS
		want    Limit
		wantErr bool
	}{
		"v2": {fstest.MapFS{
			"proc/self/cgroup":             {Data: []byte("0::/a/b\n")},
			"sys/fs/cgroup/a/b/memory.max": {Data: []byte("1048576\n")},
		}, Limit{Version: 2, Path: "sys/fs/cgroup/a/b/memory.max", Bytes: 1 << 20}, false},
		"hybrid, v1 limit": {fstest.MapFS{
			"proc/self/cgroup": {Data: []byte(hybrid)},
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": {Data: []byte("2097152\n")},
		}, Limit{Version: 1, Path: "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", Bytes: 2 << 20}, false},
		"v2 garbage": {fstest.MapFS{
			"proc/self/cgroup":           {Data: []byte("0::/a\n")},
			"sys/fs/cgroup/a/memory.max": {Data: []byte("lots\n")},
		}, Limit{Version: 2, Path: "sys/fs/cgroup/a/memory.max"}, true},
		"none": {fstest.MapFS{"proc/self/cgroup": {Data: []byte("1:name=systemd:/\n")}}, Limit{}, false},
	}
	for name, c := range cases {
		got, err := MemoryLimit(c.files)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("%s: %+v, %v; want %+v (error %v)", name, got, err, c.want, c.wantErr)
		}
	}
}
