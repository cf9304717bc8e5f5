package terminology

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/terminology/internal/defs"
)

// MaxExpansion bounds the size of an expansion before filtering and
// paging; a larger one fails with issue code "too-costly".
const MaxExpansion = 100_000

// maxImportDepth bounds nested compose.include.valueSet imports.
const maxImportDepth = 16

// ExpandOptions are the $expand parameters the service implements.
type ExpandOptions struct {
	Filter              string // text filter: case-insensitive substring of code, display or a designation
	Offset              int    // paging: entries to skip
	Count               int    // paging: entries to return; 0 = all (from Offset)
	ActiveOnly          bool   // leave out inactive concepts
	IncludeDesignations bool   // return designations
}

// Expansion is the answer of Expand.
type Expansion struct {
	ValueSet *ValueSet
	Total    int // entries matching Filter and ActiveOnly, before paging
	Offset   int
	Contains []Entry
}

// Entry is one code of an expansion.
type Entry struct {
	System, Version, Code, Display string
	Abstract, Inactive             bool
	Designations                   []Designation // only with IncludeDesignations
}

// fullExpansion is the unfiltered, unpaged expansion of a value set.
type fullExpansion struct {
	entries []Entry
	keys    map[string]int // system|code -> index in entries
	text    []string       // per entry: lower-cased code, display and designations, for text filters
}

// Expand computes the expansion of vs (http://hl7.org/fhir/R4/valueset-operation-expand.html).
// An expansion that needs a code system the bundle does not hold (SNOMED
// CT, LOINC, UCUM...) fails with kind fhir.KindNotSupported rather than
// returning a partial list.
func (s *Service) Expand(ctx context.Context, vs *ValueSet, opts ExpandOptions) (*Expansion, error) {
	idx, err := s.index()
	if err != nil {
		return nil, err
	}
	full, err := s.expandFull(ctx, idx, vs, 0)
	if err != nil {
		return nil, err
	}
	if opts.Offset < 0 || opts.Count < 0 {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: expand: offset and count must not be negative")
	}
	filter := strings.ToLower(strings.TrimSpace(opts.Filter))
	out := &Expansion{ValueSet: vs, Offset: opts.Offset}
	for i, e := range full.entries {
		if opts.ActiveOnly && e.Inactive {
			continue
		}
		if filter != "" && !strings.Contains(full.text[i], filter) {
			continue
		}
		out.Total++
		if out.Total <= opts.Offset || opts.Count > 0 && len(out.Contains) >= opts.Count {
			continue
		}
		if !opts.IncludeDesignations {
			e.Designations = nil
		}
		out.Contains = append(out.Contains, e)
	}
	return out, nil
}

// searchText is what a text filter matches: code, display and
// designations, lower-cased, separated so no match spans two of them.
func searchText(e Entry) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(e.Code))
	b.WriteByte(0)
	b.WriteString(strings.ToLower(e.Display))
	for _, d := range e.Designations {
		b.WriteByte(0)
		b.WriteString(strings.ToLower(d.Value))
	}
	return b.String()
}

func (s *Service) expandFull(ctx context.Context, idx *index, vs *ValueSet, depth int) (*fullExpansion, error) {
	if vs.bundled {
		if x, ok := s.expansions.Load(vs.def.URL); ok {
			return x.(*fullExpansion), nil
		}
	}
	if depth > maxImportDepth {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: value set %s: imports nested deeper than %d (a cycle?)", vs.def.URL, maxImportDepth)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := vs.def.Compose
	if c == nil {
		return nil, notSupported("not-supported", "terminology: the value set %s has no compose definition", vs.def.URL)
	}
	full := &fullExpansion{keys: map[string]int{}}
	for i := range c.Include {
		entries, err := s.includeEntries(ctx, idx, vs, &c.Include[i], depth)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if c.Inactive != nil && !*c.Inactive && e.Inactive {
				continue
			}
			k := e.System + "|" + e.Code
			if _, dup := full.keys[k]; dup {
				continue
			}
			full.keys[k] = len(full.entries)
			full.entries = append(full.entries, e)
			if len(full.entries) > MaxExpansion {
				return nil, notSupported("too-costly", "terminology: the expansion of %s exceeds %d codes", vs.def.URL, MaxExpansion)
			}
		}
	}
	if len(c.Exclude) > 0 {
		drop := map[string]bool{}
		for i := range c.Exclude {
			entries, err := s.includeEntries(ctx, idx, vs, &c.Exclude[i], depth)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				drop[e.System+"|"+e.Code] = true
			}
		}
		kept := full.entries[:0]
		full.keys = map[string]int{}
		for _, e := range full.entries {
			k := e.System + "|" + e.Code
			if drop[k] {
				continue
			}
			full.keys[k] = len(kept)
			kept = append(kept, e)
		}
		full.entries = kept
	}
	full.text = make([]string, len(full.entries))
	for i, e := range full.entries {
		full.text[i] = searchText(e)
	}
	if vs.bundled {
		x, _ := s.expansions.LoadOrStore(vs.def.URL, full)
		full = x.(*fullExpansion)
	}
	return full, nil
}

// includeEntries returns the codes one compose.include (or exclude) selects.
func (s *Service) includeEntries(ctx context.Context, idx *index, vs *ValueSet, inc *defs.Include, depth int) ([]Entry, error) {
	var entries []Entry
	if inc.System != "" {
		cs, err := idx.codeSystem(inc.System, inc.Version)
		if err != nil {
			return nil, err
		}
		switch {
		case len(inc.Concept) > 0:
			for _, ref := range inc.Concept {
				e := Entry{System: inc.System, Version: inc.Version, Code: ref.Code, Display: ref.Display,
					Designations: designations(ref.Designation)}
				if cs != nil {
					c := cs.concept(ref.Code)
					if c == nil {
						if cs.complete() {
							continue // not a code of the system: not in the value set
						}
					} else {
						e = entryOf(cs, c)
						if ref.Display != "" {
							e.Display = ref.Display
						}
						if len(ref.Designation) > 0 {
							e.Designations = designations(ref.Designation)
						}
					}
				}
				entries = append(entries, e)
			}
		case cs == nil:
			return nil, notSupported("not-supported",
				"terminology: cannot expand %s: it includes %s code system %s, which is not bundled with this server (only explicitly listed codes of external systems such as SNOMED CT, LOINC, UCUM or ISO 4217 can be expanded)",
				vs.def.URL, includeWhat(inc), inc.System)
		case !cs.complete():
			return nil, notSupported("not-supported",
				"terminology: cannot expand %s: the bundled code system %s has content %q, not complete",
				vs.def.URL, inc.System, cs.def.Content)
		default:
			preds := make([]func(*concept) bool, 0, len(inc.Filter))
			for _, f := range inc.Filter {
				p, err := cs.filter(f)
				if err != nil {
					return nil, err
				}
				preds = append(preds, p)
			}
		concepts:
			for _, c := range cs.concepts {
				for _, p := range preds {
					if !p(c) {
						continue concepts
					}
				}
				entries = append(entries, entryOf(cs, c))
			}
		}
	}
	if len(inc.ValueSet) == 0 {
		return entries, nil
	}
	// Imported value sets: the intersection of all of them (and of the
	// system part, when there is one).
	for i, url := range inc.ValueSet {
		imported, ok := idx.valueSets[strings.SplitN(url, "|", 2)[0]]
		if !ok {
			return nil, notSupported("not-supported", "terminology: value set %s imports %s, which is not bundled", vs.def.URL, url)
		}
		full, err := s.expandFull(ctx, idx, imported, depth+1)
		if err != nil {
			return nil, err
		}
		if i == 0 && inc.System == "" {
			entries = slices.Clone(full.entries)
			continue
		}
		kept := entries[:0]
		for _, e := range entries {
			if _, in := full.keys[e.System+"|"+e.Code]; in {
				kept = append(kept, e)
			}
		}
		entries = kept
	}
	return entries, nil
}

func includeWhat(inc *defs.Include) string {
	if len(inc.Filter) > 0 {
		return "a filtered part of the"
	}
	return "all of the"
}

func entryOf(cs *codeSystem, c *concept) Entry {
	return Entry{System: cs.def.URL, Version: cs.def.Version, Code: c.def.Code, Display: c.def.Display,
		Abstract: c.abstract, Inactive: c.inactive, Designations: designations(c.def.Designation)}
}

// filter compiles a compose filter into a predicate over the concepts of cs.
func (cs *codeSystem) filter(f defs.Filter) (func(*concept) bool, error) {
	bad := func(format string, args ...any) error {
		return notSupported("not-supported", "terminology: filter %s %s %q on %s: "+format,
			append([]any{f.Property, f.Op, f.Value, cs.def.URL}, args...)...)
	}
	values := func() map[string]bool {
		m := map[string]bool{}
		for _, v := range strings.Split(f.Value, ",") {
			m[cs.key(strings.TrimSpace(v))] = true
		}
		return m
	}
	switch f.Property {
	case "concept", "code":
		switch f.Op {
		case "is-a", "descendent-of", "is-not-a", "generalizes":
			target := cs.concept(f.Value)
			if target == nil {
				if f.Op == "is-not-a" {
					return func(*concept) bool { return true }, nil
				}
				return func(*concept) bool { return false }, nil
			}
			switch f.Op {
			case "is-a":
				return func(c *concept) bool { return isA(c, target) }, nil
			case "descendent-of":
				return func(c *concept) bool { return c != target && isA(c, target) }, nil
			case "is-not-a":
				return func(c *concept) bool { return !isA(c, target) }, nil
			default:
				return func(c *concept) bool { return isA(target, c) }, nil
			}
		case "=":
			return func(c *concept) bool { return cs.key(c.def.Code) == cs.key(f.Value) }, nil
		case "in", "not-in":
			set, in := values(), f.Op == "in"
			return func(c *concept) bool { return set[cs.key(c.def.Code)] == in }, nil
		case "regex":
			re, err := regexp.Compile("^(?:" + f.Value + ")$")
			if err != nil {
				return nil, bad("%v", err)
			}
			return func(c *concept) bool { return re.MatchString(c.def.Code) }, nil
		}
		return nil, bad("operator not supported")
	case "display":
		switch f.Op {
		case "=":
			return func(c *concept) bool { return c.def.Display == f.Value }, nil
		case "regex":
			re, err := regexp.Compile("^(?:" + f.Value + ")$")
			if err != nil {
				return nil, bad("%v", err)
			}
			return func(c *concept) bool { return re.MatchString(c.def.Display) }, nil
		}
		return nil, bad("operator not supported")
	case "parent", "child":
		if f.Op != "=" && f.Op != "in" {
			return nil, bad("operator not supported")
		}
		set := values()
		return func(c *concept) bool {
			rel := c.parents
			if f.Property == "child" {
				rel = c.children
			}
			for _, r := range rel {
				if set[cs.key(r.def.Code)] {
					return true
				}
			}
			return false
		}, nil
	}
	if _, declared := cs.propTypes[f.Property]; !declared {
		return nil, bad("the code system declares no such property")
	}
	switch f.Op {
	case "=", "in", "not-in":
		set := map[string]bool{}
		for _, v := range strings.Split(f.Value, ",") {
			set[strings.TrimSpace(v)] = true
		}
		if f.Op == "=" {
			set = map[string]bool{f.Value: true}
		}
		want := f.Op != "not-in"
		return func(c *concept) bool {
			for _, p := range c.def.Property {
				if p.Code == f.Property && set[propertyText(p)] {
					return want
				}
			}
			return !want
		}, nil
	case "regex":
		re, err := regexp.Compile("^(?:" + f.Value + ")$")
		if err != nil {
			return nil, bad("%v", err)
		}
		return func(c *concept) bool {
			for _, p := range c.def.Property {
				if p.Code == f.Property && re.MatchString(propertyText(p)) {
					return true
				}
			}
			return false
		}, nil
	case "exists":
		want := f.Value != "false"
		return func(c *concept) bool {
			for _, p := range c.def.Property {
				if p.Code == f.Property {
					return want
				}
			}
			return !want
		}, nil
	}
	return nil, bad("operator not supported")
}

// propertyText is a property value as text, for filters.
func propertyText(p defs.Property) string {
	switch {
	case p.ValueCode != "":
		return p.ValueCode
	case p.ValueCoding != nil:
		return p.ValueCoding.Code
	case p.ValueString != "":
		return p.ValueString
	case p.ValueBoolean != nil:
		return strconv.FormatBool(*p.ValueBoolean)
	case p.ValueInteger != nil:
		return strconv.FormatInt(*p.ValueInteger, 10)
	case p.ValueDecimal != nil:
		return strconv.FormatFloat(*p.ValueDecimal, 'f', -1, 64)
	}
	return p.ValueDateTime
}
