package terminology

import (
	"context"

	"yigong/fhir"
)

// Concept is the answer of Lookup: a concept with its display,
// designations, properties and neighbours in the hierarchy.
type Concept struct {
	System, Version, Name string // the code system's URL, version and name
	Code, Display         string
	Definition            string
	Abstract, Inactive    bool
	Designations          []Designation
	Properties            []Property // the concept's own properties, as defined
	Parents, Children     []string   // codes
}

// Property is one property of a concept. Type is the FHIR type of Value:
// code, Coding, string, integer, boolean, dateTime or decimal; for Coding,
// Coding holds the value.
type Property struct {
	Code, Type, Value string
	Coding            *Coding
}

// Lookup returns the details of system#code
// (http://hl7.org/fhir/R4/codesystem-operation-lookup.html). An unknown
// code system or code is an error of kind fhir.KindNotFound.
func (s *Service) Lookup(ctx context.Context, system, version, code string) (*Concept, error) {
	cs, c, err := s.find(system, version, code)
	if err != nil {
		return nil, err
	}
	out := &Concept{System: cs.def.URL, Version: cs.def.Version, Name: cs.def.Name, Code: c.def.Code,
		Display: c.def.Display, Definition: c.def.Definition, Abstract: c.abstract, Inactive: c.inactive,
		Designations: designations(c.def.Designation)}
	if out.Name == "" {
		out.Name = cs.def.Title
	}
	for _, p := range c.def.Property {
		prop := Property{Code: p.Code, Value: propertyText(p)}
		switch {
		case p.ValueCode != "":
			prop.Type = "code"
		case p.ValueCoding != nil:
			prop.Type = "Coding"
			prop.Coding = &Coding{System: p.ValueCoding.System, Version: p.ValueCoding.Version, Code: p.ValueCoding.Code, Display: p.ValueCoding.Display}
		case p.ValueString != "":
			prop.Type = "string"
		case p.ValueBoolean != nil:
			prop.Type = "boolean"
		case p.ValueInteger != nil:
			prop.Type = "integer"
		case p.ValueDecimal != nil:
			prop.Type = "decimal"
		default:
			prop.Type = "dateTime"
		}
		out.Properties = append(out.Properties, prop)
	}
	for _, p := range c.parents {
		out.Parents = append(out.Parents, p.def.Code)
	}
	for _, ch := range c.children {
		out.Children = append(out.Children, ch.def.Code)
	}
	return out, nil
}

// find returns a bundled code system and one of its concepts.
func (s *Service) find(system, version, code string) (*codeSystem, *concept, error) {
	idx, err := s.index()
	if err != nil {
		return nil, nil, err
	}
	cs, err := idx.codeSystem(system, version)
	if err != nil {
		return nil, nil, err
	}
	if cs == nil {
		return nil, nil, fhir.Errorf(fhir.KindNotFound, "terminology: the code system %s is not known to this server", system)
	}
	c := cs.concept(code)
	if c == nil {
		if !cs.complete() {
			return nil, nil, notSupported("not-supported", "terminology: the bundled code system %s has content %q: %q is not in it",
				system, cs.def.Content, code)
		}
		return nil, nil, fhir.Errorf(fhir.KindNotFound, "terminology: %q is not a code of the code system %s", code, system)
	}
	return cs, c, nil
}

// Subsumption is the outcome of Subsumes.
type Subsumption string

// Subsumption outcomes (http://hl7.org/fhir/concept-subsumption-outcome).
const (
	Equivalent  Subsumption = "equivalent"
	Subsumes    Subsumption = "subsumes"
	SubsumedBy  Subsumption = "subsumed-by"
	NotSubsumed Subsumption = "not-subsumed"
)

// Subsumes tests the subsumption relationship between codeA and codeB of
// the code system (http://hl7.org/fhir/R4/codesystem-operation-subsumes.html):
// "subsumes" when codeA is an ancestor of codeB. It needs an is-a
// hierarchy: a code system declaring another hierarchyMeaning is an error
// of kind fhir.KindNotSupported.
func (s *Service) Subsumes(ctx context.Context, system, version, codeA, codeB string) (Subsumption, error) {
	cs, a, err := s.find(system, version, codeA)
	if err != nil {
		return "", err
	}
	_, b, err := s.find(system, version, codeB)
	if err != nil {
		return "", err
	}
	if hm := cs.def.HierarchyMeaning; hm != "" && hm != "is-a" {
		return "", notSupported("not-supported", "terminology: the hierarchy of %s means %q, not is-a: subsumption is not defined", system, hm)
	}
	switch {
	case a == b:
		return Equivalent, nil
	case isA(b, a):
		return Subsumes, nil
	case isA(a, b):
		return SubsumedBy, nil
	}
	return NotSubsumed, nil
}
