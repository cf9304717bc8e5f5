package aecg_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/aecg"
	"yigong/ecg/scpecg"
)

// TestMarshalRoundTrip writes the corpus ECG (read from SCP-ECG) as aECG at
// 2.5 µV and reads it back: identical samples (the corpus grid is 2.5 µV),
// patient and measurements; the output is well-formed XML whose root is
// AnnotatedECG in the urn:hl7-org:v3 namespace.
func TestMarshalRoundTrip(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpus.Path(t, "ecg", "ecgtoolkit"), "Example.scp"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := scpecg.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	rec.Patient.FamilyName, rec.Patient.GivenName = "王", "小东 <&>"
	out, err := aecg.Marshal(rec, 2.5)
	if err != nil {
		t.Fatal(err)
	}
	// Well-formedness and namespaces: every token decodes; the root and
	// every element are in the HL7 v3 namespace.
	dec := xml.NewDecoder(bytes.NewReader(out))
	elems := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if elems == 0 && se.Name.Local != "AnnotatedECG" {
				t.Errorf("root %s", se.Name.Local)
			}
			elems++
			if se.Name.Space != "urn:hl7-org:v3" {
				t.Fatalf("element %s in namespace %q", se.Name.Local, se.Name.Space)
			}
		}
	}
	if ecg.Sniff(out) != ecg.FormatAECG {
		t.Errorf("Sniff = %v", ecg.Sniff(out))
	}
	got, err := aecg.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.SampleRate != rec.SampleRate || len(got.Leads) != len(rec.Leads) || len(got.Median) != len(rec.Median) {
		t.Fatalf("rate %v, %d leads, %d median leads", got.SampleRate, len(got.Leads), len(got.Median))
	}
	for _, pair := range []struct{ a, b []ecg.Lead }{{rec.Leads, got.Leads}, {rec.Median, got.Median}} {
		for i := range pair.a {
			if pair.a[i].Name != pair.b[i].Name {
				t.Errorf("lead %d: %s vs %s", i, pair.a[i].Name, pair.b[i].Name)
			}
			for k, v := range pair.a[i].Samples {
				if pair.b[i].Samples[k] != v {
					t.Fatalf("lead %s sample %d: %v vs %v", pair.a[i].Name, k, pair.b[i].Samples[k], v)
				}
			}
		}
	}
	if got.Patient.ID != rec.Patient.ID || got.Patient.FamilyName != "王" || got.Patient.GivenName != "小东 <&>" || got.Patient.Sex != rec.Patient.Sex || !got.Patient.BirthDate.Equal(rec.Patient.BirthDate) {
		t.Errorf("patient %+v vs %+v", got.Patient, rec.Patient)
	}
	if !got.Start.Equal(rec.Start) {
		t.Errorf("start %v vs %v", got.Start, rec.Start)
	}
	for _, m := range rec.Measurements {
		g, ok := got.Measurement(m.Name)
		if !ok || g.Value != m.Value {
			t.Errorf("measurement %s: %+v vs %+v", m.Name, g, m)
		}
	}
}
