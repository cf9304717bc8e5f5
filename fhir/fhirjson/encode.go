package fhirjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"yigong/fhir"
)

// MarshalOptions configure encoding. The zero value writes compact JSON.
type MarshalOptions struct {
	// Indent, when not empty, is the per-level indentation ("  ") of
	// multi-line output.
	Indent string
}

// Marshal encodes a resource tree as compact FHIR JSON.
func Marshal(n *fhir.Node) ([]byte, error) {
	return MarshalOptions{}.Marshal(n)
}

// Marshal encodes a resource tree as FHIR JSON: resourceType first, then the
// children in tree order (definition order for decoded trees), primitives
// with their "_name" siblings when they carry an id or extensions. Strings
// are written as UTF-8 without HTML escaping.
func (o MarshalOptions) Marshal(n *fhir.Node) ([]byte, error) {
	return o.Append(nil, n)
}

// Append appends the encoding of n to b and returns the extended buffer.
func (o MarshalOptions) Append(b []byte, n *fhir.Node) ([]byte, error) {
	if n == nil {
		return b, fmt.Errorf("fhirjson: marshal: nil node")
	}
	if !n.IsResource() {
		return b, fmt.Errorf("fhirjson: marshal: %q is not a resource type", n.Type)
	}
	e := encoder{buf: b}
	if err := e.object(n, true); err != nil {
		return b, err
	}
	if o.Indent == "" {
		return e.buf, nil
	}
	var out bytes.Buffer
	if err := indentJSON(&out, e.buf[len(b):], o.Indent); err != nil {
		return b, err
	}
	return append(b, out.Bytes()...), nil
}

type encoder struct {
	buf []byte
}

// object writes the members of a complex or resource node.
func (e *encoder) object(n *fhir.Node, isResource bool) error {
	e.buf = append(e.buf, '{')
	first := true
	if isResource {
		e.buf = append(e.buf, `"resourceType":`...)
		e.buf = appendString(e.buf, n.Type)
		first = false
	}
	cs := n.Children
	for i := 0; i < len(cs); {
		j := i + 1
		for j < len(cs) && cs[j].Name == cs[i].Name && cs[j].Def == cs[i].Def && cs[i].Def != nil {
			j++
		}
		if err := e.members(cs[i:j], &first); err != nil {
			return err
		}
		i = j
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encoder) comma(first *bool) {
	if !*first {
		e.buf = append(e.buf, ',')
	}
	*first = false
}

// members writes one element: a group of adjacent children with the same
// definition.
func (e *encoder) members(group []*fhir.Node, first *bool) error {
	n0 := group[0]
	if n0.Def == nil {
		// An unknown element kept by a lenient decode: Value is its JSON text.
		e.comma(first)
		e.buf = appendString(e.buf, n0.Name)
		e.buf = append(e.buf, ':')
		if n0.Value == "" {
			e.buf = append(e.buf, "null"...)
		} else {
			e.buf = append(e.buf, n0.Value...)
		}
		return nil
	}
	array := n0.Def.IsArray()
	if !array && len(group) > 1 {
		return fmt.Errorf("fhirjson: marshal: %s has %d values but does not repeat", n0.Def.Path, len(group))
	}
	// A choice element's values must all have one type in JSON, as the
	// property name carries it.
	name := n0.JSONName()
	for _, c := range group[1:] {
		if c.JSONName() != name {
			return fmt.Errorf("fhirjson: marshal: %s holds values of types %s and %s", n0.Def.Path, n0.Type, c.Type)
		}
	}
	if !fhir.IsPrimitiveType(n0.Type) {
		e.comma(first)
		e.buf = appendString(e.buf, name)
		e.buf = append(e.buf, ':')
		if array {
			e.buf = append(e.buf, '[')
		}
		for i, c := range group {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.object(c, c.IsResource()); err != nil {
				return err
			}
		}
		if array {
			e.buf = append(e.buf, ']')
		}
		return nil
	}
	hasValue, hasExt := false, false
	for _, c := range group {
		hasValue = hasValue || c.Value != ""
		hasExt = hasExt || len(c.Children) > 0
	}
	if hasValue {
		e.comma(first)
		e.buf = appendString(e.buf, name)
		e.buf = append(e.buf, ':')
		if array {
			e.buf = append(e.buf, '[')
		}
		for i, c := range group {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.primitive(c)
		}
		if array {
			e.buf = append(e.buf, ']')
		}
	}
	if hasExt {
		e.comma(first)
		e.buf = append(e.buf, '"', '_')
		e.buf = append(e.buf, appendString(nil, name)[1:]...)
		e.buf = append(e.buf, ':')
		if array {
			e.buf = append(e.buf, '[')
		}
		for i, c := range group {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if len(c.Children) == 0 {
				e.buf = append(e.buf, "null"...)
				continue
			}
			if err := e.object(c, false); err != nil {
				return err
			}
		}
		if array {
			e.buf = append(e.buf, ']')
		}
	}
	return nil
}

func (e *encoder) primitive(n *fhir.Node) {
	if n.Value == "" {
		e.buf = append(e.buf, "null"...)
		return
	}
	switch fhir.PrimitiveJSONKind(n.Type) {
	case fhir.JSONBoolean, fhir.JSONNumber:
		e.buf = append(e.buf, n.Value...)
	default:
		e.buf = appendString(e.buf, n.Value)
	}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: only '"', '\\' and control
// characters are escaped (no HTML escaping); invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func indentJSON(out *bytes.Buffer, src []byte, indent string) error {
	if err := json.Indent(out, src, "", indent); err != nil {
		return fmt.Errorf("fhirjson: marshal: indent: %w", err)
	}
	return nil
}
