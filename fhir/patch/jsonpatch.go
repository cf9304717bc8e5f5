package patch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

// JSONDocument applies an RFC 6902 JSON Patch to any JSON document and
// returns the result. It knows nothing of FHIR; see [JSON].
func JSONDocument(doc, patch []byte) ([]byte, error) {
	var target any
	if err := decodeJSON(doc, &target); err != nil {
		return nil, invalid("", "the document is not JSON: %v", err)
	}
	var ops []map[string]any
	if err := decodeJSON(patch, &ops); err != nil {
		return nil, invalid("", "a JSON Patch is a JSON array of operations: %v", err)
	}
	for i, op := range ops {
		var err error
		target, err = applyJSONOp(target, op)
		if err != nil {
			return nil, invalid("/"+strconv.Itoa(i), "operation %d (%v %v): %v", i, op["op"], op["path"], err)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(target); err != nil {
		return nil, fmt.Errorf("patch: encode: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// JSON applies an RFC 6902 JSON Patch to a resource and re-reads the result
// with the strict codec. The patch may not change the resource type or id.
func JSON(resource *fhir.Node, patch []byte) (*fhir.Node, error) {
	doc, err := fhirjson.Marshal(resource)
	if err != nil {
		return nil, err
	}
	out, err := JSONDocument(doc, patch)
	if err != nil {
		return nil, err
	}
	n, err := fhirjson.UnmarshalOptions{ResourceType: resource.Type}.Unmarshal(out)
	if err != nil {
		return nil, fmt.Errorf("patch: the patched resource is not valid: %w", err)
	}
	if n.ID() != resource.ID() {
		return nil, invalid(resource.Type+".id", "a patch may not change the resource id")
	}
	return n, nil
}

func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func applyJSONOp(doc any, op map[string]any) (any, error) {
	name, _ := op["op"].(string)
	path, ok := op["path"].(string)
	if !ok {
		return nil, fmt.Errorf("missing path")
	}
	value, hasValue := op["value"]
	switch name {
	case "add":
		if !hasValue {
			return nil, fmt.Errorf("add needs a value")
		}
		return pointerAdd(doc, path, value)
	case "remove":
		doc, _, err := pointerRemove(doc, path)
		return doc, err
	case "replace":
		if !hasValue {
			return nil, fmt.Errorf("replace needs a value")
		}
		doc, _, err := pointerRemove(doc, path)
		if err != nil {
			return nil, err
		}
		return pointerAdd(doc, path, value)
	case "move", "copy":
		from, ok := op["from"].(string)
		if !ok {
			return nil, fmt.Errorf("%s needs from", name)
		}
		if name == "move" && strings.HasPrefix(path, from+"/") {
			return nil, fmt.Errorf("cannot move %s into its own child %s", from, path)
		}
		v, err := pointerGet(doc, from)
		if err != nil {
			return nil, err
		}
		if name == "move" {
			if doc, _, err = pointerRemove(doc, from); err != nil {
				return nil, err
			}
		} else {
			v = deepCopy(v)
		}
		return pointerAdd(doc, path, v)
	case "test":
		if !hasValue {
			return nil, fmt.Errorf("test needs a value")
		}
		v, err := pointerGet(doc, path)
		if err != nil {
			return nil, err
		}
		if !jsonEqual(v, value) {
			return nil, fmt.Errorf("test failed: the value at %s is not %v", path, value)
		}
		return doc, nil
	}
	return nil, fmt.Errorf("unknown op %q", name)
}

// splitPointer splits an RFC 6901 pointer into unescaped tokens.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("pointer %q does not start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

func arrayIndex(tok string, n int, allowEnd bool) (int, error) {
	if tok == "-" && allowEnd {
		return n, nil
	}
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, fmt.Errorf("bad array index %q", tok)
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 {
		return 0, fmt.Errorf("bad array index %q", tok)
	}
	limit := n - 1
	if allowEnd {
		limit = n
	}
	if i > limit {
		return 0, fmt.Errorf("array index %d out of range (length %d)", i, n)
	}
	return i, nil
}

func pointerGet(doc any, p string) (any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("path %s does not exist", p)
			}
			cur = v
		case []any:
			i, err := arrayIndex(t, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("path %s does not exist", p)
		}
	}
	return cur, nil
}

// pointerAdd adds value at p and returns the (possibly new) document root.
func pointerAdd(doc any, p string, value any) (any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return value, nil
	}
	parentPtr := "/" + strings.Join(escape(toks[:len(toks)-1]), "/")
	if len(toks) == 1 {
		parentPtr = ""
	}
	parent, err := pointerGet(doc, parentPtr)
	if err != nil {
		return nil, fmt.Errorf("path %s does not exist -- missing objects are not created recursively", parentPtr)
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = value
		return doc, nil
	case []any:
		i, err := arrayIndex(last, len(c), true)
		if err != nil {
			return nil, err
		}
		c = append(c[:i], append([]any{value}, c[i:]...)...)
		return setAt(doc, parentPtr, c)
	}
	return nil, fmt.Errorf("cannot add to %s: not an object or array", parentPtr)
}

// pointerRemove removes the value at p, returning the new root and the value.
func pointerRemove(doc any, p string) (any, any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, nil, err
	}
	if len(toks) == 0 {
		return nil, doc, nil
	}
	parentPtr := ""
	if len(toks) > 1 {
		parentPtr = "/" + strings.Join(escape(toks[:len(toks)-1]), "/")
	}
	parent, err := pointerGet(doc, parentPtr)
	if err != nil {
		return nil, nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, nil, fmt.Errorf("path %s does not exist", p)
		}
		delete(c, last)
		return doc, v, nil
	case []any:
		i, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, nil, err
		}
		v := c[i]
		c = append(c[:i:i], c[i+1:]...)
		doc, err = setAt(doc, parentPtr, c)
		return doc, v, err
	}
	return nil, nil, fmt.Errorf("path %s does not exist", p)
}

// setAt replaces the value at p (used when an array's slice header changed).
func setAt(doc any, p string, v any) (any, error) {
	toks, _ := splitPointer(p)
	if len(toks) == 0 {
		return v, nil
	}
	parentPtr := ""
	if len(toks) > 1 {
		parentPtr = "/" + strings.Join(escape(toks[:len(toks)-1]), "/")
	}
	parent, err := pointerGet(doc, parentPtr)
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = v
	case []any:
		i, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, err
		}
		c[i] = v
	}
	return doc, nil
}

func escape(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, c := range x {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, c := range x {
			s[i] = deepCopy(c)
		}
		return s
	}
	return v
}

// jsonEqual compares JSON values; numbers compare by value, and a number
// never equals a string.
func jsonEqual(a, b any) bool {
	na, aNum := a.(json.Number)
	nb, bNum := b.(json.Number)
	if aNum || bNum {
		if !(aNum && bNum) {
			return false
		}
		fa, ea := na.Float64()
		fb, eb := nb.Float64()
		return ea == nil && eb == nil && fa == fb
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
