package institution

import (
	"slices"
	"testing"
	"time"
)

func alliance(t *testing.T) *Tree {
	t.Helper()
	tr, err := FromOrganizations([][]byte{
		[]byte(`{"resourceType":"Organization","id":"hc","name":"县卫健委","type":[{"coding":[{"system":"urn:yigong:institution-kind","code":"health-commission"}]}]}`),
		[]byte(`{"resourceType":"Organization","id":"county","partOf":{"reference":"Organization/hc"},"type":[{"coding":[{"system":"urn:yigong:institution-kind","code":"county-hospital"}]}]}`),
		[]byte(`{"resourceType":"Organization","id":"mch","partOf":{"reference":"Organization/county"},"type":[{"coding":[{"system":"urn:yigong:institution-kind","code":"branch"}]}]}`),
		[]byte(`{"resourceType":"Organization","id":"th-01","partOf":{"reference":"Organization/county"}}`),
		[]byte(`{"resourceType":"Organization","id":"th-02","partOf":{"reference":"Organization/county"}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestVisible(t *testing.T) {
	t.Parallel()
	tr := alliance(t)
	now := time.Now()
	shares := []Share{
		{Owner: "th-01", Patient: "p1", To: "th-02"},
		{Owner: "th-01", Patient: "p2", To: "th-02", Until: now.Add(-time.Hour)}, // expired
		{Owner: "th-02", Patient: "p9", To: "county"},                            // county sees th-02 anyway
	}
	tests := []struct {
		inst  string
		insts []string
		pats  []PatientRef
	}{
		{"hc", []string{"hc", "county", "mch", "th-01", "th-02"}, nil},
		{"county", []string{"county", "mch", "th-01", "th-02"}, nil},
		{"th-01", []string{"th-01"}, nil},
		{"th-02", []string{"th-02"}, []PatientRef{{Institution: "th-01", ID: "p1"}}},
		{"mch", []string{"mch"}, nil},
		{"elsewhere", nil, nil},
	}
	for _, tc := range tests {
		v := tr.Visible(tc.inst, shares, now)
		got := slices.Clone(v.Institutions)
		slices.Sort(got)
		want := slices.Clone(tc.insts)
		slices.Sort(want)
		if !slices.Equal(got, want) || !slices.Equal(v.Patients, tc.pats) {
			t.Errorf("%s: %+v", tc.inst, v)
		}
	}
	v := tr.Visible("th-02", shares, now)
	if !slices.Contains(v.Patients, PatientRef{Institution: "th-01", ID: "p1"}) || slices.Contains(v.Patients, PatientRef{Institution: "th-01", ID: "p2"}) || v.SeesInstitution("th-01") || v.SeesInstitution("county") {
		t.Error("Sees")
	}
	if !tr.IsWithin("th-01", "hc") || tr.IsWithin("hc", "th-01") {
		t.Error("IsWithin")
	}
}

func TestTreeErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewTree([]Node{{ID: "a", Parent: "b"}, {ID: "b", Parent: "a"}}); err == nil {
		t.Error("cycle accepted")
	}
	if _, err := NewTree([]Node{{ID: "a", Parent: "zz"}}); err == nil {
		t.Error("unknown parent accepted")
	}
	if _, err := NewTree([]Node{{ID: "a"}, {ID: "a"}}); err == nil {
		t.Error("duplicate accepted")
	}
}
