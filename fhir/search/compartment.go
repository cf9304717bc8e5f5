package search

import (
	"fmt"
	"net/url"
	"slices"

	"yigong/fhir"
	"yigong/fhir/model"
	"yigong/fhir/store"
)

// Compartment searches (http://hl7.org/fhir/R4/search.html#compartments,
// compartmentdefinition.html): GET [base]/Patient/1/Observation?code=x is
// Observation?code=x restricted to the resources in the compartment of
// Patient/1, those that reference it through any of the compartment's
// parameters of their type (Observation: subject or performer), and
// Patient/1/* the same over every type of the compartment. The generated
// model holds the Patient CompartmentDefinition only; the Encounter,
// RelatedPerson, Practitioner and Device compartments are not supported.

// Compartments lists the compartment types CompartmentFilter knows.
func Compartments() []string { return []string{"Patient"} }

// CompartmentTypes returns the resource types in compartment (nil when the
// compartment is not supported).
func CompartmentTypes(compartment string) []string {
	if compartment != "Patient" {
		return nil
	}
	var out []string
	for _, t := range model.ResourceTypes() {
		if len(model.PatientCompartment(t)) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// CompartmentFilter returns the filter selecting the resources of
// resourceType ("*" or "": every type of the compartment) in the
// compartment of compartment/id: one alternative per compartment
// parameter (restricted to its type for "*"), and for the owner's own type
// the owner itself ({def} in the CompartmentDefinition).
func CompartmentFilter(ps Params, compartment, id, resourceType string) (store.Filter, error) {
	types := CompartmentTypes(compartment)
	if types == nil {
		return store.Filter{}, fhir.Errorf(fhir.KindNotSupported, "search: the %s compartment is not supported (only %v)", compartment, Compartments())
	}
	if id == "" {
		return store.Filter{}, fhir.Errorf(fhir.KindInvalid, "search: compartment %s without an id", compartment)
	}
	all := resourceType == "" || resourceType == "*"
	if !all {
		if !slices.Contains(types, resourceType) {
			return store.Filter{}, &fhir.Error{Kind: fhir.KindInvalid, Msg: "search: compartment",
				Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "invalid",
					Diagnostic: fmt.Sprintf("%s is not in the %s compartment", resourceType, compartment)}}}
		}
		types = []string{resourceType}
	}
	var f store.Filter
	for _, t := range types {
		onType := ""
		if all {
			onType = t
		}
		if t == compartment {
			f.AnyOf = append(f.AnyOf, store.Filter{OnType: onType, Param: store.ParamID, Values: []store.FilterValue{{Code: id}}})
		}
		for _, code := range model.PatientCompartment(t) {
			if def := ps.Lookup(t, code); def == nil || def.Type != "reference" {
				continue // not a reference parameter of this server
			}
			f.AnyOf = append(f.AnyOf, store.Filter{OnType: onType, Param: code, Type: store.ParamReference,
				Values: []store.FilterValue{{RefType: compartment, RefID: id}}})
		}
	}
	if len(f.AnyOf) == 0 {
		return store.Filter{}, fhir.Errorf(fhir.KindNotSupported, "search: %s has no searchable parameter of the %s compartment", resourceType, compartment)
	}
	return f, nil
}

// ParseCompartment parses a compartment search: q on resourceType ("*"
// for every type of the compartment, which then takes the parameters
// common to all resources and _type to narrow the types) within the
// compartment of compartment/id.
func ParseCompartment(ps Params, compartment, id, resourceType string, q url.Values, opts ParseOptions) (*Plan, error) {
	f, err := CompartmentFilter(ps, compartment, id, resourceType)
	if err != nil {
		return nil, err
	}
	all := resourceType == "*"
	typ := resourceType
	if all {
		typ = ""
	}
	plan, err := Parse(ps, typ, q, opts)
	if err != nil {
		return nil, err
	}
	if all {
		types := CompartmentTypes(compartment)
		if len(plan.Query.Types) > 0 {
			var keep []string
			for _, t := range plan.Query.Types {
				if slices.Contains(types, t) {
					keep = append(keep, t)
				}
			}
			types = keep
		}
		if len(types) == 0 {
			f = store.Filter{Param: store.ParamID, Modifier: "missing", Values: []store.FilterValue{{Missing: true}}} // matches nothing
		}
		plan.Query.Types = types
	}
	plan.Query.Filters = append(plan.Query.Filters, f)
	return plan, nil
}
