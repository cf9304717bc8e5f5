package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"yigong/server/auth/accounts"
	"yigong/server/auth/institution"
	"yigong/server/auth/roles"
	"yigong/server/auth/scope"
	"yigong/server/servertest"
)

// These tests drive roles end to end (issue 4 §3): role administrators
// create roles and sub-roles and assign them over the admin API, users log
// in through the real authorization pages, and the FHIR API enforces the
// role permissions with the data's institution.

// grantRole gives user a role of perms defined by the hub itself (no
// delegation check): the way tests whose subject is not roles give their
// users access to FHIR data.
func grantRole(t testing.TB, h *servertest.Hub, user string, perms ...roles.Permission) {
	t.Helper()
	ctx := context.Background()
	id := "test-" + user
	if _, err := h.SMART().PutRole(ctx, roles.Role{ID: id, Name: "test role of " + user, Permissions: perms}); err != nil {
		t.Fatalf("define role %s: %v", id, err)
	}
	if _, err := h.SMART().AssignRoles(ctx, nil, nil, user, []string{id}); err != nil {
		t.Fatalf("assign role %s to %s: %v", id, user, err)
	}
}

// allData is every permission on every type in institution and below.
func allData(institution string) roles.Permission {
	return roles.Permission{Types: []string{"*"}, Perm: scope.All, Scope: roles.Scope{Institution: institution, Descendants: true}}
}

// adminJSON calls the admin API with a JSON body.
func adminJSON(c client, method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	data := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		data = string(b)
	}
	st, _, out := c.do(method, path, data, "Content-Type", "application/json")
	return st, out
}

func perm(types string, p string, inst string, below, admin bool) roles.Permission {
	var pm scope.Perm
	for i, l := range "cruds" {
		if strings.ContainsRune(p, l) {
			pm |= 1 << i
		}
	}
	return roles.Permission{Types: strings.Split(types, ","), Perm: pm, Admin: admin,
		Scope: roles.Scope{Institution: inst, Descendants: below}}
}

type roleWorld struct {
	hub    *servertest.Hub
	system client
}

// newRoleWorld starts a SMART hub whose institution "default" (a county
// hospital, the root) has two townships th-x and th-y below it, and an
// app allowed every user scope.
func newRoleWorld(t *testing.T) *roleWorld {
	t.Helper()
	h := servertest.Start(t, servertest.SMART)
	key := h.AddBackend(t, "his", "default", "system/*.cruds")
	w := &roleWorld{hub: h, system: client{t, h, h.BackendToken(t, "his", key, "system/*.cruds")}}
	for _, th := range []string{"th-x", "th-y"} {
		org := fmt.Sprintf(`{"resourceType":"Organization","id":%q,"name":%q,"partOf":{"reference":"Organization/default"},`+
			`"type":[{"coding":[{"system":%q,"code":"township"}]}]}`, th, th, institution.KindSystem)
		if st, _, out := w.system.do("PUT", "/fhir/Organization/"+th, org); st != 201 && st != 200 {
			t.Fatalf("create %s: %d %v", th, st, out)
		}
	}
	if st, _, out := w.system.do("PUT", "/fhir/Patient/p1", `{"resourceType":"Patient","id":"p1"}`); st != 201 {
		t.Fatalf("create p1: %d %v", st, out)
	}
	h.AddApp(t, "app", "default", "openid fhirUser user/*.cruds")
	return w
}

// login adds a user (when institution is not "") and returns a token of
// the app with scope.
func (w *roleWorld) login(t *testing.T, user, institution string, admin accounts.AdminRole, scope string) client {
	t.Helper()
	if institution != "" {
		w.hub.AddUser(t, user, institution, "", admin)
	}
	out := w.hub.UserToken(t, servertest.Launch{User: user, App: "app", Scope: scope})
	return client{t, w.hub, out["access_token"].(string)}
}

// TestRoleDelegation: the security administrator gives a role
// administrator a role; the administrator may create sub-roles of what it
// holds (201) and nothing else (403), and down a chain A→B→C no link
// grants more than the link above gave it.
func TestRoleDelegation(t *testing.T) {
	t.Parallel()
	w := newRoleWorld(t)
	sec := w.login(t, "sec", "default", accounts.SecurityAdmin, "openid")

	// The security administrator defines A's role.
	aRole := roles.Role{ID: "obs-admin", Name: "Observation administrator", Permissions: []roles.Permission{
		perm("Observation,Patient", "crs", "default", true, true)}}
	if st, out := adminJSON(sec, "POST", "/admin/auth/roles", aRole); st != 201 || out["createdBy"] != "sec" {
		t.Fatalf("security administrator creates a role: %d %v", st, out)
	}
	w.hub.AddUser(t, "alice", "default", "", accounts.NoAdmin)
	if st, out := adminJSON(sec, "PUT", "/admin/auth/users/alice/roles", map[string]any{"roles": []string{"obs-admin"}}); st != 200 {
		t.Fatalf("assign obs-admin: %d %v", st, out)
	}
	alice := w.login(t, "alice", "", accounts.NoAdmin, "openid")

	tests := []struct {
		name string
		role roles.Role
		want int
	}{
		{"subset", roles.Role{ID: "obs-read", Permissions: []roles.Permission{perm("Observation", "rs", "default", true, false)}}, 201},
		{"narrower scope", roles.Role{ID: "x-obs", Permissions: []roles.Permission{perm("Observation", "crs", "th-x", false, false)}}, 201},
		{"type not held", roles.Role{ID: "cond-read", Permissions: []roles.Permission{perm("Condition", "r", "default", false, false)}}, 403},
		{"letter not held", roles.Role{ID: "obs-delete", Permissions: []roles.Permission{perm("Observation", "d", "default", false, false)}}, 403},
		{"wildcard type", roles.Role{ID: "all-read", Permissions: []roles.Permission{perm("*", "r", "default", false, false)}}, 403},
		{"malformed", roles.Role{ID: "empty", Permissions: []roles.Permission{{Types: []string{"Observation"}}}}, 400},
	}
	for _, tc := range tests {
		if st, out := adminJSON(alice, "POST", "/admin/auth/roles", tc.role); st != tc.want {
			t.Errorf("%s: alice creates %s: %d %v, want %d", tc.name, tc.role.ID, st, out, tc.want)
		}
	}
	if st, _ := adminJSON(alice, "POST", "/admin/auth/roles", tests[0].role); st != 409 {
		t.Errorf("re-create obs-read: %d, want 409", st)
	}

	// A → B: alice gives bob (th-x) an administering role over th-x.
	w.hub.AddUser(t, "bob", "th-x", "", accounts.NoAdmin)
	bRole := roles.Role{ID: "b", Permissions: []roles.Permission{perm("Observation", "rs", "th-x", false, true)}}
	if st, out := adminJSON(alice, "POST", "/admin/auth/roles", bRole); st != 201 {
		t.Fatalf("alice creates b: %d %v", st, out)
	}
	if st, out := adminJSON(alice, "PUT", "/admin/auth/users/bob/roles", map[string]any{"roles": []string{"b"}}); st != 200 {
		t.Fatalf("alice assigns b to bob: %d %v", st, out)
	}
	bob := w.login(t, "bob", "", accounts.NoAdmin, "openid")
	// B → C: bob gives carol a read-only administering role.
	w.hub.AddUser(t, "carol", "th-x", "", accounts.NoAdmin)
	cRole := roles.Role{ID: "c", Permissions: []roles.Permission{perm("Observation", "r", "th-x", false, true)}}
	if st, out := adminJSON(bob, "POST", "/admin/auth/roles", cRole); st != 201 {
		t.Fatalf("bob creates c: %d %v", st, out)
	}
	if st, out := adminJSON(bob, "POST", "/admin/auth/roles", roles.Role{ID: "b-wider",
		Permissions: []roles.Permission{perm("Observation", "crs", "th-x", false, false)}}); st != 403 {
		t.Errorf("bob grants create, which alice did not give him: %d %v", st, out)
	}
	if st, out := adminJSON(bob, "PUT", "/admin/auth/users/carol/roles", map[string]any{"roles": []string{"c"}}); st != 200 {
		t.Fatalf("bob assigns c to carol: %d %v", st, out)
	}
	if st, _ := adminJSON(bob, "PUT", "/admin/auth/users/alice/roles", map[string]any{"roles": []string{"c"}}); st != 403 {
		t.Errorf("bob assigns roles to a user of an institution he does not administer: %d, want 403", st)
	}
	carol := w.login(t, "carol", "", accounts.NoAdmin, "openid")
	w.hub.AddUser(t, "dave", "th-x", "", accounts.NoAdmin)
	for _, r := range []roles.Role{
		{ID: "c-search", Permissions: []roles.Permission{perm("Observation", "rs", "th-x", false, false)}},   // B held s, C does not
		{ID: "c-wider", Permissions: []roles.Permission{perm("Observation", "r", "th-x", true, false)}},      // below th-x
		{ID: "c-county", Permissions: []roles.Permission{perm("Observation", "r", "default", false, false)}}, // A's scope
		{ID: "c-patient", Permissions: []roles.Permission{perm("Patient", "r", "th-x", false, false)}},       // A's type
	} {
		if st, out := adminJSON(carol, "POST", "/admin/auth/roles", r); st != 403 {
			t.Errorf("carol creates %s, more than bob gave her: %d %v, want 403", r.ID, st, out)
		}
	}
	if st, out := adminJSON(carol, "PUT", "/admin/auth/users/dave/roles", map[string]any{"roles": []string{"b"}}); st != 403 {
		t.Errorf("carol assigns b (bob's role) to dave: %d %v, want 403", st, out)
	}
	if st, out := adminJSON(carol, "POST", "/admin/auth/roles", roles.Role{ID: "d", Permissions: []roles.Permission{
		perm("Observation", "r", "th-x", false, false)}}); st != 201 {
		t.Errorf("carol creates a role within hers: %d %v", st, out)
	}
	if st, out := adminJSON(carol, "PUT", "/admin/auth/users/dave/roles", map[string]any{"roles": []string{"d"}}); st != 200 {
		t.Errorf("carol assigns d to dave: %d %v", st, out)
	}
	// Carol cannot take bob's role away from bob either (removing is granting in reverse).
	if st, _ := adminJSON(carol, "PUT", "/admin/auth/users/bob/roles", map[string]any{"roles": []string{}}); st != 403 {
		t.Errorf("carol removes b from bob: %d, want 403", st)
	}

	// Listing shows what the caller could grant; deleting needs the same.
	st, _, _ := carol.do("GET", "/admin/auth/roles", "")
	if st != 200 {
		t.Fatalf("carol lists roles: %d", st)
	}
	if st, _, _ := carol.do("GET", "/admin/auth/roles/obs-admin", ""); st != 404 {
		t.Errorf("carol reads obs-admin: %d, want 404", st)
	}
	if st, _, _ := carol.do("DELETE", "/admin/auth/roles/b", ""); st != 403 {
		t.Errorf("carol deletes b: %d, want 403", st)
	}
	if st, _, _ := bob.do("DELETE", "/admin/auth/roles/d", ""); st != 204 {
		t.Errorf("bob deletes d: %d, want 204", st)
	}
	// A user without the admin power administers nothing.
	w.hub.AddUser(t, "erin", "default", "", accounts.NoAdmin)
	grantRole(t, w.hub, "erin", allData("default"))
	erin := w.login(t, "erin", "", accounts.NoAdmin, "openid")
	if st, _ := adminJSON(erin, "POST", "/admin/auth/roles", roles.Role{ID: "e", Permissions: []roles.Permission{
		perm("Observation", "r", "default", false, false)}}); st != 403 {
		t.Errorf("a user without the admin power creates a role: %d, want 403", st)
	}
}

// TestRoleEnforcement: role permissions take part in every FHIR decision
// for users, with the resource's institution.
func TestRoleEnforcement(t *testing.T) {
	t.Parallel()
	w := newRoleWorld(t)
	create := func(c client, body string) (int, map[string]any) {
		st, _, out := c.do("POST", "/fhir/Observation", body)
		return st, out
	}
	st, out := create(w.system, obs("p1", "laboratory"))
	if st != 201 {
		t.Fatalf("create observation: %d %v", st, out)
	}
	obsDefault := out["id"].(string)

	// A read-only Observation role reads but does not write.
	w.hub.AddUser(t, "reader", "default", "", accounts.NoAdmin)
	grantRole(t, w.hub, "reader", perm("Observation", "rs", "default", true, false))
	reader := w.login(t, "reader", "", accounts.NoAdmin, "user/*.cruds")
	if st, _, out := reader.do("GET", "/fhir/Observation/"+obsDefault, ""); st != 200 {
		t.Errorf("reader reads an Observation: %d %v", st, out)
	}
	if st, _, out := reader.do("GET", "/fhir/Observation?subject=Patient/p1", ""); st != 200 || len(ids(out)) != 1 {
		t.Errorf("reader searches Observations: %d %v", st, out)
	}
	st, out = create(reader, obs("p1", "laboratory"))
	if st != 403 || out["resourceType"] != "OperationOutcome" {
		t.Errorf("reader creates an Observation: %d %v, want 403 with an OperationOutcome", st, out)
	}
	if st, _, out := reader.do("GET", "/fhir/Patient/p1", ""); st != 403 || out["resourceType"] != "OperationOutcome" {
		t.Errorf("reader reads a Patient (no role on Patient): %d %v, want 403", st, out)
	}

	// A role scoped to th-x: writes in th-x by a th-x user, not by a th-y user.
	xRole := []roles.Permission{perm("Observation,Patient", "cruds", "th-x", false, false)}
	w.hub.AddUser(t, "xuser", "th-x", "", accounts.NoAdmin)
	grantRole(t, w.hub, "xuser", xRole...)
	w.hub.AddUser(t, "yuser", "th-y", "", accounts.NoAdmin)
	grantRole(t, w.hub, "yuser", xRole...)
	xuser := w.login(t, "xuser", "", accounts.NoAdmin, "user/*.cruds")
	yuser := w.login(t, "yuser", "", accounts.NoAdmin, "user/*.cruds")
	st, out = create(xuser, obs("p1", "vital-signs"))
	if st != 201 {
		t.Fatalf("th-x user with a th-x role creates: %d %v", st, out)
	}
	obsX := out["id"].(string)
	if st, out := create(yuser, obs("p1", "vital-signs")); st != 403 {
		t.Errorf("th-y user with a th-x role creates (in th-y): %d %v, want 403", st, out)
	}
	// A body that claims th-x does not move the write there.
	claim := strings.Replace(obs("p1", "vital-signs"), `"status"`, `"meta":{"tag":[{"system":"http://yigong.cn/fhir/CodeSystem/institution","code":"th-x"}]},"status"`, 1)
	if st, out := create(yuser, claim); st != 403 {
		t.Errorf("th-y user creates with a th-x tag: %d %v, want 403", st, out)
	}

	// A county user whose only role is on th-x sees th-x data, not the county's own.
	w.hub.AddUser(t, "county-x", "default", "", accounts.NoAdmin)
	grantRole(t, w.hub, "county-x", perm("Observation", "rs", "th-x", false, false))
	cx := w.login(t, "county-x", "", accounts.NoAdmin, "user/*.rs")
	if st, _, out := cx.do("GET", "/fhir/Observation/"+obsX, ""); st != 200 {
		t.Errorf("county user reads a th-x Observation with a th-x role: %d %v", st, out)
	}
	if st, _, _ := cx.do("GET", "/fhir/Observation/"+obsDefault, ""); st != 403 {
		t.Errorf("county user reads a county Observation with a th-x role: %d, want 403", st)
	}
	if st, _, out := cx.do("GET", "/fhir/Observation?subject=Patient/p1", ""); st != 200 || len(ids(out)) != 1 || ids(out)[0] != "Observation/"+obsX {
		t.Errorf("county user searches with a th-x role: %d %v, want only %s", st, ids(out), obsX)
	}

	// A user without roles reaches no FHIR data, whatever its scopes.
	w.hub.AddUser(t, "norole", "default", "", accounts.NoAdmin)
	norole := w.login(t, "norole", "", accounts.NoAdmin, "user/*.cruds")
	if st, _, _ := norole.do("GET", "/fhir/Observation/"+obsDefault, ""); st != 403 {
		t.Errorf("user without roles reads: %d, want 403", st)
	}
	if st, _, _ := norole.do("GET", "/fhir/Observation", ""); st != 403 {
		t.Errorf("user without roles searches: %d, want 403", st)
	}
	// Deleting a role takes effect at once, on live tokens too.
	sec := w.login(t, "sec", "default", accounts.SecurityAdmin, "openid")
	if st, _, out := sec.do("DELETE", "/admin/auth/roles/test-reader", ""); st != 204 {
		t.Fatalf("delete test-reader: %d %v", st, out)
	}
	if st, _, _ := reader.do("GET", "/fhir/Observation/"+obsDefault, ""); st != 403 {
		t.Errorf("reader after its role was deleted: %d, want 403", st)
	}
}

// TestSeparationOfDutiesOverHTTP (三员分立): the security administrator
// manages roles but neither users nor the audit trail; the audit
// administrator reads the trail (where the role changes are recorded) but
// manages neither users nor roles; the system administrator manages users
// but no roles.
func TestSeparationOfDutiesOverHTTP(t *testing.T) {
	t.Parallel()
	w := newRoleWorld(t)
	sec := w.login(t, "sec", "default", accounts.SecurityAdmin, "openid user/*.rs")
	aud := w.login(t, "aud", "default", accounts.AuditAdmin, "openid user/AuditEvent.rs")
	sys := w.login(t, "sys", "default", accounts.SystemAdmin, "openid user/*.rs")
	newUser := map[string]any{"id": "u1", "institution": "default", "password": servertest.TestPassword}
	role := roles.Role{ID: "r1", Permissions: []roles.Permission{perm("Observation", "r", "default", false, false)}}

	if st, _, _ := sec.do("GET", "/fhir/AuditEvent", ""); st != 403 {
		t.Errorf("security administrator reads the audit trail: %d, want 403", st)
	}
	if st, _ := adminJSON(sec, "POST", "/admin/auth/users", newUser); st != 403 {
		t.Errorf("security administrator creates a user: %d, want 403", st)
	}
	if st, out := adminJSON(sec, "POST", "/admin/auth/roles", role); st != 201 {
		t.Fatalf("security administrator creates a role: %d %v", st, out)
	}
	if st, _ := adminJSON(aud, "POST", "/admin/auth/users", newUser); st != 403 {
		t.Errorf("audit administrator creates a user: %d, want 403", st)
	}
	if st, _ := adminJSON(aud, "POST", "/admin/auth/roles", roles.Role{ID: "r2", Permissions: role.Permissions}); st != 403 {
		t.Errorf("audit administrator creates a role: %d, want 403", st)
	}
	if st, _ := adminJSON(aud, "PUT", "/admin/auth/users/aud/roles", map[string]any{"roles": []string{"r1"}}); st != 403 {
		t.Errorf("audit administrator assigns itself a role: %d, want 403", st)
	}
	if st, _ := adminJSON(sys, "POST", "/admin/auth/roles", roles.Role{ID: "r3", Permissions: role.Permissions}); st != 403 {
		t.Errorf("system administrator creates a role: %d, want 403", st)
	}
	if st, out := adminJSON(sys, "POST", "/admin/auth/users", newUser); st != 201 {
		t.Errorf("system administrator creates a user: %d %v", st, out)
	}
	if st, _, _ := sys.do("GET", "/fhir/AuditEvent", ""); st != 403 {
		t.Errorf("system administrator reads the audit trail: %d, want 403", st)
	}
	// An administering role is not given to the audit administrator.
	adminRole := roles.Role{ID: "r-admin", Permissions: []roles.Permission{perm("Observation", "r", "default", false, true)}}
	if st, out := adminJSON(sec, "POST", "/admin/auth/roles", adminRole); st != 201 {
		t.Fatalf("create r-admin: %d %v", st, out)
	}
	if st, _ := adminJSON(sec, "PUT", "/admin/auth/users/aud/roles", map[string]any{"roles": []string{"r-admin"}}); st != 403 {
		t.Errorf("security administrator gives the audit administrator an administering role: %d, want 403", st)
	}
	// The role change is in the audit trail, for the audit administrator.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body := rawGet(t, aud, "/fhir/AuditEvent?_count=200")
		if st == 200 && strings.Contains(body, "/admin/auth/roles") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit event of the role creation: %d %.2000s", st, body)
		}
		waitALittle()
	}
}

func rawGet(t *testing.T, c client, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", c.hub.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
