package philips_test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/aecg"
	"yigong/ecg/philips"
	"yigong/ecg/philips/philipstest"
)

// example is the corpus ECG (HL7 aECG) as the reference record.
func example(t *testing.T) *ecg.Record {
	t.Helper()
	raw, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.xml"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := aecg.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Carts store the leads in the standard order; 1.03 documents name
	// them by that order alone.
	var leads []ecg.Lead
	for _, name := range []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"} {
		l := rec.Lead(name)
		if l == nil {
			t.Fatalf("Example.xml has no lead %s", name)
		}
		leads = append(leads, *l)
	}
	rec.Leads = leads
	return rec
}

// TestExampleRoundTrip encodes the corpus ECG as Sierra XML with XLI in
// each version and decodes it back: every lead, µV for µV.
func TestExampleRoundTrip(t *testing.T) {
	t.Parallel()
	ref := example(t)
	ref.Patient = ecg.Patient{ID: "330102199001011234", FamilyName: "王", GivenName: "小东", Sex: ecg.SexMale, Age: ecg.Quantity{Value: 36, Unit: "a"}}
	ref.Device = ecg.Device{Model: "PageWriter TC70", Serial: "PW-0042", Institution: "县人民医院"}
	ref.Start = time.Date(2026, 11, 21, 9, 30, 15, 0, time.FixedZone("CST", 8*3600))
	for _, version := range philips.Versions {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			doc, err := philipstest.Encode(ref, philipstest.Options{
				Version: version, Resolution: 2.5,
				Measurements: map[string]string{"heartrate": "61", "meanprint": "166", "meanqrsdur": "92", "meanqtint": "Failed", "meanqtc": "402"},
				Statements:   [][2]string{{"窦性心律", "rate 61"}, {"正常心电图", ""}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if f := ecg.Sniff(doc); f != ecg.FormatSierraXML {
				t.Fatalf("Sniff = %v", f)
			}
			rec, err := philips.Decode(doc)
			if err != nil {
				t.Fatal(err)
			}
			if rec.SampleRate != ref.SampleRate || len(rec.Leads) != len(ref.Leads) {
				t.Fatalf("%v Hz, %d leads; want %v Hz, %d", rec.SampleRate, len(rec.Leads), ref.SampleRate, len(ref.Leads))
			}
			for k, l := range ref.Leads {
				got := rec.Leads[k]
				if got.Name != l.Name || len(got.Samples) != len(l.Samples) {
					t.Fatalf("lead %d: %s with %d samples, want %s with %d", k, got.Name, len(got.Samples), l.Name, len(l.Samples))
				}
				for i, v := range l.Samples {
					if got.Samples[i] != v {
						t.Fatalf("%s[%d] = %v µV, want %v", l.Name, i, got.Samples[i], v)
					}
				}
			}
			// The corpus check values: lead I samples 1000..1004.
			want := []float64{-12.5, -22.5, -7.5, 15, 55}
			for i, w := range want {
				if v := rec.Lead("I").Samples[1000+i]; v != w {
					t.Errorf("I[%d] = %v µV, want %v", 1000+i, v, w)
				}
			}
			p := rec.Patient
			if p.ID != "330102199001011234" || p.FamilyName != "王" || p.GivenName != "小东" || p.Sex != ecg.SexMale || p.Age.Value != 36 {
				t.Errorf("patient %+v", p)
			}
			if !rec.Start.Equal(ref.Start) || rec.Device.Model != "PageWriter TC70" || rec.Device.Serial != "PW-0042" || rec.Device.Institution != "县人民医院" {
				t.Errorf("start %v, device %+v", rec.Start, rec.Device)
			}
			for name, want := range map[ecg.MeasurementName]float64{ecg.HeartRate: 61, ecg.PRInterval: 166, ecg.QRSDuration: 92, ecg.QTc: 402} {
				if m, ok := rec.Measurement(name); !ok || m.Value != want || m.Source != "device" {
					t.Errorf("%s = %+v, want %v", name, m, want)
				}
			}
			if _, ok := rec.Measurement(ecg.QTInterval); ok {
				t.Error(`QT "Failed" read as a number`)
			}
			if strings.Join(rec.Statements, "|") != "窦性心律 (rate 61)|正常心电图" {
				t.Errorf("statements %q", rec.Statements)
			}
		})
	}
}

// TestGB18030 reads a document declared and encoded in GB18030.
func TestGB18030(t *testing.T) {
	t.Parallel()
	ref := example(t)
	ref.Patient = ecg.Patient{ID: "X1", FamilyName: "王", GivenName: "小东"}
	doc, err := philipstest.Encode(ref, philipstest.Options{Resolution: 2.5, Encoding: "GB18030"})
	if err != nil {
		t.Fatal(err)
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(doc)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := philips.Decode(gb)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Patient.FamilyName != "王" || rec.Patient.GivenName != "小东" {
		t.Errorf("name %q %q", rec.Patient.FamilyName, rec.Patient.GivenName)
	}
}

var data = regexp.MustCompile(`>[A-Za-z0-9+/=\n]{100,}<`)

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	ref := example(t)
	doc, err := philipstest.Encode(ref, philipstest.Options{Resolution: 2.5})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"version", strings.Replace(string(doc), "<documentversion>1.04<", "<documentversion>2.00<", 1), errors.ErrUnsupported},
		{"compression", strings.Replace(string(doc), `compressmethod="XLI"`, `compressmethod="ZIP"`, 1), errors.ErrUnsupported},
		// A chunk declaring 65535 bytes with 3 behind it.
		{"corrupt data", data.ReplaceAllString(string(doc), ">//8AAAEAAAABAgM=<"), philips.ErrXLI},
		{"bad base64", data.ReplaceAllString(string(doc), ">!!!!<"), nil},
		{"not XML", "<restingecgdata", nil},
	}
	for _, tt := range tests {
		_, err := philips.Decode([]byte(tt.doc))
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}
