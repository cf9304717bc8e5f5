package institution

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"yigong/fhir/store"
)

// Directory answers, for a running hub, which data a caller of an
// institution may see. It reads the hierarchy from the store's
// Organization resources that carry a KindSystem type coding (the
// Organization id is the institution id, the store's partition key), and
// the referrals from ServiceRequests: a patient who is the subject of an
// active, on-hold or completed ServiceRequest whose performer is
// Organization/X is shared with X (the Patient and everything of the
// ordering institution that references them; store.Visibility).
//
// The hub's own institution is a root of kind county-hospital unless an
// Organization declares it; an institution nobody declares belongs to the
// hub's domain, so whoever sees the hub's institution whole (it, and
// anything above it that sees below) sees everything: Visibility answers
// unrestricted for them.
//
// Answers are cached for TTL; Invalidate drops the cache (after a write
// of an Organization or a ServiceRequest).
type Directory struct {
	st  store.Store
	hub string
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	tree   *Tree
	loaded time.Time
	vis    map[string]cached
}

type cached struct {
	v          store.Visibility
	restricted bool
	at         time.Time
}

// NewDirectory returns a directory over st for the hub's institution hub.
// ttl 0 means 2 seconds.
func NewDirectory(st store.Store, hub string, ttl time.Duration, now func() time.Time) *Directory {
	if ttl == 0 {
		ttl = 2 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	return &Directory{st: st, hub: hub, ttl: ttl, now: now, vis: map[string]cached{}}
}

// Invalidate drops what the directory has cached.
func (d *Directory) Invalidate() {
	d.mu.Lock()
	d.tree, d.vis = nil, map[string]cached{}
	d.mu.Unlock()
}

// Tree returns the current hierarchy.
func (d *Directory) Tree(ctx context.Context) (*Tree, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.treeLocked(ctx)
}

func (d *Directory) treeLocked(ctx context.Context) (*Tree, error) {
	if d.tree != nil && d.now().Sub(d.loaded) < d.ttl {
		return d.tree, nil
	}
	sr, ok := d.st.(store.Searcher)
	if !ok {
		return nil, fmt.Errorf("institution: the store cannot search")
	}
	ctx = store.Unrestricted(ctx)
	var orgs [][]byte
	q := store.SearchQuery{Type: "Organization", Count: store.MaxCount, Filters: []store.Filter{{Param: "type",
		Type: store.ParamToken, Values: []store.FilterValue{{System: KindSystem}}}}}
	for {
		p, err := sr.Search(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("institution: load organizations: %w", err)
		}
		for _, r := range p.Entries {
			orgs = append(orgs, r.JSON)
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	t, err := fromOrganizations(orgs, d.hub)
	if err != nil {
		return nil, err
	}
	d.tree, d.loaded, d.vis = t, d.now(), map[string]cached{}
	return t, nil
}

// fromOrganizations builds the tree with the hub's institution added when
// no Organization declares it, and unknown parents read as none.
func fromOrganizations(orgs [][]byte, hub string) (*Tree, error) {
	nodes, err := nodesOf(orgs)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, n := range nodes {
		ids[n.ID] = true
	}
	if !ids[hub] {
		nodes = append(nodes, Node{ID: hub, Kind: CountyHospital, Name: hub})
		ids[hub] = true
	}
	for i, n := range nodes {
		if n.Parent != "" && !ids[n.Parent] {
			nodes[i].Parent = ""
		}
	}
	return NewTree(nodes)
}

// Visibility returns what a caller of institution sees; restricted is
// false when it sees everything (see Directory).
func (d *Directory) Visibility(ctx context.Context, institution string) (v store.Visibility, restricted bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, err := d.treeLocked(ctx)
	if err != nil {
		return v, true, err
	}
	now := d.now()
	if c, ok := d.vis[institution]; ok && now.Sub(c.at) < d.ttl {
		return c.v, c.restricted, nil
	}
	n, known := t.Get(institution)
	if known && n.Kind.SeesBelow() && slices.Contains(t.Below(institution), d.hub) {
		d.vis[institution] = cached{restricted: false, at: now}
		return v, false, nil
	}
	shares, err := d.referrals(ctx, institution)
	if err != nil {
		return v, true, err
	}
	if known {
		v = t.Visible(institution, shares, now)
	} else { // not declared: its own data, and what is referred to it
		v = withShares(Visibility{Institutions: []string{institution}}, institution, shares, now)
	}
	d.vis[institution] = cached{v: v, restricted: true, at: now}
	return v, true, nil
}

// referralStatuses are the ServiceRequest statuses that share the patient.
var referralStatuses = []string{"active", "on-hold", "completed"}

// referrals returns the shares that ServiceRequests performed by
// institution imply.
func (d *Directory) referrals(ctx context.Context, institution string) ([]Share, error) {
	sr := d.st.(store.Searcher)
	ctx = store.Unrestricted(ctx)
	var statuses []store.FilterValue
	for _, s := range referralStatuses {
		statuses = append(statuses, store.FilterValue{Code: s})
	}
	q := store.SearchQuery{Type: "ServiceRequest", Count: store.MaxCount, Filters: []store.Filter{
		{Param: "performer", Type: store.ParamReference, Values: []store.FilterValue{{RefType: "Organization", RefID: institution}}},
		{Param: "status", Type: store.ParamToken, Values: statuses},
	}}
	var out []Share
	for range 100 { // at most 100,000 referrals
		p, err := sr.Search(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("institution: referrals to %s: %w", institution, err)
		}
		for _, r := range p.Entries {
			var req struct {
				Subject struct {
					Reference string `json:"reference"`
				} `json:"subject"`
			}
			if json.Unmarshal(r.JSON, &req) != nil {
				continue
			}
			if id, ok := strings.CutPrefix(req.Subject.Reference, "Patient/"); ok && id != "" {
				out = append(out, Share{Owner: r.Institution, Patient: id, To: institution, Reason: "ServiceRequest/" + r.ID})
			}
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	return out, nil
}
