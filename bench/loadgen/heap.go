package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// heapCapture saves the server's heap profile: what each connection's
// kilobytes are made of (go tool pprof -sample_index=inuse_space).
type heapCapture struct {
	baseURL string // pprof base, e.g. http://127.0.0.1:6060
	file    string
}

func (h heapCapture) save(ctx context.Context) error {
	if h.baseURL == "" {
		return errors.New("--heap-profile needs --pprof-url")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := strings.TrimSuffix(h.baseURL, "/") + "/debug/pprof/heap?gc=1"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: GET %s: status %d", url, resp.StatusCode)
	}
	f, err := os.Create(h.file)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}
