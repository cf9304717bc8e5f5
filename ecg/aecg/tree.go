package aecg

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// node is an element of the parsed document; namespaces are dropped (aECG
// uses the single urn:hl7-org:v3 namespace).
type node struct {
	name     string
	attrs    []xml.Attr
	children []*node
	text     strings.Builder
}

func (n *node) attr(name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// child returns the first child with the name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// path follows a chain of first children.
func (n *node) path(names ...string) *node {
	for _, name := range names {
		n = n.child(name)
	}
	return n
}

func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) str() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.text.String())
}

// maxDepth caps element nesting.
const maxDepth = 512

// stashAttr marks a digits element whose text was taken out before
// tokenising; its value indexes the stash.
const stashAttr = "yigong-digits-stash"

// stashDigits takes the text of the <digits> elements (with or without a
// namespace prefix, without attributes) out of the document: a waveform
// is nearly all digits, and encoding/xml reads text a byte at a time. A
// text is taken only when it is plain numbers (digits, signs, points,
// exponents, whitespace), so nothing the XML decoder would check is
// skipped; the element gets an attribute naming its stash entry. When
// nothing is taken, b is returned as is.
func stashDigits(b []byte) ([]byte, [][]byte) {
	var (
		out   []byte
		stash [][]byte
		last  int
	)
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("digits>"))
		if j < 0 {
			break
		}
		j += i
		i = j + len("digits>")
		// The start tag: '<' or "<prefix:" right before.
		var open int
		switch k := j - 1; {
		case k < 0:
			continue
		case b[k] == '<':
			open = k
		case b[k] == ':' && prefixed(b, k):
			open = bytes.LastIndexByte(b[:k], '<')
		default:
			continue
		}
		end := bytes.IndexByte(b[i:], '<')
		if end < 0 {
			break
		}
		text := b[i : i+end]
		close := b[i+end:]
		name := b[open+1 : j+len("digits")]
		if !bytes.HasPrefix(close, []byte("</")) || !bytes.HasPrefix(close[2:], name) || len(close) < 3+len(name) || close[2+len(name)] != '>' || !plainNumbers(text) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)/8)
		}
		out = append(out, b[last:j+len("digits")]...)
		out = append(out, " "+stashAttr+`="`...)
		out = strconv.AppendInt(out, int64(len(stash)), 10)
		out = append(out, `">`...)
		stash = append(stash, text)
		i += end
		last = i
	}
	if out == nil {
		return b, nil
	}
	return append(out, b[last:]...), stash
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// prefixed reports whether the ':' at k ends a prefix that follows a '<'.
func prefixed(b []byte, k int) bool {
	p := k - 1
	for p >= 0 && isNameByte(b[p]) {
		p--
	}
	return p >= 0 && p < k-1 && b[p] == '<'
}

func plainNumbers(t []byte) bool {
	for _, c := range t {
		switch {
		case c >= '0' && c <= '9', c == ' ', c == '\t', c == '\r', c == '\n', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}

// parseTree builds the tree with the fast tokenizer, or with encoding/xml
// (digits stashed, as it reads text slowly) for what the fast one leaves.
func parseTree(b []byte) (*node, error) {
	if fast, err := parseFast(b, nil); !errors.Is(err, errSlowPath) {
		return fast, err
	}
	b, stash := stashDigits(b)
	return parseSlow(b, stash)
}

// parseSlow builds the tree with encoding/xml (strict mode).
func parseSlow(b []byte, stash [][]byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q: %w", label, errors.ErrUnsupported)
	}
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("aecg: xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, attrs: t.Attr}
			if k := len(t.Attr) - 1; k >= 0 && t.Attr[k].Name.Local == stashAttr && t.Attr[k].Name.Space == "" {
				if i, err := strconv.Atoi(t.Attr[k].Value); err == nil && i >= 0 && i < len(stash) {
					n.text.Write(stash[i])
					n.attrs = t.Attr[:k]
				}
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("aecg: xml: more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("aecg: xml: nesting deeper than %d", maxDepth)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("aecg: xml: no root element")
	}
	return root, nil
}
