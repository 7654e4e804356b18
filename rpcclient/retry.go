package rpcclient

import (
	"time"

	"google.golang.org/grpc/codes"
)

// Retry base delays: the delay before retry n of a run of the same code is
// 2^n × base.
const (
	retryExhaustedBase   = 10 * time.Millisecond
	retryUnavailableBase = 100 * time.Millisecond
	maxRetryShift        = 16 // keeps 2^n × base far from overflow
)

// retryable reports whether a failed call may be retried: only when the
// server is overloaded (ResourceExhausted) or unreachable (Unavailable).
func retryable(code codes.Code) bool {
	return code == codes.ResourceExhausted || code == codes.Unavailable
}

// backoff computes retry delays; the attempt counter restarts whenever the
// error code changes.
type backoff struct {
	code    codes.Code
	attempt int
}

func (b *backoff) next(code codes.Code) time.Duration {
	if code != b.code {
		b.code = code
		b.attempt = 0
	}
	base := retryUnavailableBase
	if code == codes.ResourceExhausted {
		base = retryExhaustedBase
	}
	d := base << min(b.attempt, maxRetryShift)
	b.attempt++
	return d
}
