package fhir

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"yigong/fhir/model"
)

// primitiveRegex holds the compiled, anchored regular expressions of the
// primitive types (from the generated tables); read-only after package
// initialisation.
var primitiveRegex = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for _, t := range model.AllTypes() {
		if t.Kind == model.KindPrimitive && t.Regex != "" && t.Derivation != "constraint" {
			m[t.Name] = regexp.MustCompile(`^(?:` + t.Regex + `)$`)
		}
	}
	return m
}()

// ErrPrimitive is wrapped by every error of CheckPrimitive.
var ErrPrimitive = errors.New("invalid primitive value")

// JSONKind says how a primitive type is written in JSON.
type JSONKind uint8

// JSON representations of primitive types (http://hl7.org/fhir/R4/json.html#primitive).
const (
	JSONString  JSONKind = iota // every other primitive
	JSONNumber                  // integer, positiveInt, unsignedInt, decimal
	JSONBoolean                 // boolean
)

// PrimitiveJSONKind returns how a value of the primitive type code appears in
// JSON.
func PrimitiveJSONKind(code string) JSONKind {
	switch code {
	case "boolean":
		return JSONBoolean
	case "integer", "positiveInt", "unsignedInt", "decimal":
		return JSONNumber
	}
	return JSONString
}

// CheckPrimitive reports whether value is a valid lexical form of the
// primitive type code: the type's regular expression (FHIR R4 §2.24.0.1),
// the 32-bit range of integer, positiveInt and unsignedInt, and calendar
// validity of dates. The error wraps ErrPrimitive and says what is wrong. An
// unknown type code or a type without a regex (xhtml) is accepted.
func CheckPrimitive(code, value string) error {
	ok := true
	switch code {
	case "string", "markdown":
		ok = isString(value)
	case "code":
		ok = isCode(value)
	case "id":
		ok = isID(value)
	case "uri", "url", "canonical":
		ok = !hasSpace(value)
	case "boolean":
		ok = value == "true" || value == "false"
	case "integer", "positiveInt", "unsignedInt":
		n, err := strconv.ParseInt(value, 10, 64)
		switch {
		case err != nil || !primitiveRegex[code].MatchString(value):
			ok = false
		case n > 2147483647 || n < -2147483648:
			return fmt.Errorf("%w: %s %q is out of the 32-bit range", ErrPrimitive, code, value)
		case code == "positiveInt" && n < 1:
			ok = false
		case code == "unsignedInt" && n < 0:
			ok = false
		}
	case "date", "dateTime", "instant":
		if !isDateTime(code, value) {
			ok = false
		} else if !validDay(value) {
			return fmt.Errorf("%w: %s %q is not a calendar date", ErrPrimitive, code, value)
		}
	default:
		if re := primitiveRegex[code]; re != nil {
			ok = re.MatchString(value)
		}
	}
	if !ok {
		return fmt.Errorf("%w: %q is not a valid %s", ErrPrimitive, value, code)
	}
	return nil
}

// isString: [ \r\n\t\S]+ — non-empty, no whitespace other than space, CR, LF, tab.
func isString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '\f' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			return true
		}
	}
	return false
}

// isCode: [^\s]+(\s[^\s]+)* — non-empty, single whitespace between tokens.
func isCode(s string) bool {
	if s == "" || isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if isSpace(s[i]) && isSpace(s[i-1]) {
			return false
		}
	}
	return true
}

func isID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isDateTime(code, s string) bool {
	return primitiveRegex[code].MatchString(s)
}

// validDay checks the day of a regex-valid date, dateTime or instant against
// its month (and leap years).
func validDay(s string) bool {
	if len(s) < 10 {
		return true
	}
	y, _ := strconv.Atoi(s[0:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}
