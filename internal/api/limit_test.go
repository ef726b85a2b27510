package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

// streamer answers with up to limit bytes, 32 KiB at a time, and counts the
// bytes the client took: a client that stops reading makes a write fail.
type streamer struct {
	status  int
	limit   int64
	written atomic.Int64
	done    chan struct{}
}

func (s *streamer) handle(w http.ResponseWriter, r *http.Request) {
	defer close(s.done)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(s.status)
	chunk := []byte(strings.Repeat("a", 32<<10))
	for s.written.Load() < s.limit {
		n, err := w.Write(chunk)
		s.written.Add(int64(n))
		if err != nil {
			return
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// An answer far over the 1 MiB bound is not read to its end: the client
// stops after the bound and closes the connection, so the server cannot
// write more than the bound plus what the sockets buffer.
func TestHugeAnswersAreNotReadPastTheBound(t *testing.T) {
	const huge = 64 << 20 // what a broken or hostile backend may send
	const most = 24 << 20 // 1 MiB, plus generous socket buffers
	for _, tt := range []struct {
		step   string
		status int
	}{{"token", 200}, {"whoami", 200}, {"token", 500}, {"whoami", 401}} {
		t.Run(tt.step+"/"+http.StatusText(tt.status), func(t *testing.T) {
			s := &streamer{status: tt.status, limit: huge, done: make(chan struct{})}
			backend := newServer(t, s.handle)
			client := newClient(t, backend.URL)
			var err error
			if tt.step == "token" {
				_, err = client.Token(context.Background(), tokenPath, session("127.0.0.1"))
			} else {
				_, err = client.WhoAmI(context.Background(), whoamiPath, tokenValue)
			}
			if err == nil {
				t.Fatal("got no error for a 64 MiB answer")
			}
			if failure.KindOf(err) != failure.Unreachable && failure.KindOf(err) != failure.Refused {
				t.Errorf("error %q is %s", err, kindName(failure.KindOf(err)))
			}
			select {
			case <-s.done:
			case <-time.After(30 * time.Second):
				t.Fatal("the server is still writing 30s after the client returned")
			}
			if n := s.written.Load(); n > most {
				t.Errorf("the server wrote %d MiB before the client stopped; want at most %d MiB", n>>20, most>>20)
			}
		})
	}
}
