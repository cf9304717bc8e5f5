package model

import (
	"sort"
	"strings"
)

// typeIndexData is the per-type index built once at package initialisation
// from the read-only generated tables.
type typeIndexData struct {
	byPath   map[string]*Element   // element by path (slices excluded)
	byID     map[string]*Element   // element by id (slices included)
	children map[string][]*Element // direct children by parent path (slices excluded)
	byParent map[string][]*Element // direct children by parent element id (slices included)
	byJSON   map[string]map[string]JSONChild
}

// JSONChild is what a JSON property name resolves to under a parent element:
// the element and, for a choice element, the type selected by the suffix.
type JSONChild struct {
	Element *Element
	Type    string // the type code of the value ("Quantity" for valueQuantity); "" when the element has several types and is not a choice
	Order   int    // position of Element among its siblings (definition order)
}

var (
	typeByName    map[string]*Type
	typeByURL     map[string]*Type
	resourceNames []string
)

func init() {
	typeByName = make(map[string]*Type, len(allTypes))
	typeByURL = make(map[string]*Type, len(allTypes))
	for _, t := range allTypes {
		typeByURL[t.URL] = t
		if t.Derivation != "constraint" {
			typeByName[t.Name] = t
			if t.Kind == KindResource && !t.Abstract {
				resourceNames = append(resourceNames, t.Name)
			}
		}
		t.index = buildIndex(t)
	}
	sort.Strings(resourceNames)
	initSearchParams()
	initValueSets()
}

func buildIndex(t *Type) *typeIndexData {
	x := &typeIndexData{
		byPath:   make(map[string]*Element, len(t.Elements)+1),
		byID:     make(map[string]*Element, len(t.Elements)+1),
		children: map[string][]*Element{},
		byParent: map[string][]*Element{},
		byJSON:   map[string]map[string]JSONChild{},
	}
	all := append([]*Element{t.Root}, t.Elements...)
	for _, e := range all {
		e.owner = t
		if e.ID == "" {
			e.ID = e.Path
		}
		x.byID[e.ID] = e
		if e != t.Root {
			if i := strings.LastIndexByte(e.ID, '.'); i > 0 {
				x.byParent[e.ID[:i]] = append(x.byParent[e.ID[:i]], e)
			}
		}
		if e.ID != e.Path { // inside a slice
			continue
		}
		x.byPath[e.Path] = e
		if e == t.Root {
			continue
		}
		parent := e.Path[:strings.LastIndexByte(e.Path, '.')]
		x.children[parent] = append(x.children[parent], e)
		m := x.byJSON[parent]
		if m == nil {
			m = map[string]JSONChild{}
			x.byJSON[parent] = m
		}
		order := len(x.children[parent]) - 1
		if e.Choice {
			for _, tr := range e.Types {
				m[e.JSONName(tr.Code)] = JSONChild{Element: e, Type: tr.Code, Order: order}
			}
			continue
		}
		var code string
		if len(e.Types) == 1 {
			code = e.Types[0].Code
		}
		m[e.Name] = JSONChild{Element: e, Type: code, Order: order}
	}
	// A contentReference element has the type of the element it references.
	for _, m := range x.byJSON {
		for k, c := range m {
			if r := c.Element.ContentReference; r != "" {
				if ref := x.byPath[strings.TrimPrefix(r, "#")]; ref != nil && len(ref.Types) == 1 {
					c.Type = ref.Types[0].Code
					m[k] = c
				}
			}
		}
	}
	return x
}

// LookupType returns the definition of the named type ("Patient",
// "HumanName", "string"), or nil if R4 has no such type. Constraint profiles
// are not types; find them with [LookupProfile].
func LookupType(name string) *Type {
	return typeByName[name]
}

// LookupProfile returns the StructureDefinition with the canonical URL url
// (a base type or a constraint profile such as
// http://hl7.org/fhir/StructureDefinition/SimpleQuantity); a "|version"
// suffix is ignored. It returns nil when the bundles have no such definition.
func LookupProfile(url string) *Type {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	return typeByURL[url]
}

// AllTypes returns every type and profile of the tables, sorted by URL. The
// slice is shared: do not modify it.
func AllTypes() []*Type { return allTypes }

// ResourceTypes returns the names of the concrete (non-abstract) resource
// types, sorted. The slice is shared: do not modify it.
func ResourceTypes() []string { return resourceNames }

// IsResourceType reports whether name is a concrete resource type.
func IsResourceType(name string) bool {
	t := typeByName[name]
	return t != nil && t.Kind == KindResource && !t.Abstract
}

// Element returns the element of t's snapshot at path ("Patient.contact.name",
// "Observation.value[x]"; the path of the root element returns Root). A path
// through a contentReference ("Questionnaire.item.item.linkId") resolves to
// the referenced definition. It returns nil when there is no such element.
func (t *Type) Element(path string) *Element {
	if t == nil {
		return nil
	}
	if e := t.index.byPath[path]; e != nil {
		return e
	}
	// Follow contentReferences: find the longest prefix that is a reference.
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		e := t.element(path[:i])
		if e != nil && e.ContentReference != "" {
			return t.Element(strings.TrimPrefix(e.ContentReference, "#") + path[i:])
		}
	}
	return nil
}

func (t *Type) element(path string) *Element {
	if e := t.index.byPath[path]; e != nil {
		return e
	}
	return t.Element(path)
}

// ElementByID returns the element with the given element id, including the
// elements of a profile's slices ("Observation.code.coding:BodyWeightCode").
func (t *Type) ElementByID(id string) *Element {
	if t == nil {
		return nil
	}
	return t.index.byID[id]
}

// ChildrenByID returns the direct children of the element with the given
// element id, slices included: for a profile, the children of
// "Observation.value[x]:valueQuantity" are its own constrained elements. A
// child that starts a slice has a SliceName. The slice is shared: do not
// modify it.
func (t *Type) ChildrenByID(id string) []*Element {
	if t == nil {
		return nil
	}
	return t.index.byParent[id]
}

// Children returns the direct children of the element at path, in definition
// order, following a contentReference ("Questionnaire.item.item" yields the
// children of "Questionnaire.item"). Slices of profiles are not included. For
// an element of a complex type defined elsewhere (HumanName...) the children
// are those of that type: LookupType(code).Children(code). The slice is
// shared: do not modify it.
func (t *Type) Children(path string) []*Element {
	if t == nil {
		return nil
	}
	if cs, ok := t.index.children[path]; ok {
		return cs
	}
	if e := t.Element(path); e != nil && e.ContentReference != "" {
		return t.index.children[strings.TrimPrefix(e.ContentReference, "#")]
	}
	return nil
}

// ChildByJSONName resolves the JSON property name (valueQuantity, birthDate)
// of a child of the element at path, following a contentReference. ok is
// false when the element has no such child.
func (t *Type) ChildByJSONName(path, name string) (c JSONChild, ok bool) {
	if t == nil {
		return JSONChild{}, false
	}
	if m, found := t.index.byJSON[path]; found {
		c, ok = m[name]
		return c, ok
	}
	if e := t.Element(path); e != nil && e.ContentReference != "" {
		c, ok = t.index.byJSON[strings.TrimPrefix(e.ContentReference, "#")][name]
	}
	return c, ok
}

// Owner returns the type (or profile) whose snapshot defines e.
func (e *Element) Owner() *Type { return e.owner }

// Structure returns where the children of a value of element e with type
// code typeCode are defined: the type and the path to pass to Children and
// ChildByJSONName. A backbone element is its own structure (owner, e.Path), a
// contentReference points to the referenced path, and any other type is
// defined by its own StructureDefinition (LookupType(code), code). t is nil
// when typeCode is unknown.
//
// For an element of a profile whose snapshot constrains the value's children
// inline, path is the element id ("Observation.value[x]:valueQuantity"),
// which equals the path outside slices; use it with ChildrenByID.
func (e *Element) Structure(typeCode string) (t *Type, path string) {
	if e.ContentReference != "" {
		return e.owner, strings.TrimPrefix(e.ContentReference, "#")
	}
	if typeCode == "BackboneElement" || typeCode == "Element" {
		if _, ok := e.owner.index.byParent[e.ID]; ok {
			return e.owner, e.ID
		}
	}
	if e.owner != nil && e.owner.Derivation == "constraint" {
		// A profile's snapshot holds the constrained children inline.
		if _, ok := e.owner.index.byParent[e.ID]; ok {
			return e.owner, e.ID
		}
	}
	t = LookupType(typeCode)
	if t == nil {
		return nil, ""
	}
	return t, t.Name
}

// HasType reports whether code is one of e's allowed type codes.
func (e *Element) HasType(code string) bool {
	for _, t := range e.Types {
		if t.Code == code {
			return true
		}
	}
	return false
}
