package scope

import (
	"net/url"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		ctx     Context
		typ     string
		perm    Perm
		v1      bool
		query   string
		wantErr bool
	}{
		{in: "patient/*.read", ctx: Patient, typ: "*", perm: Read | Search, v1: true},
		{in: "user/Observation.write", ctx: User, typ: "Observation", perm: Create | Update | Delete, v1: true},
		{in: "system/*.*", ctx: System, typ: "*", perm: All, v1: true},
		{in: "patient/Observation.rs", ctx: Patient, typ: "Observation", perm: Read | Search},
		{in: "patient/Observation.rs?category=laboratory", ctx: Patient, typ: "Observation", perm: Read | Search, query: "category=laboratory"},
		{in: "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory", ctx: Patient,
			typ: "Observation", perm: Read | Search, query: "category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Claboratory"},
		{in: "user/Patient.cruds", ctx: User, typ: "Patient", perm: All},
		{in: "system/Patient.c", ctx: System, typ: "Patient", perm: Create},
		{in: "openid"}, {in: "fhirUser"}, {in: "launch/patient"}, {in: "offline_access"},
		{in: "patient/Observation.sr", wantErr: true},       // out of order
		{in: "patient/Observation.rr", wantErr: true},       // repeated
		{in: "patient/Observation.x", wantErr: true},        // unknown letter
		{in: "patient/Observation", wantErr: true},          // no permissions
		{in: "patient/observation.rs", wantErr: true},       // lower-case type
		{in: "patient/Observation.read?x=1", wantErr: true}, // v1 with a query
		{in: "user/.rs", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, err := Parse(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			q := ""
			if s.Query != nil {
				q = s.Query.Encode()
			}
			if s.Context != tc.ctx || s.Type != tc.typ || s.Perm != tc.perm || s.V1 != tc.v1 || q != tc.query || s.Name != tc.in {
				t.Fatalf("got %+v (query %q)", s, q)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	t.Parallel()
	set, err := ParseSet("openid launch/patient patient/Observation.rs?category=laboratory patient/Patient.r user/Encounter.read")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		typ          string
		perm         Perm
		ctx          []Context
		allowed      bool
		unrestricted bool
		restrictions int
	}{
		{"lab observations searchable, restricted", "Observation", Search, nil, true, false, 1},
		{"observation write refused", "Observation", Update, nil, false, false, 0},
		{"patient read", "Patient", Read, nil, true, true, 0},
		{"patient search refused (.r only)", "Patient", Search, nil, false, false, 0},
		{"encounter v1 read = r+s", "Encounter", Search, nil, true, true, 0},
		{"encounter in patient context refused", "Encounter", Read, []Context{Patient}, false, false, 0},
		{"condition refused", "Condition", Read, nil, false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := set.Allows(tc.typ, tc.perm, tc.ctx...)
			if g.Allowed != tc.allowed || g.Unrestricted != tc.unrestricted || len(g.Restrictions) != tc.restrictions {
				t.Fatalf("got %+v", g)
			}
		})
	}
	if !set.Has("launch/patient") || set.Has("launch") {
		t.Fatal("Has")
	}
	// An unrestricted scope makes restrictions moot.
	set2, _ := ParseSet("patient/Observation.rs?category=laboratory patient/Observation.rs")
	if g := set2.Allows("Observation", Read); !g.Unrestricted || g.Restrictions != nil {
		t.Fatalf("got %+v", g)
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	granted, _ := ParseSet("openid fhirUser launch/patient patient/*.rs user/Observation.cruds patient/Condition.rs?category=problem")
	tests := []struct {
		req  string
		want bool
	}{
		{"openid patient/Observation.read", true},
		{"patient/Observation.rs?category=laboratory", true}, // narrower than patient/*.rs
		{"patient/Observation.cruds", false},
		{"user/Observation.write", true},
		{"user/Patient.r", false},
		{"offline_access", false},
		{"patient/Condition.rs?category=problem", true},
		{"system/*.rs", false},
	}
	for _, tc := range tests {
		req, err := ParseSet(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if got := Within(req, granted); got != tc.want {
			t.Errorf("Within(%q) = %v, want %v", tc.req, got, tc.want)
		}
	}
}

func TestInteraction(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]Perm{"read": Read, "vread": Read, "search-type": Search, "create": Create,
		"update": Update, "patch": Update, "delete": Delete, "history-type": Search} {
		if got, ok := Interaction(code); !ok || got != want {
			t.Errorf("%s: %v", code, got)
		}
	}
	if _, ok := Interaction("frobnicate"); ok {
		t.Error("unknown interaction mapped")
	}
	_ = url.Values{}
}
