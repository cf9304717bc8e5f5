package fhirpath

import (
	"math/big"
	"strings"
	"unicode"

	"yigong/fhir"
)

func (e *unaryExpr) eval(st *state, fr *frame) (Collection, error) {
	in, err := e.x.eval(st, fr)
	if err != nil || len(in) == 0 {
		return nil, err
	}
	v, err := singletonValue(in, e.op)
	if err != nil || v == nil {
		return nil, err
	}
	if e.op == "+" {
		switch v.(type) {
		case Integer, Decimal, Quantity:
			return single(v), nil
		}
		return nil, errorf("unary +: cannot apply to %s", v.Type())
	}
	switch x := v.(type) {
	case Integer:
		return single(-x), nil
	case Decimal:
		return single(x.Neg()), nil
	case Quantity:
		return single(Quantity{Value: x.Value.Neg(), Unit: x.Unit}), nil
	}
	return nil, errorf("unary -: cannot apply to %s", v.Type())
}

// singletonValue returns the System value of a one-item collection; nil
// for an empty collection or a primitive without value.
func singletonValue(c Collection, op string) (Value, error) {
	if len(c) == 0 {
		return nil, nil
	}
	if len(c) > 1 {
		return nil, errorf("%s: expected a single item, got %d", op, len(c))
	}
	v, ok := c[0].Value()
	if !ok {
		if c[0].node != nil && !isPrimitiveType(c[0].node.Type) {
			return nil, errorf("%s: cannot apply to %s", op, c[0].node.Type)
		}
		return nil, nil
	}
	return v, nil
}

// boolOperand applies singleton evaluation for the logical operators:
// empty → unknown, a Boolean → itself, any other single item → true.
func boolOperand(c Collection, op string) (val, known bool, err error) {
	if len(c) == 0 {
		return false, false, nil
	}
	if len(c) > 1 {
		return false, false, errorf("%s: expected a single boolean, got %d items", op, len(c))
	}
	v, ok := c[0].Value()
	if !ok {
		if c[0].node != nil && c[0].node.Type == "boolean" {
			return false, false, nil
		}
		return true, true, nil
	}
	if b, isB := v.(Boolean); isB {
		return bool(b), true, nil
	}
	return true, true, nil
}

func (e *binaryExpr) eval(st *state, fr *frame) (Collection, error) {
	switch e.op {
	case "and", "or", "xor", "implies":
		return e.logic(st, fr)
	}
	l, err := e.l.eval(st, fr)
	if err != nil {
		return nil, err
	}
	r, err := e.r.eval(st, fr)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "|":
		return union(l, r), nil
	case "=":
		return equalColl(l, r, false)
	case "!=":
		return equalColl(l, r, true)
	case "~":
		return boolColl(equivalentColl(l, r)), nil
	case "!~":
		return boolColl(!equivalentColl(l, r)), nil
	case "<", ">", "<=", ">=":
		return compareOp(e.op, l, r)
	case "in":
		return membership(l, r, "in")
	case "contains":
		return membership(r, l, "contains")
	case "&":
		ls, err := concatOperand(l)
		if err != nil {
			return nil, err
		}
		rs, err := concatOperand(r)
		if err != nil {
			return nil, err
		}
		return single(String(ls + rs)), nil
	}
	if len(l) == 0 || len(r) == 0 {
		// Still report multi-item operands.
		if len(l) > 1 || len(r) > 1 {
			return nil, errorf("%s: expected single items", e.op)
		}
		return nil, nil
	}
	lv, err := singletonValue(l, e.op)
	if err != nil {
		return nil, err
	}
	rv, err := singletonValue(r, e.op)
	if err != nil {
		return nil, err
	}
	if lv == nil || rv == nil {
		return nil, nil
	}
	v, err := arith(e.op, lv, rv)
	if err != nil || v == nil {
		return nil, err
	}
	return single(v), nil
}

func concatOperand(c Collection) (string, error) {
	v, err := singletonValue(c, "&")
	if err != nil || v == nil {
		return "", err
	}
	s, ok := v.(String)
	if !ok {
		return "", errorf("&: expected strings, got %s", v.Type())
	}
	return string(s), nil
}

func (e *binaryExpr) logic(st *state, fr *frame) (Collection, error) {
	l, err := e.l.eval(st, fr)
	if err != nil {
		return nil, err
	}
	lv, lk, err := boolOperand(l, e.op)
	if err != nil {
		return nil, err
	}
	// Short-circuit where the left side decides.
	switch {
	case e.op == "and" && lk && !lv:
		return boolColl(false), nil
	case e.op == "or" && lk && lv:
		return boolColl(true), nil
	case e.op == "implies" && lk && !lv:
		return boolColl(true), nil
	}
	r, err := e.r.eval(st, fr)
	if err != nil {
		return nil, err
	}
	rv, rk, err := boolOperand(r, e.op)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "and":
		if rk && !rv {
			return boolColl(false), nil
		}
		if lk && rk {
			return boolColl(true), nil
		}
	case "or":
		if rk && rv {
			return boolColl(true), nil
		}
		if lk && rk {
			return boolColl(false), nil
		}
	case "xor":
		if lk && rk {
			return boolColl(lv != rv), nil
		}
	case "implies":
		if lk && lv {
			if rk {
				return boolColl(rv), nil
			}
			return nil, nil
		}
		// left unknown
		if rk && rv {
			return boolColl(true), nil
		}
	}
	return nil, nil
}

// union merges two collections removing duplicates (by =), keeping order.
func union(l, r Collection) Collection {
	out := make(Collection, 0, len(l)+len(r))
	for _, c := range [2]Collection{l, r} {
		for _, it := range c {
			if !containsItem(out, it) {
				out = append(out, it)
			}
		}
	}
	return out
}

func containsItem(c Collection, it Item) bool {
	for _, x := range c {
		if eq, ok := itemsEqual(x, it); ok && eq {
			return true
		}
	}
	return false
}

func membership(item, coll Collection, op string) (Collection, error) {
	if len(item) == 0 {
		return nil, nil
	}
	if len(item) > 1 {
		return nil, errorf("%s: expected a single item, got %d", op, len(item))
	}
	if len(coll) == 0 {
		return boolColl(false), nil
	}
	return boolColl(containsItem(coll, item[0])), nil
}

func equalColl(l, r Collection, negate bool) (Collection, error) {
	if len(l) == 0 || len(r) == 0 {
		return nil, nil
	}
	res := true
	if len(l) != len(r) {
		res = false
	} else {
		for i := range l {
			eq, ok := itemsEqual(l[i], r[i])
			if !ok {
				return nil, nil
			}
			if !eq {
				res = false
				break
			}
		}
	}
	if negate {
		res = !res
	}
	return boolColl(res), nil
}

// itemsEqual implements = for two items; ok=false means the result is
// empty (date/times of different precision, incommensurable quantities).
func itemsEqual(a, b Item) (eq, ok bool) {
	if a.node != nil && a.node == b.node {
		return true, true
	}
	av, aok := a.Value()
	bv, bok := b.Value()
	if aok && bok {
		return valuesEqual(av, bv)
	}
	if a.node != nil && b.node != nil && !aok && !bok {
		if isPrimitiveType(a.node.Type) || isPrimitiveType(b.node.Type) {
			return false, false
		}
		return nodesEqual(a.node, b.node, false), true
	}
	if aok != bok && (a.node != nil && isPrimitiveType(a.node.Type) || b.node != nil && isPrimitiveType(b.node.Type)) {
		// A primitive without a value compares as empty.
		return false, false
	}
	if isQuantityNode(a) && isQuantityNode(b) {
		return nodesEqual(a.node, b.node, false), true
	}
	return false, true
}

func isQuantityNode(it Item) bool { return it.node != nil && isQuantityType(it.node.Type) }

func valuesEqual(a, b Value) (bool, bool) {
	switch x := a.(type) {
	case Boolean:
		y, ok := b.(Boolean)
		return ok && x == y, true
	case String:
		y, ok := b.(String)
		return ok && x == y, true
	case Integer:
		switch y := b.(type) {
		case Integer:
			return x == y, true
		case Decimal:
			return DecimalFromInt(int64(x)).Cmp(y) == 0, true
		case Quantity:
			return false, true
		}
		return false, true
	case Decimal:
		switch y := b.(type) {
		case Integer:
			return x.Cmp(DecimalFromInt(int64(y))) == 0, true
		case Decimal:
			return x.Cmp(y) == 0, true
		}
		return false, true
	case Quantity:
		y, ok := b.(Quantity)
		if !ok {
			return false, true
		}
		c, ok := quantityCompare(x, y)
		if !ok {
			return false, false
		}
		return c == 0, true
	case TypeInfo:
		y, ok := b.(TypeInfo)
		return ok && x == y, true
	}
	at, aIsT := temporalOf(a)
	bt, bIsT := temporalOf(b)
	if aIsT && bIsT {
		if kindOfTemporal(a) == "Time" || kindOfTemporal(b) == "Time" {
			if kindOfTemporal(a) != kindOfTemporal(b) {
				return false, true
			}
		}
		c, ok := compareTemporal(at, bt)
		if !ok {
			return false, false
		}
		return c == 0, true
	}
	return false, true
}

func temporalOf(v Value) (temporal, bool) {
	switch x := v.(type) {
	case Date:
		return x.t, true
	case DateTime:
		return x.t, true
	case Time:
		return x.t, true
	}
	return temporal{}, false
}

func kindOfTemporal(v Value) string {
	switch v.(type) {
	case Date:
		return "Date"
	case DateTime:
		return "DateTime"
	case Time:
		return "Time"
	}
	return ""
}

// nodesEqual compares complex nodes member by member.
func nodesEqual(a, b *fhir.Node, equiv bool) bool {
	if a.Type != b.Type && !(isPrimitiveType(a.Type) && isPrimitiveType(b.Type)) {
		return false
	}
	if a.Value != "" || b.Value != "" {
		av, aok := nodeValue(a)
		bv, bok := nodeValue(b)
		if !aok || !bok {
			if a.Value != b.Value {
				return false
			}
		} else if equiv {
			if !valuesEquivalent(av, bv) {
				return false
			}
		} else if eq, ok := valuesEqual(av, bv); !ok || !eq {
			return false
		}
	}
	ac, bc := a.Children, b.Children
	if equiv {
		ac, bc = withoutID(ac), withoutID(bc)
	}
	if len(ac) != len(bc) {
		return false
	}
	for i := range ac {
		if ac[i].Name != bc[i].Name || !nodesEqual(ac[i], bc[i], equiv) {
			return false
		}
	}
	return true
}

func withoutID(c []*fhir.Node) []*fhir.Node {
	for _, n := range c {
		if n.Name == "id" {
			out := make([]*fhir.Node, 0, len(c))
			for _, m := range c {
				if m.Name != "id" {
					out = append(out, m)
				}
			}
			return out
		}
	}
	return c
}

// equivalentColl implements ~: order-independent, empty ~ empty.
func equivalentColl(l, r Collection) bool {
	if len(l) != len(r) {
		return false
	}
	used := make([]bool, len(r))
	for _, a := range l {
		found := false
		for j, b := range r {
			if !used[j] && itemsEquivalent(a, b) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func itemsEquivalent(a, b Item) bool {
	if a.node != nil && a.node == b.node {
		return true
	}
	av, aok := a.Value()
	bv, bok := b.Value()
	if aok && bok {
		return valuesEquivalent(av, bv)
	}
	if a.node != nil && b.node != nil && !aok && !bok {
		return nodesEqual(a.node, b.node, true)
	}
	return false
}

func valuesEquivalent(a, b Value) bool {
	switch x := a.(type) {
	case String:
		y, ok := b.(String)
		return ok && normalizeSpace(string(x)) == normalizeSpace(string(y))
	case Integer, Decimal:
		dx, ok1 := toDecimal(a)
		dy, ok2 := toDecimal(b)
		if !ok1 || !ok2 {
			return false
		}
		s := min(dx.scale, dy.scale)
		return dx.Round(s).Cmp(dy.Round(s)) == 0
	case Quantity:
		y, ok := b.(Quantity)
		if !ok {
			return false
		}
		eq, ok := quantityEquivalent(x, y)
		return ok && eq
	}
	at, aIsT := temporalOf(a)
	bt, bIsT := temporalOf(b)
	if aIsT && bIsT {
		if kindOfTemporal(a) == "Time" != (kindOfTemporal(b) == "Time") {
			return false
		}
		c, ok := compareTemporal(at, bt)
		return ok && c == 0
	}
	eq, ok := valuesEqual(a, b)
	return ok && eq
}

func toDecimal(v Value) (Decimal, bool) {
	switch x := v.(type) {
	case Integer:
		return DecimalFromInt(int64(x)), true
	case Decimal:
		return x, true
	}
	return Decimal{}, false
}

func normalizeSpace(s string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " "))
}

func compareOp(op string, l, r Collection) (Collection, error) {
	if len(l) == 0 || len(r) == 0 {
		return nil, nil
	}
	lv, err := singletonValue(l, op)
	if err != nil {
		return nil, err
	}
	rv, err := singletonValue(r, op)
	if err != nil {
		return nil, err
	}
	if lv == nil || rv == nil {
		return nil, nil
	}
	c, ok, err := compareValues(lv, rv, op)
	if err != nil || !ok {
		return nil, err
	}
	var res bool
	switch op {
	case "<":
		res = c < 0
	case ">":
		res = c > 0
	case "<=":
		res = c <= 0
	case ">=":
		res = c >= 0
	}
	return boolColl(res), nil
}

// compareValues orders two values; ok=false means the result is empty.
func compareValues(a, b Value, op string) (int, bool, error) {
	if da, ok := toDecimal(a); ok {
		if db, ok := toDecimal(b); ok {
			if ia, ok := a.(Integer); ok {
				if ib, ok := b.(Integer); ok {
					switch {
					case ia < ib:
						return -1, true, nil
					case ia > ib:
						return 1, true, nil
					}
					return 0, true, nil
				}
			}
			return da.Cmp(db), true, nil
		}
	}
	switch x := a.(type) {
	case String:
		if y, ok := b.(String); ok {
			return strings.Compare(string(x), string(y)), true, nil
		}
	case Quantity:
		if y, ok := b.(Quantity); ok {
			c, ok := quantityCompare(x, y)
			return c, ok, nil
		}
	}
	at, aIsT := temporalOf(a)
	bt, bIsT := temporalOf(b)
	if aIsT && bIsT && (kindOfTemporal(a) == "Time") == (kindOfTemporal(b) == "Time") {
		c, ok := compareTemporal(at, bt)
		return c, ok, nil
	}
	return 0, false, errorf("%s: cannot compare %s with %s", op, a.Type().Name, b.Type().Name)
}

const (
	maxInt32 = 1<<31 - 1
	minInt32 = -1 << 31
)

func arith(op string, a, b Value) (Value, error) {
	// Date/time arithmetic.
	if _, ok := temporalOf(a); ok {
		q, ok := b.(Quantity)
		if !ok || (op != "+" && op != "-") {
			return nil, errorf("%s: cannot apply to %s and %s", op, a.Type().Name, b.Type().Name)
		}
		return addToTemporal(a, q, op == "-")
	}
	switch x := a.(type) {
	case String:
		y, ok := b.(String)
		if op == "+" && ok {
			return x + y, nil
		}
	case Integer:
		switch y := b.(type) {
		case Integer:
			return intArith(op, x, y)
		case Decimal:
			return decArith(op, DecimalFromInt(int64(x)), y)
		case Quantity:
			if op == "*" {
				return Quantity{Value: DecimalFromInt(int64(x)).Mul(y.Value), Unit: y.Unit}, nil
			}
		}
	case Decimal:
		switch y := b.(type) {
		case Integer:
			return decArith(op, x, DecimalFromInt(int64(y)))
		case Decimal:
			return decArith(op, x, y)
		case Quantity:
			if op == "*" {
				return Quantity{Value: x.Mul(y.Value), Unit: y.Unit}, nil
			}
		}
	case Quantity:
		return quantityArith(op, x, b)
	}
	return nil, errorf("%s: cannot apply to %s and %s", op, a.Type().Name, b.Type().Name)
}

func intArith(op string, x, y Integer) (Value, error) {
	var r int64
	switch op {
	case "+":
		r = int64(x) + int64(y)
	case "-":
		r = int64(x) - int64(y)
	case "*":
		r = int64(x) * int64(y)
	case "/":
		d, ok := DecimalFromInt(int64(x)).Quo(DecimalFromInt(int64(y)))
		if !ok {
			return nil, nil
		}
		return d, nil
	case "div":
		if y == 0 {
			return nil, nil
		}
		r = int64(x) / int64(y)
	case "mod":
		if y == 0 {
			return nil, nil
		}
		r = int64(x) % int64(y)
	default:
		return nil, errorf("%s: cannot apply to integers", op)
	}
	if r > maxInt32 || r < minInt32 {
		return nil, errorf("%s: integer overflow", op)
	}
	return Integer(r), nil
}

func decArith(op string, x, y Decimal) (Value, error) {
	switch op {
	case "+":
		return x.Add(y), nil
	case "-":
		return x.Sub(y), nil
	case "*":
		return x.Mul(y), nil
	case "/":
		d, ok := x.Quo(y)
		if !ok {
			return nil, nil
		}
		return d, nil
	case "div":
		if y.Sign() == 0 {
			return nil, nil
		}
		q, _ := x.Quo(y)
		t := q.Truncate()
		if !t.IsInt64() {
			return nil, errorf("div: integer overflow")
		}
		return Integer(t.Int64()), nil
	case "mod":
		if y.Sign() == 0 {
			return nil, nil
		}
		q, _ := x.Quo(y)
		t := Decimal{u: q.Truncate()}
		return x.Sub(t.Mul(y)), nil
	}
	return nil, errorf("%s: cannot apply to decimals", op)
}

func quantityArith(op string, x Quantity, b Value) (Value, error) {
	switch y := b.(type) {
	case Quantity:
		switch op {
		case "+", "-":
			yc, ok := convertQuantity(Quantity{Value: y.Value, Unit: unitForArith(y.Unit)}, unitForArith(x.Unit))
			if !ok {
				return nil, errorf("%s: incompatible units '%s' and '%s'", op, x.Unit, y.Unit)
			}
			if op == "+" {
				return Quantity{Value: x.Value.Add(yc.Value), Unit: x.Unit}, nil
			}
			return Quantity{Value: x.Value.Sub(yc.Value), Unit: x.Unit}, nil
		case "*", "/":
			ux, ok1 := parseUnit(x.Unit)
			uy, ok2 := parseUnit(y.Unit)
			if !ok1 || !ok2 {
				return nil, errorf("%s: unknown unit", op)
			}
			var u unitVal
			var v Decimal
			if op == "*" {
				u = ux.mul(uy, 1)
				v = x.Value.Mul(y.Value)
			} else {
				u = ux.mul(uy, -1)
				var ok bool
				v, ok = x.Value.Quo(y.Value)
				if !ok {
					return nil, nil
				}
			}
			// Express the result in base units so it prints and compares simply.
			r := new(big.Rat).SetFrac(v.big(), pow10(v.scale))
			r.Mul(r, u.factor)
			d := ratToDecimal(r, max(v.scale+6, divScale)).trimZeros(0)
			if d.scale < v.scale {
				d = d.rescale(v.scale)
			}
			return Quantity{Value: d, Unit: baseUnitString(u.d)}, nil
		}
	case Integer, Decimal:
		d, _ := toDecimal(y)
		switch op {
		case "*":
			return Quantity{Value: x.Value.Mul(d), Unit: x.Unit}, nil
		case "/":
			v, ok := x.Value.Quo(d)
			if !ok {
				return nil, nil
			}
			return Quantity{Value: v, Unit: x.Unit}, nil
		}
	}
	return nil, errorf("%s: cannot apply to Quantity and %s", op, b.Type().Name)
}

var baseNames = [...]string{"m", "g", "s", "rad", "K", "C", "cd"}

func baseUnitString(d dims) string {
	var num, den []string
	for i, e := range d.v {
		switch {
		case e == 1:
			num = append(num, baseNames[i])
		case e > 1:
			num = append(num, baseNames[i]+itoa(int(e)))
		case e == -1:
			den = append(den, baseNames[i])
		case e < -1:
			den = append(den, baseNames[i]+itoa(int(-e)))
		}
	}
	for k, e := range parseOther(d.other) {
		switch {
		case e == 1:
			num = append(num, k)
		case e > 1:
			num = append(num, k+itoa(e))
		case e < 0:
			den = append(den, k+itoa(-e))
		}
	}
	s := strings.Join(num, ".")
	if s == "" {
		s = "1"
	}
	if len(den) > 0 {
		s += "/" + strings.Join(den, "/")
	}
	return s
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// addToTemporal adds (or subtracts) a time-valued quantity.
func addToTemporal(a Value, q Quantity, subtract bool) (Value, error) {
	unit := q.Unit
	cal, isCal := calendarUnits[unit]
	if !isCal {
		c, ok := calendarForUCUM[unit]
		if !ok {
			return nil, errorf("cannot add a quantity in '%s' to a date/time", unit)
		}
		cal = c
	}
	n, ok := q.Value.Int64()
	if !ok {
		return nil, errorf("date/time arithmetic overflow")
	}
	if subtract {
		n = -n
	}
	switch x := a.(type) {
	case Date:
		t, err := x.t.add(n, cal, false)
		if err != nil {
			return nil, err
		}
		t.truncate()
		return Date{t}, nil
	case DateTime:
		t, err := x.t.add(n, cal, false)
		if err != nil {
			return nil, err
		}
		return DateTime{t}, nil
	case Time:
		if cal == "year" || cal == "month" || cal == "week" || cal == "day" {
			return nil, errorf("cannot add %s to a time", cal)
		}
		t, err := x.t.add(n, cal, true)
		if err != nil {
			return nil, err
		}
		return Time{t}, nil
	}
	return nil, errorf("not a date/time")
}
