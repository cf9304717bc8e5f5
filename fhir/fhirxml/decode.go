package fhirxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"yigong/fhir"
	"yigong/fhir/model"
)

// Namespace is the FHIR XML namespace.
const Namespace = "http://hl7.org/fhir"

const xhtmlNamespace = "http://www.w3.org/1999/xhtml"

const maxDepth = 128

// Unmarshal decodes one FHIR XML resource. Errors are *fhir.Error of kind
// KindInvalid whose Issues locate each problem.
func Unmarshal(data []byte) (*fhir.Node, error) {
	d := &decoder{data: data, dec: xml.NewDecoder(bytes.NewReader(data))}
	d.dec.Strict = true
	n, err := d.document()
	if err != nil {
		return nil, err
	}
	if len(d.issues) > 0 {
		return nil, &fhir.Error{Kind: fhir.KindInvalid, Msg: "fhirxml: invalid resource", Issues: d.issues}
	}
	return n, nil
}

type decoder struct {
	data   []byte
	dec    *xml.Decoder
	issues []fhir.Issue
	depth  int
}

func (d *decoder) fail(code, loc, format string, args ...any) {
	if len(d.issues) < 100 {
		d.issues = append(d.issues, fhir.Issue{Severity: fhir.SeverityError, Code: code, Expression: loc,
			Diagnostic: fmt.Sprintf(format, args...)})
	}
}

func syntaxError(err error) error {
	return &fhir.Error{Kind: fhir.KindInvalid, Msg: "fhirxml: invalid XML", Err: err,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "structure", Diagnostic: "fhirxml: " + err.Error()}}}
}

// document reads up to the root element and decodes it.
func (d *decoder) document() (*fhir.Node, error) {
	for {
		tok, err := d.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, syntaxError(errors.New("no root element"))
			}
			return nil, syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n, err := d.resource(t, "")
			if err != nil {
				return nil, err
			}
			if err := d.trailing(); err != nil {
				return nil, err
			}
			return n, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, syntaxError(errors.New("text before the root element"))
			}
		}
	}
}

// trailing checks nothing but white space, comments and PIs follow the root.
func (d *decoder) trailing() error {
	for {
		tok, err := d.dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return syntaxError(fmt.Errorf("a second root element <%s>", t.Name.Local))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return syntaxError(errors.New("text after the root element"))
			}
		}
	}
}

// resource decodes a resource element; loc is its location ("" for the root).
func (d *decoder) resource(start xml.StartElement, loc string) (*fhir.Node, error) {
	typ := start.Name.Local
	if loc == "" {
		loc = typ
	}
	if start.Name.Space != Namespace {
		d.fail("structure", loc, "element <%s> is not in the FHIR namespace %s", typ, Namespace)
	}
	t := model.LookupType(typ)
	if t == nil || t.Kind != model.KindResource || t.Abstract {
		d.fail("structure", loc, "unknown resource type %q", typ)
		return nil, d.dec.Skip()
	}
	n := &fhir.Node{Type: typ}
	if err := d.children(n, t, typ, start, loc); err != nil {
		return nil, err
	}
	return n, nil
}

// children decodes the attributes and child elements of start into n, whose
// children are defined at path of type t.
func (d *decoder) children(n *fhir.Node, t *model.Type, path string, start xml.StartElement, loc string) error {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxDepth {
		return syntaxError(fmt.Errorf("nesting deeper than %d at %s", maxDepth, loc))
	}
	order := map[*fhir.Node]int{}
	for _, a := range start.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") ||
			a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" { // xsi:schemaLocation
			continue
		}
		if a.Name.Local == "value" && n.IsPrimitive() {
			continue // read by the caller
		}
		jc, ok := t.ChildByJSONName(path, a.Name.Local)
		if !ok || !isAttribute(jc.Element) || a.Name.Space != "" {
			d.fail("structure", loc, "unexpected attribute %q on <%s>", a.Name.Local, start.Name.Local)
			continue
		}
		c := &fhir.Node{Name: jc.Element.Name, Type: attributeType(jc), Def: jc.Element, Value: a.Value}
		if a.Value == "" {
			d.fail("value", loc+"."+c.Name, "attribute %s is empty", a.Name.Local)
		}
		order[c] = jc.Order
		n.Children = append(n.Children, c)
	}
	counts := map[string]int{}
	for {
		tok, err := d.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return syntaxError(fmt.Errorf("unexpected end of input inside <%s>", start.Name.Local))
			}
			return syntaxError(err)
		}
		switch tk := tok.(type) {
		case xml.EndElement:
			sort.SliceStable(n.Children, func(i, j int) bool { return order[n.Children[i]] < order[n.Children[j]] })
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(tk)) > 0 {
				d.fail("structure", loc, "text %q inside <%s>", truncate(string(bytes.TrimSpace(tk))), start.Name.Local)
			}
		case xml.StartElement:
			name := tk.Name.Local
			jc, ok := t.ChildByJSONName(path, name)
			if !ok || isAttribute(jc.Element) {
				d.fail("structure", loc+"."+name, "unknown element <%s>", name)
				if err := d.dec.Skip(); err != nil {
					return syntaxError(err)
				}
				continue
			}
			el := jc.Element
			childLoc := loc + "." + el.Name
			if el.IsArray() {
				childLoc = fmt.Sprintf("%s[%d]", childLoc, counts[el.Name])
			}
			counts[el.Name]++
			if !el.IsArray() && counts[el.Name] > 1 {
				d.fail("structure", childLoc, "element %s repeats but its cardinality is 0..1", el.Name)
			}
			if tk.Name.Space != Namespace && jc.Type != "xhtml" {
				d.fail("structure", childLoc, "element <%s> is not in the FHIR namespace", name)
			}
			c, err := d.child(el, jc.Type, tk, childLoc)
			if err != nil {
				return err
			}
			if c != nil {
				order[c] = jc.Order
				n.Children = append(n.Children, c)
			}
		}
	}
}

// child decodes one child element of definition el holding a value of type code.
func (d *decoder) child(el *model.Element, code string, start xml.StartElement, loc string) (*fhir.Node, error) {
	switch {
	case code == "xhtml":
		return d.xhtml(el, start, loc)
	case code == "Resource":
		return d.wrappedResource(el, start, loc)
	case code == "":
		d.fail("structure", loc, "element %s has no single type", el.Name)
		return nil, d.dec.Skip()
	}
	c := &fhir.Node{Name: el.Name, Type: code, Def: el}
	if fhir.IsPrimitiveType(code) {
		for _, a := range start.Attr {
			if a.Name.Local == "value" && a.Name.Space == "" {
				c.Value = a.Value
				if a.Value == "" {
					d.fail("value", loc, "%s has an empty value attribute", el.Name)
				} else if err := fhir.CheckPrimitive(code, a.Value); err != nil {
					d.fail("value", loc, "%v", err)
				}
			}
		}
	}
	st, sp := el.Structure(code)
	if st == nil {
		d.fail("structure", loc, "unknown type %q", code)
		return nil, d.dec.Skip()
	}
	if err := d.children(c, st, sp, start, loc); err != nil {
		return nil, err
	}
	if c.Value == "" && len(c.Children) == 0 {
		d.fail("required", loc, "element %s has neither a value nor children", el.Name)
	}
	return c, nil
}

// wrappedResource decodes <contained><Patient>...</Patient></contained>.
func (d *decoder) wrappedResource(el *model.Element, start xml.StartElement, loc string) (*fhir.Node, error) {
	var res *fhir.Node
	for {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		switch tk := tok.(type) {
		case xml.EndElement:
			if res == nil {
				d.fail("required", loc, "<%s> holds no resource", start.Name.Local)
				return nil, nil
			}
			res.Name, res.Def = el.Name, el
			return res, nil
		case xml.CharData:
			if len(bytes.TrimSpace(tk)) > 0 {
				d.fail("structure", loc, "text inside <%s>", start.Name.Local)
			}
		case xml.StartElement:
			if res != nil {
				d.fail("structure", loc, "<%s> holds more than one resource", start.Name.Local)
				if err := d.dec.Skip(); err != nil {
					return nil, syntaxError(err)
				}
				continue
			}
			d.depth++
			r, err := d.resource(tk, loc)
			d.depth--
			if err != nil {
				return nil, err
			}
			if r == nil {
				continue
			}
			res = r
		}
	}
}

// xhtml keeps the exact bytes of the div element.
func (d *decoder) xhtml(el *model.Element, start xml.StartElement, loc string) (*fhir.Node, error) {
	// InputOffset is now just past the start tag; find where it began.
	end0 := d.dec.InputOffset()
	begin := bytes.LastIndex(d.data[:end0], []byte("<"+rawName(start)))
	if err := d.dec.Skip(); err != nil {
		return nil, syntaxError(err)
	}
	if begin < 0 {
		return nil, syntaxError(fmt.Errorf("cannot locate <%s> at %s", start.Name.Local, loc))
	}
	// The div is kept byte for byte (line ends included), so that JSON → XML
	// → JSON is exact; consumers parse it as XHTML.
	raw := string(d.data[begin:d.dec.InputOffset()])
	if start.Name.Space != xhtmlNamespace || start.Name.Local != "div" {
		d.fail("structure", loc, "narrative must be an XHTML <div>")
	}
	if !declaresXHTML(start) {
		// The namespace was declared on an ancestor: declare it here so the
		// value stands alone, as FHIR JSON requires.
		i := len("<" + rawName(start))
		raw = raw[:i] + ` xmlns="` + xhtmlNamespace + `"` + raw[i:]
	}
	return &fhir.Node{Name: el.Name, Type: "xhtml", Def: el, Value: raw}, nil
}

func declaresXHTML(start xml.StartElement) bool {
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == "xmlns" && a.Value == xhtmlNamespace {
			return true
		}
	}
	return false
}

// rawName is the element name as written (encoding/xml resolves prefixes;
// FHIR XML uses default namespaces, so the local name is what was written).
func rawName(start xml.StartElement) string { return start.Name.Local }

// isAttribute reports whether an element is written as an XML attribute
// (http://hl7.org/fhir/R4/xml.html): Extension.url and the id of every
// element that is not a resource (a resource's id is an element).
func isAttribute(el *model.Element) bool {
	switch {
	case el.Path == "Extension.url":
		return true
	case el.Name != "id":
		return false
	}
	owner, rest, _ := strings.Cut(el.Path, ".")
	if rest != "id" { // Patient.contact.id, Bundle.entry.id
		return true
	}
	t := model.LookupType(owner)
	return t == nil || t.Kind != model.KindResource // HumanName.id, date.id
}

// attributeType is the FHIR type of an attribute's value in the tree.
func attributeType(jc model.JSONChild) string {
	if jc.Type != "" {
		return jc.Type
	}
	if jc.Element.Name == "url" {
		return "uri"
	}
	return "string"
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
