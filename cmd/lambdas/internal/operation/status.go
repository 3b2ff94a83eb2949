package operation

import (
	"context"
	"sort"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/planner"
)

// Function states in a status.
const (
	StatusInSync      = "in-sync"
	StatusDrift       = "drift"
	StatusNotReleased = "not-released"
	StatusRollingOut  = "rolling-out" // in sync with a rollout in flight (rollout.go)
	StatusError       = "error"
)

// FunctionStatus is what status reports for one function.
type FunctionStatus struct {
	Name         string             `json:"name"`
	FunctionName string             `json:"function_name"`
	Alias        string             `json:"alias"`
	Status       string             `json:"status"` // StatusInSync, StatusDrift, StatusNotReleased, StatusError
	AliasVersion string             `json:"alias_version,omitempty"`
	Weights      map[string]float64 `json:"routing_weights,omitempty"`
	// LiveCodeSha256 is the CodeSha256 of the version the alias points at;
	// LatestCodeSha256 is $LATEST's.
	LiveCodeSha256   string `json:"live_code_sha256,omitempty"`
	LatestCodeSha256 string `json:"latest_code_sha256,omitempty"`
	StateVersion     string `json:"state_version,omitempty"`
	StateSha256      string `json:"state_code_sha256,omitempty"`
	Commit           string `json:"released_commit,omitempty"`
	// Release is the release label the alias runs (the tag, or the
	// commit), from the alias description lambdas wrote; "" when the alias
	// was not moved by lambdas.
	Release string   `json:"release,omitempty"`
	Drift   []string `json:"drift"`
	Error   string   `json:"error,omitempty"`
	// Rollout is the rollout in flight, or the last one to end.
	Rollout *Rollout `json:"rollout,omitempty"`
}

// StatusOptions select the functions.
type StatusOptions struct {
	Targets []string
	// GetFunctionRate is GetFunction's quota (0: 100/s).
	GetFunctionRate float64
}

// Status reads each selected function's $LATEST, alias (version and
// weights) and that version's code from AWS, through the paced client, and
// compares them with the state. It changes nothing.
func Status(ctx context.Context, in Inputs, o StatusOptions) ([]FunctionStatus, error) {
	m := in.Manifest
	fns, err := planner.Select(m.Functions, o.Targets)
	if err != nil {
		return nil, err
	}
	sm, err := LoadState(ctx, m)
	if err != nil {
		return nil, err
	}
	doc := sm.Snapshot()
	cfg, _, err := LoadAWS(ctx, m)
	if err != nil {
		return nil, err
	}
	client := executor.NewLambda(cfg, executor.QuotasFor(m, o.GetFunctionRate), executor.RetryPolicy{})
	targets := make([]executor.LiveTarget, len(fns))
	for i, f := range fns {
		targets[i] = executor.LiveTarget{Label: f.Label, FunctionName: f.Name, Alias: f.Alias}
	}
	reads := client.ReadLive(ctx, targets, executor.ReadOptions{Weights: true, Step: "status"})
	out := make([]FunctionStatus, len(fns))
	for i, f := range fns {
		s := FunctionStatus{Name: f.Label, FunctionName: f.Name, Alias: f.Alias, Drift: []string{}}
		rec := doc.Functions[f.Label]
		if rec != nil {
			s.StateVersion, s.StateSha256, s.Commit = rec.Version, rec.CodeSha256, rec.Commit
			if rec.Rollout != nil {
				ro := rolloutOf(f.Label, rec, false)
				s.Rollout = &ro
			}
		}
		r := reads[i]
		if r.Err != nil {
			s.Status, s.Error = StatusError, r.Err.Error()
			out[i] = s
			continue
		}
		live := r.Live
		s.AliasVersion, s.Weights, s.LiveCodeSha256, s.LatestCodeSha256 = live.AliasVersion, live.Weights, live.AliasCodeSha256, live.CodeSha256
		s.Release = executor.ReleaseLabelOf(live.AliasDescription)
		switch {
		case rec == nil || rec.Version == "":
			if live.Exists && live.AliasExists {
				s.Drift = append(s.Drift, "released outside lambdas: the state has no record")
			}
		default:
			code, alias := planner.Drift(rec, f.Alias, live)
			s.Drift = append(append(s.Drift, code...), alias...)
			if planner.UnrecordedStep(rec.Rollout, live) {
				// Say where the rollout stands, not where its record does.
				next, _ := rec.Rollout.NextStep()
				s.Rollout.Step, s.Rollout.Weight, s.Rollout.Unrecorded = rec.Rollout.Step+1, next/100, true
			}
		}
		switch {
		case len(s.Drift) > 0:
			s.Status = StatusDrift
		case rec == nil || rec.Version == "":
			s.Status = StatusNotReleased
		case rec.Rollout.InProgress():
			s.Status = StatusRollingOut
		default:
			s.Status = StatusInSync
		}
		out[i] = s
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
