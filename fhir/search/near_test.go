package search

import (
	"context"
	"math"
	"net/url"
	"testing"

	"yigong/fhir/store"
)

func TestNearParse(t *testing.T) {
	tests := []struct {
		value         string
		lat, long, km float64
		wantErr       bool
	}{
		{"39.9|116.4|11.2|km", 39.9, 116.4, 11.2, false},
		{"39.9|116.4|500|m", 39.9, 116.4, 0.5, false},
		{"39.9|116.4|1|[mi_i]", 39.9, 116.4, 1.609344, false},
		{"39.9|116.4|3", 39.9, 116.4, 3, false},
		{"39.9|116.4", 39.9, 116.4, DefaultNearKm, false},
		{"-33.9|151.2||", -33.9, 151.2, DefaultNearKm, false},
		{"91|0|1|km", 0, 0, 0, true},
		{"0|181", 0, 0, 0, true},
		{"0|0|-1", 0, 0, 0, true},
		{"0|0|1|kg", 0, 0, 0, true},
		{"0", 0, 0, 0, true},
		{"a|b", 0, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			plan, err := Parse(Builtin{}, "Location", url.Values{"near": {tc.value}}, ParseOptions{})
			if tc.wantErr {
				if err == nil {
					t.Fatalf("accepted: %+v", plan.Query.Filters)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := plan.Query.Filters[0]
			v := f.Values[0]
			if f.Type != store.ParamNear || v.Lat != tc.lat || v.Long != tc.long || math.Abs(v.Num-tc.km) > 1e-9 {
				t.Errorf("got %v %+v, want %v|%v within %v km", f.Type, v, tc.lat, tc.long, tc.km)
			}
		})
	}
	if _, err := Parse(Builtin{}, "Location", url.Values{"near:missing": {"true"}}, ParseOptions{}); err != nil {
		t.Errorf("near:missing: %v", err)
	}
	if _, err := Parse(Builtin{}, "Location", url.Values{"near:exact": {"0|0"}}, ParseOptions{}); err == nil {
		t.Error("near:exact accepted")
	}
}

func TestNearIndex(t *testing.T) {
	ix, err := NewIndexer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ix.Index(context.Background(), &store.Resource{Type: "Location", ID: "1",
		JSON: []byte(`{"resourceType":"Location","position":{"latitude":30,"longitude":-90}}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"near#0": 0, "near#1": -math.Sqrt(3) / 2, "near#2": 0.5}
	group := -1
	for _, e := range entries {
		w, ok := want[e.Param]
		if !ok {
			continue
		}
		delete(want, e.Param)
		if e.Type != store.ParamNumber || math.Abs(e.NumLo-w) > 1e-12 || e.NumHi != e.NumLo {
			t.Errorf("%s: %+v, want %v", e.Param, e, w)
		}
		if group >= 0 && e.Group != group || e.Group == 0 {
			t.Errorf("%s: group %d", e.Param, e.Group)
		}
		group = e.Group
	}
	if len(want) > 0 {
		t.Errorf("missing rows %v", want)
	}
	found := false
	for _, sp := range Searchable("Location") {
		found = found || sp.Code == "near"
	}
	if !found {
		t.Error("near is not among the searchable parameters of Location")
	}
}
