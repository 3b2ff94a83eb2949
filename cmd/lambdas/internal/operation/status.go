package operation

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/planner"
)

// FunctionStatus is what status reports for one function.
type FunctionStatus struct {
	Name           string             `json:"name"`
	FunctionName   string             `json:"function_name"`
	Alias          string             `json:"alias"`
	AliasVersion   string             `json:"alias_version,omitempty"`
	Weights        map[string]float64 `json:"routing_weights,omitempty"`
	LiveCodeSha256 string             `json:"live_code_sha256,omitempty"`
	StateVersion   string             `json:"state_version,omitempty"`
	StateSha256    string             `json:"state_code_sha256,omitempty"`
	Commit         string             `json:"released_commit,omitempty"`
	Drift          []string           `json:"drift"`
	Error          string             `json:"error,omitempty"`
}

// StatusOptions select the functions.
type StatusOptions struct {
	Targets []string
}

// Status reads each selected function's alias and code from AWS and
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
	client := lambda.NewFromConfig(cfg)
	out := make([]FunctionStatus, len(fns))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for i, f := range fns {
		eg.Go(func() error {
			s := FunctionStatus{Name: f.Label, FunctionName: f.Name, Alias: f.Alias, Drift: []string{}}
			rec := doc.Functions[f.Label]
			if rec != nil {
				s.StateVersion, s.StateSha256, s.Commit = rec.Version, rec.CodeSha256, rec.Commit
			}
			a, err := client.GetAlias(ectx, &lambda.GetAliasInput{FunctionName: aws.String(f.Name), Name: aws.String(f.Alias)})
			var nf *types.ResourceNotFoundException
			switch {
			case err != nil && errors.As(err, &nf):
				if rec != nil && rec.Version != "" {
					s.Drift = append(s.Drift, fmt.Sprintf("alias %s is gone (the state says version %s)", f.Alias, rec.Version))
				} else {
					s.Error = "not released yet"
				}
				out[i] = s
				return nil
			case err != nil:
				s.Error = err.Error()
				out[i] = s
				return nil
			}
			s.AliasVersion = aws.ToString(a.FunctionVersion)
			if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
				s.Weights = a.RoutingConfig.AdditionalVersionWeights
			}
			c, err := client.GetFunctionConfiguration(ectx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.Name), Qualifier: a.FunctionVersion})
			if err != nil {
				s.Error = err.Error()
				out[i] = s
				return nil
			}
			s.LiveCodeSha256 = aws.ToString(c.CodeSha256)
			if rec == nil || rec.Version == "" {
				s.Drift = append(s.Drift, "released outside lambdas: the state has no record")
			} else {
				if s.AliasVersion != rec.Version {
					s.Drift = append(s.Drift, fmt.Sprintf("alias points at version %s, the state says %s", s.AliasVersion, rec.Version))
				}
				if s.LiveCodeSha256 != rec.CodeSha256 {
					s.Drift = append(s.Drift, "live code differs from the released package")
				}
				if len(s.Weights) > 0 {
					s.Drift = append(s.Drift, "alias has routing weights (a rollout under way?)")
				}
			}
			out[i] = s
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
