package hl7_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
	"yigong/server"
	"yigong/server/hl7"
	"yigong/server/servertest"
)

// TestCorpusMLLPSend has python3-hl7's mllp_send deliver every corpus
// message to a hub over one connection: each gets AA (CA for the messages
// that ask for enhanced mode in MSH-15/16) echoing its MSH-10; the inbox
// then drains with every message processed, and a selection of resources,
// read back over the FHIR REST API, carry the values of the v2-to-FHIR IG
// tables.
func TestCorpusMLLPSend(t *testing.T) {
	t.Parallel()
	bin := peer.Require(t, "mllp_send")
	dir := corpus.Path(t, "hl7v2", "messages")
	files, err := filepath.Glob(filepath.Join(dir, "*.hl7"))
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: %v", err)
	}
	var all bytes.Buffer
	var reqs []*hl7v2.Message
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// mllp_send --loose splits at "MSH|^~\&|" and turns LF into CR; a
		// BOM would become a message of its own.
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		data = bytes.TrimRight(data, "\r\n ")
		all.Write(data)
		all.WriteString("\n")
		m, err := hl7v2.Parse(bytes.ReplaceAll(data, []byte("\n"), []byte("\r")))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		reqs = append(reqs, m)
	}
	in := filepath.Join(t.TempDir(), "all.hl7")
	if err := os.WriteFile(in, all.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	hub := servertest.Start(t)
	host, port, _ := net.SplitHostPort(hub.MLLPAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--loose", "-f", in, "-p", port, host).Output()
	if err != nil {
		t.Fatalf("mllp_send: %v", err)
	}
	r := mllp.NewReader(bytes.NewReader(out), 0)
	for i, req := range reqs {
		reply, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("reply %d (%s): %v", i+1, filepath.Base(files[i]), err)
		}
		ack, err := hl7v2.Parse(reply)
		if err != nil {
			t.Fatalf("reply %d: %v", i+1, err)
		}
		h := hl7v2.MSH{Segment: req.Header()}
		want := hl7v2.AckAccept
		if strings.TrimSpace(h.AcceptAcknowledgmentType().String()) != "" || strings.TrimSpace(h.ApplicationAcknowledgmentType().String()) != "" {
			want = hl7v2.AckCommit
		}
		if code, ctl := msa(ack); code != want || ctl != req.ControlID() {
			t.Errorf("%s: MSA %s|%s, want %s|%s", filepath.Base(files[i]), code, ctl, want, req.ControlID())
		}
	}
	st := waitDrained(t, hub.URL(""), int64(len(reqs)), 2*time.Minute)
	items := inbox(t, hub, "")
	if len(items) != len(reqs) {
		t.Fatalf("inbox holds %d messages, want %d (one per corpus file)", len(items), len(reqs))
	}
	byFile := map[string]inboxItem{}
	notMapped, errored := 0, 0
	for i, it := range items {
		name := strings.TrimSuffix(filepath.Base(files[i]), ".hl7")
		byFile[name] = it
		if why, ok := knownProcessingFailures[name]; ok {
			if it.State != "error" {
				t.Errorf("%s is listed as a known processing failure (%s) but ended %s: remove it from the list", name, why, it.State)
				continue
			}
			t.Logf("KNOWN ISSUE %s: %s (stored, acknowledged, in the error state: %s)", name, why, it.LastError)
			errored++
			continue
		}
		if it.State != "done" {
			t.Errorf("%s: state %s (%s)", name, it.State, it.LastError)
		}
		if it.Outcome == "not-mapped" {
			notMapped++
		}
	}
	// The counters are updated just after each commit, so the inbox may
	// show the last run done a moment before the stats count it.
	var nm int64
	for deadline := time.Now().Add(10 * time.Second); ; {
		nm = 0
		for _, r := range st.Inbox {
			nm += r.NotMapped
		}
		if nm == int64(notMapped) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the stats with a deadline
		st = statsReport{}
		getJSON(t, hub.URL("/admin/hl7/stats"), &st)
	}
	if nm != int64(notMapped) {
		t.Errorf("stats count %d unmapped messages, the inbox %d", nm, notMapped)
	}
	t.Logf("%d messages: %d mapped into FHIR, %d stored and acknowledged without a mapping, %d in the error state",
		len(items), len(items)-notMapped-errored, notMapped, errored)

	// PID-3, PID-5, PID-7; PV1-2, PV1-3/6/11/42 locations, PV1-44.
	res := resources(t, hub, byFile["ADT-A01-01"])
	if len(res["Patient"]) != 1 || len(res["Encounter"]) != 1 {
		t.Fatalf("ADT-A01-01 wrote %v", byFile["ADT-A01-01"].Outcome)
	}
	p, enc := res["Patient"][0], res["Encounter"][0]
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("Patient.name[0].family (PID-5.1)", path(p, "name", 0, "family"), "EVERYMAN")
	check("Patient.name[0].given[0] (PID-5.2)", path(p, "name", 0, "given", 0), "ADAM")
	check("Patient.birthDate (PID-7)", path(p, "birthDate"), "1988-08-18")
	check("Patient.identifier[0].value (PID-3.1)", path(p, "identifier", 0, "value"), "PATID1234")
	check("Patient.identifier[0].type (PID-3.5)", path(p, "identifier", 0, "type", "coding", 0, "code"), "MR")
	check("Encounter.class (PV1-2, table 0004)", path(enc, "class", "code"), "PRENC")
	check("Encounter.period.start (PV1-44)", path(enc, "period", "start"), "2015-02-08T11:34:19+01:10")
	check("Encounter.identifier[0].value (PV1-19)", path(enc, "identifier", 0, "value"), "40007716")
	locs, _ := path(enc, "location").([]any)
	if len(locs) != 4 {
		t.Errorf("Encounter.location: %d entries, want PV1-3, 6, 11, 42", len(locs))
	}
	for i := range locs {
		if ref, _ := path(enc, "location", i, "location", "reference").(string); !strings.HasPrefix(ref, "Location/") {
			t.Errorf("Encounter.location[%d] = %q, want a stored Location", i, ref)
		}
	}
	check("Encounter.location[0].display (PV1-3)", path(enc, "location", 0, "location", "display"), "HUH AE OMU OMU B Bed 03")
	if ref := path(enc, "subject", "reference"); ref != "Patient/"+path(p, "id").(string) {
		t.Errorf("Encounter.subject = %v, want the Patient", ref)
	}

	// OBR-4, OBR-7; OBX-5, OBX-6, OBX-7 (text), OBX-8.
	res = resources(t, hub, byFile["ORU-R01-RMGEAD"])
	if len(res["DiagnosticReport"]) != 1 || len(res["Observation"]) == 0 {
		t.Fatalf("ORU-R01-RMGEAD wrote %s", byFile["ORU-R01-RMGEAD"].Outcome)
	}
	dr := res["DiagnosticReport"][0]
	check("DiagnosticReport.code (OBR-4)", path(dr, "code", "coding", 0, "code"), "15545")
	check("DiagnosticReport.effectiveDateTime (OBR-7)", path(dr, "effectiveDateTime"), "2002-02-15T07:30:00+06:00")
	o := res["Observation"][0]
	check("Observation.valueQuantity.value (OBX-5)", path(o, "valueQuantity", "value"), 182)
	check("Observation.valueQuantity.unit (OBX-6)", path(o, "valueQuantity", "unit"), "mg/dl")
	check("Observation.referenceRange.text (OBX-7)", path(o, "referenceRange", 0, "text"), "70_105")

	// OBX-7 as low/high, OBX-8 abnormal, in an ADT's OBX.
	found := false
	for _, o := range resources(t, hub, byFile["ADT-A01-01"])["Observation"] {
		found = true
		check("Observation.referenceRange.text (OBX-7)", path(o, "referenceRange", 0, "text"), "70-80")
		check("Observation.referenceRange.low (OBX-7)", path(o, "referenceRange", 0, "low", "value"), 70)
		check("Observation.referenceRange.high (OBX-7)", path(o, "referenceRange", 0, "high", "value"), 80)
		check("Observation.interpretation (OBX-8)", path(o, "interpretation", 0, "coding", 0, "code"), "A")
	}
	if !found {
		t.Errorf("ADT-A01-01: no Observation in %s", byFile["ADT-A01-01"].Outcome)
	}

	// A40 and A47 whose prior patient (MRG-1) the hub never saw: the
	// survivor replaces a prior created inactive and replaced-by it.
	for file, prior := range map[string]string{"ADT-A40-01": "56789", "ADT-A47-01": "MR102"} {
		pats := resources(t, hub, byFile[file])["Patient"]
		if len(pats) != 2 {
			t.Errorf("%s wrote %s, want the survivor and the prior", file, byFile[file].Outcome)
			continue
		}
		surv, old := pats[0], pats[1]
		if path(surv, "active") != true {
			surv, old = old, surv
		}
		check(file+" prior active", path(old, "active"), false)
		check(file+" prior identifier (MRG-1)", path(old, "identifier", 0, "value"), prior)
		check(file+" prior link type", path(old, "link", 0, "type"), "replaced-by")
		check(file+" prior link", path(old, "link", 0, "other", "reference"), "Patient/"+path(surv, "id").(string))
		check(file+" survivor link type", path(surv, "link", 0, "type"), "replaces")
		check(file+" survivor link", path(surv, "link", 0, "other", "reference"), "Patient/"+path(old, "id").(string))
	}
}

// knownProcessingFailures are corpus messages that are stored and
// acknowledged but whose Bundle the transaction processor refuses today;
// they sit in the error state, visible and replayable. The causes lie
// outside the HL7 intake (adapters/v2fhir, fhir/transaction).
var knownProcessingFailures = map[string]string{}

const adtA01 = "MSH|^~\\&|HIS|COUNTY|YIGONG|HUB|20240301083000||ADT^A01^ADT_A01|%s|P|2.5.1\r" +
	"EVN|A01|20240301083000\r" +
	"PID|1||%s^^^HIS1^MR||%s||19800517|M\r" +
	"PV1|1|I|W03^305^2||||||||||||||||%s^^^HIS1^VN|||||||||||||||||||||||||20240301083000\r"

// TestDuplicate sends the same message twice (as a sender does when an
// ACK is lost): both are acknowledged AA, the inbox keeps one, and the
// resources are written once.
func TestDuplicate(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t)
	msg := fmt.Appendf(nil, adtA01, "DUP0001", "MRN-DUP", "王^小东", "ZY-DUP")
	for i := range 2 {
		if code, ctl := msa(sendOne(t, hub.MLLPAddr(), msg)); code != "AA" || ctl != "DUP0001" {
			t.Fatalf("send %d: MSA %s|%s", i+1, code, ctl)
		}
	}
	// The same control ID with a new MSH-7 (a re-send by an engine that
	// restamps messages) is the same message too.
	resent := bytes.Replace(msg, []byte("20240301083000||ADT"), []byte("20240301083500||ADT"), 1)
	if code, _ := msa(sendOne(t, hub.MLLPAddr(), resent)); code != "AA" {
		t.Fatalf("re-stamped re-send: %s", code)
	}
	st := waitDrained(t, hub.URL(""), 1, 30*time.Second)
	items := inbox(t, hub, "")
	if len(items) != 1 || items[0].State != "done" {
		t.Fatalf("inbox %+v, want one processed message", items)
	}
	if len(st.Inbox) != 1 || st.Inbox[0].Received != 3 || st.Inbox[0].Duplicates != 2 || st.Inbox[0].Acked != 3 || st.Inbox[0].Processed != 1 {
		t.Errorf("stats %+v", st.Inbox)
	}
	res := resources(t, hub, items[0])
	if len(res["Patient"]) != 1 || path(res["Patient"][0], "meta", "versionId") != "1" {
		t.Errorf("patient written more than once: %v", res["Patient"])
	}
}

// TestGBK: a sender configured as GBK (its MSH-18 empty) sends names whose
// trail bytes are delimiters (珅 AB 7C '|', 乗 81 5C '\\') as GBK bytes;
// Patient.name arrives intact.
func TestGBK(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t, func(c *server.Config) {
		c.MLLP.Senders = []hl7.Sender{{Application: "GBKHIS", Charset: "GBK", Institution: "township-7"}}
	})
	text := "MSH|^~\\&|GBKHIS|TOWN7|YIGONG|HUB|20240301083000||ADT^A01^ADT_A01|GBK0001|P|2.5.1\r" +
		"PID|1||GBK-001^^^HIS1^MR||王^珅~张^璡~乗^乗||19800517|M\r"
	enc, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		han  string
		want []byte
	}{{"珅", []byte{0xAB, 0x7C}}, {"乗", []byte{0x81, 0x5C}}} {
		b, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(c.han))
		if !bytes.Equal(b, c.want) || !bytes.Contains(enc, c.want) {
			t.Fatalf("%s is % X in GBK, want % X inside the message", c.han, b, c.want)
		}
	}
	ack := sendOne(t, hub.MLLPAddr(), enc)
	if code, ctl := msa(ack); code != "AA" || ctl != "GBK0001" {
		t.Fatalf("MSA %s|%s", code, ctl)
	}
	waitDrained(t, hub.URL(""), 1, 30*time.Second)
	items := inbox(t, hub, "")
	if len(items) != 1 || items[0].State != "done" {
		t.Fatalf("inbox %+v", items)
	}
	p := resources(t, hub, items[0])["Patient"]
	if len(p) != 1 {
		t.Fatalf("no Patient: %s", items[0].Outcome)
	}
	for i, want := range [][2]string{{"王", "珅"}, {"张", "璡"}, {"乗", "乗"}} {
		if f, g := path(p[0], "name", i, "family"), path(p[0], "name", i, "given", 0); f != want[0] || g != want[1] {
			t.Errorf("name[%d] = %v %v, want %s %s", i, f, g, want[0], want[1])
		}
	}
	if tag := path(p[0], "meta", "tag", 0, "code"); tag != "township-7" {
		t.Errorf("institution tag %v, want the sender's township-7", tag)
	}
	var full inboxItem
	getJSON(t, hub.URL(fmt.Sprintf("/admin/hl7/messages/%d", items[0].ID)), &full)
	if !bytes.Equal(full.Body, enc) {
		t.Error("the inbox does not hold the raw GBK bytes as received")
	}
}

// TestRejectAndReplay: an unparseable message is stored (error state)
// and answered AR with an ERR; a message type the sender may not send is
// answered AR; a message that cannot be mapped goes to the error state
// after its attempt and, once replayed, is tried again; the API lists
// and replays errors.
func TestRejectAndReplay(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t, func(c *server.Config) {
		c.MLLP.Senders = []hl7.Sender{{Application: "LIS", AllowedTypes: []string{"ORU"}}}
		c.MLLP.Backoff = 10 * time.Millisecond
		c.MLLP.MaxBackoff = 20 * time.Millisecond
	})
	addr := hub.MLLPAddr()
	bad := []byte("MSH|^~\\&|HIS|COUNTY|YIGONG|HUB|20240301083000||ADT^A01|BAD1|P|2.5.1\rPID|1||\xff\xfe\rZZZ\x00|x\r")
	ack := sendOne(t, addr, bad)
	if code, ctl := msa(ack); code != "AR" || ctl != "BAD1" || ack.Segment("ERR") == nil {
		t.Errorf("unparseable: %s|%s %v", code, ctl, ack)
	}
	adt := []byte("MSH|^~\\&|LIS|LAB|YIGONG|HUB|20240301083000||ADT^A08^ADT_A01|LIS1|P|2.5.1\rPID|1||L1^^^LIS^MR||李^四\r")
	ack = sendOne(t, addr, adt)
	if code, _ := msa(ack); code != "AR" || !strings.Contains(ack.Segment("ERR").String(), "200") {
		t.Errorf("disallowed type: %v", ack)
	}
	// A patient without identifiers cannot be mapped (PID-3 required).
	noID := []byte("MSH|^~\\&|HIS|COUNTY|YIGONG|HUB|20240301083000||ADT^A08^ADT_A01|NOID1|P|2.5.1\rPID|1||||赵^六\r")
	if code, _ := msa(sendOne(t, addr, noID)); code != "AA" {
		t.Errorf("stored message: %s", code)
	}
	waitDrained(t, hub.URL(""), 3, 30*time.Second)
	errs := inbox(t, hub, "error")
	if len(errs) != 3 {
		t.Fatalf("error state: %+v", errs)
	}
	var st statsReport
	getJSON(t, hub.URL("/admin/hl7/stats"), &st)
	lastErr := ""
	for _, r := range st.Inbox {
		if r.Sender == "HIS^COUNTY" && r.Type == "ADT^A08" {
			lastErr = r.LastError
		}
	}
	if !strings.Contains(lastErr, "v2fhir") {
		t.Errorf("stats last error for HIS^COUNTY ADT^A08 = %q", lastErr)
	}
	var rep struct{ Replayed int64 }
	postJSON(t, hub.URL(fmt.Sprintf("/admin/hl7/messages/%d/$replay", errs[2].ID)), &rep)
	if rep.Replayed != 1 {
		t.Errorf("replay one: %+v", rep)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		items := inbox(t, hub, "error")
		if len(items) == 3 && items[2].Updated != errs[2].Updated {
			break // tried again, failed again
		}
		if time.Now().After(deadline) {
			t.Fatalf("replayed message never came back to error: %+v", items)
		}
		time.Sleep(20 * time.Millisecond)
	}
	postJSON(t, hub.URL("/admin/hl7/$replay-errors"), &rep)
	if rep.Replayed != 3 {
		t.Errorf("replay errors: %+v", rep)
	}
}
