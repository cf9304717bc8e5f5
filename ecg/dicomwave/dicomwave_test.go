package dicomwave_test

import (
	"os"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg/dicomwave"
)

func TestExample(t *testing.T) {
	b, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dicomwave.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v %v %d leads %v Hz", rec.Patient, rec.Device, rec.Start, len(rec.Leads), rec.SampleRate)
	for _, l := range rec.Leads {
		t.Logf("%s %d %v", l.Name, len(l.Samples), l.Samples[1000:1005])
	}
	t.Logf("median %d @%v", len(rec.Median), rec.MedianSampleRate)
	t.Logf("%+v", rec.Measurements)
	t.Logf("%q %+v", rec.Statements, rec.Annotations)
}
