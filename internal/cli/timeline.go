package cli

import (
	"strings"
	"sync"
	"time"
)

// timeline records how long each step of a command took.
type timeline struct {
	mu      sync.Mutex
	current string
	at      time.Time
	spent   map[string]float64 // seconds, by step name in snake_case
}

// step ends the current step and starts the named one.
func (t *timeline) step(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLocked()
	t.current, t.at = name, time.Now()
}

// end ends the current step and returns the step that was running.
func (t *timeline) end() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.current
	t.endLocked()
	return cur
}

func (t *timeline) endLocked() {
	if t.current == "" {
		return
	}
	if t.spent == nil {
		t.spent = map[string]float64{}
	}
	key := strings.ReplaceAll(t.current, " ", "_")
	t.spent[key] += time.Since(t.at).Round(time.Millisecond).Seconds()
	t.current = ""
}

// seconds returns the time spent per step.
func (t *timeline) seconds() map[string]float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]float64, len(t.spent))
	for k, v := range t.spent {
		out[k] = v
	}
	return out
}
