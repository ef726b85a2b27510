package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one scenario's figures.
type result struct {
	ID       string `json:"id"`
	Scenario string `json:"scenario"`
	Browser  string `json:"browser"`
	Runs     int    `json:"runs"`

	MedianS float64   `json:"median_s,omitempty"`
	MinS    float64   `json:"min_s,omitempty"`
	MaxS    float64   `json:"max_s,omitempty"`
	TimesS  []float64 `json:"times_s,omitempty"`
	// PeakPSSMB is the median over the runs of the browser's peak PSS.
	PeakPSSMB  *float64  `json:"peak_pss_mb,omitempty"`
	PeaksPSSMB []float64 `json:"peaks_pss_mb,omitempty"`

	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`

	median, lo, hi time.Duration
}

func (r *result) setSamples(samples []sample) {
	times := make([]time.Duration, len(samples))
	var peaks []float64
	for i, s := range samples {
		times[i] = s.took
		r.TimesS = append(r.TimesS, s.took.Seconds())
		if s.peakKB >= 0 {
			peaks = append(peaks, float64(s.peakKB)/1024)
		}
	}
	r.Runs = len(samples)
	r.median, r.lo, r.hi = median(times), slices.Min(times), slices.Max(times)
	r.MedianS, r.MinS, r.MaxS = r.median.Seconds(), r.lo.Seconds(), r.hi.Seconds()
	if len(peaks) > 0 {
		r.PeaksPSSMB = peaks
		m := median(peaks)
		r.PeakPSSMB = &m
	}
}

func median[T time.Duration | float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (r result) ok() bool { return r.Error == "" && r.Skipped == "" && r.Runs > 0 }

// target is one of the project's targets and where it stands.
type target struct {
	Name    string   `json:"name"`
	Value   *float64 `json:"value"` // null when not measured
	Limit   float64  `json:"limit"`
	Unit    string   `json:"unit"`
	Verdict string   `json:"verdict"` // PASS, MISS or n/a
	Detail  string   `json:"detail,omitempty"`
}

// report is the whole benchmark, as printed and as JSON.
type report struct {
	Date     string   `json:"date"`
	NProc    int      `json:"nproc"`
	LoadAvg  string   `json:"loadavg_at_start"`
	Chromium string   `json:"chromium_version"`
	Clilogin string   `json:"clilogin_version"`
	Runs     int      `json:"runs"`
	FastRuns int      `json:"fast_runs"`
	Results  []result `json:"scenarios"`
	Targets  []target `json:"targets"`
}

func newReport(ctx context.Context, o options, clilogin string) *report {
	return &report{
		Date:     time.Now().Format("2006-01-02 15:04:05 MST"),
		NProc:    runtime.NumCPU(),
		LoadAvg:  loadAvg(),
		Chromium: chromiumVersion(ctx),
		Clilogin: clilogin,
		Runs:     o.n,
		FastRuns: fastRuns(o.n),
	}
}

func chromiumVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, chromiumPath, "--version").Output()
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func (rep *report) add(r result) { rep.Results = append(rep.Results, r) }

func (rep *report) failed() []result {
	var out []result
	for _, r := range rep.Results {
		if r.Error != "" {
			out = append(out, r)
		}
	}
	return out
}

// find is the measured result of a scenario, nil if it did not run.
func (rep *report) find(id, browser string) *result {
	for i, r := range rep.Results {
		if r.ID == id && r.Browser == browser && r.ok() {
			return &rep.Results[i]
		}
	}
	return nil
}

// finish works out the targets.
func (rep *report) finish() {
	rep.Targets = []target{rep.ratioTarget(), rep.floorRatioTarget(idConsent, idConsentWalk), rep.floorRatioTarget(idGlewlwyd, idGlewlwydWalk),
		rep.seedTarget("shell"), rep.seedTarget("chromium"),
		rep.timeTarget("token from the cache, median", idTokenCache, 20*time.Millisecond),
		rep.timeTarget("token via cached cookies, median", idTokenCookies, 60*time.Millisecond),
		rep.timeTarget("re-login replayed over HTTP, median", idReplay, 60*time.Millisecond),
		rep.replayRatioTarget(),
		rep.pssTarget("warm headless login (shell), peak PSS", idWarm, "shell", 220),
	}
}

func (rep *report) ratioTarget() target {
	t := target{Name: "warm headless login (shell) ÷ (bare start+close (shell) + warm plain-HTTP login)", Limit: 1.3, Unit: "ratio"}
	warm, bare, http := rep.find(idWarm, "shell"), rep.find(idBare, "shell"), rep.find(idHTTPWarm, "-")
	if warm == nil || bare == nil || http == nil {
		return t.judge(nil)
	}
	v := warm.median.Seconds() / (bare.median + http.median).Seconds()
	t.Detail = fmt.Sprintf("%s / (%s + %s)", formatDuration(warm.median), formatDuration(bare.median), formatDuration(http.median))
	return t.judge(&v)
}

// floorRatioTarget compares a cold login (shell) with its floor: the same
// pages walked by a plain CDP script, start and close included.
func (rep *report) floorRatioTarget(id, floor string) target {
	login, walk := rep.find(id, "shell"), rep.find(floor, "shell")
	t := target{Name: id + " ÷ " + floor + " (shell)", Limit: 1.3, Unit: "ratio"}
	if login == nil || walk == nil {
		return t.judge(nil)
	}
	t.Name = login.Scenario + " ÷ its floor (shell)"
	v := login.median.Seconds() / walk.median.Seconds()
	t.Detail = fmt.Sprintf("%s / %s", formatDuration(login.median), formatDuration(walk.median))
	return t.judge(&v)
}

// seedTarget compares clilogin's cold login on the seed's stack (with the
// browser br) with the seed article's Selenium script (Chromium), run in
// alternation on the same stack.
func (rep *report) seedTarget(br string) target {
	t := target{Name: "cold login (" + br + ") ÷ the seed's Selenium script, seed's stack", Limit: 0.30, Unit: "ratio"}
	cli, sel := rep.find(idSeed, br), rep.find(idSeed, seleniumRow)
	if cli == nil || sel == nil {
		return t.judge(nil)
	}
	v := cli.median.Seconds() / sel.median.Seconds()
	t.Detail = fmt.Sprintf("%s / %s", formatDuration(cli.median), formatDuration(sel.median))
	return t.judge(&v)
}

// replayRatioTarget compares the replayed re-login with clilogin's own
// warm headless browser login (shell) in the same run.
func (rep *report) replayRatioTarget() target {
	t := target{Name: "re-login replayed over HTTP ÷ warm headless login (shell)", Limit: 0.1, Unit: "ratio"}
	replayed, warm := rep.find(idReplay, "-"), rep.find(idWarm, "shell")
	if replayed == nil || warm == nil {
		return t.judge(nil)
	}
	v := replayed.median.Seconds() / warm.median.Seconds()
	t.Detail = fmt.Sprintf("%s / %s", formatDuration(replayed.median), formatDuration(warm.median))
	return t.judge(&v)
}

func (rep *report) timeTarget(name, id string, limit time.Duration) target {
	t := target{Name: name, Limit: float64(limit.Milliseconds()), Unit: "ms"}
	r := rep.find(id, "-")
	if r == nil {
		return t.judge(nil)
	}
	v := float64(r.median) / float64(time.Millisecond)
	return t.judge(&v)
}

func (rep *report) pssTarget(name, id, browser string, limitMB float64) target {
	t := target{Name: name, Limit: limitMB, Unit: "MB"}
	r := rep.find(id, browser)
	if r == nil || r.PeakPSSMB == nil {
		return t.judge(nil)
	}
	return t.judge(r.PeakPSSMB)
}

func (t target) judge(v *float64) target {
	t.Value = v
	switch {
	case v == nil:
		t.Verdict = "n/a"
	case *v <= t.Limit:
		t.Verdict = "PASS"
	default:
		t.Verdict = "MISS"
	}
	return t
}

// print writes the header, the table and the targets.
func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "clilogin bench  %s  nproc %d  load %s  %s  %s\n",
		rep.Date, rep.NProc, rep.LoadAvg, rep.Chromium, rep.Clilogin)
	fmt.Fprintf(w, "wall time of the whole clilogin process (floors: in-process); peak PSS: the browser's process tree, median of the runs' peaks\n\n")
	row := func(cells ...any) {
		line := fmt.Sprintf("%-36s %-9s %4s  %-9s %-9s %-9s %s", cells...)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	row("scenario", "browser", "runs", "median", "min", "max", "peak PSS")
	for _, r := range rep.Results {
		switch {
		case r.Skipped != "":
			row(r.Scenario, r.Browser, "-", "skipped: "+r.Skipped, "", "", "")
		case r.Error != "":
			row(r.Scenario, r.Browser, "-", "FAILED (see stderr)", "", "", "")
		default:
			pss := "-"
			if r.PeakPSSMB != nil {
				pss = fmt.Sprintf("%.0f MB", *r.PeakPSSMB)
			}
			row(r.Scenario, r.Browser, fmt.Sprint(r.Runs),
				formatDuration(r.median), formatDuration(r.lo), formatDuration(r.hi), pss)
		}
	}
	fmt.Fprintf(w, "\ntargets\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range rep.Targets {
		fmt.Fprintf(tw, "  %s\t%s\t≤ %s\t%s\t%s\n", t.Name, t.value(), t.limit(), t.Verdict, t.Detail)
	}
	tw.Flush()
}

func (t target) value() string {
	if t.Value == nil {
		return "-"
	}
	return t.format(*t.Value)
}

func (t target) limit() string { return t.format(t.Limit) }

func (t target) format(v float64) string {
	switch t.Unit {
	case "ms":
		return fmt.Sprintf("%.1fms", v)
	case "MB":
		return fmt.Sprintf("%.0f MB", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// writeJSON writes the report to path, creating its directory.
func (rep *report) writeJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	return nil
}

// formatDuration is seconds for a browser's times, milliseconds below 0.1s.
func formatDuration(d time.Duration) string {
	if d >= 100*time.Millisecond {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// formatPeak is a peak PSS after sep, "" when no browser ran.
func formatPeak(kb int64, sep string) string {
	if kb < 0 {
		return ""
	}
	return fmt.Sprintf("%s%.0f MB", sep, float64(kb)/1024)
}
