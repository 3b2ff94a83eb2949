package executor

import (
	"context"
	"testing"

	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// TestDeleteLayerRecordOnlyOfTheDeletedVersion: pruning a layer version
// forgets its fingerprint's record only when the record names that
// version; another version published for the fingerprint stays recorded.
func TestDeleteLayerRecordOnlyOfTheDeletedVersion(t *testing.T) {
	ctx := context.Background()
	sm, err := state.Load(ctx, &memBackend{})
	if err != nil {
		t.Fatal(err)
	}
	const fp, kept, old = "fp1", "arn:aws:lambda:us-east-1:123456789012:layer:lambdas-shop-deps-python3-12-x86_64:2", "arn:aws:lambda:us-east-1:123456789012:layer:lambdas-shop-deps-python3-12-x86_64:1"
	if err := sm.Update(ctx, func(d *state.Document) error {
		d.Layers = map[string]*plan.LayerRecord{fp: {DepsFingerprint: fp, LayerVersionArn: kept}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := DeleteLayerRecord(ctx, nil, nil, sm, fp, old); err != nil {
		t.Fatal(err)
	}
	if rec := sm.Snapshot().Layers[fp]; rec == nil || rec.LayerVersionArn != kept {
		t.Fatalf("the record of %s after pruning another version: %+v", kept, rec)
	}
	if err := DeleteLayerRecord(ctx, nil, nil, sm, fp, kept); err != nil {
		t.Fatal(err)
	}
	if rec := sm.Snapshot().Layers[fp]; rec != nil {
		t.Errorf("the record of the pruned version stays: %+v", rec)
	}
}
