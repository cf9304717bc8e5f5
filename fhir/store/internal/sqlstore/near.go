package sqlstore

import (
	"fmt"
	"math"
	"strings"

	"yigong/fhir"
	"yigong/fhir/store"
)

// nearSQL returns the condition of a near filter (store.ParamNear): a
// position indexed as the unit vector (x, y, z) in the number rows near#0,
// near#1, near#2 of one group lies within the great-circle distance d of
// the centre c when its chord to c is at most 2·sin(d/2R). The chord bounds
// each coordinate too, which is the box the index narrows by; the exact
// chord comparison is plain arithmetic, the same on both engines.
func nearSQL(a *sqlArgs, r, typ string, types []string, f store.Filter, drive bool) (string, error) {
	if len(f.Values) == 0 {
		return "", kerr(fhir.KindInvalid, nil, "parameter %q has no value", f.Param)
	}
	switch f.Modifier {
	case "":
	case "missing":
		c := fmt.Sprintf("EXISTS (SELECT 1 FROM idx_number i WHERE i.institution = %s.institution AND i.type = %s.type AND i.id = %s.id AND i.param = %s"+probeLimit+")",
			r, r, r, a.arg(f.Param+"#0"))
		if f.Values[0].Missing {
			c = "NOT " + c
		}
		return c, nil
	default:
		return "", kerr(fhir.KindInvalid, nil, "modifier :%s is not allowed on %q", f.Modifier, f.Param)
	}
	// CROSS JOIN: SQLite keeps c0 (the x band, from the value index)
	// outside and finds y and z of each candidate by its resource, not by
	// their own bands (which made it 5 ms of CPU over 5,000 positions);
	// PostgreSQL plans it as any inner join.
	from := "idx_number c0 CROSS JOIN idx_number c1 CROSS JOIN idx_number c2"
	conds := []string{}
	for k := 1; k < 3; k++ {
		conds = append(conds, fmt.Sprintf("c%d.institution = c0.institution AND c%d.type = c0.type AND c%d.id = c0.id AND c%d.grp = c0.grp", k, k, k, k))
	}
	for k := range 3 {
		conds = append(conds, fmt.Sprintf("c%d.param = %s", k, a.arg(fmt.Sprintf("%s#%d", f.Param, k))))
	}
	var ors []string
	for _, v := range f.Values {
		if v.Num < 0 || math.IsNaN(v.Num) || math.Abs(v.Lat) > 90 || math.Abs(v.Long) > 180 {
			return "", kerr(fhir.KindInvalid, nil, "parameter %q: bad position or distance", f.Param)
		}
		theta := min(v.Num/store.EarthRadiusKm, math.Pi)
		chord := 2 * math.Sin(theta/2)
		q := [3]float64{}
		q[0], q[1], q[2] = store.NearVector(v.Lat, v.Long)
		var ands, sq []string
		for k := range 3 {
			c := fmt.Sprintf("c%d.lo", k)
			box := c
			if k > 0 {
				// Not an index range: y and z are looked up by resource.
				box = "(" + c + " + 0)"
			}
			ands = append(ands, fmt.Sprintf("%s >= %s AND %s <= %s", box, a.arg(q[k]-chord-1e-12), box, a.arg(q[k]+chord+1e-12)))
			d := a.arg(q[k])
			sq = append(sq, fmt.Sprintf("(%s - %s) * (%s - %s)", c, d, c, d))
		}
		ands = append(ands, fmt.Sprintf("%s <= %s", strings.Join(sq, " + "), a.arg(chord*chord*(1+1e-12))))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	return groupSQL(a, r, typ, types, from, conds, drive), nil
}
