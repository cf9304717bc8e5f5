package aecg_test

import (
	"os"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg/aecg"
)

func TestExample(t *testing.T) {
	b, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.xml"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := aecg.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %+v %v %d leads %v Hz beats %d intervals %d", rec.Patient, rec.Device, rec.Start, len(rec.Leads), rec.SampleRate, len(rec.Beats), len(rec.Intervals))
	for _, l := range rec.Leads {
		t.Logf("%s %d %v", l.Name, len(l.Samples), l.Samples[1000:1005])
	}
	t.Logf("median %d @%v", len(rec.Median), rec.MedianSampleRate)
	t.Logf("%+v", rec.Measurements)
	t.Logf("%+v %+v", rec.Beats[:2], rec.Intervals[:3])
}
