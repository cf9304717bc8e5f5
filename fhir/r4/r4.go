// Package r4 gives Go code typed structs for every FHIR R4 resource, data type
// and backbone element, so that adapters can build resources readably:
//
//	p := &r4.Patient{
//		Identifier: []r4.Identifier{{System: "urn:oid:2.16.156.10011.1.3", Value: "110101199003078515"}},
//		Name:       []r4.HumanName{{Family: "王", Given: []string{"小东"}}},
//		Gender:     "male",
//		BirthDate:  "1990-03-07",
//	}
//	n, err := r4.ToNode(p) // a validated *fhir.Node for the store
//
// The structs are shaped exactly like FHIR JSON (http://hl7.org/fhir/R4/json.html):
// choice elements are one field per type (ValueQuantity, ValueString),
// primitives are plain Go values (string for every string-like type,
// *bool, *int64, json.Number for decimals so that "1.10" keeps its
// precision) with an XxxExt *Element sibling for the "_xxx" extensions, and
// resources inside resources (contained, Bundle.entry.resource) are
// [AnyResource]. encoding/json reads and writes them.
//
// The structs are a convenience for building and reading in Go; the hub's
// canonical form is the schema-aware [fhir.Node] tree. [ToNode] and
// [FromNode] convert through the strict FHIR JSON codec, so a struct that
// breaks a rule the codec checks (an unknown code in a primitive's format,
// an empty required value) is rejected there with a located error.
//
// The structs are generated from yigong/fhir/model by ./gen (`go generate
// ./fhir/r4`).
package r4

import (
	"bytes"
	"encoding/json"
	"fmt"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

// Resource is implemented by every resource struct.
type Resource interface {
	ResourceType() string
}

// AnyResource holds a resource of any type where FHIR allows one
// (contained, Bundle.entry.resource, Parameters.parameter.resource).
type AnyResource struct {
	Resource Resource
}

// MarshalJSON writes the held resource.
func (a AnyResource) MarshalJSON() ([]byte, error) {
	if a.Resource == nil {
		return []byte("null"), nil
	}
	return json.Marshal(a.Resource)
}

// UnmarshalJSON reads a resource of the type its resourceType names.
func (a *AnyResource) UnmarshalJSON(data []byte) error {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("r4: resource: %w", err)
	}
	r := newResource(head.ResourceType)
	if r == nil {
		return fmt.Errorf("r4: unknown resourceType %q", head.ResourceType)
	}
	if err := json.Unmarshal(data, r); err != nil {
		return fmt.Errorf("r4: %s: %w", head.ResourceType, err)
	}
	a.Resource = r
	return nil
}

// marshalResource writes v (a resource struct without its MarshalJSON
// method) with "resourceType" first.
func marshalResource(resourceType string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(body) + len(resourceType) + 20)
	b.WriteString(`{"resourceType":`)
	rt, _ := json.Marshal(resourceType)
	b.Write(rt)
	if len(body) > 2 {
		b.WriteByte(',')
		b.Write(body[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes(), nil
}

// ToNode converts a resource struct to the canonical tree through the strict
// FHIR JSON codec.
func ToNode(r Resource) (*fhir.Node, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("r4: marshal %s: %w", r.ResourceType(), err)
	}
	return fhirjson.UnmarshalOptions{ResourceType: r.ResourceType()}.Unmarshal(data)
}

// FromNode fills the resource struct r from a tree of the same type.
func FromNode(n *fhir.Node, r Resource) error {
	if n.Type != r.ResourceType() {
		return fmt.Errorf("r4: cannot read a %s into a %s", n.Type, r.ResourceType())
	}
	data, err := fhirjson.Marshal(n)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, r); err != nil {
		return fmt.Errorf("r4: unmarshal %s: %w", n.Type, err)
	}
	return nil
}

// Bool returns a pointer to b, for *bool fields.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to i, for integer fields.
func Int(i int64) *int64 { return &i }
