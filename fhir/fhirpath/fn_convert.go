package fhirpath

import (
	"regexp"
	"strconv"
	"strings"
)

// converter builds toX() (check=false) and convertsToX() (check=true) from
// a conversion of one value.
func converter(conv func(Value) (Value, bool), check bool) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		if len(in) == 0 {
			return nil, nil
		}
		if len(in) > 1 {
			return nil, errorf("expected a single item, got %d", len(in))
		}
		v, ok := in[0].Value()
		var r Value
		if ok {
			r, ok = conv(v)
		}
		if check {
			return boolColl(ok), nil
		}
		if !ok {
			return nil, nil
		}
		return single(r), nil
	}
}

func toBoolean(v Value) (Value, bool) {
	switch x := v.(type) {
	case Boolean:
		return x, true
	case Integer:
		switch x {
		case 1:
			return Boolean(true), true
		case 0:
			return Boolean(false), true
		}
	case Decimal:
		switch {
		case x.Cmp(DecimalFromInt(1)) == 0:
			return Boolean(true), true
		case x.Sign() == 0:
			return Boolean(false), true
		}
	case String:
		switch strings.ToLower(string(x)) {
		case "true", "t", "yes", "y", "1", "1.0":
			return Boolean(true), true
		case "false", "f", "no", "n", "0", "0.0":
			return Boolean(false), true
		}
	}
	return nil, false
}

var integerRE = regexp.MustCompile(`^[+-]?[0-9]+$`)

func toInteger(v Value) (Value, bool) {
	switch x := v.(type) {
	case Integer:
		return x, true
	case Boolean:
		if x {
			return Integer(1), true
		}
		return Integer(0), true
	case String:
		if !integerRE.MatchString(string(x)) {
			return nil, false
		}
		i, err := strconv.ParseInt(string(x), 10, 32)
		if err != nil {
			return nil, false
		}
		return Integer(i), true
	}
	return nil, false
}

var decimalRE = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

func toDecimalValue(v Value) (Value, bool) {
	switch x := v.(type) {
	case Decimal:
		return x, true
	case Integer:
		return DecimalFromInt(int64(x)), true
	case Boolean:
		if x {
			return Decimal{u: DecimalFromInt(10).u, scale: 1}, true
		}
		return Decimal{u: DecimalFromInt(0).u, scale: 1}, true
	case String:
		if !decimalRE.MatchString(string(x)) {
			return nil, false
		}
		d, ok := ParseDecimal(string(x))
		return d, ok
	}
	return nil, false
}

func toStringValue(v Value) (Value, bool) {
	switch x := v.(type) {
	case String:
		return x, true
	case TypeInfo:
		return nil, false
	}
	return String(v.String()), true
}

func toDate(v Value) (Value, bool) {
	switch x := v.(type) {
	case Date:
		return x, true
	case DateTime:
		t := x.t
		if t.prec > PrecisionDay {
			t.prec = PrecisionDay
		}
		t.truncate()
		return Date{t}, true
	case String:
		if d, ok := ParseDate(string(x)); ok {
			return d, true
		}
		if dt, ok := ParseDateTime(string(x)); ok {
			return toDate(dt)
		}
	}
	return nil, false
}

func toDateTime(v Value) (Value, bool) {
	switch x := v.(type) {
	case DateTime:
		return x, true
	case Date:
		return DateTime{x.t}, true
	case String:
		if d, ok := ParseDateTime(string(x)); ok {
			return d, true
		}
	}
	return nil, false
}

func toTime(v Value) (Value, bool) {
	switch x := v.(type) {
	case Time:
		return x, true
	case String:
		if t, ok := ParseTime(strings.TrimPrefix(string(x), "T")); ok {
			return t, true
		}
	}
	return nil, false
}

var quantityRE = regexp.MustCompile(`^\s*([+-]?[0-9]+(?:\.[0-9]+)?)\s*(?:'([^']+)'|([a-zA-Z]+))?\s*$`)

// parseQuantityString reads "4 'mg'", "1 day", "1.0".
func parseQuantityString(s string) (Quantity, bool) {
	m := quantityRE.FindStringSubmatch(s)
	if m == nil {
		return Quantity{}, false
	}
	d, ok := ParseDecimal(m[1])
	if !ok {
		return Quantity{}, false
	}
	unit := "1"
	switch {
	case m[2] != "":
		unit = m[2]
		if _, ok := parseUnit(unit); !ok {
			return Quantity{}, false
		}
	case m[3] != "":
		if !isCalendarUnit(m[3]) {
			return Quantity{}, false
		}
		unit = m[3]
	}
	return Quantity{Value: d, Unit: unit}, true
}

func toQuantity(v Value) (Quantity, bool) {
	switch x := v.(type) {
	case Quantity:
		return x, true
	case Integer:
		return Quantity{Value: DecimalFromInt(int64(x)), Unit: "1"}, true
	case Decimal:
		return Quantity{Value: x, Unit: "1"}, true
	case Boolean:
		d := DecimalFromInt(0)
		if x {
			d = DecimalFromInt(1)
		}
		return Quantity{Value: d.rescale(1), Unit: "1"}, true
	case String:
		return parseQuantityString(string(x))
	}
	return Quantity{}, false
}

func fnToQuantity(check bool) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		if len(in) == 0 {
			return nil, nil
		}
		if len(in) > 1 {
			return nil, errorf("expected a single item, got %d", len(in))
		}
		var unit string
		if len(c.args) > 0 {
			u, err := st.arg(fr, c, 0)
			if err != nil {
				return nil, err
			}
			s, ok, err := stringOf(u, "unit")
			if err != nil || !ok {
				return nil, err
			}
			unit = s
		}
		v, ok := in[0].Value()
		var q Quantity
		if ok {
			q, ok = toQuantity(v)
		}
		if ok && unit != "" {
			q, ok = convertQuantity(q, unit)
		}
		if check {
			return boolColl(ok), nil
		}
		if !ok {
			return nil, nil
		}
		return single(q), nil
	}
}

// stringOf reads a singleton String from a collection.
func stringOf(c Collection, what string) (string, bool, error) {
	if len(c) == 0 {
		return "", false, nil
	}
	if len(c) > 1 {
		return "", false, errorf("%s: expected a single string, got %d items", what, len(c))
	}
	v, ok := c[0].Value()
	if !ok {
		if c[0].node != nil && isPrimitiveType(c[0].node.Type) {
			return "", false, nil
		}
		return "", false, errorf("%s: expected a string, got %s", what, c[0].Type())
	}
	s, isS := v.(String)
	if !isS {
		return "", false, errorf("%s: expected a string, got %s", what, v.Type())
	}
	return string(s), true, nil
}
