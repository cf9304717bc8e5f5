package fhir

import (
	"strings"

	"yigong/fhir/model"
)

// Node is one element of a FHIR resource tree: a resource, a complex value
// (HumanName, a backbone element...) or a primitive value.
//
// Children of complex and resource nodes are kept in definition order; the
// values of a repeating element are adjacent, in document order. A primitive
// node's Children are only its "id" and "extension" elements (in JSON the
// "_name" sibling object).
type Node struct {
	// Name is the element name with any choice suffix removed: "value" for
	// valueQuantity. It is "" for a root resource.
	Name string
	// Type is the FHIR type code of this value: "Patient", "Quantity",
	// "decimal", "BackboneElement". For a contained or Bundle-entry resource it
	// is the concrete resource type.
	Type string
	// Def is the element definition this node conforms to; nil for a root
	// resource and for unknown elements kept by a lenient decoder.
	Def *model.Element
	// Children are the child elements (see the type documentation).
	Children []*Node
	// Value is the lexical form of a primitive's value exactly as received
	// (a decimal "1.10" stays "1.10"); "" when the primitive has no value,
	// which FHIR allows only when it carries extensions.
	Value string
}

// IsPrimitive reports whether n holds a primitive FHIR type.
func (n *Node) IsPrimitive() bool { return IsPrimitiveType(n.Type) }

// IsResource reports whether n is a resource (root, contained or in a Bundle).
func (n *Node) IsResource() bool {
	t := model.LookupType(n.Type)
	return t != nil && t.Kind == model.KindResource
}

// HasValue reports whether a primitive node has a value.
func (n *Node) HasValue() bool { return n.Value != "" }

// JSONName is the property name of n in JSON: the element name, or for a
// choice element the name with the type appended ("valueQuantity").
func (n *Node) JSONName() string {
	if n.Def != nil {
		return n.Def.JSONName(n.Type)
	}
	return n.Name
}

// Child returns the first child named name, or nil.
func (n *Node) Child(name string) *Node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ChildrenNamed returns every child named name, in order.
func (n *Node) ChildrenNamed(name string) []*Node {
	var out []*Node
	for _, c := range n.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// ChildValue returns the value of the first primitive child named name, or "".
func (n *Node) ChildValue(name string) string {
	if c := n.Child(name); c != nil {
		return c.Value
	}
	return ""
}

// ID returns the resource or element id ("id" child), or "".
func (n *Node) ID() string { return n.ChildValue("id") }

// Walk calls fn for n and every descendant in depth-first document order,
// with the FHIRPath-style location of each ("Patient.name[0].given[1]").
// Returning false from fn skips the node's descendants.
func (n *Node) Walk(fn func(path string, node *Node) bool) {
	root := n.Name
	if root == "" {
		root = n.Type
	}
	n.walk(root, fn)
}

func (n *Node) walk(path string, fn func(string, *Node) bool) {
	if !fn(path, n) {
		return
	}
	counts := map[string]int{}
	for _, c := range n.Children {
		i := counts[c.Name]
		counts[c.Name] = i + 1
		var b strings.Builder
		b.WriteString(path)
		b.WriteByte('.')
		b.WriteString(c.Name)
		if c.Def == nil || c.Def.IsArray() {
			b.WriteByte('[')
			b.WriteString(itoa(i))
			b.WriteByte(']')
		}
		c.walk(b.String(), fn)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	var buf [20]byte
	p := len(buf)
	for i > 0 {
		p--
		buf[p] = byte('0' + i%10)
		i /= 10
	}
	return string(buf[p:])
}

// IsPrimitiveType reports whether code names a FHIR primitive type.
func IsPrimitiveType(code string) bool {
	t := model.LookupType(code)
	return t != nil && t.Kind == model.KindPrimitive
}
