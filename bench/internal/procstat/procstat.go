// Package procstat reads what the benchmark reports about a server process
// from /proc: resident memory, CPU time and thread count.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. It is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// Sample is one reading of a process.
type Sample struct {
	RSS     uint64        // bytes resident now (VmRSS)
	HWM     uint64        // peak resident bytes since start (VmHWM)
	Threads int           // OS threads
	CPU     time.Duration // user + system time consumed so far
}

// Read samples process pid.
func Read(pid int) (Sample, error) {
	var s Sample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("procstat: %w", err)
	}
	if err := parseStatus(status, &s); err != nil {
		return s, fmt.Errorf("procstat: pid %d: %w", pid, err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("procstat: %w", err)
	}
	if s.CPU, err = parseStat(stat); err != nil {
		return s, fmt.Errorf("procstat: pid %d: %w", pid, err)
	}
	return s, nil
}

// ReadSum samples every pid and adds the readings up (HWM too: the sum of
// each process's own peak, an upper bound on the peak of the sum).
func ReadSum(pids []int) (Sample, error) {
	var total Sample
	for _, pid := range pids {
		s, err := Read(pid)
		if err != nil {
			return total, err
		}
		total.RSS += s.RSS
		total.HWM += s.HWM
		total.Threads += s.Threads
		total.CPU += s.CPU
	}
	return total, nil
}

// parseStatus reads VmRSS, VmHWM (kB) and Threads from /proc/<pid>/status.
// A value that does not fit (bytes above 2^64, a negative thread count) is
// an error, not a wrapped number.
func parseStatus(b []byte, s *Sample) error {
	var haveRSS, haveThreads bool
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		name, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch string(name) {
		case "VmRSS", "VmHWM":
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(val, []byte(" kB"))), 10, 64)
			if err == nil && kb > math.MaxUint64>>10 {
				err = strconv.ErrRange
			}
			if err != nil {
				return fmt.Errorf("bad %s: %w", name, err)
			}
			if name[2] == 'R' {
				s.RSS = kb << 10
				haveRSS = true
			} else {
				s.HWM = kb << 10
			}
		case "Threads":
			n, err := strconv.ParseUint(string(val), 10, 0)
			if err == nil && n > math.MaxInt {
				err = strconv.ErrRange
			}
			if err != nil {
				return fmt.Errorf("bad Threads: %w", err)
			}
			s.Threads = int(n)
			haveThreads = true
		}
	}
	if !haveRSS || !haveThreads {
		return errors.New("status lacks VmRSS or Threads (zombie process?)")
	}
	return nil
}

// parseStat reads utime+stime from /proc/<pid>/stat. The command name may
// hold spaces and parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	if len(fields) < 13 {
		return 0, errors.New("stat: too few fields")
	}
	utime, err1 := strconv.ParseUint(string(fields[11]), 10, 64)
	stime, err2 := strconv.ParseUint(string(fields[12]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("stat: %w", err)
	}
	const tick = time.Second / clockTicks
	if utime > math.MaxInt64/uint64(tick) || stime > math.MaxInt64/uint64(tick)-utime {
		return 0, errors.New("stat: CPU time out of range")
	}
	return time.Duration(utime+stime) * tick, nil
}
