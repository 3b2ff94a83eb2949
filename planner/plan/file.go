package plan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Encode renders a plan for a plan file (`lambdas plan --out FILE`).
func Encode(p *Plan) ([]byte, error) {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Decode reads a plan file written by Encode; name is the file's name, for
// messages.
func Decode(data []byte, name string) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s is not a lambdas plan file: %w", name, err)
	}
	if p.FormatVersion == 0 || p.Head == "" {
		return nil, fmt.Errorf("%s is not a lambdas plan file (no format_version or head); make one with `lambdas plan --out FILE`", name)
	}
	if p.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%s has plan format %d, newer than this lambdas understands (%d); upgrade lambdas or make the plan again", name, p.FormatVersion, FormatVersion)
	}
	if p.FormatVersion < FormatVersion {
		return nil, fmt.Errorf("%s has plan format %d, made by an older lambdas (this one writes %d); make the plan again with `lambdas plan --out FILE`", name, p.FormatVersion, FormatVersion)
	}
	return &p, nil
}

// CheckCurrent refuses a saved plan that no longer matches the world: the
// tool, the manifest, HEAD, the region, the state it was made against, or
// the content or state record of any function it covers. now is a fresh
// plan made with the same targets. Only the plan's own functions' records
// count: another apply of other functions (a CI shard beside this one)
// leaves it current. On success the saved plan takes the fresh plan's
// packages (file lists are not saved: equal fingerprints mean equal lists).
func (p *Plan) CheckCurrent(now *Plan) error {
	var why []string
	if p.ToolVersion != now.ToolVersion {
		why = append(why, fmt.Sprintf("it was made by lambdas %s, this is %s", p.ToolVersion, now.ToolVersion))
	}
	if p.Environment != now.Environment {
		why = append(why, fmt.Sprintf("it was made for environment %q, this is %q", p.Environment, now.Environment))
	}
	if p.ManifestHash != now.ManifestHash {
		why = append(why, "the manifest (or a variable) changed")
	}
	if p.Head != now.Head {
		why = append(why, fmt.Sprintf("HEAD moved from %s to %s", ShortHash(p.Head), ShortHash(now.Head)))
	}
	if p.Region != now.Region {
		why = append(why, fmt.Sprintf("the region changed from %s to %s", p.Region, now.Region))
	}
	if p.StateLineage != now.StateLineage && p.StateLineage != "" {
		why = append(why, "the state is a different one (lineage differs)")
	}
	cur := map[string]*FunctionPlan{}
	for i := range now.Functions {
		cur[now.Functions[i].Name] = &now.Functions[i]
	}
	for i := range p.Functions {
		f := &p.Functions[i]
		c, ok := cur[f.Name]
		if !ok {
			why = append(why, f.Name+" is no longer planned")
			continue
		}
		if c.CodeFingerprint != f.CodeFingerprint || c.DepsFingerprint != f.DepsFingerprint {
			why = append(why, f.Name+"'s files changed since the plan (uncommitted edits?)")
			continue
		}
		if c.StateRecord != f.StateRecord {
			why = append(why, f.Name+"'s state record changed since the plan (another apply released or resumed it)")
			continue
		}
		f.Package = c.Package
	}
	if len(why) > 0 {
		return fmt.Errorf("the saved plan is stale: %s; make a new one with `lambdas plan --out FILE`", strings.Join(why, "; "))
	}
	return nil
}
