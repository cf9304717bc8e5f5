package aecg

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errSlowPath makes parseTree hand a document to encoding/xml: the fast
// tokenizer below reads the UTF-8 documents carts write, and leaves
// anything else (a DOCTYPE, another declared encoding, invalid UTF-8) to
// the standard decoder, which reports its own errors.
var errSlowPath = errors.New("aecg: not for the fast tokenizer")

// parseFast builds the tree of a UTF-8 document without encoding/xml,
// which reads a byte at a time through an interface and costs most of a
// decode. It checks well-formedness as far as the tree needs: names,
// matching end tags, quoted attribute values, known entities, one root,
// nothing but whitespace, comments and processing instructions outside it.
func parseFast(b []byte, stash [][]byte) (*node, error) {
	if !utf8.Valid(b) {
		return nil, errSlowPath
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var (
		stack []*node
		qname []string // raw names of the open elements
		root  *node
	)
	syntax := func(p int, format string, args ...any) error {
		return fmt.Errorf("aecg: xml: byte %d: %s", p, fmt.Sprintf(format, args...))
	}
	for p := 0; p < len(b); {
		if b[p] != '<' {
			end := bytes.IndexByte(b[p:], '<')
			if end < 0 {
				end = len(b) - p
			}
			text := b[p : p+end]
			if len(stack) == 0 {
				if len(bytes.TrimSpace(text)) > 0 {
					return nil, syntax(p, "text outside the root element")
				}
			} else if err := appendText(&stack[len(stack)-1].text, text); err != nil {
				return nil, syntax(p, "%v", err)
			}
			p += end
			continue
		}
		rest := b[p:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest[2:], []byte("?>"))
			if end < 0 {
				return nil, syntax(p, "unterminated processing instruction")
			}
			end += 2
			pi := rest[2:end]
			if len(pi) == 0 || pi[0] == ' ' {
				return nil, syntax(p, "processing instruction without a target")
			}
			if bytes.HasPrefix(pi, []byte("xml ")) || bytes.HasPrefix(pi, []byte("xml\t")) || bytes.HasPrefix(pi, []byte("xml\n")) || bytes.HasPrefix(pi, []byte("xml\r")) {
				if p != 0 {
					return nil, syntax(p, "XML declaration not at the start")
				}
				if enc := declEncoding(pi); enc != "" && !strings.EqualFold(enc, "utf-8") && !strings.EqualFold(enc, "utf8") {
					return nil, errSlowPath
				}
			}
			p += end + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return nil, syntax(p, "unterminated comment")
			}
			p += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end >= 0 {
				end += 9
			}
			if end < 0 || len(stack) == 0 {
				return nil, syntax(p, "CDATA section outside an element or unterminated")
			}
			stack[len(stack)-1].text.Write(rest[9:end])
			p += end + 3
		case bytes.HasPrefix(rest, []byte("<!")):
			return nil, errSlowPath // DOCTYPE and the like
		case bytes.HasPrefix(rest, []byte("</")):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return nil, syntax(p, "unterminated end tag")
			}
			name := string(bytes.TrimRight(rest[2:end], " \t\r\n"))
			if len(stack) == 0 || qname[len(qname)-1] != name {
				return nil, syntax(p, "end tag </%s> does not match", name)
			}
			stack, qname = stack[:len(stack)-1], qname[:len(qname)-1]
			p += end + 1
		default:
			n, name, size, closed, err := startTag(rest)
			if err != nil {
				return nil, syntax(p, "%v", err)
			}
			if k := len(n.attrs) - 1; k >= 0 && n.attrs[k].Name.Local == stashAttr {
				if i, err := strconv.Atoi(n.attrs[k].Value); err == nil && i >= 0 && i < len(stash) {
					n.text.Write(stash[i])
					n.attrs = n.attrs[:k]
				}
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("aecg: xml: more than one root element")
				}
				root = n
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			}
			if !closed {
				if len(stack) >= maxDepth {
					return nil, fmt.Errorf("aecg: xml: nesting deeper than %d", maxDepth)
				}
				stack, qname = append(stack, n), append(qname, name)
			}
			p += size
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("aecg: xml: element <%s> not closed", qname[len(qname)-1])
	}
	if root == nil {
		return nil, errors.New("aecg: xml: no root element")
	}
	return root, nil
}

// declEncoding is the encoding pseudo-attribute of an XML declaration.
func declEncoding(pi []byte) string {
	i := bytes.Index(pi, []byte("encoding"))
	if i < 0 {
		return ""
	}
	v := bytes.TrimLeft(pi[i+len("encoding"):], " \t\r\n=")
	if len(v) == 0 || (v[0] != '"' && v[0] != '\'') {
		return ""
	}
	end := bytes.IndexByte(v[1:], v[0])
	if end < 0 {
		return ""
	}
	return string(v[1 : 1+end])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// readName reads an XML name (letters, digits, _-.: and non-ASCII) at the
// start of b.
func readName(b []byte) (string, error) {
	i := 0
	for i < len(b) && (isNameByte(b[i]) || b[i] == ':') {
		i++
	}
	if i == 0 || (b[0] >= '0' && b[0] <= '9') || b[0] == '-' || b[0] == '.' {
		return "", errors.New("bad name")
	}
	return string(b[:i]), nil
}

func local(q string) (space, name string) {
	if i := strings.IndexByte(q, ':'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return "", q
}

// startTag reads "<name attr='v' ...>" or ".../>" at the start of b.
func startTag(b []byte) (n *node, qname string, size int, closed bool, err error) {
	qname, err = readName(b[1:])
	if err != nil {
		return nil, "", 0, false, err
	}
	_, l := local(qname)
	n = &node{name: l}
	p := 1 + len(qname)
	for {
		sp := p
		for p < len(b) && isSpace(b[p]) {
			p++
		}
		if p >= len(b) {
			return nil, "", 0, false, fmt.Errorf("unterminated start tag <%s>", qname)
		}
		switch {
		case b[p] == '>':
			return n, qname, p + 1, false, nil
		case b[p] == '/' && p+1 < len(b) && b[p+1] == '>':
			return n, qname, p + 2, true, nil
		}
		if sp == p {
			return nil, "", 0, false, fmt.Errorf("no space before an attribute of <%s>", qname)
		}
		an, err := readName(b[p:])
		if err != nil {
			return nil, "", 0, false, fmt.Errorf("attribute of <%s>: %w", qname, err)
		}
		p += len(an)
		for p < len(b) && isSpace(b[p]) {
			p++
		}
		if p >= len(b) || b[p] != '=' {
			return nil, "", 0, false, fmt.Errorf("attribute %s of <%s> has no value", an, qname)
		}
		p++
		for p < len(b) && isSpace(b[p]) {
			p++
		}
		if p >= len(b) || (b[p] != '"' && b[p] != '\'') {
			return nil, "", 0, false, fmt.Errorf("attribute %s of <%s> is not quoted", an, qname)
		}
		q := b[p]
		end := bytes.IndexByte(b[p+1:], q)
		if end < 0 {
			return nil, "", 0, false, fmt.Errorf("attribute %s of <%s> is not terminated", an, qname)
		}
		raw := b[p+1 : p+1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, "", 0, false, fmt.Errorf("'<' in attribute %s of <%s>", an, qname)
		}
		var v strings.Builder
		if err := appendText(&v, raw); err != nil {
			return nil, "", 0, false, err
		}
		space, l := local(an)
		for _, a := range n.attrs {
			if a.Name.Space == space && a.Name.Local == l {
				return nil, "", 0, false, fmt.Errorf("attribute %s repeated in <%s>", an, qname)
			}
		}
		n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Space: space, Local: l}, Value: v.String()})
		p += 1 + end + 1
	}
}

// appendText writes t with its character and entity references resolved;
// control characters other than tab, CR and LF are not XML characters.
func appendText(w *strings.Builder, t []byte) error {
	for _, c := range t {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return fmt.Errorf("control character %#x", c)
		}
	}
	for {
		i := bytes.IndexByte(t, '&')
		if i < 0 {
			w.Write(t)
			return nil
		}
		w.Write(t[:i])
		t = t[i:]
		end := bytes.IndexByte(t, ';')
		if end < 0 || end > 12 {
			return errors.New("unterminated entity reference")
		}
		ref := string(t[1:end])
		switch ref {
		case "lt":
			w.WriteByte('<')
		case "gt":
			w.WriteByte('>')
		case "amp":
			w.WriteByte('&')
		case "quot":
			w.WriteByte('"')
		case "apos":
			w.WriteByte('\'')
		default:
			var r uint64
			var err error
			switch {
			case strings.HasPrefix(ref, "#x"):
				r, err = strconv.ParseUint(ref[2:], 16, 32)
			case strings.HasPrefix(ref, "#"):
				r, err = strconv.ParseUint(ref[1:], 10, 32)
			default:
				return fmt.Errorf("unknown entity &%s;", ref)
			}
			if err != nil || r == 0 || r > utf8.MaxRune || !utf8.ValidRune(rune(r)) {
				return fmt.Errorf("bad character reference &%s;", ref)
			}
			w.WriteRune(rune(r))
		}
		t = t[end+1:]
	}
}
