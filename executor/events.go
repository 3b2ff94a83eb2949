package executor

import (
	"encoding/json"
	"time"
)

// Event kinds.
const (
	EventStart = "start" // a step started
	EventDone  = "done"  // a step finished
	EventSkip  = "skip"  // a step had nothing to do; Message says why
	EventRetry = "retry" // a call will be retried; Message says why
	EventWarn  = "warn"  // something the user should know, not an error
	EventNote  = "note"  // something worth saying, e.g. a function was created
	EventFail  = "fail"  // a step failed; the function's release stops
	// EventInterrupted: the apply was told to stop (SIGINT, SIGTERM) and this
	// function's release stopped before the step; what finished is recorded.
	EventInterrupted = "interrupted"
	// EventDrift: the live function differed from the state's record
	// (changed outside lambdas); Message says how and what the release does.
	EventDrift    = "drift"
	EventReleased = "released" // the function's release is complete
	EventLog      = "log"      // a line of a build's output
)

// Event is one thing that happened during an apply, for the progress views.
type Event struct {
	Time     time.Time     `json:"time"`
	Function string        `json:"function"`
	Step     string        `json:"step,omitempty"`
	Kind     string        `json:"event"`
	Message  string        `json:"message,omitempty"`
	Elapsed  time.Duration `json:"-"`
}

// MarshalJSON adds elapsed_ms.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		ElapsedMS int64 `json:"elapsed_ms,omitempty"`
	}{plain(e), e.Elapsed.Milliseconds()})
}

// Reporter receives events; it must be safe for concurrent use.
type Reporter interface {
	Report(Event)
}

// ReporterFunc adapts a function.
type ReporterFunc func(Event)

// Report calls f.
func (f ReporterFunc) Report(e Event) { f(e) }
