package patch

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
	"yigong/fhir/model"
)

// operation is one parameter named "operation" of a FHIRPath Patch.
type operation struct {
	loc         string // Parameters.parameter[i]
	typ         string // add, insert, delete, replace, move
	path        string
	name        string
	value       *fhir.Node // a value[x] node, or the "value" part with parts (anonymous type)
	index       int
	source      int
	destination int
	hasIndex    bool
	hasSource   bool
	hasDest     bool
}

// FHIRPath applies a FHIRPath Patch (a Parameters resource) to resource and
// returns the patched copy, re-validated by the strict JSON codec.
func FHIRPath(ctx context.Context, resource, params *fhir.Node) (*fhir.Node, error) {
	if params == nil || params.Type != "Parameters" {
		return nil, invalid("", "a FHIRPath Patch is a Parameters resource")
	}
	ops, err := parseOperations(params)
	if err != nil {
		return nil, err
	}
	root := clone(resource)
	for _, op := range ops {
		if err := apply(ctx, root, op); err != nil {
			return nil, err
		}
		prune(root)
	}
	return revalidate(root)
}

func invalid(loc, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &fhir.Error{Kind: fhir.KindInvalid, Msg: "patch: " + msg,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "invalid", Expression: loc, Diagnostic: msg}}}
}

// revalidate writes the tree and reads it back strictly: children land in
// definition order with fresh definitions, and any rule the patch broke is
// reported.
func revalidate(n *fhir.Node) (*fhir.Node, error) {
	data, err := fhirjson.Marshal(n)
	if err != nil {
		return nil, invalid(n.Type, "the patched resource cannot be written: %v", err)
	}
	out, err := fhirjson.UnmarshalOptions{ResourceType: n.Type}.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("patch: the patched resource is not valid: %w", err)
	}
	return out, nil
}

func parseOperations(params *fhir.Node) ([]operation, error) {
	var ops []operation
	for i, p := range params.ChildrenNamed("parameter") {
		loc := fmt.Sprintf("Parameters.parameter[%d]", i)
		if p.ChildValue("name") != "operation" {
			return nil, invalid(loc, "parameter %q: a FHIRPath Patch has only parameters named operation", p.ChildValue("name"))
		}
		op := operation{loc: loc}
		for _, part := range p.ChildrenNamed("part") {
			v := part.Child("value")
			str := ""
			if v != nil {
				str = v.Value
			}
			switch part.ChildValue("name") {
			case "type":
				op.typ = str
			case "path":
				op.path = str
			case "name":
				op.name = str
			case "value":
				if v != nil {
					op.value = v
				} else {
					op.value = part // anonymous type: the value is given as parts
				}
			case "index":
				op.index, op.hasIndex = atoi(str)
			case "source":
				op.source, op.hasSource = atoi(str)
			case "destination":
				op.destination, op.hasDest = atoi(str)
			default:
				return nil, invalid(loc, "unknown operation part %q", part.ChildValue("name"))
			}
		}
		if err := op.check(); err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

func (op operation) check() error {
	need := func(ok bool, what string) error {
		if !ok {
			return invalid(op.loc, "%s operation needs %s", op.typ, what)
		}
		return nil
	}
	if op.path == "" {
		return invalid(op.loc, "operation has no path")
	}
	switch op.typ {
	case "add":
		if err := need(op.name != "", "a name"); err != nil {
			return err
		}
		return need(op.value != nil, "a value")
	case "insert":
		if err := need(op.hasIndex, "an index"); err != nil {
			return err
		}
		return need(op.value != nil, "a value")
	case "replace":
		return need(op.value != nil, "a value")
	case "delete":
		return nil
	case "move":
		if err := need(op.hasSource, "a source"); err != nil {
			return err
		}
		return need(op.hasDest, "a destination")
	}
	return invalid(op.loc, "unknown operation type %q (add, insert, delete, replace, move)", op.typ)
}

func apply(ctx context.Context, root *fhir.Node, op operation) error {
	expr, err := fhirpath.Parse(op.path)
	if err != nil {
		return invalid(op.loc, "path %q: %v", op.path, err)
	}
	res, err := expr.Evaluate(ctx, root, fhirpath.Env{})
	if err != nil {
		return invalid(op.loc, "path %q: %v", op.path, err)
	}
	targets := res.Nodes()
	if len(targets) != len(res) {
		return invalid(op.loc, "path %q selects values that are not elements of the resource", op.path)
	}
	switch op.typ {
	case "add":
		if len(targets) != 1 {
			return countError(op, len(targets), "adding")
		}
		return add(targets[0], op)
	case "replace":
		if len(targets) != 1 {
			return countError(op, len(targets), "replacing")
		}
		return replace(root, targets[0], op)
	case "delete":
		switch len(targets) {
		case 0:
			return nil // deleting what is not there changes nothing
		case 1:
			parent := parentOf(root, targets[0])
			if parent == nil {
				return invalid(op.loc, "cannot delete the resource itself")
			}
			parent.Children = removeNode(parent.Children, targets[0])
			return nil
		}
		return countError(op, len(targets), "deleting")
	case "insert":
		return insert(ctx, root, targets, op)
	case "move":
		return move(root, targets, op)
	}
	return nil
}

func countError(op operation, n int, doing string) error {
	if n == 0 {
		return invalid(op.loc, "No content found at %s when %s", op.path, doing)
	}
	return invalid(op.loc, "%d items found at %s when %s; the path must select exactly one", n, op.path, doing)
}

// add adds a child named op.name holding op.value to container.
func add(container *fhir.Node, op operation) error {
	el := childDef(container, op.name)
	if el == nil {
		return invalid(op.loc, "%s has no element %q", container.Type, op.name)
	}
	v, err := valueNode(el, op)
	if err != nil {
		return err
	}
	container.Children = append(container.Children, v)
	return nil
}

// replace replaces target's value with op.value.
func replace(root, target *fhir.Node, op operation) error {
	if target.Def == nil {
		return invalid(op.loc, "cannot replace the resource itself")
	}
	v, err := valueNode(target.Def, op)
	if err != nil {
		return err
	}
	parent := parentOf(root, target)
	for i, c := range parent.Children {
		if c == target {
			parent.Children[i] = v
		}
	}
	return nil
}

// insert inserts op.value at op.index of the list the path selects.
func insert(ctx context.Context, root *fhir.Node, list []*fhir.Node, op operation) error {
	var parent *fhir.Node
	var el *model.Element
	if len(list) > 0 {
		parent = parentOf(root, list[0])
		el = list[0].Def
	} else { // an empty list: its parent is the path without its last step
		i := strings.LastIndexByte(op.path, '.')
		if i < 0 {
			return invalid(op.loc, "No content found at %s when inserting", op.path)
		}
		expr, err := fhirpath.Parse(op.path[:i])
		if err != nil {
			return invalid(op.loc, "path %q: %v", op.path, err)
		}
		res, err := expr.Evaluate(ctx, root, fhirpath.Env{})
		if err != nil || len(res.Nodes()) != 1 {
			return invalid(op.loc, "No content found at %s when inserting", op.path)
		}
		parent = res.Nodes()[0]
		el = childDef(parent, op.path[i+1:])
	}
	if parent == nil || el == nil {
		return invalid(op.loc, "cannot insert at %s", op.path)
	}
	if op.index > len(list) {
		return invalid(op.loc, "index %d is beyond the %d items at %s", op.index, len(list), op.path)
	}
	v, err := valueNode(el, op)
	if err != nil {
		return err
	}
	pos := len(parent.Children)
	if op.index < len(list) {
		pos = indexOf(parent.Children, list[op.index])
	} else if len(list) > 0 {
		pos = indexOf(parent.Children, list[len(list)-1]) + 1
	}
	parent.Children = append(parent.Children[:pos], append([]*fhir.Node{v}, parent.Children[pos:]...)...)
	return nil
}

// move moves the item at op.source of the list to op.destination.
func move(root *fhir.Node, list []*fhir.Node, op operation) error {
	if op.source >= len(list) || op.destination >= len(list) {
		return invalid(op.loc, "move %d → %d is outside the %d items at %s", op.source, op.destination, len(list), op.path)
	}
	parent := parentOf(root, list[0])
	if parent == nil {
		return invalid(op.loc, "cannot move at %s", op.path)
	}
	reordered := append([]*fhir.Node(nil), list...)
	item := reordered[op.source]
	reordered = append(reordered[:op.source], reordered[op.source+1:]...)
	reordered = append(reordered[:op.destination], append([]*fhir.Node{item}, reordered[op.destination:]...)...)
	// Put the reordered items back into the slots the list occupied.
	k := 0
	for i, c := range parent.Children {
		if containsNode(list, c) {
			parent.Children[i] = reordered[k]
			k++
		}
	}
	return nil
}

// childDef finds the definition of the child element name of n.
func childDef(n *fhir.Node, name string) *model.Element {
	var t *model.Type
	var path string
	if n.Def == nil { // a resource
		t, path = model.LookupType(n.Type), n.Type
	} else {
		t, path = n.Def.Structure(n.Type)
	}
	for _, e := range t.Children(path) {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// valueNode builds the node for op.value placed at element el.
func valueNode(el *model.Element, op operation) (*fhir.Node, error) {
	v := op.value
	if v.Name == "part" { // anonymous (backbone) type given as parts
		n := &fhir.Node{Name: el.Name, Type: "BackboneElement", Def: el}
		if len(el.Types) == 1 {
			n.Type = el.Types[0].Code
		}
		for _, p := range v.ChildrenNamed("part") {
			name := p.ChildValue("name")
			cel := childDef(n, name)
			if cel == nil {
				return nil, invalid(op.loc, "%s has no element %q", el.Path, name)
			}
			sub := op
			sub.value = p.Child("value")
			if sub.value == nil {
				sub.value = p
			}
			c, err := valueNode(cel, sub)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		}
		return n, nil
	}
	n := clone(v)
	n.Name, n.Def = el.Name, el
	switch {
	case el.HasType(v.Type), el.ContentReference != "", len(el.Types) == 0:
	case el.HasType("xhtml") && v.Type == "string": // a narrative given as a string
		n.Type = "xhtml"
	default:
		return nil, invalid(op.loc, "a %s value cannot go into %s (%s)", v.Type, el.Path, strings.Join(el.TypeCodes(), ", "))
	}
	return n, nil
}

// prune removes the elements a delete left empty: a complex value with no
// children or a primitive with neither value nor extensions.
func prune(n *fhir.Node) {
	kept := n.Children[:0]
	for _, c := range n.Children {
		prune(c)
		if c.Value == "" && len(c.Children) == 0 {
			continue
		}
		kept = append(kept, c)
	}
	n.Children = kept
}

func clone(n *fhir.Node) *fhir.Node {
	c := *n
	c.Children = make([]*fhir.Node, len(n.Children))
	for i, ch := range n.Children {
		c.Children[i] = clone(ch)
	}
	return &c
}

func parentOf(root, target *fhir.Node) *fhir.Node {
	for _, c := range root.Children {
		if c == target {
			return root
		}
		if p := parentOf(c, target); p != nil {
			return p
		}
	}
	return nil
}

func removeNode(list []*fhir.Node, n *fhir.Node) []*fhir.Node {
	out := list[:0]
	for _, c := range list {
		if c != n {
			out = append(out, c)
		}
	}
	return out
}

func indexOf(list []*fhir.Node, n *fhir.Node) int {
	for i, c := range list {
		if c == n {
			return i
		}
	}
	return len(list)
}

func containsNode(list []*fhir.Node, n *fhir.Node) bool { return indexOf(list, n) < len(list) }
