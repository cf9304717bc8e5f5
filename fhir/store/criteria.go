package store

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"yigong/fhir"
)

// CriteriaKey normalises conditional-create criteria (a search query string)
// into the key that makes conditional creates race-free: parameters sorted
// by name, repeated parameters sorted by value, values percent-decoded and
// re-encoded, paging and formatting parameters (_count, _sort, _format,
// _summary, _elements, _pretty) dropped. "b=2&a=1" and "a=1&b=2" give the
// same key; an empty criteria is invalid.
func CriteriaKey(criteria string) (string, error) {
	criteria = strings.TrimPrefix(strings.TrimSpace(criteria), "?")
	vals, err := url.ParseQuery(criteria)
	if err != nil {
		return "", &fhir.Error{Kind: fhir.KindInvalid, Msg: fmt.Sprintf("store: criteria %q", criteria), Err: err}
	}
	names := make([]string, 0, len(vals))
	for name := range vals {
		switch name {
		case "_count", "_sort", "_format", "_summary", "_elements", "_pretty":
			continue
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return "", fhir.Errorf(fhir.KindInvalid, "store: criteria %q: no search parameters", criteria)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		vs := slices.Clone(vals[name])
		slices.Sort(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(name))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String(), nil
}
