package auth_test

import (
	"encoding/json"
	"strings"
	"testing"

	"yigong/server"
	"yigong/server/auth/accounts"
	"yigong/server/servertest"
)

// TestMergeAudited: a Patient/$merge through the hub (EMPI on, SMART on)
// is in the audit trail: one update event for each patient it changed,
// naming the merge, read back by the audit administrator.
func TestMergeAudited(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, servertest.SMART, func(c *server.Config) { c.EMPI.Enabled = true })
	key := h.AddBackend(t, "his", "default", "system/*.cruds")
	his := client{t, h, h.BackendToken(t, "his", key, "system/*.cruds")}
	for _, p := range []string{"m1", "m2"} {
		if st, _, out := his.do("PUT", "/fhir/Patient/"+p, `{"resourceType":"Patient","id":"`+p+`","name":[{"family":"李","given":["`+p+`"]}]}`); st != 201 {
			t.Fatalf("create %s: %d %v", p, st, out)
		}
	}
	merge := `{"resourceType":"Parameters","parameter":[
		{"name":"source-patient","valueReference":{"reference":"Patient/m2"}},
		{"name":"target-patient","valueReference":{"reference":"Patient/m1"}}]}`
	if st, _, out := his.do("POST", "/fhir/Patient/$merge", merge); st != 200 {
		t.Fatalf("merge: %d %v", st, out)
	}
	h.AddUser(t, "auditor", "default", "", accounts.AuditAdmin)
	h.AddApp(t, "console", "default", "openid user/AuditEvent.rs")
	auditor := client{t, h, h.UserToken(t, servertest.Launch{User: "auditor", App: "console", Scope: "openid user/AuditEvent.rs"})["access_token"].(string)}
	for i := 0; ; i++ { // the recorder flushes every 50 ms: poll
		st, _, b := auditor.do("GET", "/fhir/AuditEvent?_count=1000", "")
		if st != 200 {
			t.Fatalf("audit administrator: %d %v", st, b)
		}
		merged := map[string]bool{}
		entries, _ := b["entry"].([]any)
		for _, e := range entries {
			raw, _ := json.Marshal(e.(map[string]any)["resource"])
			s := string(raw)
			if !strings.Contains(s, "merge: source Patient/m2, target Patient/m1") {
				continue
			}
			for _, p := range []string{"m1", "m2"} {
				if strings.Contains(s, `"reference":"Patient/`+p+`/_history/`) {
					merged[p] = true
				}
			}
		}
		if merged["m1"] && merged["m2"] {
			return
		}
		if i == 100 {
			t.Fatalf("the merge's audit events are missing (found for %v)", merged)
		}
		waitALittle()
	}
}
