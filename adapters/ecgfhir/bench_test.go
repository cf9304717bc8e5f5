package ecgfhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"yigong/adapters/ecgfhir"
	"yigong/conformance/corpus"
	"yigong/conformance/cputime"
	"yigong/ecg"
	"yigong/ecg/aecg"
	"yigong/ecg/analysis"
	"yigong/ecg/formats"
	"yigong/ecg/philips/philipstest"
	"yigong/ecg/quality"
	"yigong/ecg/render"
	"yigong/ecg/wfdb"
	"yigong/fhir/r4"
)

// pipeline analyses rec, optionally renders the PDF, maps it and converts
// the Bundle through the strict codec (r4.ToNode), as server/ecg does
// before executing it.
func pipeline(b *testing.B, m *ecgfhir.Mapper, rec *ecg.Record, raw []byte, pdf bool) int {
	rep := analysis.Measure(rec)
	findings := append(analysis.Critical(rec, rep), quality.Check(rec, rep)...)
	in := ecgfhir.Input{Record: rec, Original: raw, OriginalURL: "http://hub/ecg/originals/x",
		Measurements: rep.Measurements, Findings: findings, Institution: "bench"}
	if pdf {
		var buf bytes.Buffer
		if err := render.PDF(&buf, rec, render.Options{Measurements: rep.Measurements, Findings: findings}); err != nil {
			b.Fatal(err)
		}
		in.PDF = buf.Bytes()
	}
	res, err := m.Build(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r4.ToNode(res.Bundle); err != nil {
		b.Fatal(err)
	}
	return len(res.Bundle.Entry)
}

// cpuPerOp reports the process CPU time per iteration as cpu-ms/op when
// the returned function runs (after the loop). On a shared machine
// wall-clock ns/op counts the time other processes hold the cores; CPU
// time does not. Run with -cpu 1 so that it is one core's time.
func cpuPerOp(b *testing.B) func() {
	start := cputime.Used()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cputime.Used()-start)/float64(b.N)/1e6, "cpu-ms/op")
		}
	}
}

// BenchmarkPipeline12Lead: decode + analyse (Measure, Critical, quality)
// + FHIR build (Bundle and strict conversion) of the 10 s 12-lead 500 Hz
// corpus ECG from each format; "+pdf" adds the PDF rendering.
func BenchmarkPipeline12Lead(b *testing.B) {
	dir := corpus.Path(b, "ecg", "ecgtoolkit")
	m, _ := ecgfhir.New(ecgfhir.Config{})
	for _, name := range []string{"Example.scp", "Example.xml", "Example.dcm", "Example.philips.xml"} {
		var raw []byte
		var err error
		if name == "Example.philips.xml" {
			raw, err = philipsExample(filepath.Join(dir, "Example.xml"))
		} else {
			raw, err = os.ReadFile(filepath.Join(dir, name))
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, pdf := range []bool{false, true} {
			label := name
			if pdf {
				label += "+pdf"
			}
			b.Run(label, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(raw)))
				defer cpuPerOp(b)()
				for b.Loop() {
					rec, err := formats.Decode(bytes.NewReader(raw))
					if err != nil {
						b.Fatal(err)
					}
					pipeline(b, m, rec, raw, pdf)
				}
			})
		}
	}
}

// philipsExample is the corpus ECG re-encoded as Philips Sierra XML 1.04
// with XLI compression (there is no Philips file in the corpus).
func philipsExample(aecgPath string) ([]byte, error) {
	raw, err := os.ReadFile(aecgPath)
	if err != nil {
		return nil, err
	}
	rec, err := aecg.Decode(raw)
	if err != nil {
		return nil, err
	}
	var leads []ecg.Lead
	for _, n := range []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"} {
		if l := rec.Lead(n); l != nil {
			leads = append(leads, *l)
		}
	}
	rec.Leads = leads
	return philipstest.Encode(rec, philipstest.Options{Resolution: 2.5})
}

// BenchmarkPipelineMITBIH100: the same for MIT-BIH record 100 (30 min,
// 2 leads at 360 Hz, 650,000 samples a lead), read with ecg/wfdb from
// memory.
func BenchmarkPipelineMITBIH100(b *testing.B) {
	dir := corpus.Path(b, "ecg", "mitbih")
	fsys := fstest.MapFS{}
	var raw []byte
	for _, f := range []string{"100.hea", "100.dat", "100.atr"} {
		d, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		fsys[f] = &fstest.MapFile{Data: d}
		raw = append(raw, d...)
	}
	m, _ := ecgfhir.New(ecgfhir.Config{})
	for _, pdf := range []bool{false, true} {
		label := "fhir"
		if pdf {
			label = "fhir+pdf"
		}
		b.Run(label, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			defer cpuPerOp(b)()
			for b.Loop() {
				rec, err := wfdb.ReadRecord(fsys, "100", "atr")
				if err != nil {
					b.Fatal(err)
				}
				pipeline(b, m, rec, raw, pdf)
			}
		})
	}
}

// TestMITBIHBundle checks that the 30-minute record maps and passes the
// strict codec, with both leads in the waveform.
func TestMITBIHBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("long record")
	}
	fsys := os.DirFS(corpus.Path(t, "ecg", "mitbih"))
	rec, err := wfdb.ReadRecord(fsys, "100", "atr")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ecgfhir.New(ecgfhir.Config{})
	rep := analysis.Measure(rec)
	res, err := m.Build(context.Background(), ecgfhir.Input{Record: rec, Original: []byte("100"), Measurements: rep.Measurements,
		Findings: append(analysis.Critical(rec, rep), quality.Check(rec, rep)...), Institution: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r4.ToNode(res.Bundle); err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Bundle.Entry {
		if o, ok := e.Resource.Resource.(*r4.Observation); ok && len(o.Component) == 2 && o.Component[0].ValueSampledData != nil {
			sd := o.Component[0].ValueSampledData
			j, _ := json.Marshal(sd.Origin)
			t.Logf("lead %s (%s): factor %s µV, period %s ms, origin %s, %d data chars; warnings %q",
				o.Component[0].Code.Text, o.Component[0].Code.Coding[0].Code, sd.Factor, sd.Period, j, len(sd.Data), res.Warnings)
			return
		}
	}
	t.Error("no two-lead waveform Observation")
}
