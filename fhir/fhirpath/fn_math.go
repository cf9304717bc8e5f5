package fhirpath

import (
	"math"
	"math/big"
)

// numberInput reads the input as a singleton Integer, Decimal or (where
// allowed) Quantity.
func numberInput(in Collection, fname string, allowQty bool) (Value, error) {
	v, err := singletonValue(in, fname)
	if err != nil || v == nil {
		return nil, err
	}
	switch v.(type) {
	case Integer, Decimal:
		return v, nil
	case Quantity:
		if allowQty {
			return v, nil
		}
	}
	return nil, errorf("%s: expected a number, got %s", fname, v.Type())
}

func fnAbs(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := numberInput(in, c.name, true)
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case Integer:
		if x < 0 {
			x = -x
		}
		return single(x), nil
	case Decimal:
		return single(x.Abs()), nil
	case Quantity:
		return single(Quantity{Value: x.Value.Abs(), Unit: x.Unit}), nil
	}
	return nil, nil
}

func intResult(b *big.Int) (Collection, error) {
	if !b.IsInt64() || b.Int64() > maxInt32 || b.Int64() < minInt32 {
		return nil, errorf("integer overflow")
	}
	return single(Integer(b.Int64())), nil
}

func fnCeiling(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := numberInput(in, c.name, false)
	if err != nil || v == nil {
		return nil, err
	}
	d, _ := toDecimal(v)
	return intResult(d.Ceil())
}

func fnFloor(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := numberInput(in, c.name, false)
	if err != nil || v == nil {
		return nil, err
	}
	d, _ := toDecimal(v)
	return intResult(d.Floor())
}

func fnTruncate(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := numberInput(in, c.name, false)
	if err != nil || v == nil {
		return nil, err
	}
	d, _ := toDecimal(v)
	return intResult(d.Truncate())
}

func fnRound(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := numberInput(in, c.name, false)
	if err != nil || v == nil {
		return nil, err
	}
	n := int64(0)
	if len(c.args) > 0 {
		a, err := st.arg(fr, c, 0)
		if err != nil {
			return nil, err
		}
		p, ok, err := integerArg(a, "round")
		if err != nil || !ok {
			return nil, err
		}
		if p < 0 || p > 100 {
			return nil, errorf("round: precision %d out of range", p)
		}
		n = p
	}
	d, _ := toDecimal(v)
	return single(d.Round(int(n))), nil
}

func floatFn(name string) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		v, err := numberInput(in, c.name, false)
		if err != nil || v == nil {
			return nil, err
		}
		d, _ := toDecimal(v)
		f := d.Float64()
		var r float64
		switch name {
		case "exp":
			r = math.Exp(f)
		case "ln":
			r = math.Log(f)
		case "sqrt":
			r = math.Sqrt(f)
		}
		return floatResult(r)
	}
}

func floatResult(r float64) (Collection, error) {
	d, ok := decimalFromFloat(r)
	if !ok {
		return nil, nil
	}
	return single(d), nil
}

func fnLog(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := numberInput(in, c.name, false)
	if err != nil || v == nil {
		return nil, err
	}
	a, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	b, err := numberInput(a, "log base", false)
	if err != nil || b == nil {
		return nil, err
	}
	x, _ := toDecimal(v)
	y, _ := toDecimal(b)
	return floatResult(math.Log10(x.Float64()) / math.Log10(y.Float64()))
}

func fnPower(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := numberInput(in, c.name, false)
	if err != nil || v == nil {
		return nil, err
	}
	a, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	e, err := numberInput(a, "power exponent", false)
	if err != nil || e == nil {
		return nil, err
	}
	bi, ok1 := v.(Integer)
	ei, ok2 := e.(Integer)
	if ok1 && ok2 && ei >= 0 {
		r := new(big.Int).Exp(big.NewInt(int64(bi)), big.NewInt(int64(ei)), nil)
		return intResult(r)
	}
	x, _ := toDecimal(v)
	y, _ := toDecimal(e)
	return floatResult(math.Pow(x.Float64(), y.Float64()))
}

// decimalBoundary computes low/highBoundary of a decimal to digits places.
func decimalBoundary(d Decimal, high bool, digits int) Decimal {
	half := Decimal{u: big.NewInt(5), scale: d.scale + 1}
	var b Decimal
	if high {
		b = d.Add(half)
	} else {
		b = d.Sub(half)
	}
	if digits >= b.scale {
		return b.rescale(digits)
	}
	// Positive values: low truncates, high rounds; negative values mirror.
	neg := b.Sign() < 0
	a := b.Abs()
	var r Decimal
	if high != neg {
		r = a.Round(digits)
	} else {
		r = Decimal{u: new(big.Int).Quo(a.big(), pow10(a.scale-digits)), scale: digits}
	}
	if neg {
		r = r.Neg()
		r.negZero = r.Sign() == 0
	}
	return r
}

func fnBoundary(high bool) func(*state, *frame, Collection, *callExpr) (Collection, error) {
	return func(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
		v, err := singletonValue(in, c.name)
		if err != nil || v == nil {
			return nil, err
		}
		digits, hasDigits := int64(-1), false
		if len(c.args) > 0 {
			a, err := st.arg(fr, c, 0)
			if err != nil {
				return nil, err
			}
			n, ok, err := integerArg(a, c.name)
			if err != nil || !ok {
				return nil, err
			}
			digits, hasDigits = n, true
		}
		switch x := v.(type) {
		case Integer, Decimal:
			d, _ := toDecimal(x)
			if !hasDigits {
				digits = 8
			}
			if digits < 0 || digits > 28 {
				return nil, nil
			}
			return single(decimalBoundary(d, high, int(digits))), nil
		case Quantity:
			if !hasDigits {
				digits = 8
			}
			if digits < 0 || digits > 28 {
				return nil, nil
			}
			return single(Quantity{Value: decimalBoundary(x.Value, high, int(digits)), Unit: x.Unit}), nil
		case Date:
			if !hasDigits {
				digits = 8
			}
			t, ok := x.t.boundary(high, int(digits), false, false)
			if !ok {
				return nil, nil
			}
			return single(Date{t}), nil
		case DateTime:
			if !hasDigits {
				digits = 17
			}
			t, ok := x.t.boundary(high, int(digits), false, true)
			if !ok {
				return nil, nil
			}
			return single(DateTime{t}), nil
		case Time:
			if !hasDigits {
				digits = 9
			}
			t, ok := x.t.boundary(high, int(digits), true, false)
			if !ok {
				return nil, nil
			}
			return single(Time{t}), nil
		}
		return nil, errorf("%s: cannot apply to %s", c.name, v.Type())
	}
}

func fnPrecision(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := singletonValue(in, c.name)
	if err != nil || v == nil {
		return nil, err
	}
	switch x := v.(type) {
	case Integer:
		return single(Integer(0)), nil
	case Decimal:
		return single(Integer(x.scale)), nil
	case Quantity:
		return single(Integer(x.Value.scale)), nil
	case Date:
		return single(Integer(x.t.precisionDigits(false))), nil
	case DateTime:
		return single(Integer(x.t.precisionDigits(false))), nil
	case Time:
		return single(Integer(x.t.precisionDigits(true))), nil
	}
	return nil, errorf("precision: cannot apply to %s", v.Type())
}

func fnComparable(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	v, err := singletonValue(in, c.name)
	if err != nil || v == nil {
		return nil, err
	}
	a, err := st.arg(fr, c, 0)
	if err != nil {
		return nil, err
	}
	w, err := singletonValue(a, c.name)
	if err != nil || w == nil {
		return nil, err
	}
	q1, ok1 := v.(Quantity)
	q2, ok2 := w.(Quantity)
	if !ok1 || !ok2 {
		return nil, errorf("comparable: expected quantities")
	}
	return boolColl(comparableUnits(q1.Unit, q2.Unit)), nil
}
