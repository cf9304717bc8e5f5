package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"yigong/fhir/store"
)

// Indexer is the small hand-written indexer the suite expects every store
// under test to be opened with. It indexes
//
//	Patient:     identifier (token), gender (token), name (string, family
//	             and given), birthdate (date), organization (reference),
//	             _text (text.div, as it is)
//	Observation: code (token), subject (reference), date (date,
//	             effectiveDateTime), value-quantity (quantity)
//
// reading the JSON with encoding/json, not FHIRPath.
func Indexer() store.Indexer { return store.IndexerFunc(index) }

func index(_ context.Context, r *store.Resource) ([]store.IndexEntry, error) {
	var m map[string]any
	if err := json.Unmarshal(r.JSON, &m); err != nil {
		return nil, fmt.Errorf("storetest indexer: %w", err)
	}
	var out []store.IndexEntry
	switch r.Type {
	case "Patient":
		for _, id := range list(m["identifier"]) {
			out = append(out, store.IndexEntry{Param: "identifier", Type: store.ParamToken,
				System: str(id, "system"), Code: str(id, "value")})
		}
		if g, ok := m["gender"].(string); ok {
			out = append(out, store.IndexEntry{Param: "gender", Type: store.ParamToken,
				System: "http://hl7.org/fhir/administrative-gender", Code: g})
		}
		for _, n := range list(m["name"]) {
			full := str(n, "family")
			for _, g := range list(n.(map[string]any)["given"]) {
				s, _ := g.(string)
				out = append(out, store.IndexEntry{Param: "name", Type: store.ParamString, Text: s})
				full += s
			}
			if f := str(n, "family"); f != "" {
				out = append(out, store.IndexEntry{Param: "name", Type: store.ParamString, Text: f})
			}
			if t := str(n, "text"); t != "" {
				out = append(out, store.IndexEntry{Param: "name", Type: store.ParamString, Text: t})
			}
			out = append(out, store.IndexEntry{Param: "name", Type: store.ParamString, Text: full})
		}
		if t, ok := m["text"].(map[string]any); ok {
			if div := str(t, "div"); div != "" {
				out = append(out, store.IndexEntry{Param: "_text", Type: store.ParamText, Text: div})
			}
		}
		if b, ok := m["birthDate"].(string); ok {
			lo, hi, err := dateRange(b)
			if err != nil {
				return nil, err
			}
			out = append(out, store.IndexEntry{Param: "birthdate", Type: store.ParamDate, Lo: lo, Hi: hi})
		}
		if o, ok := m["managingOrganization"].(map[string]any); ok {
			out = append(out, reference("organization", str(o, "reference")))
		}
	case "Observation":
		if c, ok := m["code"].(map[string]any); ok {
			for _, cd := range list(c["coding"]) {
				out = append(out, store.IndexEntry{Param: "code", Type: store.ParamToken,
					System: str(cd, "system"), Code: str(cd, "code"), Text: str(cd, "display")})
			}
		}
		if s, ok := m["subject"].(map[string]any); ok {
			out = append(out, reference("subject", str(s, "reference")))
		}
		if d, ok := m["effectiveDateTime"].(string); ok {
			lo, hi, err := dateRange(d)
			if err != nil {
				return nil, err
			}
			out = append(out, store.IndexEntry{Param: "date", Type: store.ParamDate, Lo: lo, Hi: hi})
		}
		if q, ok := m["valueQuantity"].(map[string]any); ok {
			v, _ := q["value"].(float64)
			out = append(out, store.IndexEntry{Param: "value-quantity", Type: store.ParamQuantity,
				System: str(q, "system"), Code: str(q, "code"), NumLo: v, NumHi: v})
		}
	}
	return out, nil
}

func reference(param, ref string) store.IndexEntry {
	e := store.IndexEntry{Param: param, Type: store.ParamReference, Text: ref}
	for i := 0; i < len(ref); i++ {
		if ref[i] == '/' {
			e.RefType, e.RefID = ref[:i], ref[i+1:]
			break
		}
	}
	return e
}

// dateRange is the instant range of a FHIR date or dateTime; dates without
// a zone are in +08:00.
func dateRange(s string) (lo, hi time.Time, err error) {
	cst := time.FixedZone("CST", 8*3600)
	for _, f := range []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{time.RFC3339, func(t time.Time) time.Time { return t.Add(time.Second) }},
	} {
		if t, err := time.ParseInLocation(f.layout, s, cst); err == nil {
			return t, f.step(t), nil
		}
	}
	return lo, hi, fmt.Errorf("storetest indexer: bad date %q", s)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any, key string) string {
	m, _ := v.(map[string]any)
	s, _ := m[key].(string)
	return s
}
