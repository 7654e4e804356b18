package poller

import "strings"

// PathMatcher matches request paths against anycable-go's --path patterns:
// exact paths, a trailing "/*" wildcard and "{placeholder}" segments.
type PathMatcher struct {
	patterns [][]string
}

// NewPathMatcher takes the patterns (already split on commas).
func NewPathMatcher(patterns []string) *PathMatcher {
	m := &PathMatcher{}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		m.patterns = append(m.patterns, strings.Split(strings.Trim(p, "/"), "/"))
	}
	return m
}

// Match reports whether path matches any pattern.
func (m *PathMatcher) Match(path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, p := range m.patterns {
		if matchSegments(p, segs) {
			return true
		}
	}
	return false
}

func matchSegments(pattern, segs []string) bool {
	for i, p := range pattern {
		if p == "*" && i == len(pattern)-1 {
			return true
		}
		if i >= len(segs) {
			return false
		}
		if len(p) > 1 && p[0] == '{' && p[len(p)-1] == '}' {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if p != segs[i] {
			return false
		}
	}
	return len(segs) == len(pattern)
}
