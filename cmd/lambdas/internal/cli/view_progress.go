package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// progressView shows an apply as it runs.
type progressView interface {
	executor.Reporter
	Close()
}

func (g *globals) progressView(mode string, p *plan.Plan) progressView {
	if mode == "auto" || mode == "" {
		switch {
		case g.json:
			mode = "json"
		case isTerminal(g.stdout):
			mode = "bars"
		default:
			mode = "lines"
		}
	}
	switch mode {
	case "json":
		return &jsonView{w: g.stdout}
	case "bars":
		return newBarsView(g.stdout, p)
	default:
		return &linesView{w: g.stdout}
	}
}

// jsonView prints one JSON event per line.
type jsonView struct {
	mu sync.Mutex
	w  io.Writer
}

func (v *jsonView) Report(e executor.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	data, _ := json.Marshal(e)
	fmt.Fprintf(v.w, "%s\n", data)
}
func (v *jsonView) Close() {}

// linesView prints one timestamped line per step, for CI logs.
type linesView struct {
	mu sync.Mutex
	w  io.Writer
}

func (v *linesView) Report(e executor.Event) {
	if e.Kind == executor.EventStart && e.Step != string(plan.StepPackage) {
		return // the done/skip line says it all; starts only add noise in CI logs
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	line := fmt.Sprintf("%s  %-24s %-18s %-8s", e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), e.Function, e.Step, e.Kind)
	if e.Elapsed > 0 {
		line += fmt.Sprintf(" %7s", e.Elapsed.Round(time.Millisecond))
	}
	if e.Message != "" {
		line += "  " + e.Message
	}
	fmt.Fprintln(v.w, line)
}
func (v *linesView) Close() {}

// barsView shows a live bar per function on a terminal.
type barsView struct {
	mu       sync.Mutex
	progress *mpb.Progress
	bars     map[string]*mpb.Bar
	current  map[string]string
	notes    []string
	w        io.Writer
}

func newBarsView(w io.Writer, p *plan.Plan) *barsView {
	v := &barsView{progress: mpb.New(mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithRefreshRate(120*time.Millisecond)),
		bars: map[string]*mpb.Bar{}, current: map[string]string{}, w: w}
	width := 0
	for _, f := range p.Functions {
		if len(f.Name) > width {
			width = len(f.Name)
		}
	}
	for _, f := range p.Functions {
		if f.Change == plan.Unchanged {
			continue
		}
		name := f.Name
		v.current[name] = "waiting"
		// One unit per step, and one for the release itself, so the bar
		// completes (and is drawn for the last time) once "released" is known.
		v.bars[name] = v.progress.AddBar(int64(len(f.Steps)+1),
			mpb.PrependDecorators(decor.Name(name, decor.WC{W: width + 1, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				v.mu.Lock()
				defer v.mu.Unlock()
				return v.current[name]
			})),
		)
	}
	return v
}

func (v *barsView) Report(e executor.Event) {
	v.mu.Lock()
	bar := v.bars[e.Function]
	switch e.Kind {
	case executor.EventStart:
		v.current[e.Function] = e.Step + "…"
	case executor.EventRetry:
		v.current[e.Function] = e.Step + " (retrying)"
	case executor.EventFail:
		v.current[e.Function] = "FAILED at " + e.Step
	case executor.EventInterrupted:
		v.current[e.Function] = "interrupted before " + e.Step
	case executor.EventDrift:
		v.notes = append(v.notes, "Drift: "+e.Function+": "+e.Message)
	case executor.EventReleased:
		v.current[e.Function] = "released: " + e.Message
	case executor.EventShift:
		v.current[e.Function] = e.Message
	case executor.EventRolledBack:
		v.current[e.Function] = "ROLLED BACK: " + e.Message
	case executor.EventWarn:
		v.notes = append(v.notes, "Warning: "+e.Function+": "+e.Message)
	case executor.EventNote:
		v.notes = append(v.notes, "Note: "+e.Function+": "+e.Message)
	}
	v.mu.Unlock()
	if bar == nil {
		return
	}
	switch e.Kind {
	case executor.EventDone, executor.EventSkip:
		bar.Increment()
	case executor.EventFail, executor.EventInterrupted, executor.EventRolledBack:
		bar.Abort(false)
	case executor.EventReleased:
		if e.Step == string(plan.StepMoveAlias) {
			bar.IncrBy(2) // a rollout's last step: the move and the release
		} else {
			bar.Increment()
		}
	}
}

func (v *barsView) Close() {
	for _, b := range v.bars {
		if !b.Completed() && !b.Aborted() {
			b.Abort(false)
		}
	}
	v.progress.Wait()
	sort.Strings(v.notes)
	for _, n := range v.notes {
		fmt.Fprintln(v.w, n)
	}
}

// shorten cuts s to at most n runes on one line, marking the cut with "…".
func shorten(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// renderSummary prints the result table after an apply.
func renderSummary(w io.Writer, res *executor.Result, color bool) {
	c := palette{color}
	fmt.Fprintln(w)
	// Colors go in after the table is laid out: escape codes would count
	// as width and break the columns.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tRESULT\tVERSION\tCODESHA256\tTIME\tNOTE")
	restored := 0
	for _, f := range res.Functions {
		note := f.Error
		if f.Status == executor.StatusRolledBack {
			// The reason is printed whole in the error line below the table.
			note = shorten(strings.TrimPrefix(note, f.Name+": "), 100)
		}
		if note == "" && len(f.Drift) > 0 && f.Status == executor.StatusReleased {
			restored++
			note = "restored the recorded release over drift: " + strings.Join(f.Drift, "; ")
		}
		if note == "" && len(f.Skipped) > 0 {
			note = fmt.Sprintf("%d %s skipped", len(f.Skipped), plural(len(f.Skipped), "step", "steps"))
		}
		d := ""
		if f.Duration > 0 {
			d = f.Duration.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Status, f.Version, f.CodeSha256, d, note)
	}
	tw.Flush()
	lines := strings.SplitAfter(table.String(), "\n")
	for i, line := range lines {
		if i == 0 || i > len(res.Functions) {
			fmt.Fprint(w, line)
			continue
		}
		f := res.Functions[i-1]
		colored := f.Status
		switch f.Status {
		case executor.StatusReleased:
			colored = c.green(f.Status)
		case executor.StatusFailed, executor.StatusNotStarted:
			colored = c.red(f.Status)
		case executor.StatusInterrupted, executor.StatusRollingOut:
			colored = c.yellow(f.Status)
		case executor.StatusRolledBack:
			colored = c.red(f.Status)
		}
		// The result is the second column: replace its first occurrence after the name.
		name, rest := line[:len(f.Name)], line[len(f.Name):]
		fmt.Fprint(w, name+strings.Replace(rest, f.Status, colored, 1))
	}
	title := "Apply complete:"
	if res.Interrupted {
		title = "Apply interrupted:"
	}
	fmt.Fprintf(w, "\n%s %d released, %d unchanged, %d failed", c.bold(title), res.Count(executor.StatusReleased), res.Count(executor.StatusUnchanged), res.Failed())
	if n := res.Count(executor.StatusInterrupted); n > 0 || res.Interrupted {
		fmt.Fprintf(w, ", %d interrupted", n)
	}
	if n := res.Count(executor.StatusRollingOut); n > 0 {
		fmt.Fprintf(w, ", %d rolling out", n)
	}
	if n := res.Count(executor.StatusRolledBack); n > 0 {
		fmt.Fprintf(w, ", %d rolled back", n)
	}
	fmt.Fprintf(w, " in %s.\n", res.Duration.Round(10*time.Millisecond))
	if restored > 0 {
		fmt.Fprintf(w, "%d %s drifted from the state and %s brought back to the recorded release.\n", restored, plural(restored, "function", "functions"), plural(restored, "was", "were"))
	}
	var parts []string
	for _, b := range executor.BucketNames(res.Buckets) {
		s := res.Buckets[b]
		parts = append(parts, fmt.Sprintf("%s %d (%d throttled)", b, s.Calls, s.Throttles))
	}
	fmt.Fprintf(w, "Lambda calls per quota bucket: %s; %d mutating.\n", strings.Join(parts, ", "), res.MutatingCalls)
	if res.LayerBuilds+res.LayersPublished > 0 {
		fmt.Fprintf(w, "Dependency layers: %d built, %d published.\n", res.LayerBuilds, res.LayersPublished)
	}
}
