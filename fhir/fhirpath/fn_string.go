package fhirpath

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode/utf8"
)

// inputString reads the function's input as a singleton string; ok=false
// for an empty input.
func inputString(in Collection, fname string) (string, bool, error) {
	return stringOf(in, fname+" input")
}

func argString(st *state, fr *frame, c *callExpr, i int) (string, bool, error) {
	a, err := st.arg(fr, c, i)
	if err != nil {
		return "", false, err
	}
	return stringOf(a, c.name+" argument")
}

func strPred(f func(s, arg string) bool) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		s, ok, err := inputString(in, c.name)
		if err != nil || !ok {
			return nil, err
		}
		a, ok, err := argString(st, fr, c, 0)
		if err != nil || !ok {
			return nil, err
		}
		return boolColl(f(s, a)), nil
	}
}

func strMap(f func(string) string) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		s, ok, err := inputString(in, c.name)
		if err != nil || !ok {
			return nil, err
		}
		return single(String(f(s))), nil
	}
}

func stringsContains(s, a string) bool { return strings.Contains(s, a) }
func upper(s string) string            { return strings.ToUpper(s) }
func lower(s string) string            { return strings.ToLower(s) }
func trim(s string) string             { return strings.TrimSpace(s) }

func fnIndexOf(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	a, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	i := strings.Index(s, a)
	if i > 0 {
		i = utf8.RuneCountInString(s[:i])
	}
	return single(Integer(i)), nil
}

func fnSubstring(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	a, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	start, ok, err := integerArg(a, "substring")
	if err != nil || !ok {
		return nil, err
	}
	r := []rune(s)
	if start < 0 || start >= int64(len(r)) {
		return nil, nil
	}
	end := int64(len(r))
	if len(c.args) > 1 {
		b, err := st.arg(fr, c, 1)
		if err != nil {
			return nil, err
		}
		n, ok, err := integerArg(b, "substring")
		if err != nil {
			return nil, err
		}
		if ok {
			if n < 0 {
				n = 0
			}
			end = min(end, start+n)
		}
	}
	return single(String(r[start:end])), nil
}

func fnReplace(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	pat, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	rep, ok, err := argString(st, fr, c, 1)
	if err != nil || !ok {
		return nil, err
	}
	return single(String(strings.ReplaceAll(s, pat, rep))), nil
}

// maxRegexLen caps regular expressions taken from data.
const maxRegexLen = 4096

func compileRegex(pat string, full bool) (*regexp.Regexp, error) {
	if len(pat) > maxRegexLen {
		return nil, errorf("regular expression too long")
	}
	if full {
		pat = "^(?:" + pat + ")$"
	}
	re, err := regexp.Compile("(?s)" + pat)
	if err != nil {
		return nil, errorf("bad regular expression: %v", err)
	}
	return re, nil
}

// regex compiles pat once per call site: constraints such as a primitive's
// regex run on every value a validator checks.
func (c *callExpr) regex(pat string, full bool) (*regexp.Regexp, error) {
	key := pat
	if full {
		key = "\x00" + pat
	}
	if re, ok := c.regexps.Load(key); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := compileRegex(pat, full)
	if err != nil {
		return nil, err
	}
	c.regexps.Store(key, re)
	return re, nil
}

func fnMatches(full bool) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		s, ok, err := inputString(in, c.name)
		if err != nil || !ok {
			return nil, err
		}
		pat, ok, err := argString(st, fr, c, 0)
		if err != nil || !ok {
			return nil, err
		}
		re, err := c.regex(pat, full)
		if err != nil {
			return nil, err
		}
		return boolColl(re.MatchString(s)), nil
	}
}

func fnReplaceMatches(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	pat, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	rep, ok, err := argString(st, fr, c, 1)
	if err != nil || !ok {
		return nil, err
	}
	if pat == "" {
		return single(String(s)), nil
	}
	re, err := compileRegex(pat, false)
	if err != nil {
		return nil, err
	}
	return single(String(re.ReplaceAllString(s, rep))), nil
}

func fnLength(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	return single(Integer(utf8.RuneCountInString(s))), nil
}

func fnToChars(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	var out Collection
	for _, r := range s {
		out = append(out, Item{val: String(string(r))})
	}
	return out, nil
}

func fnSplit(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	sep, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	var out Collection
	for _, p := range strings.Split(s, sep) {
		out = append(out, Item{val: String(p)})
	}
	return out, nil
}

func fnJoin(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	sep := ""
	if len(c.args) > 0 {
		s, ok, err := argString(st, fr, c, 0)
		if err != nil {
			return nil, err
		}
		if ok {
			sep = s
		}
	}
	parts := make([]string, 0, len(in))
	for _, it := range in {
		s, ok, err := stringOf(Collection{it}, "join input")
		if err != nil {
			return nil, err
		}
		if ok {
			parts = append(parts, s)
		}
	}
	return single(String(strings.Join(parts, sep))), nil
}

func fnEncode(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	enc, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	switch enc {
	case "base64":
		return single(String(base64.StdEncoding.EncodeToString([]byte(s)))), nil
	case "urlbase64":
		return single(String(base64.URLEncoding.EncodeToString([]byte(s)))), nil
	case "hex":
		return single(String(hex.EncodeToString([]byte(s)))), nil
	}
	return nil, errorf("unknown encoding %q", enc)
}

func fnDecode(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	enc, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	var b []byte
	switch enc {
	case "base64":
		b, err = base64.StdEncoding.DecodeString(s)
	case "urlbase64":
		b, err = base64.URLEncoding.DecodeString(s)
	case "hex":
		b, err = hex.DecodeString(s)
	default:
		return nil, errorf("unknown encoding %q", enc)
	}
	if err != nil || !utf8.Valid(b) {
		return nil, nil
	}
	return single(String(b)), nil
}

func fnEscape(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	kind, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	switch kind {
	case "html":
		r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
		return single(String(r.Replace(s))), nil
	case "json":
		b, _ := json.Marshal(s)
		out := string(b[1 : len(b)-1])
		out = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(out)
		return single(String(out)), nil
	}
	return nil, errorf("unknown escape kind %q", kind)
}

func fnUnescape(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	s, ok, err := inputString(in, c.name)
	if err != nil || !ok {
		return nil, err
	}
	kind, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	switch kind {
	case "html":
		return single(String(html.UnescapeString(s))), nil
	case "json":
		return single(String(unescapeJSON(s))), nil
	}
	return nil, errorf("unknown escape kind %q", kind)
}

// unescapeJSON undoes JSON string escapes (\" \\ \/ \b \f \n \r \t \uXXXX);
// other characters, including bare quotes, are kept.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			var r rune
			if i+4 < len(s) {
				if _, err := fmt.Sscanf(s[i+1:i+5], "%04x", &r); err == nil {
					b.WriteRune(r)
					i += 4
					continue
				}
			}
			b.WriteString(`\u`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
