package scope

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Perm is a set of SMART v2 permission letters.
type Perm uint8

// The v2 permissions.
const (
	Create Perm = 1 << iota // c
	Read                    // r: read, vread, history of an instance
	Update                  // u: update, patch
	Delete                  // d
	Search                  // s: search, history of a type or the system
	All    = Create | Read | Update | Delete | Search
)

const letters = "cruds"

func (p Perm) String() string {
	var b strings.Builder
	for i := range len(letters) {
		if p&(1<<i) != 0 {
			b.WriteByte(letters[i])
		}
	}
	return b.String()
}

// Context is the first part of a resource scope.
type Context string

// The scope contexts.
const (
	Patient Context = "patient"
	User    Context = "user"
	System  Context = "system"
)

// Scope is one parsed scope. For a resource scope Context and Type are set;
// otherwise Name holds the scope as written (openid, launch/patient...).
type Scope struct {
	Name    string // the scope as written
	Context Context
	Type    string // resource type or "*"
	Perm    Perm
	Query   url.Values // v2 restriction (?category=laboratory); nil: none
	V1      bool
}

// IsResource reports whether s is a resource scope.
func (s Scope) IsResource() bool { return s.Context != "" }

// Parse parses one scope. Names that are not resource scopes are returned
// as such; a malformed resource scope is an error.
func Parse(text string) (Scope, error) {
	s := Scope{Name: text}
	ctx, rest, ok := strings.Cut(text, "/")
	switch Context(ctx) {
	case Patient, User, System:
	default:
		if strings.ContainsAny(text, " \t\"\\") || text == "" {
			return s, fmt.Errorf("scope: %q is not a scope token", text)
		}
		return s, nil // openid, fhirUser, launch/patient, offline_access, ...
	}
	if !ok {
		return s, fmt.Errorf("scope: %q has no resource type", text)
	}
	s.Context = Context(ctx)
	rest, query, hasQuery := strings.Cut(rest, "?")
	typ, perms, ok := strings.Cut(rest, ".")
	if !ok || typ == "" || perms == "" {
		return s, fmt.Errorf("scope: %q: want context/Type.permissions", text)
	}
	if typ != "*" && !validType(typ) {
		return s, fmt.Errorf("scope: %q: bad resource type %q", text, typ)
	}
	s.Type = typ
	switch perms {
	case "read":
		s.Perm, s.V1 = Read|Search, true
	case "write":
		s.Perm, s.V1 = Create|Update|Delete, true
	case "*":
		s.Perm, s.V1 = All, true
	default:
		last := -1
		for _, c := range perms {
			i := strings.IndexRune(letters, c)
			if i < 0 || i <= last { // unknown letter, or out of order / repeated
				return s, fmt.Errorf("scope: %q: permissions must be a subsequence of %q", text, letters)
			}
			last = i
			s.Perm |= 1 << i
		}
	}
	if hasQuery {
		if s.V1 {
			return s, fmt.Errorf("scope: %q: a query needs v2 permissions", text)
		}
		q, err := url.ParseQuery(query)
		if err != nil || len(q) == 0 {
			return s, fmt.Errorf("scope: %q: bad query", text)
		}
		s.Query = q
	}
	return s, nil
}

func validType(t string) bool {
	if t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Set is a parsed scope string.
type Set []Scope

// ParseSet parses a space-separated scope string, skipping empty items.
func ParseSet(text string) (Set, error) {
	var out Set
	for _, f := range strings.Fields(text) {
		s, err := Parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// String returns the scopes as written, space-separated.
func (set Set) String() string {
	names := make([]string, len(set))
	for i, s := range set {
		names[i] = s.Name
	}
	return strings.Join(names, " ")
}

// Has reports whether set holds the non-resource scope name (openid, launch/patient...).
func (set Set) Has(name string) bool {
	return slices.ContainsFunc(set, func(s Scope) bool { return s.Name == name })
}

// Grant is the answer to an access question: whether some scope allows it,
// and the v2 restrictions that apply. Unrestricted means at least one
// matching scope carries no query, so nothing needs checking per resource;
// otherwise a resource must match one of Restrictions (ORed).
type Grant struct {
	Allowed      bool
	Unrestricted bool
	Restrictions []url.Values
	Contexts     []Context // the contexts of the matching scopes
}

// Allows answers whether set allows perm on resourceType in one of the
// contexts given (all contexts when none are given).
func (set Set) Allows(resourceType string, perm Perm, contexts ...Context) Grant {
	var g Grant
	for _, s := range set {
		if !s.IsResource() || (s.Type != "*" && s.Type != resourceType) || s.Perm&perm != perm {
			continue
		}
		if len(contexts) > 0 && !slices.Contains(contexts, s.Context) {
			continue
		}
		g.Allowed = true
		if !slices.Contains(g.Contexts, s.Context) {
			g.Contexts = append(g.Contexts, s.Context)
		}
		if s.Query == nil {
			g.Unrestricted = true
		} else {
			g.Restrictions = append(g.Restrictions, s.Query)
		}
	}
	if g.Unrestricted {
		g.Restrictions = nil
	}
	return g
}

// Within reports whether every resource scope of requested is covered by
// some scope of granted (same or wider context type and permissions, and no
// query or the same query), and every other scope is in granted too: the
// check that a client asks only for what it was registered for.
func Within(requested, granted Set) bool {
	for _, r := range requested {
		if !slices.ContainsFunc(granted, func(g Scope) bool { return covers(g, r) }) {
			return false
		}
	}
	return true
}

func covers(g, r Scope) bool {
	if !r.IsResource() {
		return g.Name == r.Name
	}
	if g.Context != r.Context || (g.Type != "*" && g.Type != r.Type) || g.Perm&r.Perm != r.Perm {
		return false
	}
	return g.Query == nil || (r.Query != nil && g.Query.Encode() == r.Query.Encode())
}

// Interaction maps a FHIR RESTful interaction code (as the
// CapabilityStatement names them, plus "operation" handled by the caller)
// to the permission it needs.
func Interaction(code string) (Perm, bool) {
	switch code {
	case "read", "vread", "history-instance":
		return Read, true
	case "search-type", "search-system", "search-compartment", "history-type", "history-system":
		return Search, true
	case "create":
		return Create, true
	case "update", "patch":
		return Update, true
	case "delete":
		return Delete, true
	}
	return 0, false
}
