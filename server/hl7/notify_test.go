package hl7_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/conformance/peer"
	"yigong/hl7v2"
	"yigong/server"
	"yigong/server/hl7"
	"yigong/server/servertest"
)

const notifyMRN = "http://county.example/fhir/sid/mrn"

// requirePython returns /usr/bin/python3 when it has python3-hl7's MLLP
// server; like peer.Require it skips without it, and fails under CI=true.
func requirePython(t *testing.T) string {
	t.Helper()
	py := peer.Require(t, "/usr/bin/python3")
	if out, err := exec.Command(py, "-c", "import hl7.mllp").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("peer: python3-hl7 (hl7.mllp) is not installed for %s; .ci/run must install it: %s", py, out)
		}
		t.Skipf("peer: python3-hl7 is not installed; this peer test did not run (it runs in CI): %s", out)
	}
	return py
}

// freeAddr returns a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// receiver is a running testdata/receiver.py.
type receiver struct {
	file string
}

// startReceiver starts python3-hl7's MLLP server on addr, answering code,
// and waits until it listens; it is stopped when the test ends.
func startReceiver(t *testing.T, py, addr, file, code string) *receiver {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(py, filepath.Join("testdata", "receiver.py"), port, file, code)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("receiver stderr: %s", stderr.String())
		}
	})
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "ready" {
			err = fmt.Errorf("receiver said %q", line)
		}
		ready <- err
		io.Copy(io.Discard, stdout)
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("receiver: %v: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("receiver did not start: %s", stderr.String())
	}
	return &receiver{file: file}
}

// messages parses what the receiver got so far, in order.
func (r *receiver) messages(t *testing.T) []*hl7v2.Message {
	t.Helper()
	data, err := os.ReadFile(r.file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []*hl7v2.Message
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := hl7v2.Parse([]byte(line))
		if err != nil {
			t.Fatalf("receiver got %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// waitFor polls the receiver until ok accepts its messages.
func (r *receiver) waitFor(t *testing.T, what string, ok func([]*hl7v2.Message) bool) []*hl7v2.Message {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ms := r.messages(t)
		if ok(ms) {
			return ms
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, m := range ms {
				fmt.Fprintf(&b, "\n  %s", strings.ReplaceAll(m.String(), "\r", " | "))
			}
			t.Fatalf("receiver: waiting for %s; got %d messages:%s", what, len(ms), b.String())
		}
		time.Sleep(100 * time.Millisecond) // polling with a deadline
	}
}

// to returns the messages addressed to application app (MSH-5).
func to(ms []*hl7v2.Message, app string) []*hl7v2.Message {
	var out []*hl7v2.Message
	for _, m := range ms {
		if m.Header().Field(5).String() == app {
			out = append(out, m)
		}
	}
	return out
}

func field(m *hl7v2.Message, seg string, n int) string {
	s := m.Segment(seg)
	if s == nil {
		return "<no " + seg + ">"
	}
	return s.Field(n).Raw()
}

// fhirWrite POSTs (id "") or PUTs a resource over the FHIR REST API and
// returns its id.
func fhirWrite(t *testing.T, hub *servertest.Hub, typ, id string, res map[string]any) string {
	t.Helper()
	res["resourceType"] = typ
	method, url := http.MethodPost, hub.URL("/fhir/"+typ)
	if id != "" {
		res["id"] = id
		method, url = http.MethodPut, url+"/"+id
	}
	body, _ := json.Marshal(res)
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, out)
	}
	var got struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &got); err != nil || got.ID == "" {
		t.Fatalf("%s %s: no id in %s", method, url, out)
	}
	return got.ID
}

func patientJSON(mrn, family, given string) map[string]any {
	return map[string]any{
		"identifier": []any{map[string]any{"system": notifyMRN, "value": mrn}},
		"name":       []any{map[string]any{"family": family, "given": []any{given}}},
		"gender":     "male", "birthDate": "1980-05-17",
	}
}

type outboxReport struct {
	Outbox []hl7.OutRow `json:"outbox"`
}

// waitOutbox polls the stats until ok accepts the outbox rows.
func waitOutbox(t *testing.T, hub *servertest.Hub, what string, ok func([]hl7.OutRow) bool) []hl7.OutRow {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st outboxReport
		getJSON(t, hub.URL("/admin/hl7/stats"), &st)
		if ok(st.Outbox) {
			return st.Outbox
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox: waiting for %s: %+v", what, st.Outbox)
		}
		time.Sleep(100 * time.Millisecond) // polling with a deadline
	}
}

func sum(rows []hl7.OutRow, f func(hl7.OutRow) int64) int64 {
	var n int64
	for _, r := range rows {
		n += f(r)
	}
	return n
}

// TestNotifications runs the three events end to end, through the FHIR
// REST API of a real hub to python3-hl7's MLLP server: ADT^A08 for a new
// Patient, ORU^R01 once when a DiagnosticReport becomes final (not while
// preliminary, not again when amended), OML^O21 for an order placed with
// another institution (not for one kept at home), in commit order, with
// the Chinese name intact; and a patient written by the subscriber's own
// HL7 message is not echoed back to it (but is sent to another subscriber).
func TestNotifications(t *testing.T) {
	py := requirePython(t)
	for _, engine := range servertest.Stores() {
		t.Run(engine.Name, func(t *testing.T) {
			t.Parallel()
			addr := freeAddr(t)
			rcv := startReceiver(t, py, addr, filepath.Join(t.TempDir(), "got.hl7"), "AA")
			hub := engine.Start(t, func(c *server.Config) {
				c.MLLP.Mapping.Authorities = map[string]string{"HIS1": notifyMRN}
				// MSH-3 of the hub, MSH-4 by default its institution; the
				// EMR knows the hub by other names.
				c.MLLP.SendingApplication = "CDR"
				c.MLLP.Subscriptions = []hl7.Subscription{
					{Name: "lis", Destination: addr, Application: "LIS", Facility: "TOWN1",
						Events: []string{hl7.EventPatientUpdate, hl7.EventReportFinal, hl7.EventOrderPlaced}},
					{Name: "emr", Destination: addr, Application: "EMR", Facility: "TOWN1", Events: []string{hl7.EventPatientUpdate},
						SendingApplication: "HUB-EMR", SendingFacility: "COUNTY"},
				}
			})
			pid := fhirWrite(t, hub, "Patient", "", patientJSON("P-1", "王", "珅"))
			var results []any
			for i, v := range []string{"56.0", "4.87"} {
				oid := fhirWrite(t, hub, "Observation", "", map[string]any{
					"status":        "final",
					"code":          map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": []string{"1742-6", "2345-7"}[i], "display": []string{"丙氨酸氨基转移酶", "葡萄糖"}[i]}}},
					"subject":       map[string]any{"reference": "Patient/" + pid},
					"valueQuantity": map[string]any{"value": json.Number(v), "unit": []string{"U/L", "mmol/L"}[i], "system": "http://unitsofmeasure.org", "code": []string{"U/L", "mmol/L"}[i]},
				})
				results = append(results, map[string]any{"reference": "Observation/" + oid})
			}
			report := func(status string) map[string]any {
				return map[string]any{
					"status":            status,
					"identifier":        []any{map[string]any{"system": notifyMRN, "value": "LAB-1"}},
					"code":              map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "24323-8", "display": "肝功能"}}},
					"subject":           map[string]any{"reference": "Patient/" + pid},
					"effectiveDateTime": "2024-03-05T08:00:00+08:00",
					"result":            results,
				}
			}
			drID := fhirWrite(t, hub, "DiagnosticReport", "", report("preliminary"))
			fhirWrite(t, hub, "DiagnosticReport", drID, report("final"))
			fhirWrite(t, hub, "DiagnosticReport", drID, report("amended"))
			order := func(number, performer string) map[string]any {
				return map[string]any{
					"status": "active", "intent": "order",
					"identifier": []any{map[string]any{"system": notifyMRN, "value": number}},
					"code":       map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "24323-8", "display": "肝功能"}}},
					"subject":    map[string]any{"reference": "Patient/" + pid},
					"performer":  []any{map[string]any{"reference": "Organization/" + performer}},
				}
			}
			fhirWrite(t, hub, "ServiceRequest", "", order("ORD-1", "township-9"))
			fhirWrite(t, hub, "ServiceRequest", "", order("ORD-HOME", "default")) // the owner itself: no message

			// The LIS's own ADT: its patient is not echoed back to the LIS.
			adt := fmt.Appendf(nil, "MSH|^~\\&|LIS|TOWN1|YIGONG|HUB|20240301083000||ADT^A04^ADT_A01|LIS0001|P|2.5.1\r"+
				"EVN|A04|20240301083000\r"+
				"PID|1||P-LIS^^^HIS1^MR||张^三||19700101|F\r")
			if code, _ := msa(sendOne(t, hub.MLLPAddr(), adt)); code != "AA" {
				t.Fatalf("LIS ADT: %s", code)
			}
			waitDrained(t, hub.URL(""), 1, 30*time.Second)
			fhirWrite(t, hub, "Patient", "", patientJSON("MARKER", "李", "四"))

			pid3 := func(m *hl7v2.Message) string { return field(m, "PID", 3) }
			got := rcv.waitFor(t, "the marker patient at both subscribers", func(ms []*hl7v2.Message) bool {
				lis, emr := to(ms, "LIS"), to(ms, "EMR")
				return len(lis) > 0 && len(emr) > 0 && strings.HasPrefix(pid3(lis[len(lis)-1]), "MARKER") &&
					strings.HasPrefix(pid3(emr[len(emr)-1]), "MARKER")
			})
			lis, emr := to(got, "LIS"), to(got, "EMR")
			var types []string
			for _, m := range lis {
				types = append(types, field(m, "MSH", 9)+" "+pid3(m))
			}
			want := []string{"ADT^A08^ADT_A01 P-1^^^HIS1^MR", "ORU^R01^ORU_R01 P-1^^^HIS1^MR", "OML^O21^OML_O21 P-1^^^HIS1^MR",
				"ADT^A08^ADT_A01 MARKER^^^HIS1^MR"}
			if strings.Join(types, "\n") != strings.Join(want, "\n") {
				t.Fatalf("LIS got, in order:\n%s\nwant:\n%s", strings.Join(types, "\n"), strings.Join(want, "\n"))
			}
			var emrIDs []string
			for _, m := range emr {
				emrIDs = append(emrIDs, pid3(m))
			}
			if strings.Join(emrIDs, " ") != "P-1^^^HIS1^MR P-LIS^^^HIS1^MR MARKER^^^HIS1^MR" {
				t.Errorf("EMR got patients %v", emrIDs)
			}
			controlIDs := map[string]bool{}
			for _, m := range got {
				checks := map[string]string{"MSH-3": field(m, "MSH", 3), "MSH-4": field(m, "MSH", 4), "MSH-6": field(m, "MSH", 6),
					"MSH-12": field(m, "MSH", 12), "MSH-18": field(m, "MSH", 18)}
				wantH := map[string]string{"MSH-3": "CDR", "MSH-4": "default", "MSH-6": "TOWN1", "MSH-12": "2.5.1", "MSH-18": "UNICODE UTF-8"}
				if field(m, "MSH", 5) == "EMR" {
					wantH["MSH-3"], wantH["MSH-4"] = "HUB-EMR", "COUNTY"
				}
				for k, v := range wantH {
					if checks[k] != v {
						t.Errorf("%s = %q, want %q", k, checks[k], v)
					}
				}
				ctl := m.ControlID()
				if controlIDs[ctl] {
					t.Errorf("MSH-10 %q twice", ctl)
				}
				controlIDs[ctl] = true
			}
			adtMsg, oru, oml := lis[0], lis[1], lis[2]
			for _, tc := range []struct {
				m          *hl7v2.Message
				seg        string
				n          int
				want       string
				occurrence int
			}{
				{adtMsg, "PID", 5, "王^珅", 1}, {adtMsg, "PID", 7, "19800517", 1}, {adtMsg, "PID", 8, "M", 1}, {adtMsg, "EVN", 1, "A08", 1},
				{oru, "PID", 5, "王^珅", 1}, {oru, "OBR", 4, "24323-8^肝功能^LN", 1}, {oru, "OBR", 7, "20240305080000+0800", 1},
				{oru, "OBR", 25, "F", 1}, {oru, "ORC", 1, "RE", 1}, {oru, "OBR", 3, "LAB-1^HIS1", 1},
				{oru, "OBX", 2, "NM", 1}, {oru, "OBX", 3, "1742-6^丙氨酸氨基转移酶^LN", 1}, {oru, "OBX", 5, "56.0", 1},
				{oru, "OBX", 6, "U/L^^UCUM", 1}, {oru, "OBX", 11, "F", 1},
				{oru, "OBX", 3, "2345-7^葡萄糖^LN", 2}, {oru, "OBX", 5, "4.87", 2}, {oru, "OBX", 6, "mmol/L^^UCUM", 2},
				{oml, "ORC", 1, "NW", 1}, {oml, "ORC", 2, "ORD-1^HIS1", 1}, {oml, "OBR", 4, "24323-8^肝功能^LN", 1},
				{oml, "PID", 5, "王^珅", 1},
			} {
				segs := tc.m.All(tc.seg)
				if len(segs) < tc.occurrence {
					t.Errorf("%s: no %s #%d", field(tc.m, "MSH", 9), tc.seg, tc.occurrence)
					continue
				}
				if got := segs[tc.occurrence-1].Field(tc.n).Raw(); got != tc.want {
					t.Errorf("%s: %s(%d)-%d = %q, want %q", field(tc.m, "MSH", 9), tc.seg, tc.occurrence, tc.n, got, tc.want)
				}
			}
			if n := len(oru.All("OBX")); n != 2 {
				t.Errorf("ORU has %d OBX, want 2", n)
			}
			rows := waitOutbox(t, hub, "7 sent", func(rows []hl7.OutRow) bool { return sum(rows, func(r hl7.OutRow) int64 { return r.Sent }) == 7 })
			if d := sum(rows, func(r hl7.OutRow) int64 { return r.Dead }); d != 0 {
				t.Errorf("dead letters: %+v", rows)
			}
		})
	}
}

// TestNotificationRetry: the receiver is down when the notifications are
// queued; they are retried and delivered, in order, once it starts.
func TestNotificationRetry(t *testing.T) {
	t.Parallel()
	py := requirePython(t)
	addr := freeAddr(t)
	hub := servertest.Start(t, func(c *server.Config) {
		c.MLLP.Backoff, c.MLLP.MaxBackoff = 100*time.Millisecond, 400*time.Millisecond
		c.MLLP.Outbound.MaxAttempts = 1000
		c.MLLP.Outbound.Timeout = 5 * time.Second
		c.MLLP.Subscriptions = []hl7.Subscription{{Destination: addr, Application: "EMR", Events: []string{hl7.EventPatientUpdate}}}
	})
	for i := 1; i <= 3; i++ {
		fhirWrite(t, hub, "Patient", "", patientJSON(fmt.Sprintf("R-%d", i), "赵", fmt.Sprint(i)))
	}
	waitOutbox(t, hub, "a failed attempt", func(rows []hl7.OutRow) bool {
		return len(rows) > 0 && rows[0].LastError != "" && rows[0].Queued == 3
	})
	rcv := startReceiver(t, py, addr, filepath.Join(t.TempDir(), "got.hl7"), "AA")
	got := rcv.waitFor(t, "3 messages", func(ms []*hl7v2.Message) bool { return len(ms) >= 3 })
	var ids []string
	for _, m := range got {
		ids = append(ids, field(m, "PID", 3))
	}
	if strings.Join(ids, " ") != "R-1^^^&http://county.example/fhir/sid/mrn&URI^MR R-2^^^&http://county.example/fhir/sid/mrn&URI^MR R-3^^^&http://county.example/fhir/sid/mrn&URI^MR" {
		t.Errorf("delivered %v", ids)
	}
	waitOutbox(t, hub, "3 sent", func(rows []hl7.OutRow) bool { return sum(rows, func(r hl7.OutRow) int64 { return r.Sent }) == 3 })
}

// TestNotificationDeadLetter: a receiver answering AE gets the message
// Outbound.MaxAttempts times; then it is dead-lettered, visible in stats
// with the receiver's answer.
func TestNotificationDeadLetter(t *testing.T) {
	t.Parallel()
	py := requirePython(t)
	addr := freeAddr(t)
	rcv := startReceiver(t, py, addr, filepath.Join(t.TempDir(), "got.hl7"), "AE")
	hub := servertest.Start(t, func(c *server.Config) {
		c.MLLP.Backoff, c.MLLP.MaxBackoff = 100*time.Millisecond, 200*time.Millisecond
		c.MLLP.Outbound.MaxAttempts = 3
		c.MLLP.Subscriptions = []hl7.Subscription{{Destination: addr, Application: "EMR", Events: []string{hl7.EventPatientUpdate}}}
	})
	fhirWrite(t, hub, "Patient", "", patientJSON("D-1", "钱", "五"))
	rows := waitOutbox(t, hub, "a dead letter", func(rows []hl7.OutRow) bool { return sum(rows, func(r hl7.OutRow) int64 { return r.Dead }) == 1 })
	if len(rows) != 1 || rows[0].Destination != addr || rows[0].Type != "ADT^A08" || !strings.Contains(rows[0].LastError, "AE") || rows[0].Sent != 0 {
		t.Errorf("outbox %+v", rows)
	}
	if n := len(rcv.messages(t)); n != 3 {
		t.Errorf("receiver got %d attempts, want 3", n)
	}
}

// TestSubscriptionConfig: subscriptions are accepted, their checks kept.
func TestSubscriptionConfig(t *testing.T) {
	ok := hl7.Subscription{Name: "lis", Destination: "127.0.0.1:2576", Events: []string{hl7.EventReportFinal}}
	tests := []struct {
		name string
		subs []hl7.Subscription
		want string // "" = valid; else a part of the error
	}{
		{"valid", []hl7.Subscription{ok}, ""},
		{"two destinations", []hl7.Subscription{ok, {Destination: "127.0.0.1:2577", Events: []string{hl7.EventPatientUpdate}}}, ""},
		{"bad destination", []hl7.Subscription{{Destination: "nowhere", Events: []string{hl7.EventPatientUpdate}}}, "destination"},
		{"no events", []hl7.Subscription{{Destination: "127.0.0.1:1"}}, "no events"},
		{"unknown event", []hl7.Subscription{{Destination: "127.0.0.1:1", Events: []string{"lab-ready"}}}, "unknown event"},
		{"duplicate name", []hl7.Subscription{ok, ok}, "duplicate name"},
		{"sending names", []hl7.Subscription{{Destination: "127.0.0.1:1", Events: []string{hl7.EventPatientUpdate},
			SendingApplication: "CDR", SendingFacility: "县医院"}}, ""},
		{"control character in sending application", []hl7.Subscription{{Destination: "127.0.0.1:1", Events: []string{hl7.EventPatientUpdate},
			SendingApplication: "CDR\r"}}, "sending_application"},
		{"duplicate default name", []hl7.Subscription{{Destination: "127.0.0.1:1", Events: []string{hl7.EventPatientUpdate}},
			{Destination: "127.0.0.1:1", Events: []string{hl7.EventOrderPlaced}}}, "duplicate name"},
	}
	for _, tc := range tests {
		c := hl7.Config{Subscriptions: tc.subs}
		err := c.Validate("default")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one about %q", tc.name, err, tc.want)
		}
	}
}
