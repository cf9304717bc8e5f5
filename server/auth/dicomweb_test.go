package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yigong/dicom"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	"yigong/server/auth/accounts"
	"yigong/server/servertest"
)

// instance is a small secondary capture of patient pid in study.
func instance(t *testing.T, pid, study string) []byte {
	t.Helper()
	ds := dicom.New()
	for _, a := range []struct {
		tag dicom.Tag
		vr  dicom.VR
		v   string
	}{{dicom.TagSOPClassUID, dicom.UI, uid.SecondaryCaptureImageStorage}, {dicom.TagSOPInstanceUID, dicom.UI, study + ".1.1"},
		{dicom.TagStudyInstanceUID, dicom.UI, study}, {dicom.TagSeriesInstanceUID, dicom.UI, study + ".1"},
		{dicom.TagStudyDate, dicom.DA, "20240315"}, {dicom.TagModality, dicom.CS, "OT"}, {dicom.TagPatientName, dicom.PN, "Wang^" + pid},
		{dicom.TagPatientID, dicom.LO, pid}, {dicom.TagInstanceNumber, dicom.IS, "1"}} {
		if err := ds.SetStrings(a.tag, a.vr, a.v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := part10.Write(&buf, &part10.File{Dataset: ds, TransferSyntax: uid.ExplicitLE()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (c client) stow(part10 []byte) int {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	pw, _ := mw.CreatePart(map[string][]string{"Content-Type": {"application/dicom"}})
	pw.Write(part10)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.hub.URL("/dicomweb/studies"), &body)
	req.Header.Set("Content-Type", `multipart/related; type="application/dicom"; boundary=`+mw.Boundary())
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (c client) qido(path string) (int, []string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.hub.URL("/dicomweb"+path), nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/dicom+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var studies []map[string]struct {
		Value []string `json:"Value"`
	}
	json.NewDecoder(resp.Body).Decode(&studies)
	var uids []string
	for _, s := range studies {
		uids = append(uids, strings.Join(s["0020000D"].Value, ""))
	}
	return resp.StatusCode, uids
}

// TestDICOMwebPatientScope: a patient-context token sees, through QIDO-RS,
// WADO-RS and WADO-URI, only the studies of its patient.
func TestDICOMwebPatientScope(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, servertest.SMART)
	key := h.AddBackend(t, "pacs", "default", "system/*.cruds")
	system := client{t, h, h.BackendToken(t, "pacs", key, "system/*.cruds")}
	const studyA, studyB = "2.25.4001", "2.25.4002"
	for pid, study := range map[string]string{"PID-A": studyA, "PID-B": studyB} {
		if st := system.stow(instance(t, pid, study)); st != http.StatusOK {
			t.Fatalf("STOW %s: %d", pid, st)
		}
	}
	// The ImagingStudy worker links each study to a Patient shortly after.
	var patientA string
	for i := 0; patientA == "" && i < 200; i++ {
		_, _, b := system.do("GET", "/fhir/ImagingStudy?identifier="+url.QueryEscape("urn:dicom:uid|urn:oid:"+studyA), "")
		if entries, _ := b["entry"].([]any); len(entries) == 1 {
			subject, _ := entries[0].(map[string]any)["resource"].(map[string]any)["subject"].(map[string]any)
			ref, _ := subject["reference"].(string)
			patientA = strings.TrimPrefix(ref, "Patient/")
		}
		if patientA == "" {
			waitALittle()
		}
	}
	if patientA == "" {
		t.Fatal("no ImagingStudy with a subject for study A")
	}
	h.AddUser(t, "doctor", "default", "", accounts.NoAdmin)
	grantRole(t, h, "doctor", allData("default")) // users reach FHIR data through roles
	h.AddApp(t, "viewer", "default", "launch/patient patient/*.rs")
	out := h.UserToken(t, servertest.Launch{User: "doctor", App: "viewer", Scope: "launch/patient patient/*.rs", Patient: patientA})
	pa := client{t, h, out["access_token"].(string)}

	if st, uids := system.qido("/studies"); st != 200 || len(uids) != 2 {
		t.Fatalf("system QIDO: %d %v", st, uids)
	}
	for _, tc := range []struct {
		path string
		want int
		uids []string
	}{
		{"/studies", 200, []string{studyA}},
		{"/studies?PatientID=PID-B", 200, []string{}},
		{"/studies?StudyInstanceUID=" + studyB, 204, nil},
		{"/studies?StudyInstanceUID=" + studyA + "," + studyB, 200, []string{studyA}},
		{"/series", 200, nil},
		{"/studies/" + studyA + "/metadata", 200, nil},
		{"/studies/" + studyB + "/metadata", 403, nil},
		{"/studies/" + studyB + "/series", 403, nil},
		{"/wado?requestType=WADO&studyUID=" + studyB + "&seriesUID=" + studyB + ".1&objectUID=" + studyB + ".1.1", 403, nil},
	} {
		st, uids := pa.qido(tc.path)
		if st != tc.want || tc.uids != nil && strings.Join(uids, ",") != strings.Join(tc.uids, ",") {
			t.Errorf("%s: %d %v, want %d %v", tc.path, st, uids, tc.want, tc.uids)
		}
	}
	if st := pa.stow(instance(t, "PID-C", "2.25.4003")); st != 403 {
		t.Errorf("STOW with a patient token: %d, want 403", st)
	}
}
