package fhirpath

import (
	"strconv"
	"strings"

	"yigong/fhir"
)

// Value is a FHIRPath System value: Boolean, String, Integer, Decimal, Date,
// DateTime, Time, Quantity or TypeInfo.
type Value interface {
	// Type returns the System type of the value.
	Type() TypeInfo
	String() string
}

// Boolean is a System.Boolean.
type Boolean bool

// String is a System.String.
type String string

// Integer is a System.Integer (FHIRPath integers are 32-bit; yigong keeps
// 64 bits and reports overflow beyond them as an error).
type Integer int64

func (Boolean) Type() TypeInfo  { return TypeInfo{nsSystem, "Boolean"} }
func (String) Type() TypeInfo   { return TypeInfo{nsSystem, "String"} }
func (Integer) Type() TypeInfo  { return TypeInfo{nsSystem, "Integer"} }
func (Decimal) Type() TypeInfo  { return TypeInfo{nsSystem, "Decimal"} }
func (Date) Type() TypeInfo     { return TypeInfo{nsSystem, "Date"} }
func (DateTime) Type() TypeInfo { return TypeInfo{nsSystem, "DateTime"} }
func (Time) Type() TypeInfo     { return TypeInfo{nsSystem, "Time"} }
func (Quantity) Type() TypeInfo { return TypeInfo{nsSystem, "Quantity"} }

// Type of a TypeInfo value is System.Object-like reflection; FHIRPath names
// it System.TypeInfo.
func (TypeInfo) Type() TypeInfo { return TypeInfo{nsSystem, "TypeInfo"} }

func (b Boolean) String() string { return strconv.FormatBool(bool(b)) }
func (s String) String() string  { return string(s) }
func (i Integer) String() string { return strconv.FormatInt(int64(i), 10) }

// Item is one element of a Collection: either a FHIR node (a resource, an
// element or a primitive, which keeps its FHIR type) or a System value.
type Item struct {
	node *fhir.Node
	val  Value
}

// NodeItem wraps a FHIR node.
func NodeItem(n *fhir.Node) Item { return Item{node: n} }

// ValueItem wraps a System value.
func ValueItem(v Value) Item { return Item{val: v} }

// Node returns the FHIR node, or nil for a System value.
func (it Item) Node() *fhir.Node { return it.node }

// IsNode reports whether the item is a FHIR node.
func (it Item) IsNode() bool { return it.node != nil }

// Value returns the item as a System value: the value itself, or for a FHIR
// primitive with a value its conversion (code → String, instant →
// DateTime...), for a FHIR Quantity (and Age, Duration...) a
// System.Quantity. ok is false for other nodes and for primitives that only
// carry extensions.
func (it Item) Value() (Value, bool) {
	if it.node == nil {
		return it.val, it.val != nil
	}
	return nodeValue(it.node)
}

// Type returns the item's type: FHIR.<code> for nodes, System.<name> for
// System values.
func (it Item) Type() TypeInfo {
	if it.node != nil {
		return TypeInfo{nsFHIR, it.node.Type}
	}
	if it.val == nil {
		return TypeInfo{nsSystem, "Any"}
	}
	return it.val.Type()
}

// String returns a display form: the System value's string, a primitive's
// lexical value, or the type name of a complex node.
func (it Item) String() string {
	if it.node != nil {
		if isPrimitiveType(it.node.Type) {
			return it.node.Value
		}
		if v, ok := nodeValue(it.node); ok {
			return v.String()
		}
		return it.node.Type
	}
	if it.val == nil {
		return ""
	}
	return it.val.String()
}

func nodeValue(n *fhir.Node) (Value, bool) {
	sys, ok := fhirPrimitiveSystem[n.Type]
	if !ok {
		if isQuantityType(n.Type) {
			return nodeQuantity(n)
		}
		return nil, false
	}
	if n.Value == "" {
		return nil, false
	}
	return parseSystem(sys, n.Value)
}

// parseSystem converts a lexical value to the given System type.
func parseSystem(sys, s string) (Value, bool) {
	switch sys {
	case "Boolean":
		switch s {
		case "true":
			return Boolean(true), true
		case "false":
			return Boolean(false), true
		}
		return nil, false
	case "String":
		return String(s), true
	case "Integer":
		i, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
		if err != nil {
			return nil, false
		}
		return Integer(i), true
	case "Decimal":
		d, ok := ParseDecimal(s)
		if !ok {
			return nil, false
		}
		return d, true
	case "Date":
		d, ok := ParseDate(s)
		if !ok {
			return nil, false
		}
		return d, true
	case "DateTime":
		d, ok := ParseDateTime(s)
		if !ok {
			return nil, false
		}
		return d, true
	case "Time":
		t, ok := ParseTime(s)
		if !ok {
			return nil, false
		}
		return t, true
	}
	return nil, false
}

// nodeQuantity converts a FHIR Quantity to a System.Quantity: the UCUM code
// when present, else the unit text; no unit means '1'.
func nodeQuantity(n *fhir.Node) (Value, bool) {
	v := n.Child("value")
	if v == nil || v.Value == "" {
		return nil, false
	}
	d, ok := ParseDecimal(v.Value)
	if !ok {
		return nil, false
	}
	unit := n.ChildValue("code")
	if unit == "" {
		unit = n.ChildValue("unit")
		if c, ok := calendarUnits[unit]; ok {
			unit = c
		}
	}
	if unit == "" {
		unit = "1"
	}
	return Quantity{Value: d, Unit: unit}, true
}

// Collection is an ordered FHIRPath collection.
type Collection []Item

// Bool evaluates the collection as a singleton Boolean: ok is false for an
// empty collection and for more than one item; a single Boolean (System or
// FHIR boolean) gives its value; any other single item is true.
func (c Collection) Bool() (value, ok bool) {
	if len(c) != 1 {
		return false, false
	}
	v, has := c[0].Value()
	if b, isB := v.(Boolean); has && isB {
		return bool(b), true
	}
	if c[0].node != nil && c[0].node.Type == "boolean" && !has {
		return false, false
	}
	return true, true
}

// Strings returns the string form of every item.
func (c Collection) Strings() []string {
	out := make([]string, len(c))
	for i, it := range c {
		out[i] = it.String()
	}
	return out
}

// Nodes returns the FHIR nodes of the collection, skipping System values.
func (c Collection) Nodes() []*fhir.Node {
	var out []*fhir.Node
	for _, it := range c {
		if it.node != nil {
			out = append(out, it.node)
		}
	}
	return out
}

func single(v Value) Collection { return Collection{{val: v}} }

func boolColl(b bool) Collection { return Collection{{val: Boolean(b)}} }
