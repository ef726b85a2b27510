package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/clilogin/clilogin/internal/failure"
)

// captured is a file of testdata/answers: the answers of a real backend
// (the seed's Flask backend, FastAPI, Go net/http), captured by the e2e
// suite with CLILOGIN_CAPTURE_ANSWERS=DIR.
type captured struct {
	Backend  string `json:"backend"`
	Token    string `json:"token"`
	Identity string `json:"identity"`
	Answers  []struct {
		Step    string      `json:"step"`
		Auth    bool        `json:"auth"`
		Status  int         `json:"status"`
		Header  http.Header `json:"header"`
		Body    string      `json:"body"`
		Comment string      `json:"comment"`
	} `json:"answers"`
}

// Each real answer, replayed byte for byte with its status and headers: the
// token and the identity come out of the answers with credentials, and the
// answers without credentials are refusals.
func TestCapturedAnswersOfRealBackends(t *testing.T) {
	files, _ := filepath.Glob("testdata/answers/*.json")
	if len(files) < 3 {
		t.Fatalf("want the answers of at least 3 backends in testdata/answers, got %d", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c captured
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, a := range c.Answers {
			t.Run(c.Backend+"/"+a.Comment, func(t *testing.T) {
				backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					for k, vs := range a.Header {
						w.Header()[k] = vs
					}
					w.WriteHeader(a.Status)
					w.Write([]byte(a.Body))
				})
				client := newClient(t, backend.URL)
				var got, want string
				if a.Step == "token" {
					got, err = client.Token(context.Background(), tokenPath, session("127.0.0.1"))
					want = c.Token
				} else {
					got, err = client.WhoAmI(context.Background(), whoamiPath, c.Token)
					want = c.Identity
				}
				if !a.Auth {
					if failure.KindOf(err) != failure.Refused {
						t.Errorf("got %q, %v; want a refusal (exit 4)", got, err)
					}
					return
				}
				if err != nil || got != want {
					t.Errorf("got %.30q, %v; want %.30q", got, err, want)
				}
			})
		}
	}
}
