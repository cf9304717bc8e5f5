package fhirpath

import (
	"fmt"
	"strconv"
	"strings"

	"yigong/fhir/model"
)

// Expression is a parsed FHIRPath expression. It is immutable and safe for
// concurrent use by multiple goroutines.
type Expression struct {
	src  string
	root expr
}

// Parse parses a FHIRPath expression. Errors are *SyntaxError values (for
// unknown functions, wrong argument counts and unknown types too) carrying
// the line and column.
func Parse(src string) (*Expression, error) {
	if len(src) > maxExprLen {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "expression too long"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	e, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "unexpected "+t.describe())
	}
	return &Expression{src: src, root: e}, nil
}

// MustParse is like Parse but panics on error; for expressions fixed at
// compile time.
func MustParse(src string) *Expression {
	e, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return e
}

// Source returns the expression text as given to Parse.
func (e *Expression) Source() string { return e.src }

// String returns a canonical rendering of the parsed expression with the
// parentheses precedence requires; parsing it again yields the same
// rendering.
func (e *Expression) String() string {
	var b strings.Builder
	e.root.write(&b)
	return b.String()
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 400

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg string) error { return syntaxErr(p.src, t.pos, msg) }

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == s
}

func (p *parser) expect(s string) error {
	t := p.next()
	if t.kind != tOp || t.text != s {
		return p.errAt(t, fmt.Sprintf("expected %q, found %s", s, t.describe()))
	}
	return nil
}

// Binary precedence levels, lowest first.
var binaryLevels = [][]string{
	{"implies"},
	{"or", "xor"},
	{"and"},
	{"in", "contains"},
	{"=", "~", "!=", "!~"},
	{"<", ">", "<=", ">="},
	{"|"},
	{"is", "as"}, // type expressions
	{"+", "-", "&"},
	{"*", "/", "div", "mod"},
}

func (p *parser) binaryOp(level int) (string, bool) {
	t := p.peek()
	if t.kind != tOp && t.kind != tIdent {
		return "", false
	}
	for _, op := range binaryLevels[level] {
		if t.text == op {
			return op, true
		}
	}
	return "", false
}

func (p *parser) expression(level int) (expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errAt(p.peek(), "expression nested too deeply")
	}
	if level == len(binaryLevels) {
		return p.unary()
	}
	left, err := p.expression(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.binaryOp(level)
		if !ok {
			return left, nil
		}
		opTok := p.next()
		if op == "is" || op == "as" {
			ts, err := p.typeSpecifier()
			if err != nil {
				return nil, err
			}
			left = &typeExpr{op: op, x: left, spec: ts, pos: opTok.pos}
			continue
		}
		right, err := p.expression(level + 1)
		if err != nil {
			return nil, err
		}
		left = &binaryExpr{op: op, l: left, r: right, pos: opTok.pos}
	}
}

func (p *parser) typeSpecifier() (typeSpec, error) {
	t := p.next()
	if t.kind != tIdent && t.kind != tDelim {
		return typeSpec{}, p.errAt(t, "expected a type name, found "+t.describe())
	}
	ts := typeSpec{name: t.text}
	if p.isOp(".") && (p.toks[p.i+1].kind == tIdent || p.toks[p.i+1].kind == tDelim) {
		p.next()
		n := p.next()
		ts = typeSpec{ns: t.text, name: n.text}
	}
	if !ts.valid() {
		return ts, p.errAt(t, "unknown type "+ts.String())
	}
	return ts, nil
}

func (p *parser) unary() (expr, error) {
	if p.isOp("+") || p.isOp("-") {
		op := p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.errAt(op, "expression nested too deeply")
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: op.text, x: x, pos: op.pos}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (expr, error) {
	x, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("."):
			p.next()
			t := p.next()
			if t.kind != tIdent && t.kind != tDelim {
				return nil, p.errAt(t, "expected a name after '.', found "+t.describe())
			}
			if t.kind == tIdent && p.isOp("(") {
				x, err = p.call(x, t)
				if err != nil {
					return nil, err
				}
				continue
			}
			if err := checkCastMember(x, t.text); err != nil {
				return nil, p.errAt(t, err.Error())
			}
			x = &memberExpr{x: x, name: t.text}
		case p.isOp("["):
			open := p.next()
			idx, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			x = &indexExpr{x: x, index: idx, pos: open.pos}
		default:
			return x, nil
		}
	}
}

func (p *parser) term() (expr, error) {
	t := p.next()
	switch t.kind {
	case tNumber:
		return p.number(t)
	case tString:
		return &literalExpr{val: single(String(t.text)), text: quoteString(t.text)}, nil
	case tDate:
		d, ok := ParseDate(t.text)
		if !ok {
			return nil, p.errAt(t, "invalid date @"+t.text)
		}
		return &literalExpr{val: single(d), text: "@" + t.text}, nil
	case tDateTime:
		d, ok := ParseDateTime(t.text)
		if !ok {
			return nil, p.errAt(t, "invalid date-time @"+t.text)
		}
		return &literalExpr{val: single(d), text: "@" + t.text}, nil
	case tTime:
		tm, ok := ParseTime(t.text[1:])
		if !ok {
			return nil, p.errAt(t, "invalid time @"+t.text)
		}
		return &literalExpr{val: single(tm), text: "@" + t.text}, nil
	case tVar:
		return &varExpr{name: t.text}, nil
	case tConst:
		return &constExpr{name: t.text}, nil
	case tDelim:
		return &identExpr{name: t.text, delimited: true}, nil
	case tIdent:
		switch t.text {
		case "true":
			return &literalExpr{val: single(Boolean(true)), text: "true"}, nil
		case "false":
			return &literalExpr{val: single(Boolean(false)), text: "false"}, nil
		}
		if p.isOp("(") {
			return p.call(nil, t)
		}
		return &identExpr{name: t.text}, nil
	case tOp:
		switch t.text {
		case "(":
			x, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return &parenExpr{x: x}, nil
		case "{":
			if err := p.expect("}"); err != nil {
				return nil, err
			}
			return &literalExpr{text: "{}"}, nil
		}
	}
	return nil, p.errAt(t, "unexpected "+t.describe())
}

func (p *parser) number(t token) (expr, error) {
	// A quantity: a number followed by a unit string or a calendar keyword.
	u := p.peek()
	unit, isQty := "", false
	if u.kind == tString {
		unit, isQty = u.text, true
	} else if u.kind == tIdent && isCalendarUnit(u.text) {
		unit, isQty = u.text, true
	}
	if isQty {
		p.next()
		d, ok := ParseDecimal(t.text)
		if !ok {
			return nil, p.errAt(t, "invalid number "+t.text)
		}
		if u.kind == tString {
			if _, ok := parseUnit(unit); !ok {
				return nil, p.errAt(u, "invalid unit '"+unit+"'")
			}
		}
		q := Quantity{Value: d, Unit: unit}
		text := t.text + " " + unit
		if u.kind == tString {
			text = t.text + " " + quoteString(unit)
		}
		return &literalExpr{val: single(q), text: text}, nil
	}
	if !strings.Contains(t.text, ".") {
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, p.errAt(t, "integer out of range: "+t.text)
		}
		return &literalExpr{val: single(Integer(n)), text: t.text}, nil
	}
	d, ok := ParseDecimal(t.text)
	if !ok {
		return nil, p.errAt(t, "invalid number "+t.text)
	}
	return &literalExpr{val: single(d), text: t.text}, nil
}

func (p *parser) call(target expr, name token) (expr, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var args []expr
	if !p.isOp(")") {
		for {
			a, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.isOp(",") {
				p.next()
				continue
			}
			break
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	fn, ok := functions[name.text]
	if !ok {
		return nil, p.errAt(name, "unknown function "+name.text+"()")
	}
	if len(args) < fn.minArgs || (fn.maxArgs >= 0 && len(args) > fn.maxArgs) {
		return nil, p.errAt(name, fmt.Sprintf("wrong number of arguments for %s(): %d", name.text, len(args)))
	}
	c := &callExpr{target: target, name: name.text, args: args, fn: fn, pos: name.pos}
	if fn.typeArg {
		ts, ok := typeSpecOf(args[0])
		if !ok {
			return nil, p.errAt(name, name.text+"() needs a type name")
		}
		if !ts.valid() {
			return nil, p.errAt(name, "unknown type "+ts.String())
		}
		c.spec = ts
	}
	return c, nil
}

// typeSpecOf reads a type specifier written as an expression argument:
// Quantity, FHIR.Patient, System.`String`.
func typeSpecOf(e expr) (typeSpec, bool) {
	switch x := e.(type) {
	case *identExpr:
		return typeSpec{name: x.name}, true
	case *memberExpr:
		if id, ok := x.x.(*identExpr); ok {
			return typeSpec{ns: id.name, name: x.name}, true
		}
	}
	return typeSpec{}, false
}

func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	writeEscaped(&b, s, '\'')
	b.WriteByte('\'')
	return b.String()
}

func writeEscaped(b *strings.Builder, s string, q byte) {
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r == rune(q) {
				b.WriteByte('\\')
				b.WriteByte(q)
			} else if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
}

func identText(name string) string {
	ok := name != "" && isIdentStart(name[0])
	for i := 0; ok && i < len(name); i++ {
		ok = isIdentPart(name[i])
	}
	switch name {
	case "true", "false", "and", "or", "xor", "implies", "div", "mod", "in", "contains", "is", "as":
		ok = false
	}
	if ok {
		return name
	}
	var b strings.Builder
	b.WriteByte('`')
	writeEscaped(&b, name, '`')
	b.WriteByte('`')
	return b.String()
}

// checkCastMember is the one static type check the parser makes: after a
// cast to a FHIR type (x as Period, x.as(Period), x.ofType(Period)) the
// member must be an element of that type.
func checkCastMember(x expr, name string) error {
	for {
		p, ok := x.(*parenExpr)
		if !ok {
			break
		}
		x = p.x
	}
	var spec typeSpec
	switch c := x.(type) {
	case *typeExpr:
		if c.op != "as" {
			return nil
		}
		spec = c.spec
	case *callExpr:
		if c.name != "as" && c.name != "ofType" {
			return nil
		}
		spec = c.spec
	default:
		return nil
	}
	if spec.ns == nsSystem {
		return nil
	}
	t := model.LookupType(spec.name)
	if t == nil || len(t.Elements) == 0 {
		return nil
	}
	if t.Element(t.Name+"."+name) == nil && t.Element(t.Name+"."+name+"[x]") == nil {
		return fmt.Errorf("%s has no element %q", spec.name, name)
	}
	return nil
}
