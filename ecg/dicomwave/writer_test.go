package dicomwave_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/dicomwave"
	"yigong/ecg/scpecg"
)

// TestMarshalRoundTrip writes the corpus ECG (from SCP-ECG, with yigong's
// own measurements added) as a DICOM 12-lead ECG at 2.5 µV, reads it back
// with Decode (identical samples, patient and measurements) and checks the
// file with dcmtk's dcmdump.
func TestMarshalRoundTrip(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpus.Path(t, "ecg", "ecgtoolkit"), "Example.scp"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := scpecg.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	rec.Patient.FamilyName, rec.Patient.GivenName = "王", "小东"
	rec.Measurements = append(rec.Measurements, analysis.Measure(rec).Measurements...)
	out, err := dicomwave.Marshal(rec, 2.5)
	if err != nil {
		t.Fatal(err)
	}
	if ecg.Sniff(out) != ecg.FormatDICOM {
		t.Fatalf("Sniff = %v", ecg.Sniff(out))
	}
	got, err := dicomwave.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range []struct{ a, b []ecg.Lead }{{rec.Leads, got.Leads}, {rec.Median, got.Median}} {
		if len(pair.a) != len(pair.b) {
			t.Fatalf("%d leads vs %d", len(pair.a), len(pair.b))
		}
		for i := range pair.a {
			if pair.a[i].Name != pair.b[i].Name || len(pair.a[i].Samples) != len(pair.b[i].Samples) {
				t.Fatalf("lead %d: %s/%d vs %s/%d", i, pair.a[i].Name, len(pair.a[i].Samples), pair.b[i].Name, len(pair.b[i].Samples))
			}
			for k, v := range pair.a[i].Samples {
				if pair.b[i].Samples[k] != v {
					t.Fatalf("lead %s sample %d: %v vs %v", pair.a[i].Name, k, pair.b[i].Samples[k], v)
				}
			}
		}
	}
	if got.SampleRate != 500 || got.MedianSampleRate != 500 {
		t.Errorf("rates %v, %v", got.SampleRate, got.MedianSampleRate)
	}
	if got.Patient.ID != "SBJ-123" || got.Patient.FamilyName != "王" || got.Patient.GivenName != "小东" || got.Patient.Sex != ecg.SexMale || !got.Patient.BirthDate.Equal(rec.Patient.BirthDate) {
		t.Errorf("patient %+v", got.Patient)
	}
	if len(got.Measurements) != len(rec.Measurements) {
		t.Errorf("%d measurements back, wrote %d", len(got.Measurements), len(rec.Measurements))
	}
	for i, m := range rec.Measurements {
		if i < len(got.Measurements) && (got.Measurements[i].Name != m.Name || got.Measurements[i].Value != m.Value || (m.Name == ecg.QTc && m.Method != got.Measurements[i].Method)) {
			t.Errorf("measurement %d: %+v vs %+v", i, got.Measurements[i], m)
		}
	}

	dcmdump := peer.Require(t, "dcmdump")
	path := filepath.Join(t.TempDir(), "out.dcm")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	dump, err := exec.Command(dcmdump, "-E", "+L", path).CombinedOutput()
	if err != nil || strings.Contains(string(dump), "E:") || strings.Contains(string(dump), "W:") {
		t.Fatalf("dcmdump: %v\n%s", err, dump)
	}
	for _, want := range []string{"(0002,0010) UI =LittleEndianExplicit", "(0008,0016) UI =TwelveLeadECGWaveformStorage", "(003a,0005) US 12", "(003a,0010) UL 5000", "王^小东"} {
		if !strings.Contains(string(dump), want) {
			t.Errorf("dcmdump output lacks %q", want)
		}
	}
}
