// Package institution models the alliance's organisations (FHIR Organization
// resources linked by partOf) as a tree and answers the question the store's
// query layer asks on every read: which data may a caller of institution X
// see. The answer is the caller's own institution, every institution below
// it when its kind sees below (the county hospital, the health commission),
// and single patients shared with it by referral.
package institution

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"yigong/fhir/store"
)

// Kind classifies an institution.
type Kind string

// The kinds of the alliance.
const (
	HealthCommission Kind = "health-commission" // 卫健委: sees everything below it
	CountyHospital   Kind = "county-hospital"   // 县医院 (牵头医院): sees everything below it
	Branch           Kind = "branch"            // 妇幼保健院 and other members
	Township         Kind = "township"          // 乡镇卫生院
)

// SeesBelow reports whether an institution of kind k sees its descendants' data.
func (k Kind) SeesBelow() bool { return k == HealthCommission || k == CountyHospital }

// Node is one institution.
type Node struct {
	ID     string // the Organization id, the partition key
	Parent string // "" for the root
	Kind   Kind
	Name   string
}

// Tree is an immutable institution hierarchy.
type Tree struct {
	nodes    map[string]Node
	children map[string][]string
}

// NewTree checks nodes (known parents, no cycles) and builds a tree.
func NewTree(nodes []Node) (*Tree, error) {
	t := &Tree{nodes: map[string]Node{}, children: map[string][]string{}}
	for _, n := range nodes {
		if n.ID == "" {
			return nil, fmt.Errorf("institution: a node without id")
		}
		if _, dup := t.nodes[n.ID]; dup {
			return nil, fmt.Errorf("institution: %q twice", n.ID)
		}
		t.nodes[n.ID] = n
	}
	for _, n := range nodes {
		if n.Parent == "" {
			continue
		}
		if _, ok := t.nodes[n.Parent]; !ok {
			return nil, fmt.Errorf("institution: %q: unknown parent %q", n.ID, n.Parent)
		}
		t.children[n.Parent] = append(t.children[n.Parent], n.ID)
	}
	for _, n := range nodes { // cycle check: walking up must end
		seen := map[string]bool{}
		for id := n.ID; id != ""; id = t.nodes[id].Parent {
			if seen[id] {
				return nil, fmt.Errorf("institution: cycle through %q", n.ID)
			}
			seen[id] = true
		}
	}
	for _, c := range t.children {
		slices.Sort(c)
	}
	return t, nil
}

// FromOrganizations builds a tree from Organization resources (JSON): the id,
// partOf.reference "Organization/x" as parent, the name, and the kind from a
// type coding with system KindSystem.
func FromOrganizations(orgs [][]byte) (*Tree, error) {
	nodes, err := nodesOf(orgs)
	if err != nil {
		return nil, err
	}
	return NewTree(nodes)
}

// nodesOf reads the nodes of Organization resources (JSON).
func nodesOf(orgs [][]byte) ([]Node, error) {
	var nodes []Node
	for _, data := range orgs {
		var o struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			PartOf struct {
				Reference string `json:"reference"`
			} `json:"partOf"`
			Type []struct {
				Coding []struct{ System, Code string } `json:"coding"`
			} `json:"type"`
		}
		if err := json.Unmarshal(data, &o); err != nil {
			return nil, fmt.Errorf("institution: organization: %w", err)
		}
		n := Node{ID: o.ID, Name: o.Name, Kind: Township, Parent: strings.TrimPrefix(o.PartOf.Reference, "Organization/")}
		for _, ty := range o.Type {
			for _, c := range ty.Coding {
				if c.System == KindSystem {
					n.Kind = Kind(c.Code)
				}
			}
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// KindSystem is the code system of the alliance's institution kinds in
// Organization.type.
const KindSystem = "urn:yigong:institution-kind"

// Get returns a node.
func (t *Tree) Get(id string) (Node, bool) { n, ok := t.nodes[id]; return n, ok }

// IsWithin reports whether id is anc or below it.
func (t *Tree) IsWithin(id, anc string) bool {
	for ; id != ""; id = t.nodes[id].Parent {
		if id == anc {
			return true
		}
	}
	return false
}

// Below returns id and all its descendants, depth first.
func (t *Tree) Below(id string) []string {
	out := []string{id}
	for _, c := range t.children[id] {
		out = append(out, t.Below(c)...)
	}
	return out
}

// Share is a patient made visible to another institution, by a referral:
// that patient's compartment in Owner becomes readable by To until Until.
type Share struct {
	Owner   string    `json:"owner"`   // the institution holding the data
	Patient string    `json:"patient"` // Patient id in Owner
	To      string    `json:"to"`
	Until   time.Time `json:"until,omitzero"` // zero: until revoked
	Reason  string    `json:"reason,omitempty"`
}

// Visibility is what a caller may see; the store's query layer applies it
// (store.WithVisibility).
type Visibility = store.Visibility

// PatientRef names one patient in one institution.
type PatientRef = store.PatientRef

// Visible answers which data a caller of institution may see at instant
// now, given the current shares.
func (t *Tree) Visible(institution string, shares []Share, now time.Time) Visibility {
	n, ok := t.nodes[institution]
	if !ok {
		return Visibility{} // an unknown institution sees nothing
	}
	v := Visibility{Institutions: []string{institution}}
	if n.Kind.SeesBelow() {
		v.Institutions = t.Below(institution)
	}
	return withShares(v, institution, shares, now)
}

// withShares adds to v the patients shared with institution that are
// still valid at now and not already seen whole.
func withShares(v Visibility, institution string, shares []Share, now time.Time) Visibility {
	for _, s := range shares {
		if s.To != institution || (!s.Until.IsZero() && !now.Before(s.Until)) || slices.Contains(v.Institutions, s.Owner) {
			continue
		}
		p := PatientRef{Institution: s.Owner, ID: s.Patient}
		if !slices.Contains(v.Patients, p) {
			v.Patients = append(v.Patients, p)
		}
	}
	return v
}
