package model

// SearchParam is one SearchParameter of the R4 core (search-parameters.json).
type SearchParam struct {
	Code        string   // the name used in a URL: "birthdate"
	Name        string   // SearchParameter.name
	URL         string   // canonical URL
	Type        string   // number, date, string, token, reference, composite, quantity, uri, special
	Base        []string // resource types it applies to ("Resource" for _id, _lastUpdated...)
	Expression  string   // FHIRPath expression extracting the indexed values
	Target      []string // resource types a reference parameter may point to
	Modifier    []string
	Comparator  []string
	MultipleOr  bool
	MultipleAnd bool
	Chain       []string
	Component   []SearchComponent // for composite parameters
}

// SearchComponent is one component of a composite search parameter.
type SearchComponent struct {
	Definition string // canonical URL of the component's SearchParameter
	Expression string // FHIRPath relative to the composite's expression
}

// searchIndex maps resource type -> code -> parameter index into allSearchParams.
var searchIndex map[string]map[string]*SearchParam

func initSearchParams() {
	searchIndex = map[string]map[string]*SearchParam{}
	for i := range allSearchParams {
		p := &allSearchParams[i]
		for _, b := range p.Base {
			m := searchIndex[b]
			if m == nil {
				m = map[string]*SearchParam{}
				searchIndex[b] = m
			}
			m[p.Code] = p
		}
	}
}

// AllSearchParams returns all 1,378 core search parameters in bundle order.
// The slice is shared: do not modify it.
func AllSearchParams() []SearchParam { return allSearchParams }

// LookupSearchParam returns the parameter code of resourceType, including the
// parameters every resource has (base Resource or DomainResource: _id,
// _lastUpdated, _tag, _text...), or nil.
func LookupSearchParam(resourceType, code string) *SearchParam {
	if p := searchIndex[resourceType][code]; p != nil {
		return p
	}
	if t := LookupType(resourceType); t != nil && t.Kind == KindResource {
		for b := t.Base; b != ""; {
			if p := searchIndex[b][code]; p != nil {
				return p
			}
			bt := LookupType(b)
			if bt == nil {
				break
			}
			b = bt.Base
		}
	}
	return nil
}

// SearchParams returns the parameters that apply to resourceType: its own,
// then those of its base types (DomainResource, Resource), each group in
// bundle order. The result is a new slice of pointers into the shared table.
func SearchParams(resourceType string) []*SearchParam {
	var out []*SearchParam
	for t := LookupType(resourceType); t != nil; t = LookupType(t.Base) {
		for i := range allSearchParams {
			p := &allSearchParams[i]
			for _, b := range p.Base {
				if b == t.Name {
					out = append(out, p)
					break
				}
			}
		}
		if t.Base == "" {
			break
		}
	}
	return out
}

// PatientCompartment returns the search parameter codes that link a resource
// of resourceType to a Patient in the Patient compartment
// (CompartmentDefinition/patient), or nil when the type is not in it. The
// slice is shared: do not modify it.
func PatientCompartment(resourceType string) []string {
	return patientCompartment[resourceType]
}
