package terminology

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"yigong/fhir"
	"yigong/fhir/fhirpath"
	"yigong/fhir/terminology/internal/defs"
)

//go:embed definitions.json.gz
var definitionsGz []byte

// Service answers terminology questions over the bundled R4 code systems
// and value sets. The zero value is not usable; call New.
type Service struct {
	once sync.Once
	idx  *index
	err  error

	expansions sync.Map // value set URL -> *fullExpansion, bundled sets only
}

var _ fhirpath.Terminology = (*Service)(nil)

// New returns a Service. The definitions are loaded on first use.
func New() *Service { return &Service{} }

// Load decompresses and indexes the definitions if that has not happened
// yet. Every other method calls it; call it at start-up to move the cost
// (tens of milliseconds) out of the first request.
func (s *Service) Load() error {
	_, err := s.index()
	return err
}

func (s *Service) index() (*index, error) {
	s.once.Do(func() { s.idx, s.err = load(definitionsGz) })
	return s.idx, s.err
}

// index is the loaded, immutable form of the definitions.
type index struct {
	source      string
	codeSystems map[string]*codeSystem
	valueSets   map[string]*ValueSet
	valueSetIDs map[string]*ValueSet
}

type codeSystem struct {
	def           *defs.CodeSystem
	caseSensitive bool
	concepts      []*concept // depth-first definition order
	byCode        map[string]*concept
	propTypes     map[string]string
}

type concept struct {
	def      *defs.Concept
	parents  []*concept
	children []*concept
	abstract bool
	inactive bool
}

func load(gz []byte) (*index, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("terminology: definitions: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("terminology: definitions: %w", err)
	}
	var f defs.File
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("terminology: definitions: %w", err)
	}
	idx := &index{
		source:      f.Source,
		codeSystems: make(map[string]*codeSystem, len(f.CodeSystems)),
		valueSets:   make(map[string]*ValueSet, len(f.ValueSets)),
		valueSetIDs: make(map[string]*ValueSet, len(f.ValueSets)),
	}
	for i := range f.CodeSystems {
		cs := newCodeSystem(&f.CodeSystems[i])
		idx.codeSystems[cs.def.URL] = cs
	}
	for i := range f.ValueSets {
		vs := &ValueSet{def: &f.ValueSets[i], bundled: true}
		idx.valueSets[vs.def.URL] = vs
		if vs.def.ID != "" {
			idx.valueSetIDs[vs.def.ID] = vs
		}
	}
	return idx, nil
}

func newCodeSystem(def *defs.CodeSystem) *codeSystem {
	cs := &codeSystem{def: def, caseSensitive: def.CaseSensitive == nil || *def.CaseSensitive,
		byCode: map[string]*concept{}, propTypes: map[string]string{}}
	for _, p := range def.Property {
		cs.propTypes[p.Code] = p.Type
	}
	var walk func(list []defs.Concept, parent *concept)
	walk = func(list []defs.Concept, parent *concept) {
		for i := range list {
			d := &list[i]
			c := cs.byCode[cs.key(d.Code)]
			if c == nil {
				c = &concept{def: d}
				cs.byCode[cs.key(d.Code)] = c
				cs.concepts = append(cs.concepts, c)
			}
			if parent != nil {
				link(parent, c)
			}
			for _, p := range d.Property {
				switch p.Code {
				case "notSelectable", "abstract":
					c.abstract = c.abstract || p.ValueBoolean != nil && *p.ValueBoolean
				case "inactive":
					c.inactive = c.inactive || p.ValueBoolean != nil && *p.ValueBoolean
				case "status":
					c.inactive = c.inactive || p.ValueCode == "retired" || p.ValueCode == "inactive"
				}
			}
			walk(d.Concept, c)
		}
	}
	walk(def.Concept, nil)
	// Hierarchy stated by properties (polyhierarchies of the v3 systems).
	for _, c := range cs.concepts {
		for _, p := range c.def.Property {
			other := cs.byCode[cs.key(p.ValueCode)]
			if other == nil || other == c {
				continue
			}
			switch p.Code {
			case "parent", "subsumedBy":
				link(other, c)
			case "child":
				link(c, other)
			}
		}
	}
	return cs
}

func link(parent, child *concept) {
	for _, p := range child.parents {
		if p == parent {
			return
		}
	}
	child.parents = append(child.parents, parent)
	parent.children = append(parent.children, child)
}

func (cs *codeSystem) key(code string) string {
	if cs.caseSensitive {
		return code
	}
	return strings.ToLower(code)
}

func (cs *codeSystem) concept(code string) *concept { return cs.byCode[cs.key(code)] }

// complete reports whether the bundle holds every concept of the system.
func (cs *codeSystem) complete() bool {
	return cs.def.Content == "" || cs.def.Content == "complete"
}

// isA reports whether c is a or a descendant of ancestor.
func isA(c, ancestor *concept) bool {
	if c == ancestor {
		return true
	}
	return descendsFrom(c, ancestor, 0)
}

func descendsFrom(c, ancestor *concept, depth int) bool {
	if depth > 64 { // a cycle in the data; no real hierarchy is this deep
		return false
	}
	for _, p := range c.parents {
		if p == ancestor || descendsFrom(p, ancestor, depth+1) {
			return true
		}
	}
	return false
}

// codeSystem returns the bundled code system with url ("" and nil when
// unknown), checking a requested version.
func (idx *index) codeSystem(url, version string) (*codeSystem, error) {
	if u, v, ok := strings.Cut(url, "|"); ok {
		url, version = u, v
	}
	cs := idx.codeSystems[url]
	if cs == nil {
		return nil, nil
	}
	if version != "" && cs.def.Version != "" && version != cs.def.Version {
		return nil, fhir.Errorf(fhir.KindNotFound, "terminology: version %q of code system %s is not known (bundled: %s)",
			version, url, cs.def.Version)
	}
	return cs, nil
}

// ValueSet is a value set definition: one of the bundle (ValueSet), or one
// given by a caller (ParseValueSet).
type ValueSet struct {
	def     *defs.ValueSet
	bundled bool
}

// URL returns the canonical URL of the value set.
func (v *ValueSet) URL() string { return v.def.URL }

// ID returns the logical id of a bundled value set.
func (v *ValueSet) ID() string { return v.def.ID }

// Version returns the business version.
func (v *ValueSet) Version() string { return v.def.Version }

// Name returns the computer-friendly name.
func (v *ValueSet) Name() string { return v.def.Name }

// Title returns the human-friendly name.
func (v *ValueSet) Title() string { return v.def.Title }

// Status returns the publication status.
func (v *ValueSet) Status() string { return v.def.Status }

// ParseValueSet reads a ValueSet resource given as FHIR JSON (as passed in
// the valueSet parameter of $expand and $validate-code). Only the
// definition (url, version, name, compose) is read.
func ParseValueSet(b []byte) (*ValueSet, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: value set: %v", err)
	}
	if head.ResourceType != "ValueSet" {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: a ValueSet is required, not %q", head.ResourceType)
	}
	var def defs.ValueSet
	if err := json.Unmarshal(b, &def); err != nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: value set: %v", err)
	}
	if def.Compose == nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: the value set %s has no compose to expand", def.URL)
	}
	return &ValueSet{def: &def}, nil
}

// ValueSet returns the bundled value set with the canonical URL url (a
// "|version" suffix must match the bundled version).
func (s *Service) ValueSet(url string) (*ValueSet, bool) {
	idx, err := s.index()
	if err != nil {
		return nil, false
	}
	u, version, _ := strings.Cut(url, "|")
	vs := idx.valueSets[u]
	if vs == nil || version != "" && vs.def.Version != "" && version != vs.def.Version {
		return nil, false
	}
	return vs, true
}

// ValueSetByID returns the bundled value set with logical id id.
func (s *Service) ValueSetByID(id string) (*ValueSet, bool) {
	idx, err := s.index()
	if err != nil {
		return nil, false
	}
	vs := idx.valueSetIDs[id]
	return vs, vs != nil
}

// HasCodeSystem reports whether the code system url is bundled.
func (s *Service) HasCodeSystem(url string) bool {
	idx, err := s.index()
	return err == nil && idx.codeSystems[url] != nil
}

// Stats reports how many code systems, concepts and value sets are loaded.
func (s *Service) Stats() (codeSystems, concepts, valueSets int, err error) {
	idx, err := s.index()
	if err != nil {
		return 0, 0, 0, err
	}
	for _, cs := range idx.codeSystems {
		concepts += len(cs.concepts)
	}
	return len(idx.codeSystems), concepts, len(idx.valueSets), nil
}

// Coding is a code with its system, as validated or looked up.
type Coding struct {
	System, Version, Code, Display string
}

// Designation is an additional representation of a concept (another
// language, a synonym).
type Designation struct {
	Language string
	Use      *Coding
	Value    string
}

func designations(ds []defs.Designation) []Designation {
	if len(ds) == 0 {
		return nil
	}
	out := make([]Designation, len(ds))
	for i, d := range ds {
		out[i] = Designation{Language: d.Language, Value: d.Value}
		if d.Use != nil {
			out[i].Use = &Coding{System: d.Use.System, Version: d.Use.Version, Code: d.Use.Code, Display: d.Use.Display}
		}
	}
	return out
}

func notSupported(code, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &fhir.Error{Kind: fhir.KindNotSupported, Msg: msg,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: code, Diagnostic: msg}}}
}
