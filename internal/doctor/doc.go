// Package doctor is `densecable doctor`: it reads the host limits that
// decide how many connections this machine can hold (open files, listen
// backlog, ports, connection tracking, memory), prints each next to the
// value docs/os-tuning.md recommends with the exact fix, and estimates the
// capacity from the per-connection cost measured in docs/benchmarks.md.
// With --measure it measures that cost instead, by opening idle loopback
// connections to a densecable it starts.
//
// Everything it reads goes through Host, so tests give it a fake /proc
// and /sys (fstest.MapFS); nothing needs root.
package doctor
