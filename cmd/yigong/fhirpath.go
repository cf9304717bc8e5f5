package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
)

// cmdFHIRPath evaluates a FHIRPath expression on a resource and prints the
// result collection as a JSON array: FHIR nodes as their FHIR JSON, System
// values as JSON scalars (Boolean → true/false, Integer and Decimal →
// numbers with their precision kept, String/Date/DateTime/Time → strings),
// and a System Quantity as its FHIRPath literal string ("4 'mg'", "1 week").
// With --types each item is an object {"type":"FHIR.HumanName","value":...}.
func cmdFHIRPath(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fhirpath", flag.ContinueOnError)
	fs.SetOutput(stderr)
	resPath := fs.String("r", "", "resource `file` (FHIR JSON); - reads standard input; none evaluates on an empty input")
	types := fs.Bool("types", false, "print each item with its type")
	indent := fs.Bool("indent", false, "indent the JSON output")
	trace := fs.Bool("trace", false, "print trace() output to standard error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: yigong fhirpath [-r RESOURCE.json] [--types] EXPRESSION")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: fhirpath takes exactly one EXPRESSION", errUsage)
	}
	expr, err := fhirpath.Parse(fs.Arg(0))
	if err != nil {
		return err
	}
	var res *fhir.Node
	if *resPath != "" {
		var data []byte
		if *resPath == "-" {
			data, err = io.ReadAll(io.LimitReader(os.Stdin, 256<<20))
		} else {
			data, err = os.ReadFile(*resPath)
		}
		if err != nil {
			return fmt.Errorf("fhirpath: read resource: %w", err)
		}
		res, err = fhirjson.Unmarshal(data)
		if err != nil {
			return err
		}
	}
	env := fhirpath.Env{}
	if *trace {
		env.Trace = func(name string, c fhirpath.Collection) {
			b, _ := renderCollection(c, false)
			fmt.Fprintf(stderr, "trace %s: %s\n", name, b)
		}
	}
	out, err := expr.Evaluate(ctx, res, env)
	if err != nil {
		return err
	}
	b, err := renderCollection(out, *types)
	if err != nil {
		return err
	}
	if *indent {
		var buf bytes.Buffer
		if err := json.Indent(&buf, b, "", "  "); err == nil {
			b = buf.Bytes()
		}
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// renderCollection writes a collection as a JSON array.
func renderCollection(c fhirpath.Collection, withTypes bool) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		v, err := renderItem(it)
		if err != nil {
			return nil, err
		}
		if withTypes {
			t, _ := json.Marshal(it.Type().String())
			fmt.Fprintf(&b, `{"type":%s,"value":%s}`, t, v)
		} else {
			b.Write(v)
		}
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

func renderItem(it fhirpath.Item) ([]byte, error) {
	if n := it.Node(); n != nil {
		return renderNode(n)
	}
	v, _ := it.Value()
	switch x := v.(type) {
	case fhirpath.Boolean, fhirpath.Integer, fhirpath.Decimal:
		return []byte(x.String()), nil
	case fhirpath.TypeInfo:
		return json.Marshal(map[string]string{"namespace": x.Namespace, "name": x.Name})
	case nil:
		return []byte("null"), nil
	}
	return json.Marshal(v.String())
}

// renderNode writes a node as FHIR JSON: resources through fhirjson,
// elements and primitives by walking the tree.
func renderNode(n *fhir.Node) ([]byte, error) {
	if n.IsResource() {
		return fhirjson.Marshal(n)
	}
	if n.IsPrimitive() {
		if n.Value == "" {
			return renderObject(n.Children)
		}
		return primitiveJSON(n), nil
	}
	return renderObject(n.Children)
}

func primitiveJSON(n *fhir.Node) []byte {
	switch fhir.PrimitiveJSONKind(n.Type) {
	case fhir.JSONNumber, fhir.JSONBoolean:
		return []byte(n.Value)
	}
	b, _ := json.Marshal(n.Value)
	return b
}

// renderObject writes children as a JSON object, grouping repeats into
// arrays and writing primitive ids and extensions as "_name" members.
func renderObject(children []*fhir.Node) ([]byte, error) {
	type member struct {
		name  string
		nodes []*fhir.Node
		array bool
	}
	var members []*member
	byName := map[string]*member{}
	for _, c := range children {
		name := c.JSONName()
		m := byName[name]
		if m == nil {
			m = &member{name: name, array: c.Def == nil || c.Def.IsArray()}
			byName[name] = m
			members = append(members, m)
		}
		m.nodes = append(m.nodes, c)
		if len(m.nodes) > 1 {
			m.array = true
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	write := func(name string, v []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	for _, m := range members {
		vals := make([][]byte, len(m.nodes))
		var exts [][]byte
		hasExt := false
		for i, c := range m.nodes {
			if c.IsPrimitive() {
				if c.Value == "" {
					vals[i] = []byte("null")
				} else {
					vals[i] = primitiveJSON(c)
				}
				e := []byte("null")
				if len(c.Children) > 0 {
					var err error
					if e, err = renderObject(c.Children); err != nil {
						return nil, err
					}
					hasExt = true
				}
				exts = append(exts, e)
				continue
			}
			v, err := renderNode(c)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		allNull := true
		for _, v := range vals {
			if string(v) != "null" {
				allNull = false
			}
		}
		if !allNull || !hasExt {
			write(m.name, joinJSON(vals, m.array))
		}
		if hasExt {
			write("_"+m.name, joinJSON(exts, m.array))
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func joinJSON(vals [][]byte, array bool) []byte {
	if !array && len(vals) == 1 {
		return vals[0]
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = string(v)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}
