package search

import (
	"fmt"
	"math"
	"strconv"

	"yigong/fhir"
	"yigong/fhir/fhirpath"
	"yigong/fhir/store"
)

// near is the R4 special parameter Location.near
// (http://hl7.org/fhir/R4/location.html#positional): near=lat|long|distance|units
// finds the Locations whose position lies within distance (great-circle,
// on a sphere of store.EarthRadiusKm) of the point. Units are a UCUM
// length (km when omitted); without a distance DefaultNearKm applies.
// Positions are indexed as the three coordinates of their unit vector
// (store.ParamNear), which the store compares exactly.
const nearURL = "http://hl7.org/fhir/SearchParameter/Location-near"

// DefaultNearKm is the distance of a near search that gives none (R4
// leaves it to the server).
const DefaultNearKm = 10.0

// appendNear indexes each position (latitude and longitude) of res as one
// group of rows code#0..code#2: the unit vector's x, y and z.
func appendNear(out []store.IndexEntry, code string, res fhirpath.Collection, group *int) []store.IndexEntry {
	for _, it := range res {
		n := it.Node()
		if n == nil {
			continue
		}
		lat, err1 := strconv.ParseFloat(n.ChildValue("latitude"), 64)
		long, err2 := strconv.ParseFloat(n.ChildValue("longitude"), 64)
		if err1 != nil || err2 != nil || math.Abs(lat) > 90 || math.Abs(long) > 180 {
			continue // no usable position
		}
		*group++
		x, y, z := store.NearVector(lat, long)
		for k, v := range []float64{x, y, z} {
			out = append(out, store.IndexEntry{Param: code + "#" + strconv.Itoa(k), Type: store.ParamNumber, NumLo: v, NumHi: v, Group: *group})
		}
	}
	return out
}

// nearFilter parses the values of near (or :missing).
func (p *parser) nearFilter(code, mod, value string) ([]store.Filter, error) {
	f := store.Filter{Param: code, Type: store.ParamNear, Modifier: mod}
	switch mod {
	case "":
	case "missing":
		return p.simple(f, store.ParamNumber, value)
	default:
		return nil, fmt.Errorf("modifier :%s is not allowed on near", mod)
	}
	for _, v := range splitList(value) {
		fv, err := nearValue(v)
		if err != nil {
			return nil, err
		}
		f.Values = append(f.Values, fv)
	}
	return []store.Filter{f}, nil
}

// nearValue parses lat|long[|distance[|units]].
func nearValue(v string) (store.FilterValue, error) {
	var fv store.FilterValue
	parts := splitEscaped(v, '|')
	if len(parts) < 2 || len(parts) > 4 {
		return fv, fmt.Errorf("near %q is not latitude|longitude|distance|units", v)
	}
	num := func(s, what string, limit float64) (float64, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > limit {
			return 0, fmt.Errorf("near %q: bad %s %q", v, what, s)
		}
		return f, nil
	}
	var err error
	if fv.Lat, err = num(parts[0], "latitude", 90); err != nil {
		return fv, err
	}
	if fv.Long, err = num(parts[1], "longitude", 180); err != nil {
		return fv, err
	}
	fv.Num = DefaultNearKm
	if len(parts) > 2 && parts[2] != "" {
		if fv.Num, err = num(parts[2], "distance", math.MaxFloat64); err != nil {
			return fv, err
		}
		if fv.Num < 0 {
			return fv, fmt.Errorf("near %q: negative distance", v)
		}
		if len(parts) == 4 && parts[3] != "" && parts[3] != "km" {
			f, canon, ok := fhirpath.CanonicalUnit(parts[3])
			if !ok || canon != "m" {
				return fv, fhir.Errorf(fhir.KindInvalid, "near %q: %q is not a UCUM unit of length", v, parts[3])
			}
			fv.Num = fv.Num * f / 1000
		}
	}
	return fv, nil
}
