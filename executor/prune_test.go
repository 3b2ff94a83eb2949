package executor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectVersions(t *testing.T) {
	cases := []struct {
		name     string
		versions []string
		aliased  []string
		keep     int
		del      []string
	}{
		{"keep the newest two", []string{"$LATEST", "1", "2", "3", "4", "5"}, []string{"5"}, 2, []string{"1", "2", "3"}},
		{"aliased kept, as primary or additional", []string{"$LATEST", "1", "2", "3", "4", "5", "10"}, []string{"10", "2"}, 2, []string{"1", "3", "4"}},
		{"fewer than keep", []string{"$LATEST", "1", "2"}, nil, 5, nil},
		{"no keep_versions: nothing", []string{"$LATEST", "1", "2"}, nil, 0, nil},
		{"numbers, not strings: 10 is newer than 9", []string{"9", "10", "11"}, nil, 2, []string{"9"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			aliased := map[string]bool{}
			for _, a := range tc.aliased {
				aliased[a] = true
			}
			del, _ := SelectVersions(tc.versions, aliased, tc.keep)
			if diff := cmp.Diff(tc.del, del); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplaceOwnLayers(t *testing.T) {
	const ours = "arn:aws:lambda:us-east-1:1:layer:lambdas-shop-deps-python3-12-x86_64:9"
	other := "arn:aws:lambda:us-east-1:1:layer:agent:3"
	old := "arn:aws:lambda:us-east-1:1:layer:lambdas-shop-deps-python3-11-x86_64:2"
	notOurs := "arn:aws:lambda:us-east-1:1:layer:lambdas-other-deps-python3-12-x86_64:1"
	cases := []struct {
		name       string
		have, want []string
	}{
		{"none: appended", nil, []string{ours}},
		{"others kept, ours appended", []string{other}, []string{other, ours}},
		{"ours replaced in its place", []string{old, other}, []string{ours, other}},
		{"another project's layer is not ours", []string{notOurs, old}, []string{notOurs, ours}},
		{"two of ours become one", []string{old, other, old}, []string{ours, other}},
	}
	for _, tc := range cases {
		if got := ReplaceOwnLayers(tc.have, ours, "shop"); !cmp.Equal(tc.want, got) {
			t.Errorf("%s: %v → %v, want %v", tc.name, tc.have, got, tc.want)
		}
	}
}
