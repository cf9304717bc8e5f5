package fhirpath

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decimal is a FHIRPath System.Decimal: an exact base-10 number that keeps
// its precision (the number of digits after the point), so 1.10 prints as
// "1.10" while still comparing equal to 1.1.
type Decimal struct {
	u       *big.Int // unscaled value; nil means zero
	scale   int      // digits after the decimal point (>= 0)
	negZero bool     // a zero that prints as -0.0 (lowBoundary of a tiny negative)
}

// ParseDecimal parses a decimal literal such as "-1.50" or "3" (an optional
// exponent is accepted, as FHIR JSON may carry one).
func ParseDecimal(s string) (Decimal, bool) {
	if s == "" {
		return Decimal{}, false
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return Decimal{}, false
		}
		exp = e
		s = s[:i]
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
		if frac == "" {
			return Decimal{}, false
		}
	}
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return Decimal{}, false
	}
	u, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return Decimal{}, false
	}
	if neg {
		u.Neg(u)
	}
	d := Decimal{u: u, scale: len(frac)}
	if exp > 0 {
		if exp <= d.scale {
			d.scale -= exp
		} else {
			d = d.rescale(0)
			d.u = new(big.Int).Mul(d.u, pow10(exp-len(frac)))
			d.scale = 0
		}
	} else if exp < 0 {
		d.scale -= exp
	}
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DecimalFromInt returns the decimal value of i with scale 0.
func DecimalFromInt(i int64) Decimal { return Decimal{u: big.NewInt(i)} }

func decimalFromFloat(f float64) (Decimal, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, false
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	d, ok := ParseDecimal(s)
	if ok && d.scale > 15 {
		d = d.Round(15).trimZeros(0)
	}
	return d, ok
}

func (d Decimal) big() *big.Int {
	if d.u == nil {
		return new(big.Int)
	}
	return d.u
}

var bigTen = big.NewInt(10)

func pow10(n int) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

// rescale returns d with the given scale, which must be >= d.scale.
func (d Decimal) rescale(scale int) Decimal {
	if scale == d.scale {
		return Decimal{u: d.big(), scale: scale}
	}
	return Decimal{u: new(big.Int).Mul(d.big(), pow10(scale-d.scale)), scale: scale}
}

// Scale returns the number of digits after the decimal point.
func (d Decimal) Scale() int { return d.scale }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.big().Sign() }

// String returns the decimal in plain notation with its scale: "1.10".
func (d Decimal) String() string {
	s := d.big().String()
	if d.negZero && d.Sign() == 0 {
		s = "-" + s
	}
	if d.scale == 0 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= d.scale {
		s = strings.Repeat("0", d.scale-len(s)+1) + s
	}
	s = s[:len(s)-d.scale] + "." + s[len(s)-d.scale:]
	if neg {
		s = "-" + s
	}
	return s
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// Cmp compares d and e numerically: -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int {
	s := max(d.scale, e.scale)
	return d.rescale(s).u.Cmp(e.rescale(s).u)
}

// Add returns d+e.
func (d Decimal) Add(e Decimal) Decimal {
	s := max(d.scale, e.scale)
	return Decimal{u: new(big.Int).Add(d.rescale(s).u, e.rescale(s).u), scale: s}
}

// Sub returns d-e.
func (d Decimal) Sub(e Decimal) Decimal {
	s := max(d.scale, e.scale)
	return Decimal{u: new(big.Int).Sub(d.rescale(s).u, e.rescale(s).u), scale: s}
}

// Mul returns d*e.
func (d Decimal) Mul(e Decimal) Decimal {
	return Decimal{u: new(big.Int).Mul(d.big(), e.big()), scale: d.scale + e.scale}
}

// Neg returns -d.
func (d Decimal) Neg() Decimal { return Decimal{u: new(big.Int).Neg(d.big()), scale: d.scale} }

// Abs returns |d|.
func (d Decimal) Abs() Decimal { return Decimal{u: new(big.Int).Abs(d.big()), scale: d.scale} }

// divScale is the number of fractional digits a division keeps before
// trailing zeros are removed.
const divScale = 16

// Quo returns d/e rounded half-even to 16 fractional digits with trailing
// zeros removed; ok is false when e is zero.
func (d Decimal) Quo(e Decimal) (Decimal, bool) {
	if e.Sign() == 0 {
		return Decimal{}, false
	}
	r := new(big.Rat).SetFrac(d.big(), e.big())
	r.Mul(r, new(big.Rat).SetFrac(pow10(e.scale), pow10(d.scale)))
	return ratToDecimal(r, divScale).trimZeros(max(d.scale, e.scale, 1)), true
}

// ratToDecimal rounds r half away from zero to scale digits.
func ratToDecimal(r *big.Rat, scale int) Decimal {
	n := new(big.Int).Mul(r.Num(), pow10(scale))
	q, m := new(big.Int).QuoRem(n, r.Denom(), new(big.Int))
	m.Abs(m).Lsh(m, 1)
	if m.Cmp(r.Denom()) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return Decimal{u: q, scale: scale}
}

// trimZeros drops trailing fractional zeros but keeps at least minScale
// digits when the value is not an integer.
func (d Decimal) trimZeros(minScale int) Decimal {
	u := new(big.Int).Set(d.big())
	s := d.scale
	m := new(big.Int)
	for s > 0 {
		q, r := new(big.Int).QuoRem(u, bigTen, m)
		if r.Sign() != 0 {
			break
		}
		u = q
		s--
	}
	if s == 0 {
		return Decimal{u: u}
	}
	_ = minScale
	return Decimal{u: u, scale: s}
}

// Round rounds d half away from zero to n fractional digits (n >= 0).
func (d Decimal) Round(n int) Decimal {
	if n >= d.scale {
		return d.rescale(n)
	}
	r := new(big.Rat).SetFrac(d.big(), pow10(d.scale))
	return ratToDecimal(r, n)
}

// Truncate drops the fractional part, rounding towards zero.
func (d Decimal) Truncate() *big.Int {
	return new(big.Int).Quo(d.big(), pow10(d.scale))
}

// Floor returns the greatest integer <= d.
func (d Decimal) Floor() *big.Int {
	q, m := new(big.Int).DivMod(d.big(), pow10(d.scale), new(big.Int))
	_ = m
	return q // DivMod is Euclidean: floor for a positive divisor
}

// Ceil returns the least integer >= d.
func (d Decimal) Ceil() *big.Int {
	q, m := new(big.Int).DivMod(d.big(), pow10(d.scale), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// IsInteger reports whether d has no fractional value.
func (d Decimal) IsInteger() bool {
	_, m := new(big.Int).QuoRem(d.big(), pow10(d.scale), new(big.Int))
	return m.Sign() == 0
}

// Int64 returns the integer value of d (truncated) and whether it fits.
func (d Decimal) Int64() (int64, bool) {
	t := d.Truncate()
	return t.Int64(), t.IsInt64()
}
