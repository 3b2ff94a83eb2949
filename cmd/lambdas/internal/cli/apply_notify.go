package cli

import (
	"fmt"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
)

// Notified shows how the notify blocks' posts went: a failed one is a
// warning on stderr (the release stands, and the exit code does not
// change), with --json one event line each. Targets are named without
// their URL.
func (v *applyView) Notified(results []operation.NotifyResult) {
	for _, r := range results {
		if v.g.json {
			ev := map[string]any{"event": "notification", "target": r.Target, "sent": r.Err == nil && r.Skipped == ""}
			if r.Skipped != "" {
				ev["skipped"] = r.Skipped
			}
			if r.Err != nil {
				ev["error"] = r.Err.Error()
			}
			_ = writeJSONLine(v.g.stdout, ev)
			continue
		}
		switch {
		case r.Err != nil:
			fmt.Fprintf(v.g.stderr, "Warning: notification failed (the release is not affected): %v\n", r.Err)
		case r.Skipped != "":
			fmt.Fprintf(v.g.stderr, "Note: notification %s skipped: %s\n", r.Target, r.Skipped)
		default:
			fmt.Fprintf(v.g.stdout, "Notified %s.\n", r.Target)
		}
	}
}
