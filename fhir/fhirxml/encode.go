package fhirxml

import (
	"bytes"
	"fmt"
	"strings"

	"yigong/fhir"
)

// MarshalOptions configure encoding.
type MarshalOptions struct {
	// Indent, when not empty, puts each element on its own line indented
	// by this string per level. The narrative div is written verbatim.
	Indent string
}

// Marshal encodes a resource tree as FHIR XML.
func Marshal(n *fhir.Node) ([]byte, error) { return MarshalOptions{}.Marshal(n) }

// Marshal encodes a resource tree as FHIR XML.
func (o MarshalOptions) Marshal(n *fhir.Node) ([]byte, error) {
	if n == nil || n.Type == "" {
		return nil, fmt.Errorf("fhirxml: marshal: not a resource")
	}
	e := encoder{indent: o.Indent}
	e.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	e.newline(0)
	if err := e.resource(n, 0, true); err != nil {
		return nil, err
	}
	if o.Indent != "" {
		e.b.WriteByte('\n')
	}
	return e.b.Bytes(), nil
}

type encoder struct {
	b      bytes.Buffer
	indent string
}

func (e *encoder) newline(depth int) {
	if e.indent == "" {
		return
	}
	e.b.WriteByte('\n')
	for range depth {
		e.b.WriteString(e.indent)
	}
}

func (e *encoder) resource(n *fhir.Node, depth int, root bool) error {
	e.b.WriteByte('<')
	e.b.WriteString(n.Type)
	if root {
		e.b.WriteString(` xmlns="` + Namespace + `"`)
	}
	return e.body(n, n.Type, depth)
}

// body writes the attributes of n (after an open start tag named name), its
// children and its end tag.
func (e *encoder) body(n *fhir.Node, name string, depth int) error {
	var elems []*fhir.Node
	for _, c := range n.Children {
		if c.Def != nil && isAttribute(c.Def) {
			writeAttr(&e.b, c.Name, c.Value)
			continue
		}
		elems = append(elems, c)
	}
	if n.IsPrimitive() && n.Value != "" {
		writeAttr(&e.b, "value", n.Value)
	}
	if len(elems) == 0 {
		e.b.WriteString("/>")
		return nil
	}
	e.b.WriteByte('>')
	for _, c := range elems {
		e.newline(depth + 1)
		if err := e.element(c, depth+1); err != nil {
			return err
		}
	}
	e.newline(depth)
	e.b.WriteString("</")
	e.b.WriteString(name)
	e.b.WriteByte('>')
	return nil
}

func (e *encoder) element(c *fhir.Node, depth int) error {
	if c.Def == nil {
		return fmt.Errorf("fhirxml: marshal: element %q has no definition (unknown elements cannot be written)", c.Name)
	}
	name := c.JSONName()
	switch {
	case c.Type == "xhtml":
		e.b.WriteString(c.Value)
		return nil
	case c.IsResource() && c.Def.HasType("Resource"):
		e.b.WriteByte('<')
		e.b.WriteString(name)
		e.b.WriteByte('>')
		e.newline(depth + 1)
		if err := e.resource(c, depth+1, false); err != nil {
			return err
		}
		e.newline(depth)
		e.b.WriteString("</" + name + ">")
		return nil
	}
	e.b.WriteByte('<')
	e.b.WriteString(name)
	return e.body(c, name, depth)
}

// writeAttr writes ` name="value"` with the value escaped so that it reads
// back identically (white space characters as character references).
func writeAttr(b *bytes.Buffer, name, value string) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	b.WriteString(attrEscaper.Replace(value))
	b.WriteByte('"')
}

var attrEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	"\n", "&#xA;", "\r", "&#xD;", "\t", "&#x9;",
)
