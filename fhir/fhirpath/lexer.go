package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError is a parse error with its position in the expression.
type SyntaxError struct {
	Offset int    // byte offset of the offending token
	Line   int    // 1-based line
	Column int    // 1-based column (in runes)
	Msg    string // what is wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("fhirpath: %d:%d: %s", e.Line, e.Column, e.Msg)
}

type tokKind uint8

const (
	tEOF      tokKind = iota
	tIdent            // identifier or keyword
	tDelim            // `delimited identifier`
	tString           // 'string'
	tNumber           // 12, 1.5
	tDate             // @2014-01-01
	tDateTime         // @2014-01-01T10:00
	tTime             // @T10:00
	tVar              // $this, $index, $total
	tConst            // %name, %`name`, %'name'
	tOp               // punctuation and operators
)

type token struct {
	kind tokKind
	text string // identifier name, decoded string, literal text, operator
	pos  int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return "string '" + t.text + "'"
	}
	return strconv.Quote(t.text)
}

type lexer struct {
	src  string
	toks []token
}

// maxExprLen caps the size of an expression the parser accepts.
const maxExprLen = 1 << 20

func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	i := 0
	for {
		// Skip white space and comments.
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' {
				i++
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '*' {
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, l.errAt(i, "unterminated comment")
				}
				i += end + 4
				continue
			}
			break
		}
		if i >= len(src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: i})
			return l.toks, nil
		}
		start := i
		c := src[i]
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			l.toks = append(l.toks, token{kind: tIdent, text: src[start:i], pos: start})
		case c >= '0' && c <= '9':
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
			if i+1 < len(src) && src[i] == '.' && src[i+1] >= '0' && src[i+1] <= '9' {
				i++
				for i < len(src) && src[i] >= '0' && src[i] <= '9' {
					i++
				}
			}
			l.toks = append(l.toks, token{kind: tNumber, text: src[start:i], pos: start})
		case c == '\'' || c == '`':
			s, n, err := l.quoted(i)
			if err != nil {
				return nil, err
			}
			k := tString
			if c == '`' {
				k = tDelim
			}
			l.toks = append(l.toks, token{kind: k, text: s, pos: start})
			i = n
		case c == '@':
			k, n, err := l.dateLiteral(i)
			if err != nil {
				return nil, err
			}
			l.toks = append(l.toks, token{kind: k, text: src[i+1 : n], pos: start})
			i = n
		case c == '$':
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			name := src[start+1 : i]
			if name != "this" && name != "index" && name != "total" {
				return nil, l.errAt(start, "unknown variable $"+name)
			}
			l.toks = append(l.toks, token{kind: tVar, text: name, pos: start})
		case c == '%':
			i++
			if i < len(src) && (src[i] == '`' || src[i] == '\'' || src[i] == '"') {
				s, n, err := l.quoted(i)
				if err != nil {
					return nil, err
				}
				l.toks = append(l.toks, token{kind: tConst, text: s, pos: start})
				i = n
				continue
			}
			if i >= len(src) || !isIdentStart(src[i]) {
				return nil, l.errAt(start, "expected a name after %")
			}
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			l.toks = append(l.toks, token{kind: tConst, text: src[start+1 : i], pos: start})
		default:
			op := ""
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "<=", ">=", "!=", "!~":
				op = two
			}
			if op == "" {
				switch c {
				case '.', '[', ']', '(', ')', '{', '}', ',', '+', '-', '*', '/', '&', '|', '=', '~', '<', '>':
					op = string(c)
				default:
					r, _ := utf8.DecodeRuneInString(src[i:])
					return nil, l.errAt(i, fmt.Sprintf("unexpected character %q", r))
				}
			}
			i += len(op)
			l.toks = append(l.toks, token{kind: tOp, text: op, pos: start})
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func (l *lexer) errAt(off int, msg string) error {
	return syntaxErr(l.src, off, msg)
}

func syntaxErr(src string, off int, msg string) *SyntaxError {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: msg}
}

// quoted decodes a '...', `...` or "..." literal starting at i and returns
// the text and the offset after the closing quote.
func (l *lexer) quoted(i int) (string, int, error) {
	q := l.src[i]
	var b strings.Builder
	j := i + 1
	for j < len(l.src) {
		c := l.src[j]
		if c == q {
			return b.String(), j + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(l.src) {
			break
		}
		e := l.src[j+1]
		j += 2
		switch e {
		case '\'', '"', '`', '\\', '/':
			b.WriteByte(e)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if j+4 > len(l.src) {
				return "", 0, l.errAt(j-2, "bad \\u escape")
			}
			n, err := strconv.ParseUint(l.src[j:j+4], 16, 32)
			if err != nil {
				return "", 0, l.errAt(j-2, "bad \\u escape")
			}
			r := rune(n)
			j += 4
			// A surrogate pair written as two escapes.
			if r >= 0xD800 && r < 0xDC00 && j+6 <= len(l.src) && l.src[j] == '\\' && l.src[j+1] == 'u' {
				if lo, err := strconv.ParseUint(l.src[j+2:j+6], 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
					r = (r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
					j += 6
				}
			}
			b.WriteRune(r)
		default:
			return "", 0, l.errAt(j-2, fmt.Sprintf("unknown escape \\%c", e))
		}
	}
	return "", 0, l.errAt(i, "unterminated "+string(q)+" literal")
}

// dateLiteral scans @date, @dateTime or @Ttime starting at i (the '@').
func (l *lexer) dateLiteral(i int) (tokKind, int, error) {
	s := l.src
	j := i + 1
	digitsAt := func(k, n int) bool {
		if k+n > len(s) {
			return false
		}
		for m := k; m < k+n; m++ {
			if s[m] < '0' || s[m] > '9' {
				return false
			}
		}
		return true
	}
	scanTime := func(k int) int {
		if !digitsAt(k, 2) {
			return -1
		}
		k += 2
		if k < len(s) && s[k] == ':' && digitsAt(k+1, 2) {
			k += 3
			if k < len(s) && s[k] == ':' && digitsAt(k+1, 2) {
				k += 3
				if k+1 < len(s) && s[k] == '.' && s[k+1] >= '0' && s[k+1] <= '9' {
					k++
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
				}
			}
		}
		return k
	}
	if j < len(s) && s[j] == 'T' {
		k := scanTime(j + 1)
		if k < 0 {
			return 0, 0, l.errAt(i, "bad time literal")
		}
		return tTime, k, nil
	}
	if !digitsAt(j, 4) {
		return 0, 0, l.errAt(i, "bad date literal")
	}
	j += 4
	if j < len(s) && s[j] == '-' && digitsAt(j+1, 2) {
		j += 3
		if j < len(s) && s[j] == '-' && digitsAt(j+1, 2) {
			j += 3
		}
	}
	if j >= len(s) || s[j] != 'T' {
		return tDate, j, nil
	}
	j++
	if k := scanTime(j); k > 0 {
		j = k
		if j < len(s) && s[j] == 'Z' {
			j++
		} else if j < len(s) && (s[j] == '+' || s[j] == '-') && digitsAt(j+1, 2) && j+3 < len(s) && s[j+3] == ':' && digitsAt(j+4, 2) {
			j += 6
		}
	}
	return tDateTime, j, nil
}
