package terminology

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"yigong/fhir"
	"yigong/fhir/fhirpath"
	"yigong/fhir/terminology/internal/defs"
)

// Validation is the answer of ValidateCode and ValidateCodeInSystem
// (the result, message and display output parameters).
type Validation struct {
	Result  bool
	Message string
	Display string // the code's display in the code system or value set
	Coding  Coding // the coding the answer is about (for a CodeableConcept, the valid one or the first)
}

// membership is the tri-state answer of a rule check.
type membership int

const (
	notMember membership = iota
	member
	unknown // the rules cannot decide (an unbundled code system)
)

// ValidateCode checks codings against a value set
// (http://hl7.org/fhir/R4/valueset-operation-validate-code.html): one
// coding for the code+system and Coding forms, all codings of a
// CodeableConcept, of which one must be valid. A wrong display makes the
// result false with a message naming the expected display. A coding
// without a system matches a code of any system of the value set.
//
// When membership cannot be decided (the value set draws codes of the
// coding's system from a code system the bundle does not hold), the answer
// is an error of kind fhir.KindNotSupported, never a false result.
func (s *Service) ValidateCode(ctx context.Context, vs *ValueSet, codings []Coding) (*Validation, error) {
	idx, err := s.index()
	if err != nil {
		return nil, err
	}
	if len(codings) == 0 {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: validate-code: no code given")
	}
	var first *Validation
	var undecided error
	for _, cd := range codings {
		if cd.Code == "" {
			continue
		}
		m, e, err := s.contains(ctx, idx, vs, cd.System, cd.Code, 0)
		if err != nil {
			return nil, err
		}
		v := &Validation{Coding: cd}
		switch m {
		case member:
			v.Result, v.Display = true, e.Display
			if cd.Display != "" && !displayMatches(e, cd.Display) {
				v.Result = false
				v.Message = fmt.Sprintf("the display %q is not a display of %s#%s; expected %q", cd.Display, e.System, e.Code, e.Display)
			}
		case unknown:
			undecided = notSupported("not-supported",
				"terminology: cannot tell whether %s#%s is in %s: the code system is not bundled with this server", cd.System, cd.Code, vs.def.URL)
			continue
		default:
			v.Message = fmt.Sprintf("the code %s is not in the value set %s", codingText(cd), vs.def.URL)
			if cd.System != "" && !vs.drawsFrom(cd.System) {
				v.Message += fmt.Sprintf(" (the value set has no codes of the system %s)", cd.System)
			}
		}
		if v.Result {
			return v, nil
		}
		if first == nil {
			first = v
		}
	}
	switch {
	case undecided != nil: // one undecided coding may be the valid one
		return nil, undecided
	case first == nil:
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: validate-code: no code given")
	}
	return first, nil
}

// ValidateCodeInSystem checks codings against the code system url
// (http://hl7.org/fhir/R4/codesystem-operation-validate-code.html): the
// code must exist there (codings of other systems are invalid), and a given
// display must be one of its displays. An unbundled code system is an error
// of kind fhir.KindNotFound.
func (s *Service) ValidateCodeInSystem(ctx context.Context, url, version string, codings []Coding) (*Validation, error) {
	idx, err := s.index()
	if err != nil {
		return nil, err
	}
	cs, err := idx.codeSystem(url, version)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return nil, fhir.Errorf(fhir.KindNotFound, "terminology: the code system %s is not known to this server", url)
	}
	if len(codings) == 0 {
		return nil, fhir.Errorf(fhir.KindInvalid, "terminology: validate-code: no code given")
	}
	var first *Validation
	for _, cd := range codings {
		v := &Validation{Coding: cd}
		switch c := cs.concept(cd.Code); {
		case cd.System != "" && cd.System != cs.def.URL:
			v.Message = fmt.Sprintf("the coding's system %s is not the code system %s", cd.System, cs.def.URL)
		case c == nil && !cs.complete():
			return nil, notSupported("not-supported", "terminology: the bundled code system %s has content %q: cannot tell whether %q is a code of it",
				cs.def.URL, cs.def.Content, cd.Code)
		case c == nil:
			v.Message = fmt.Sprintf("%q is not a code of the code system %s", cd.Code, cs.def.URL)
		default:
			e := entryOf(cs, c)
			v.Result, v.Display = true, e.Display
			if cd.Display != "" && !displayMatches(e, cd.Display) {
				v.Result = false
				v.Message = fmt.Sprintf("the display %q is not a display of %s#%s; expected %q", cd.Display, e.System, e.Code, e.Display)
			}
		}
		if v.Result {
			return v, nil
		}
		if first == nil {
			first = v
		}
	}
	return first, nil
}

func displayMatches(e Entry, display string) bool {
	if e.Display == "" || strings.EqualFold(strings.TrimSpace(display), strings.TrimSpace(e.Display)) {
		return true
	}
	for _, d := range e.Designations {
		if strings.EqualFold(strings.TrimSpace(display), strings.TrimSpace(d.Value)) {
			return true
		}
	}
	return false
}

func codingText(c Coding) string {
	if c.System == "" {
		return fmt.Sprintf("%q", c.Code)
	}
	return c.System + "#" + c.Code
}

// drawsFrom reports whether the value set names system in its includes
// (directly; imports are not followed).
func (v *ValueSet) drawsFrom(system string) bool {
	if v.def.Compose == nil {
		return false
	}
	for _, inc := range v.def.Compose.Include {
		if inc.System == system || len(inc.ValueSet) > 0 {
			return true
		}
	}
	return false
}

// contains decides whether system#code is in vs by its rules, without
// expanding it, so value sets over unbundled systems are answered as far
// as their rules allow. e describes the code when it is a member.
func (s *Service) contains(ctx context.Context, idx *index, vs *ValueSet, system, code string, depth int) (membership, Entry, error) {
	if depth > maxImportDepth {
		return notMember, Entry{}, fhir.Errorf(fhir.KindInvalid, "terminology: value set %s: imports nested deeper than %d (a cycle?)", vs.def.URL, maxImportDepth)
	}
	// Bundled sets that expand are answered from the cached expansion.
	if vs.bundled {
		full, err := s.expandFull(ctx, idx, vs, depth)
		if err == nil {
			return full.lookup(system, code)
		}
		if fhir.KindOf(err) != fhir.KindNotSupported {
			return notMember, Entry{}, err
		}
	}
	c := vs.def.Compose
	if c == nil {
		return unknown, Entry{}, nil
	}
	result, found := notMember, Entry{}
	for i := range c.Include {
		m, e, err := s.includeContains(ctx, idx, &c.Include[i], system, code, depth)
		if err != nil {
			return notMember, Entry{}, err
		}
		if m == member && c.Inactive != nil && !*c.Inactive && e.Inactive {
			m = notMember
		}
		if m == member {
			result, found = member, e
			break
		}
		if m == unknown {
			result = unknown
		}
	}
	if result != member {
		return result, Entry{}, nil
	}
	for i := range c.Exclude {
		m, _, err := s.includeContains(ctx, idx, &c.Exclude[i], found.System, found.Code, depth)
		if err != nil {
			return notMember, Entry{}, err
		}
		if m == member {
			return notMember, Entry{}, nil
		}
		if m == unknown {
			return unknown, Entry{}, nil
		}
	}
	return member, found, nil
}

func (f *fullExpansion) lookup(system, code string) (membership, Entry, error) {
	if system != "" {
		if i, ok := f.keys[system+"|"+code]; ok {
			return member, f.entries[i], nil
		}
		return notMember, Entry{}, nil
	}
	for _, e := range f.entries {
		if e.Code == code {
			return member, e, nil
		}
	}
	return notMember, Entry{}, nil
}

func (s *Service) includeContains(ctx context.Context, idx *index, inc *defs.Include, system, code string, depth int) (membership, Entry, error) {
	result, e := member, Entry{System: system, Code: code}
	if inc.System != "" {
		if system != "" && system != inc.System {
			return notMember, Entry{}, nil
		}
		e.System = inc.System
		cs, err := idx.codeSystem(inc.System, inc.Version)
		if err != nil {
			return notMember, Entry{}, err
		}
		var c *concept
		if cs != nil {
			c = cs.concept(code)
			if c != nil {
				e = entryOf(cs, c)
			}
		}
		switch {
		case len(inc.Concept) > 0:
			listed := false
			for _, ref := range inc.Concept {
				if ref.Code == code || cs != nil && cs.key(ref.Code) == cs.key(code) {
					listed = true
					if ref.Display != "" {
						e.Display = ref.Display
					}
					if len(ref.Designation) > 0 {
						e.Designations = append(e.Designations, designations(ref.Designation)...)
					}
					break
				}
			}
			if !listed || cs != nil && cs.complete() && c == nil {
				return notMember, Entry{}, nil
			}
		case cs == nil || !cs.complete():
			if c == nil {
				return unknown, Entry{}, nil
			}
			if len(inc.Filter) > 0 {
				return unknown, Entry{}, nil
			}
		case c == nil:
			return notMember, Entry{}, nil
		default:
			for _, f := range inc.Filter {
				p, err := cs.filter(f)
				if err != nil {
					var fe *fhir.Error
					if errors.As(err, &fe) && fe.Kind == fhir.KindNotSupported {
						return unknown, Entry{}, nil
					}
					return notMember, Entry{}, err
				}
				if !p(c) {
					return notMember, Entry{}, nil
				}
			}
		}
	}
	for _, url := range inc.ValueSet {
		imported, ok := idx.valueSets[strings.SplitN(url, "|", 2)[0]]
		if !ok {
			return unknown, Entry{}, nil
		}
		m, ie, err := s.contains(ctx, idx, imported, e.System, code, depth+1)
		if err != nil {
			return notMember, Entry{}, err
		}
		switch m {
		case notMember:
			return notMember, Entry{}, nil
		case unknown:
			result = unknown
		default:
			if inc.System == "" {
				e = ie
			}
		}
	}
	return result, e, nil
}

// MemberOf implements fhirpath.Terminology: whether one of codings is in
// the value set. A value set that is not bundled, or whose membership
// cannot be decided, yields an error wrapping fhirpath.ErrUnknownValueSet
// (memberOf() is then empty).
func (s *Service) MemberOf(ctx context.Context, valueSet string, codings []fhirpath.Coding) (bool, error) {
	vs, ok := s.ValueSet(valueSet)
	if !ok {
		return false, fmt.Errorf("terminology: %s: %w", valueSet, fhirpath.ErrUnknownValueSet)
	}
	idx, err := s.index()
	if err != nil {
		return false, err
	}
	undecided := false
	for _, c := range codings {
		if c.Code == "" {
			continue
		}
		m, _, err := s.contains(ctx, idx, vs, c.System, c.Code, 0)
		if err != nil {
			return false, err
		}
		switch m {
		case member:
			return true, nil
		case unknown:
			undecided = true
		}
	}
	if undecided {
		return false, fmt.Errorf("terminology: %s: membership needs a code system that is not bundled: %w", valueSet, fhirpath.ErrUnknownValueSet)
	}
	return false, nil
}
