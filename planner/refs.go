package planner

import (
	"errors"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// TagsAtHead returns the tags that point at HEAD's commit (annotated tags
// peeled to their commit), sorted.
func (r *Repo) TagsAtHead() ([]string, error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	iter, err := r.git.Tags()
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	var out []string
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		h := ref.Hash()
		// An annotated tag points at a tag object; peel it (a tag of a tag
		// too, a few levels at most).
		for range 5 {
			tag, err := r.git.TagObject(h)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				break // a lightweight tag: h is the commit
			}
			if err != nil {
				return fmt.Errorf("read tag %s: %w", ref.Name().Short(), err)
			}
			h = tag.Target
		}
		if h == r.Head {
			out = append(out, ref.Name().Short())
		}
		return nil
	})
	if err != nil && !errors.Is(err, storer.ErrStop) {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}
