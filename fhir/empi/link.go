package empi

import (
	"context"
	"runtime"
	"sync"
)

// Pair is two record positions (A < B) and how they compare.
type Pair struct {
	A, B      int
	Candidate Candidate
}

// Linkage is the outcome of linking every record of an index.
type Linkage struct {
	// Cluster gives each record's cluster: the smallest position of the
	// records it is transitively auto-linked to.
	Cluster []int
	// Links are the pairs linked automatically (grade certain).
	Links []Pair
	// Review are the pairs for a human (grade probable), excluding pairs
	// that auto-links already put in one cluster.
	Review []Pair
}

// Relink matches every record of the index against the records added before
// it (each pair scored once), in parallel on workers goroutines (0: one per
// CPU), and returns the transitive closure of the automatic links and the
// review queue. It stops early, returning ctx.Err(), when ctx is done.
func (ix *Index) Relink(ctx context.Context, workers int) (*Linkage, error) {
	n := ix.Len()
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type result struct{ links, review []Pair }
	results := make([]result, workers)
	var wg sync.WaitGroup
	var next int64
	var mu sync.Mutex
	const chunk = 256
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				start := int(next)
				next += chunk
				mu.Unlock()
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					if i == 0 {
						continue
					}
					ix.mu.RLock()
					c := &ix.comp[i]
					ix.mu.RUnlock()
					for _, cand := range ix.match(c, MatchOptions{MinGrade: GradeProbable, Before: i}) {
						p := Pair{A: cand.Index, B: i, Candidate: cand}
						if cand.Grade == GradeCertain {
							results[w].links = append(results[w].links, p)
						} else {
							results[w].review = append(results[w].review, p)
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &Linkage{Cluster: make([]int, n)}
	uf := newUnionFind(n)
	for _, r := range results {
		for _, p := range r.links {
			uf.union(p.A, p.B)
		}
		l.Links = append(l.Links, r.links...)
	}
	for i := range l.Cluster {
		l.Cluster[i] = uf.find(i)
	}
	for _, r := range results {
		for _, p := range r.review {
			if l.Cluster[p.A] != l.Cluster[p.B] {
				l.Review = append(l.Review, p)
			}
		}
	}
	return l, nil
}

type unionFind struct{ parent []int }

func newUnionFind(n int) *unionFind {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return &unionFind{p}
}

func (u *unionFind) find(x int) int {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// union joins the sets; the smaller root becomes the root, so a cluster is
// named by its first record.
func (u *unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		u.parent[rb] = ra
	} else {
		u.parent[ra] = rb
	}
}
