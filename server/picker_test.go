package server

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/server/auth/accounts"
	"yigong/server/auth/institution"
)

// TestPatientPickerByInstitution: the standalone-launch patient picker
// offers a user only the patients of what their institution sees: a
// township user its own patients and the ones referred to it; a user of
// the hub's county hospital every patient.
func TestPatientPickerByInstitution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ix, err := search.NewIndexer(search.Options{BaseURL: "http://hub/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "y.db"), ix)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	create := func(inst, body string) string {
		t.Helper()
		r, err := st.Create(ctx, store.Input{Institution: inst, Type: "Patient", JSON: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	a := create("th-a", `{"resourceType":"Patient","name":[{"family":"王","given":["甲"]}]}`)
	b := create("th-b", `{"resourceType":"Patient","name":[{"family":"王","given":["乙"]}]}`)
	referred := create("th-b", `{"resourceType":"Patient","name":[{"family":"王","given":["丙"]}]}`)
	if _, err := st.Create(ctx, store.Input{Institution: "th-b", Type: "ServiceRequest", JSON: []byte(`{"resourceType":"ServiceRequest","status":"active","intent":"order",
		"subject":{"reference":"Patient/` + referred + `"},"performer":[{"reference":"Organization/th-a"}]}`)}); err != nil {
		t.Fatal(err)
	}
	f := patientFinder{st: st, dir: institution.NewDirectory(st, "county", 0, nil)}
	for _, tc := range []struct {
		inst string
		want []string
	}{
		{"th-a", []string{a, referred}},
		{"th-b", []string{b, referred}},
		{"county", []string{a, b, referred}},
		{"elsewhere", nil},
	} {
		for _, q := range []string{"", "王"} {
			got, err := f.FindPatients(ctx, &accounts.User{ID: "u", Institution: tc.inst}, q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			slices.Sort(ids)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Errorf("%s, query %q: picker offers %v, want %v", tc.inst, q, ids, want)
			}
		}
	}
}
