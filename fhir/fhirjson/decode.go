package fhirjson

import (
	"errors"
	"fmt"
	"strings"

	"yigong/fhir"
	"yigong/fhir/model"
)

// UnmarshalOptions configure decoding. The zero value is strict decoding of
// any resource type.
type UnmarshalOptions struct {
	// ResourceType, when set, is the type the resource must have ("Patient").
	ResourceType string
	// Lenient keeps unknown elements instead of rejecting them: each becomes
	// a Node with Def == nil, Type "" and Value holding the member's compact
	// JSON text, and a warning is recorded (see Warnings).
	Lenient bool
	// MaxIssues caps the number of issues collected before decoding stops;
	// 0 means 100.
	MaxIssues int
}

// Unmarshal decodes one FHIR JSON resource with the default options.
func Unmarshal(data []byte) (*fhir.Node, error) {
	return UnmarshalOptions{}.Unmarshal(data)
}

// Unmarshal decodes one FHIR JSON resource. Every error is a *fhir.Error of
// kind fhir.KindInvalid whose Issues locate each problem found.
func (o UnmarshalOptions) Unmarshal(data []byte) (*fhir.Node, error) {
	n, _, err := o.unmarshal(data)
	return n, err
}

// UnmarshalWarnings decodes like Unmarshal and also returns the warnings of
// a lenient decode (one per unknown element kept).
func (o UnmarshalOptions) UnmarshalWarnings(data []byte) (*fhir.Node, []fhir.Issue, error) {
	return o.unmarshal(data)
}

func (o UnmarshalOptions) unmarshal(data []byte) (*fhir.Node, []fhir.Issue, error) {
	v, err := parse(data)
	if err != nil {
		var se *SyntaxError
		errors.As(err, &se)
		return nil, nil, &fhir.Error{Kind: fhir.KindInvalid, Msg: "fhirjson: invalid JSON", Err: err,
			Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "structure", Diagnostic: se.Error()}}}
	}
	return o.decodeValue(&v)
}

func (o UnmarshalOptions) decodeValue(v *value) (*fhir.Node, []fhir.Issue, error) {
	d := decoder{opts: o, max: o.MaxIssues}
	if d.max <= 0 {
		d.max = 100
	}
	n := d.resource(v, &location{index: -1}, o.ResourceType)
	if len(d.issues) > 0 {
		msg := "fhirjson: invalid resource"
		if len(d.issues) == 1 {
			msg = "fhirjson: invalid resource: " + d.issues[0].Diagnostic
		}
		return nil, d.warnings, &fhir.Error{Kind: fhir.KindInvalid, Msg: msg, Issues: d.issues}
	}
	return n, d.warnings, nil
}

type decoder struct {
	estack   []entry // scratch: the entries of the objects being decoded
	opts     UnmarshalOptions
	issues   []fhir.Issue
	warnings []fhir.Issue
	max      int
}

func (d *decoder) fail(code string, loc *location, format string, args ...any) {
	if len(d.issues) >= d.max {
		return
	}
	d.issues = append(d.issues, fhir.Issue{Severity: fhir.SeverityError, Code: code,
		Expression: loc.String(), Diagnostic: fmt.Sprintf(format, args...)})
}

func (d *decoder) full() bool { return len(d.issues) >= d.max }

// location is a FHIRPath location built lazily: the decoder passes it down
// the stack and turns it into a string only when it reports an issue.
type location struct {
	parent *location
	name   string // element name, or the whole root ("Patient", "" before the type is known)
	index  int    // array index, or -1
}

func (l *location) child(name string) location { return location{parent: l, name: name, index: -1} }

func (l *location) at(i int) location { return location{parent: l.parent, name: l.name, index: i} }

func (l *location) String() string {
	if l == nil {
		return ""
	}
	var b []byte
	b = l.append(b)
	return string(b)
}

func (l *location) append(b []byte) []byte {
	if l.parent != nil {
		b = l.parent.append(b)
		if len(b) > 0 {
			b = append(b, '.')
		}
	}
	b = append(b, l.name...)
	if l.index >= 0 {
		b = append(b, '[')
		b = append(b, itoa(l.index)...)
		b = append(b, ']')
	}
	return b
}

func itoa(i int) string {
	if i >= 0 && i < 10 {
		return string(rune('0' + i))
	}
	return fmt.Sprint(i)
}

// resource decodes a resource object. loc is its location ("" for the root,
// whose location is then its type), expected the required type or "".
func (d *decoder) resource(v *value, loc *location, expected string) *fhir.Node {
	if v.kind != kObject {
		d.fail("structure", loc, "a resource must be a JSON object, found %s", v.kind)
		return nil
	}
	var rt string
	found := false
	for i := range v.members {
		if v.members[i].key == "resourceType" {
			found = true
			if v.members[i].val.kind != kString {
				rl := loc.child("resourceType")
				d.fail("structure", &rl, "resourceType must be a string, found %s", v.members[i].val.kind)
				return nil
			}
			rt = v.members[i].val.str
		}
	}
	if !found {
		where := *loc
		if where.parent == nil && where.name == "" && expected != "" {
			where.name = expected
		}
		d.fail("required", &where, "missing resourceType")
		return nil
	}
	rl := loc.child("resourceType")
	t := model.LookupType(rt)
	if t == nil || t.Kind != model.KindResource || t.Abstract {
		d.fail("invalid", &rl, "unknown resource type %q", rt)
		return nil
	}
	if expected != "" && expected != "Resource" && rt != expected {
		d.fail("invalid", &rl, "resource type %q where %q is expected", rt, expected)
		return nil
	}
	if loc.parent == nil && loc.name == "" {
		root := location{name: rt, index: -1}
		loc = &root
	}
	n := &fhir.Node{Type: rt}
	d.complex(n, t, t.Name, v, loc, true)
	return n
}

// entry is one element found in an object: its definition, the selected
// type and the value and "_name" members.
type entry struct {
	child    model.JSONChild
	jsonName string
	val      *value
	ext      *value
}

// complex decodes the members of object v into n's children; t and path say
// where the children are defined.
func (d *decoder) complex(n *fhir.Node, t *model.Type, path string, v *value, loc *location, isResource bool) {
	if len(v.members) == 0 && !isResource {
		d.fail("structure", loc, "empty object")
		return
	}
	primitive := t.Kind == model.KindPrimitive
	base := len(d.estack)
	defer func() { d.estack = d.estack[:base] }()
	var unknown []*fhir.Node
	for i := range v.members {
		m := &v.members[i]
		key := m.key
		if isResource && key == "resourceType" {
			continue
		}
		name, isExt := key, false
		if strings.HasPrefix(key, "_") {
			name, isExt = key[1:], true
		}
		c, ok := t.ChildByJSONName(path, name)
		if ok && primitive && name == "value" {
			ok = false // a primitive's value is its JSON value, never a member
		}
		if !ok {
			if d.opts.Lenient {
				kl := loc.child(key)
				d.warnings = append(d.warnings, fhir.Issue{Severity: fhir.SeverityWarning, Code: "structure",
					Expression: kl.String(), Diagnostic: fmt.Sprintf("unknown element %q kept", key)})
				unknown = append(unknown, &fhir.Node{Name: key, Value: compactJSON(&m.val)})
				continue
			}
			kl := loc.child(key)
			d.fail("structure", &kl, "unknown element %q", key)
			continue
		}
		if isExt && !(c.Type != "" && fhir.IsPrimitiveType(c.Type)) {
			kl := loc.child(key)
			d.fail("structure", &kl, "%q is not a primitive element, so %q is not allowed", name, key)
			continue
		}
		// Find or add the entry for this element.
		var e *entry
		for j := base; j < len(d.estack); j++ {
			if d.estack[j].child.Element == c.Element {
				e = &d.estack[j]
				break
			}
		}
		if e == nil {
			d.estack = append(d.estack, entry{child: c, jsonName: name})
			e = &d.estack[len(d.estack)-1]
		} else if e.child.Type != c.Type {
			kl := loc.child(key)
			d.fail("structure", &kl, "choice element %q has more than one type (%s and %s)",
				c.Element.Name, e.jsonName, name)
			continue
		}
		if isExt {
			e.ext = &m.val
		} else {
			e.val = &m.val
		}
	}
	// Definition order (insertion sort: objects are small and mostly ordered).
	entries := d.estack[base:]
	for i := 1; i < len(entries); i++ {
		for j := i; j > 0 && entries[j].child.Order < entries[j-1].child.Order; j-- {
			entries[j], entries[j-1] = entries[j-1], entries[j]
		}
	}
	count := len(entries)
	if n.Children == nil {
		n.Children = make([]*fhir.Node, 0, count+len(unknown))
	}
	for i := range count {
		if d.full() {
			return
		}
		e := d.estack[base+i] // a copy: decoding the value may grow estack
		el := loc.child(e.child.Element.Name)
		d.element(n, &e, &el)
	}
	n.Children = append(n.Children, unknown...)
}

func (d *decoder) element(parent *fhir.Node, e *entry, loc *location) {
	el := e.child.Element
	code := e.child.Type
	if el.IsArray() {
		if e.val != nil && e.val.kind != kArray {
			d.fail("structure", loc, "%s repeats (max %s), so it must be a JSON array", e.jsonName, maxString(el))
			return
		}
		if e.ext != nil && e.ext.kind != kArray {
			d.fail("structure", loc, "_%s must be a JSON array, as %s repeats", e.jsonName, e.jsonName)
			return
		}
		var vals, exts []value
		if e.val != nil {
			vals = e.val.elems
			if len(vals) == 0 {
				d.fail("structure", loc, "empty array")
				return
			}
		}
		if e.ext != nil {
			exts = e.ext.elems
			if len(exts) == 0 {
				d.fail("structure", loc, "empty array in _%s", e.jsonName)
				return
			}
		}
		if vals != nil && exts != nil && len(vals) != len(exts) {
			d.fail("structure", loc, "%s has %d values but _%s has %d", e.jsonName, len(vals), e.jsonName, len(exts))
			return
		}
		count := max(len(vals), len(exts))
		for i := range count {
			var vv, xv *value
			if vals != nil {
				vv = &vals[i]
			}
			if exts != nil {
				xv = &exts[i]
			}
			il := loc.at(i)
			if n := d.item(el, code, e.jsonName, vv, xv, &il, true); n != nil {
				parent.Children = append(parent.Children, n)
			}
		}
		return
	}
	if e.val != nil && e.val.kind == kArray {
		d.fail("structure", loc, "%s does not repeat (max 1), so it must not be a JSON array", e.jsonName)
		return
	}
	if e.ext != nil && e.ext.kind == kArray {
		d.fail("structure", loc, "_%s must not be a JSON array, as %s does not repeat", e.jsonName, e.jsonName)
		return
	}
	if n := d.item(el, code, e.jsonName, e.val, e.ext, loc, false); n != nil {
		parent.Children = append(parent.Children, n)
	}
}

func maxString(el *model.Element) string {
	if el.Max == model.Unbounded {
		return "*"
	}
	return itoa(el.Max)
}

// item decodes one value (and its "_name" extension object for primitives).
// In an array a JSON null stands for an absent value or extension object.
func (d *decoder) item(el *model.Element, code, jsonName string, v, x *value, loc *location, inArray bool) *fhir.Node {
	if v != nil && x != nil && v.kind == kNull && x.kind == kNull {
		d.fail("structure", loc, "both %s and _%s are null", jsonName, jsonName)
		return nil
	}
	if v != nil && v.kind == kNull {
		if !inArray || x == nil {
			d.fail("structure", loc, "null is not allowed for %s", jsonName)
			return nil
		}
		v = nil
	}
	if x != nil && x.kind == kNull {
		if !inArray || v == nil {
			d.fail("structure", loc, "null is not allowed for _%s", jsonName)
			return nil
		}
		x = nil
	}
	if v == nil && x == nil {
		d.fail("structure", loc, "both %s and _%s are null", jsonName, jsonName)
		return nil
	}
	n := &fhir.Node{Name: el.Name, Type: code, Def: el}
	pt := model.LookupType(code)
	if pt != nil && pt.Kind == model.KindResource {
		// Resource (contained, Bundle.entry.resource) or a named resource
		// type (Bundle.entry.response.outcome is an OperationOutcome).
		if v == nil {
			d.fail("structure", loc, "_%s is not allowed for a resource", jsonName)
			return nil
		}
		expected := code
		if pt.Abstract {
			expected = ""
		}
		r := d.resource(v, loc, expected)
		if r == nil {
			return nil
		}
		r.Name, r.Def = el.Name, el
		return r
	}
	if pt != nil && pt.Kind == model.KindPrimitive {
		if v != nil {
			n.Value = d.primitive(code, jsonName, v, loc)
		}
		if x != nil {
			if x.kind != kObject {
				d.fail("structure", loc, "_%s must be a JSON object, found %s", jsonName, x.kind)
				return nil
			}
			d.complex(n, pt, pt.Name, x, loc, false)
		}
		return n
	}
	if v.kind != kObject {
		d.fail("structure", loc, "%s must be a JSON object, found %s", jsonName, v.kind)
		return nil
	}
	st, path := el.Structure(code)
	if st == nil {
		d.fail("structure", loc, "no definition for type %q", code)
		return nil
	}
	d.complex(n, st, path, v, loc, false)
	return n
}

// primitive checks a JSON primitive value against the type and returns its
// lexical form.
func (d *decoder) primitive(code, jsonName string, v *value, loc *location) string {
	var lex string
	switch fhir.PrimitiveJSONKind(code) {
	case fhir.JSONBoolean:
		switch v.kind {
		case kTrue:
			return "true"
		case kFalse:
			return "false"
		}
		d.fail("structure", loc, "%s must be a JSON boolean (true or false), found %s", jsonName, describe(v))
		return ""
	case fhir.JSONNumber:
		if v.kind != kNumber {
			d.fail("structure", loc, "%s must be a JSON number, found %s", jsonName, describe(v))
			return ""
		}
		lex = v.str
	default:
		if v.kind != kString {
			d.fail("structure", loc, "%s must be a JSON string, found %s", jsonName, describe(v))
			return ""
		}
		if v.str == "" {
			d.fail("value", loc, "empty string: an element without a value must be left out")
			return ""
		}
		lex = v.str
	}
	if err := fhir.CheckPrimitive(code, lex); err != nil {
		d.fail("value", loc, "%s", strings.TrimPrefix(err.Error(), fhir.ErrPrimitive.Error()+": "))
		return ""
	}
	return lex
}

func describe(v *value) string {
	switch v.kind {
	case kString:
		return fmt.Sprintf("string %q", v.str)
	case kNumber:
		return "number " + v.str
	}
	return v.kind.String()
}

// compactJSON re-encodes a generic value (for unknown elements kept by a
// lenient decode).
func compactJSON(v *value) string {
	var b []byte
	b = appendValue(b, v)
	return string(b)
}

func appendValue(b []byte, v *value) []byte {
	switch v.kind {
	case kNull:
		return append(b, "null"...)
	case kTrue:
		return append(b, "true"...)
	case kFalse:
		return append(b, "false"...)
	case kNumber:
		return append(b, v.str...)
	case kString:
		return appendString(b, v.str)
	case kArray:
		b = append(b, '[')
		for i := range v.elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, &v.elems[i])
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for i := range v.members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v.members[i].key)
		b = append(b, ':')
		b = appendValue(b, &v.members[i].val)
	}
	return append(b, '}')
}
