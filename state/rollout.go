package state

import "time"

// Rollout states.
const (
	// RolloutInProgress: the alias serves OldVersion with Weight on
	// NewVersion; lambdas promote (or a blocking apply) takes the next step.
	RolloutInProgress = "in-progress"
	// RolloutCompleted: the alias serves NewVersion alone; the function's
	// record is the new release.
	RolloutCompleted = "completed"
	// RolloutRolledBack: the alias serves OldVersion alone again (an alarm,
	// a failed smoke test, a member of its group, or lambdas rollback); the
	// function's record is the release before.
	RolloutRolledBack = "rolled-back"
)

// Rollout is one weighted move of an alias from OldVersion to NewVersion,
// step by step. While it is in progress the function's record is still the
// release before (Version == OldVersion) and InFlight holds the new one,
// whose steps up to the alias move are done; the rollout's end turns
// InFlight into the record (completed) or leaves the record as it is
// (rolled back).
type Rollout struct {
	// ID is shared by the members of a rollout group started together;
	// a rollout without a group has an ID of its own.
	ID     string `json:"id"`
	Status string `json:"status"`
	Group  string `json:"group,omitempty"`
	Alias  string `json:"alias"`
	// Strategy, Steps (percentages of traffic on NewVersion, rising, the
	// last 100), Interval and Alarms are the manifest's deploy block when
	// the rollout started: a rollout ends as it began.
	Strategy string        `json:"strategy"`
	Steps    []float64     `json:"steps"`
	Interval time.Duration `json:"interval_ns"`
	Alarms   []string      `json:"alarms,omitempty"`

	OldVersion string `json:"old_version"`
	NewVersion string `json:"new_version"`
	// CodeSha256 is NewVersion's code, which $LATEST runs from the update
	// on (also once the rollout is rolled back).
	CodeSha256 string `json:"code_sha256,omitempty"`
	// Weight is NewVersion's share of the traffic now (0 to 1; 1 once
	// completed, 0 once rolled back).
	Weight float64 `json:"weight"`
	// Step counts the steps taken (Steps[Step-1] is the current one); 0
	// before the first.
	Step int `json:"step"`
	// NextAt is when the next step may be taken (zero once it ended).
	NextAt time.Time `json:"next_at,omitzero"`
	// AliasRevisionID is the alias's RevisionId after lambdas last moved it.
	AliasRevisionID string `json:"alias_revision_id,omitempty"`

	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Reason says why a rollout was rolled back.
	Reason string `json:"reason,omitempty"`
}

// InProgress reports whether the rollout is under way.
func (r *Rollout) InProgress() bool { return r != nil && r.Status == RolloutInProgress }

// RunsCode reports whether $LATEST running sha is what the state expects
// of this rollout: the code of a rollout in flight or rolled back (its
// update made $LATEST run it, while the record is the release before).
func (r *Rollout) RunsCode(sha string) bool {
	return r != nil && r.Status != RolloutCompleted && r.CodeSha256 != "" && r.CodeSha256 == sha
}

// NextStep is the percentage the rollout's next step puts on NewVersion;
// false once every step is taken.
func (r *Rollout) NextStep() (float64, bool) {
	if r == nil || r.Step < 0 || r.Step >= len(r.Steps) {
		return 0, false
	}
	return r.Steps[r.Step], true
}
