package fhirpath

import (
	"yigong/fhir"
	"yigong/fhir/model"
)

// checkElement reports an error when name cannot be an element of any item
// of in: every item is a node whose type is known exactly (a root resource,
// or an element declared with a single concrete type) and none of those
// types defines name. This is FHIRPath's static check of path names
// (Patient.name.given1, Observation.valueQuantity) done at run time; items
// of polymorphic or unknown type never trigger it. Without the generated
// model nothing is checked.
func checkElement(in Collection, name string, term bool) error {
	var typeName string
	for _, it := range in {
		n := it.node
		if n == nil {
			return nil
		}
		has, known := elementDefined(n, name)
		if !known || has {
			return nil
		}
		if term && n.Def == nil && fhirDerives(n.Type, name) {
			return nil
		}
		typeName = n.Type
	}
	if typeName == "" {
		return nil
	}
	return errorf("%s has no element %q", typeName, name)
}

// elementDefined reports whether the node's type defines an element name
// (known=false when the type cannot be determined exactly).
func elementDefined(n *fhir.Node, name string) (has, known bool) {
	var t *model.Type
	var path string
	if n.Def != nil {
		if len(n.Def.Types) != 1 && n.Def.ContentReference == "" {
			return false, false
		}
		if len(n.Def.Types) == 1 {
			code := n.Def.Types[0].Code
			if code == "Resource" || code == "DomainResource" || code != n.Type && !(code == "BackboneElement" || code == "Element") {
				return false, false
			}
		}
		t, path = n.Def.Structure(n.Type)
	} else {
		t, path = model.LookupType(n.Type), n.Type
	}
	if t == nil {
		return false, false
	}
	want := path + "." + name
	if t.Element(want) != nil || t.Element(want+"[x]") != nil {
		return true, true
	}
	return false, true
}
