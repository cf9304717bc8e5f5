package dicom_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yigong/conformance/peer"
	"yigong/dicom"
	"yigong/dicom/part10"
	"yigong/server"
	dicomsvc "yigong/server/dicom"
	"yigong/server/servertest"
)

// TestInstitutionScope: each township clinic's AE finds (C-FIND, findscu)
// only its own institution's studies, an AE with see_all and the hub's
// own AEs find all; over QIDO-RS a backend of a clinic sees only its
// studies, one of an institution listed in see_all_institutions sees all.
func TestInstitutionScope(t *testing.T) {
	t.Parallel()
	storescu, findscu, getscu := peer.Require(t, "storescu"), peer.Require(t, "findscu"), peer.Require(t, "getscu")
	hub := servertest.Start(t, servertest.SMART, func(c *server.Config) {
		c.DICOM.AEs = []dicomsvc.AE{
			{Title: "CLINIC_A", Institution: "th-01"},
			{Title: "CLINIC_B", Institution: "th-02"},
			{Title: "READER", Institution: "th-03", SeeAll: true},
			{Title: "COUNTY_PACS"}, // the hub's own institution
		}
		c.DICOM.SeeAllInstitutions = []string{"hc"}
	})
	h, p := hostPort(t, hub.DICOMAddr())
	dir := t.TempDir()
	for _, s := range []struct{ aet, pid, study string }{{"CLINIC_A", "SCOPE-A", "2.25.7001"}, {"CLINIC_B", "SCOPE-B", "2.25.7002"}} {
		f := writeFile(t, dir, s.aet+".dcm", synth(t, "", "Scope^"+s.aet, s.pid, s.study, s.study+".1", s.study+".1.1"))
		run(t, storescu, "-aet", s.aet, "-aec", "YIGONG", h, p, f)
	}
	find := func(aet string) []string {
		out := t.TempDir()
		run(t, findscu, "-S", "-aet", aet, "-aec", "YIGONG", "-X", "-od", out,
			"-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=SCOPE-*", "-k", "StudyInstanceUID", h, p)
		names, _ := filepath.Glob(filepath.Join(out, "rsp*.dcm"))
		var pids []string
		for _, n := range names {
			b, _ := os.ReadFile(n)
			f, err := part10.Read(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, f.Dataset.Text(dicom.TagPatientID))
		}
		return pids
	}
	// get retrieves a study with C-GET as aet and returns how many
	// instances came back.
	get := func(aet, study string) []string {
		out := t.TempDir()
		run(t, getscu, "-S", "-aet", aet, "-aec", "YIGONG", "-od", out,
			"-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID="+study, h, p)
		names, _ := filepath.Glob(filepath.Join(out, "*"))
		return names
	}
	qido := func(token string) []string {
		req, _ := http.NewRequest(http.MethodGet, hub.URL("/dicomweb/studies?PatientID=SCOPE-*"), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/dicom+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []map[string]struct{ Value []json.RawMessage }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("QIDO-RS: %d %v", resp.StatusCode, err)
		}
		var pids []string
		for _, o := range out {
			for _, v := range o["00100020"].Value {
				var pid string
				_ = json.Unmarshal(v, &pid)
				pids = append(pids, pid)
			}
		}
		return pids
	}
	backend := func(id, inst string) string {
		key := hub.AddBackend(t, id, inst, "system/ImagingStudy.rs")
		return hub.BackendToken(t, id, key, "system/ImagingStudy.rs")
	}
	cases := []struct {
		name string
		got  func() []string
		want string
	}{
		{"C-FIND from clinic A", func() []string { return find("CLINIC_A") }, "SCOPE-A"},
		{"C-FIND from clinic B", func() []string { return find("CLINIC_B") }, "SCOPE-B"},
		{"C-FIND from an AE that sees all", func() []string { return find("READER") }, "SCOPE-A SCOPE-B"},
		{"C-FIND from the hub's own AE", func() []string { return find("COUNTY_PACS") }, "SCOPE-A SCOPE-B"},
		{"C-GET of clinic B's study from clinic A", func() []string { return get("CLINIC_A", "2.25.7002") }, ""},
		{"C-GET of its own study from clinic A", func() []string {
			if len(get("CLINIC_A", "2.25.7001")) == 1 {
				return []string{"SCOPE-A"}
			}
			return nil
		}, "SCOPE-A"},
		{"QIDO-RS as clinic A", func() []string { return qido(backend("app-a", "th-01")) }, "SCOPE-A"},
		{"QIDO-RS as the health commission", func() []string { return qido(backend("app-hc", "hc")) }, "SCOPE-A SCOPE-B"},
	}
	for _, c := range cases {
		got := c.got()
		slices.Sort(got)
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: found %v, want %s", c.name, got, c.want)
		}
	}
}
