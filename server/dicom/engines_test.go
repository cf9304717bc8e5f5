package dicom_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"yigong/conformance/peer"
	"yigong/server/servertest"
)

// TestEngines stores the three-group name and the GB18030 trap on each
// store engine and finds them by C-FIND (王*) and QIDO-RS (percent-encoded).
func TestEngines(t *testing.T) {
	storescu := peer.Require(t, "storescu")
	for _, eng := range servertest.Stores() {
		t.Run(eng.Name, func(t *testing.T) {
			hub := eng.Start(t)
			h, p := hostPort(t, hub.DICOMAddr())
			dir := t.TempDir()
			run(t, storescu, "-aec", "YIGONG", h, p,
				writeFile(t, dir, "wang.dcm", synth(t, "ISO_IR 192", "Wang^XiaoDong=王^小东=", "WANG1", "2.25.100", "2.25.100.1", "2.25.100.1.1")),
				writeFile(t, dir, "zhang.dcm", synth(t, "GB18030", "张^璡", "GB1", "2.25.200", "2.25.200.1", "2.25.200.1.1")))
			if got := findscu(t, hub.DICOMAddr(), "-S", "SpecificCharacterSet=ISO_IR 192", "QueryRetrieveLevel=STUDY", "PatientName=王*", "StudyInstanceUID"); len(got) != 1 {
				t.Errorf("C-FIND 王*: %d", len(got))
			}
			code, _, body := get(t, hub.URL("/dicomweb/studies?PatientName=%E5%BC%A0*"), "application/dicom+json")
			var out []map[string]json.RawMessage
			if code != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out) != 1 || !strings.Contains(string(out[0]["00100010"]), "张^璡") {
				t.Errorf("QIDO 张*: %d %s", code, body)
			}
		})
	}
}
