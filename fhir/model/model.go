package model

import "strings"

// Kind says what a StructureDefinition defines.
type Kind uint8

// Kinds of types (StructureDefinition.kind).
const (
	KindPrimitive Kind = iota + 1 // primitive-type: string, decimal, date...
	KindComplex                   // complex-type: HumanName, Quantity, BackboneElement...
	KindResource                  // resource: Patient, Bundle, Resource, DomainResource...
	KindLogical                   // logical models (not used by R4 core resources)
)

// Type is the definition of one FHIR type: a primitive, a complex data type or
// a resource, taken from its StructureDefinition snapshot.
type Type struct {
	Name     string     // "Patient", "HumanName", "string"
	URL      string     // canonical URL of the StructureDefinition
	Kind     Kind       // primitive, complex or resource
	Abstract bool       // Resource, DomainResource, Element, BackboneElement...
	Base     string     // name of the base type ("DomainResource"); "" at the root of the hierarchy
	Root     *Element   // the root element (path == Name): its constraints apply to the whole instance
	Elements []*Element // every element of the snapshot except the root, in snapshot order

	// Constrains is the type a constraint profile constrains ("Quantity" for
	// SimpleQuantity, "Observation" for vitalsigns); for a specialization it
	// equals Name. Element paths start with it.
	Constrains string
	// Derivation is "specialization" for the base types and "constraint" for
	// profiles.
	Derivation string
	// BaseDefinition is the canonical URL of the base StructureDefinition.
	BaseDefinition string
	// Regex is, for a primitive type, the regular expression its lexical
	// values must match in full (from the value element's regex extension);
	// "" when the type has none.
	Regex string

	index *typeIndexData // built once at package initialisation
}

// Element is one ElementDefinition of a type's snapshot.
type Element struct {
	Path             string // full path: "Patient.contact.name", "Observation.value[x]"
	Name             string // last path segment without "[x]": "name", "value"
	Choice           bool   // the element is a choice type (path ends in "[x]")
	Min              int    // minimum cardinality
	Max              int    // maximum cardinality; -1 means unbounded ("*")
	Types            []TypeRef
	ContentReference string // "#Questionnaire.item": children are those of the referenced element
	Binding          *Binding
	Constraints      []Constraint
	Fixed            *Value // fixed[x], if any
	Pattern          *Value // pattern[x], if any
	MaxLength        int    // 0 when not set
	IsModifier       bool
	IsSummary        bool

	// ID is the element id ("Observation.code.coding:BodyWeightCode"); it
	// differs from Path only inside slices of a profile.
	ID string
	// SliceName names the slice this element starts ("BodyWeightCode"); "" for
	// an element that is not a slice.
	SliceName string
	// Slicing describes how a profile slices this (repeating) element; nil
	// when it is not sliced.
	Slicing *Slicing
	// MinValue and MaxValue are minValueInteger/maxValueInteger bounds when
	// set (HasMinValue/HasMaxValue say whether they are).
	MinValue, MaxValue       int
	HasMinValue, HasMaxValue bool

	owner *Type // the type whose snapshot holds this element; set at init
}

// Slicing is ElementDefinition.slicing.
type Slicing struct {
	Discriminators []Discriminator
	Ordered        bool
	Rules          string // closed, open, openAtEnd
}

// Discriminator is one ElementDefinition.slicing.discriminator.
type Discriminator struct {
	Type string // value, exists, pattern, type, profile
	Path string // FHIRPath relative to the sliced element
}

// TypeRef is one allowed type of an element (ElementDefinition.type).
type TypeRef struct {
	Code          string   // "string", "Reference", "BackboneElement", "Quantity"
	Profiles      []string // ElementDefinition.type.profile
	TargetProfile []string // for Reference and canonical: allowed target StructureDefinition URLs
}

// Binding is a terminology binding (ElementDefinition.binding).
type Binding struct {
	Strength string // required, extensible, preferred, example
	ValueSet string // canonical URL, possibly with |version
}

// Constraint is an invariant with its FHIRPath expression (ElementDefinition.constraint).
type Constraint struct {
	Key        string // "ele-1", "pat-1"
	Severity   string // "error" or "warning"
	Human      string
	Expression string // FHIRPath
	Source     string // URL of the StructureDefinition that defined it
}

// Value is a fixed or pattern value: its FHIR type and its JSON text.
type Value struct {
	Type string // "code", "CodeableConcept", "uri"...
	JSON string // the JSON value as written in the definition
}

// Unbounded is the Max of an element with cardinality "*".
const Unbounded = -1

// IsArray reports whether the element repeats (max > 1 or "*"); in JSON it is
// then always an array.
func (e *Element) IsArray() bool { return e.Max == Unbounded || e.Max > 1 }

// TypeCodes returns the codes of the allowed types.
func (e *Element) TypeCodes() []string {
	codes := make([]string, len(e.Types))
	for i, t := range e.Types {
		codes[i] = t.Code
	}
	return codes
}

// JSONName returns the JSON property name of this element holding a value of
// type typeCode: the element name itself, or for choice types the name with
// the type code capitalised appended ("value" + "Quantity").
func (e *Element) JSONName(typeCode string) string {
	if !e.Choice {
		return e.Name
	}
	return e.Name + strings.ToUpper(typeCode[:1]) + typeCode[1:]
}
