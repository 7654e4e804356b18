package periodic

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestTaskTicksUntilStopAndStartsOnce(t *testing.T) {
	var task Task
	var firsts, ticks atomic.Int32
	task.Start(time.Millisecond, func() { firsts.Add(1) }, func() { ticks.Add(1) })
	task.Start(time.Millisecond, func() { firsts.Add(1) }, func() { ticks.Add(1) }) // running: no-op
	deadline := time.Now().Add(10 * time.Second)
	for ticks.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no ticks")
		}
		time.Sleep(time.Millisecond)
	}
	if err := task.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if firsts.Load() != 1 {
		t.Fatalf("first ran %d times, want 1", firsts.Load())
	}
	if err := task.Stop(context.Background()); err != nil {
		t.Fatal("second Stop:", err)
	}
}

func TestStopGivesUpWithCtx(t *testing.T) {
	var task Task
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	task.Start(time.Millisecond, nil, func() {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	})
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := task.Stop(ctx); err == nil {
		t.Fatal("Stop returned nil while a tick was stuck")
	}
	close(release)
}
