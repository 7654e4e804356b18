package main

import "golang.org/x/sys/unix"

// fdReserve is kept free in every process for its own files: epoll,
// eventfd, stdio, pipes to children, HTTP clients for server metrics.
const fdReserve = 100

// raiseNoFile lifts the soft open-file limit to the hard one and returns
// the resulting limit.
func raiseNoFile() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &want) == nil {
			lim = want
		}
	}
	return int(min(lim.Cur, 1<<30))
}

// connsPerProcess is how many connections one process may hold.
func connsPerProcess(limit, requested int) int {
	n := max(limit-fdReserve, 1)
	if requested > 0 {
		n = min(n, requested)
	}
	return n
}
