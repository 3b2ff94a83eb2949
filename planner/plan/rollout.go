package plan

import (
	"fmt"
	"time"
)

// Strategies of a move-alias step.
const (
	AllAtOnce = "all-at-once"
	Canary    = "canary"
	Linear    = "linear"
)

// SmokeParams: the test invoke of the new version before it takes traffic.
type SmokeParams struct {
	// Payload is the event sent (JSON).
	Payload string `json:"payload"`
	// Expect, when set, is a regular expression the answer must match.
	Expect string `json:"expect,omitempty"`
}

// Gradual reports whether the alias moves in weighted steps.
func (a *AliasParams) Gradual() bool {
	return a != nil && (a.Strategy == Canary || a.Strategy == Linear)
}

// IntervalDuration is the time between two steps (0 for all-at-once).
func (a *AliasParams) IntervalDuration() time.Duration {
	if a == nil || a.Interval == "" {
		return 0
	}
	d, err := time.ParseDuration(a.Interval)
	if err != nil {
		return 0
	}
	return d
}

// checkRollout refuses a canary or linear move without its steps or
// interval (a plan made by another version).
func (a *AliasParams) checkRollout() error {
	if !a.Gradual() {
		return nil
	}
	if len(a.Steps) < 2 || a.Steps[len(a.Steps)-1] != 100 {
		return fmt.Errorf("%s rollout without steps ending at 100 (plan made by another version of lambdas?)", a.Strategy)
	}
	prev := 0.0
	for _, s := range a.Steps {
		if s <= prev || s > 100 {
			return fmt.Errorf("%s rollout steps %v do not rise from above 0 to 100", a.Strategy, a.Steps)
		}
		prev = s
	}
	if d, err := time.ParseDuration(a.Interval); err != nil || d <= 0 {
		return fmt.Errorf("%s rollout without an interval (plan made by another version of lambdas?)", a.Strategy)
	}
	return nil
}
