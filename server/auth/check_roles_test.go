package auth_test

import (
	"context"
	"errors"
	"testing"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/server/auth"
	"yigong/server/auth/accounts"
	"yigong/server/auth/institution"
	"yigong/server/auth/roles"
	"yigong/server/auth/scope"
)

// TestCheckRoles: with Checker.Roles set, a user's role permissions decide
// with the resource's institution (its store meta.tag), a write also with
// the caller's own; backend clients are not concerned.
func TestCheckRoles(t *testing.T) {
	t.Parallel()
	tree, err := institution.NewTree([]institution.Node{
		{ID: "county", Kind: institution.CountyHospital}, {ID: "th-x", Parent: "county"}, {ID: "th-y", Parent: "county"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &auth.Checker{Roles: func(context.Context) (roles.Hierarchy, error) { return tree, nil }}
	all, _ := scope.ParseSet("user/*.cruds")
	user := func(inst string, perms ...roles.Permission) *auth.Principal {
		return &auth.Principal{Kind: auth.KindUser, Subject: "u", Institution: inst, Scopes: all, Permissions: perms}
	}
	obsIn := func(inst string) []byte {
		return []byte(`{"resourceType":"Observation","id":"o","meta":{"tag":[{"system":"` + store.InstitutionTagSystem +
			`","code":"` + inst + `"}]},"status":"final","code":{"text":"x"}}`)
	}
	untagged := []byte(`{"resourceType":"Observation","status":"final","code":{"text":"x"}}`)
	readX := roles.Permission{Types: []string{"Observation"}, Perm: scope.Read | scope.Search, Scope: roles.Scope{Institution: "th-x"}}
	writeX := roles.Permission{Types: []string{"Observation"}, Perm: scope.All, Scope: roles.Scope{Institution: "th-x"}}
	countyAll := roles.Permission{Types: []string{"*"}, Perm: scope.All, Scope: roles.Scope{Institution: "county", Descendants: true}}
	countyOnly := roles.Permission{Types: []string{"*"}, Perm: scope.All, Scope: roles.Scope{Institution: "county"}}
	tests := []struct {
		name string
		p    *auth.Principal
		req  auth.Request
		ok   bool
	}{
		{"no role", user("th-x"), auth.Request{ResourceType: "Observation", Interaction: "read", Resource: obsIn("th-x")}, false},
		{"no role, type level", user("th-x"), auth.Request{ResourceType: "Observation", Interaction: "search-type"}, false},
		{"read in scope", user("th-x", readX), auth.Request{ResourceType: "Observation", Interaction: "read", Resource: obsIn("th-x")}, true},
		{"read elsewhere", user("th-x", readX), auth.Request{ResourceType: "Observation", Interaction: "read", Resource: obsIn("th-y")}, false},
		{"read other type", user("th-x", readX), auth.Request{ResourceType: "Patient", Interaction: "read"}, false},
		{"create with a read role", user("th-x", readX), auth.Request{ResourceType: "Observation", Interaction: "create", Resource: untagged}, false},
		{"create in own institution", user("th-x", writeX), auth.Request{ResourceType: "Observation", Interaction: "create", Resource: untagged}, true},
		{"create from another institution", user("th-y", writeX), auth.Request{ResourceType: "Observation", Interaction: "create", Resource: untagged}, false},
		{"create with a claimed tag", user("th-y", writeX), auth.Request{ResourceType: "Observation", Interaction: "create", Resource: obsIn("th-x")}, false},
		{"county role with descendants reads below", user("county", countyAll), auth.Request{ResourceType: "Observation", Interaction: "read", Resource: obsIn("th-y")}, true},
		{"county-only role does not read below", user("county", countyOnly), auth.Request{ResourceType: "Observation", Interaction: "read", Resource: obsIn("th-y")}, false},
		{"update below needs own and owner", user("county", countyOnly, writeX), auth.Request{ResourceType: "Observation", Interaction: "update", Resource: obsIn("th-x")}, true},
		{"update below without own", user("county", writeX), auth.Request{ResourceType: "Observation", Interaction: "update", Resource: obsIn("th-x")}, false},
		{"delete is the owner's", user("county", writeX), auth.Request{ResourceType: "Observation", Interaction: "delete", Resource: obsIn("th-x")}, true},
		{"known institution, no body", user("county", readX), auth.Request{ResourceType: "Observation", Interaction: "read", Institution: "th-x"}, true},
		{"known other institution, no body", user("county", readX), auth.Request{ResourceType: "Observation", Interaction: "read", Institution: "county"}, false},
		{"backend client: scopes only", &auth.Principal{Kind: auth.KindClient, Subject: "his", ClientID: "his", Scopes: all},
			auth.Request{ResourceType: "Observation", Interaction: "create", Resource: untagged}, true},
		{"audit administrator reads the trail without a role", &auth.Principal{Kind: auth.KindUser, Subject: "aud", Scopes: all,
			Admin: string(accounts.AuditAdmin)}, auth.Request{ResourceType: "AuditEvent", Interaction: "search-type"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Check(context.Background(), tc.p, tc.req)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			var fe *fhir.Error
			if err != nil && (!errors.As(err, &fe) || fe.Kind != fhir.KindForbidden) {
				t.Fatalf("err = %v, want a forbidden fhir.Error", err)
			}
		})
	}
	// Without Checker.Roles, scopes alone decide.
	if err := (&auth.Checker{}).Check(context.Background(), user("th-x"), auth.Request{ResourceType: "Observation", Interaction: "read",
		Resource: obsIn("th-y")}); err != nil {
		t.Fatalf("scopes only: %v", err)
	}
}
