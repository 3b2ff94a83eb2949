package planner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambdas-dev/lambdas/state"
)

// Save writes the plan file for a later `lambdas apply FILE`.
func Save(path string, p *Plan) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := state.WriteFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write plan file: %w", err)
	}
	return nil
}

// LoadFile reads a plan file written by Save.
func LoadFile(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s is not a lambdas plan file: %w", filepath.Base(path), err)
	}
	if p.FormatVersion == 0 || p.Head == "" {
		return nil, fmt.Errorf("%s is not a lambdas plan file (no format_version or head); make one with `lambdas plan --out FILE`", filepath.Base(path))
	}
	if p.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%s has plan format %d, newer than this lambdas understands (%d)", filepath.Base(path), p.FormatVersion, FormatVersion)
	}
	return &p, nil
}

// CheckCurrent refuses a saved plan that no longer matches the world: the
// manifest, HEAD, the state it was made against, or the content of any
// function it covers. now is a fresh plan made with the same targets.
func (p *Plan) CheckCurrent(now *Plan) error {
	var why []string
	if p.ManifestHash != now.ManifestHash {
		why = append(why, "the manifest (or a variable) changed")
	}
	if p.Head != now.Head {
		why = append(why, fmt.Sprintf("HEAD moved from %s to %s", ShortHash(p.Head), ShortHash(now.Head)))
	}
	if p.StateLineage != now.StateLineage && p.StateLineage != "" {
		why = append(why, "the state is a different one (lineage differs)")
	}
	if p.StateSerial != now.StateSerial {
		why = append(why, fmt.Sprintf("the state changed since (serial %d, now %d): another apply ran", p.StateSerial, now.StateSerial))
	}
	cur := map[string]FunctionPlan{}
	for _, f := range now.Functions {
		cur[f.Name] = f
	}
	for _, f := range p.Functions {
		c, ok := cur[f.Name]
		if !ok {
			why = append(why, f.Name+" is no longer planned")
			continue
		}
		if c.CodeFingerprint != f.CodeFingerprint || c.DepsFingerprint != f.DepsFingerprint {
			why = append(why, f.Name+"'s files changed since the plan (uncommitted edits?)")
		}
	}
	if len(why) > 0 {
		return fmt.Errorf("the saved plan is stale: %s; make a new one with `lambdas plan --out FILE`", strings.Join(why, "; "))
	}
	return nil
}
