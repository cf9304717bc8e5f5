package fhirpath

import "sync"

import "strings"

// expr is a node of the parsed expression tree.
type expr interface {
	eval(st *state, fr *frame) (Collection, error)
	write(b *strings.Builder)
}

type literalExpr struct {
	val  Collection // nil for {}
	text string
}

type parenExpr struct{ x expr }

type identExpr struct {
	name      string
	delimited bool
}

type memberExpr struct {
	x    expr
	name string
}

type indexExpr struct {
	x, index expr
	pos      int
}

type callExpr struct {
	target expr // nil when the function is called without a focus
	name   string
	args   []expr
	fn     *funcDef
	spec   typeSpec // for is/as/ofType
	pos    int
	// regexps caches compiled patterns of matches() and replaceMatches()
	// (pattern → *regexp.Regexp); safe for concurrent evaluations.
	regexps sync.Map
}

type unaryExpr struct {
	op  string
	x   expr
	pos int
}

type binaryExpr struct {
	op   string
	l, r expr
	pos  int
}

type typeExpr struct {
	op   string // "is" or "as"
	x    expr
	spec typeSpec
	pos  int
}

type varExpr struct{ name string } // $this, $index, $total

type constExpr struct{ name string } // %name

// Precedence of expression nodes for rendering (higher binds tighter).
const (
	precTerm  = 12
	precUnary = 11
	precType  = 8
)

var binaryPrec = map[string]int{
	"implies": 1, "or": 2, "xor": 2, "and": 3, "in": 4, "contains": 4,
	"=": 5, "~": 5, "!=": 5, "!~": 5, "<": 6, ">": 6, "<=": 6, ">=": 6,
	"|": 7, "+": 9, "-": 9, "&": 9, "*": 10, "/": 10, "div": 10, "mod": 10,
}

func prec(e expr) int {
	switch x := e.(type) {
	case *parenExpr:
		return prec(x.x)
	case *binaryExpr:
		return binaryPrec[x.op]
	case *typeExpr:
		return precType
	case *unaryExpr:
		return precUnary
	}
	return precTerm
}

// writeOperand writes e, parenthesised when it binds looser than min.
func writeOperand(b *strings.Builder, e expr, min int) {
	if prec(e) < min {
		b.WriteByte('(')
		e.write(b)
		b.WriteByte(')')
		return
	}
	e.write(b)
}

func (e *literalExpr) write(b *strings.Builder) { b.WriteString(e.text) }

// A parenthesised expression renders as its content: write adds exactly
// the parentheses precedence requires, so String() re-parses to itself.
func (e *parenExpr) write(b *strings.Builder) { e.x.write(b) }
func (e *identExpr) write(b *strings.Builder) { b.WriteString(identText(e.name)) }
func (e *memberExpr) write(b *strings.Builder) {
	writeOperand(b, e.x, precTerm)
	b.WriteByte('.')
	b.WriteString(identText(e.name))
}
func (e *indexExpr) write(b *strings.Builder) {
	writeOperand(b, e.x, precTerm)
	b.WriteByte('[')
	e.index.write(b)
	b.WriteByte(']')
}
func (e *callExpr) write(b *strings.Builder) {
	if e.target != nil {
		writeOperand(b, e.target, precTerm)
		b.WriteByte('.')
	}
	b.WriteString(e.name)
	b.WriteByte('(')
	for i, a := range e.args {
		if i > 0 {
			b.WriteString(", ")
		}
		a.write(b)
	}
	b.WriteByte(')')
}
func (e *unaryExpr) write(b *strings.Builder) {
	b.WriteString(e.op)
	writeOperand(b, e.x, precUnary)
}
func (e *binaryExpr) write(b *strings.Builder) {
	p := binaryPrec[e.op]
	writeOperand(b, e.l, p)
	b.WriteByte(' ')
	b.WriteString(e.op)
	b.WriteByte(' ')
	writeOperand(b, e.r, p+1)
}
func (e *typeExpr) write(b *strings.Builder) {
	writeOperand(b, e.x, precType)
	b.WriteByte(' ')
	b.WriteString(e.op)
	b.WriteByte(' ')
	if e.spec.ns != "" {
		b.WriteString(identText(e.spec.ns))
		b.WriteByte('.')
	}
	b.WriteString(identText(e.spec.name))
}
func (e *varExpr) write(b *strings.Builder) { b.WriteString("$" + e.name) }
func (e *constExpr) write(b *strings.Builder) {
	b.WriteByte('%')
	b.WriteString(identText(e.name))
}
