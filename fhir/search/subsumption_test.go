package search

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"

	"yigong/fhir"
	"yigong/fhir/terminology"
)

func TestTokenAboveBelow(t *testing.T) {
	codes := Subsumption(context.Background(), terminology.New())
	const actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	tests := []struct {
		name, query   string
		lenient       bool
		want, notWant []string // codes among the values
		issue         string   // issue code of the error, "" = none
	}{
		{"below", "class:below=" + actCode + "|IMP", false, []string{"IMP", "ACUTE", "NONAC"}, []string{"AMB", "_ActEncounterCode"}, ""},
		{"below an abstract code", "class:below=" + actCode + "|_ActEncounterCode", false, []string{"AMB", "IMP", "ACUTE", "EMER"}, []string{"_ActCode"}, ""},
		{"above", "class:above=" + actCode + "|ACUTE", false, []string{"ACUTE", "IMP", "_ActEncounterCode"}, []string{"AMB", "NONAC"}, ""},
		{"not bundled", "class:below=http://snomed.info/sct|73211009", false, nil, nil, "not-supported"},
		{"not bundled, lenient", "class:below=http://snomed.info/sct|73211009", true, nil, nil, "not-supported"},
		{"unknown code", "class:below=" + actCode + "|NO-SUCH-CODE", false, nil, nil, "not-supported"},
		{"no system", "class:below=IMP", false, nil, nil, "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := Parse(Builtin{}, "Encounter", q, ParseOptions{Codes: codes, Lenient: tc.lenient})
			if tc.issue != "" {
				var fe *fhir.Error
				if !errors.As(err, &fe) || len(fe.Issues) == 0 || fe.Issues[0].Code != tc.issue || fe.Kind != fhir.KindInvalid {
					t.Fatalf("err %v, want an invalid error with issue %q", err, tc.issue)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := plan.Query.Filters[0]
			var got []string
			for _, v := range f.Values {
				if v.System == actCode {
					got = append(got, v.Code)
				}
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s missing from %v", w, got)
				}
			}
			for _, w := range tc.notWant {
				if slices.Contains(got, w) {
					t.Errorf("%s in %v", w, got)
				}
			}
			if f.Modifier != "" {
				t.Errorf("modifier %q left for the store", f.Modifier)
			}
		})
	}
	// Without a terminology service the modifiers are not supported.
	if _, err := Parse(Builtin{}, "Encounter", url.Values{"class:below": {actCode + "|IMP"}}, ParseOptions{}); err == nil {
		t.Error(":below without a terminology service was accepted")
	}
}
