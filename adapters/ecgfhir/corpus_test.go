package ecgfhir_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/adapters/ecgfhir"
	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/formats"
	"yigong/ecg/quality"
	"yigong/ecg/render"
	"yigong/fhir/r4"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// build decodes, analyses and renders one file and maps it.
func build(tb testing.TB, raw []byte, url string) (*ecgfhir.Result, *ecg.Record) {
	tb.Helper()
	rec, err := formats.Decode(bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	rep := analysis.Measure(rec)
	findings := append(analysis.Critical(rec, rep), quality.Check(rec, rep)...)
	var pdf bytes.Buffer
	if err := render.PDF(&pdf, rec, render.Options{Measurements: rep.Measurements, Findings: findings}); err != nil {
		tb.Fatal(err)
	}
	m, err := ecgfhir.New(ecgfhir.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := m.Build(context.Background(), ecgfhir.Input{Record: rec, Original: raw, OriginalURL: url,
		Measurements: rep.Measurements, Findings: findings, PDF: pdf.Bytes(), Institution: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return res, rec
}

// observations returns the Observations of a Bundle by their identifier
// part (the digest prefix removed).
func observations(t *testing.T, res *ecgfhir.Result) map[string]*r4.Observation {
	t.Helper()
	out := map[string]*r4.Observation{}
	for _, e := range res.Bundle.Entry {
		o, ok := e.Resource.Resource.(*r4.Observation)
		if !ok {
			continue
		}
		part := strings.TrimPrefix(o.Identifier[0].Value, res.Key+"/")
		out[part] = o
	}
	return out
}

// TestCorpusAgree maps the one ECG the corpus holds as SCP-ECG, aECG and
// DICOM and checks that the waveform and every computed measurement are
// the same Observation values, and that every resource passes the strict
// codec.
func TestCorpusAgree(t *testing.T) {
	dir := corpus.Path(t, "ecg", "ecgtoolkit")
	names := []string{"Example.scp", "Example.xml", "Example.dcm"}
	obs := map[string]map[string]*r4.Observation{}
	for _, name := range names {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		res, _ := build(t, raw, "")
		sum := sha256.Sum256(raw)
		if res.Key != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: key %s is not the SHA-256 of the file", name, res.Key)
		}
		for i, e := range res.Bundle.Entry {
			if _, err := r4.ToNode(e.Resource.Resource); err != nil {
				t.Errorf("%s: entry %d (%s): strict codec: %v", name, i, e.Resource.Resource.ResourceType(), err)
			}
		}
		if _, err := r4.ToNode(res.Bundle); err != nil {
			t.Errorf("%s: Bundle: strict codec: %v", name, err)
		}
		again, _ := build(t, raw, "")
		a, _ := json.Marshal(res.Bundle)
		b, _ := json.Marshal(again.Bundle)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds of the same file differ", name)
		}
		obs[name] = observations(t, res)
	}
	ref := obs["Example.scp"]
	wave := ref["waveform"]
	if wave == nil || len(wave.Component) != 12 {
		t.Fatalf("waveform Observation missing or without 12 leads")
	}
	computed := 0
	for part := range ref {
		if strings.HasPrefix(part, "analysis/") {
			computed++
		}
	}
	if computed != 13 { // HR, RR, P, PR, QRS, QT, 3 axes, QTc by 4 formulas
		t.Errorf("%d computed measurements, want 13", computed)
	}
	for _, name := range names[1:] {
		other := obs[name]
		t.Run("scp vs "+name, func(t *testing.T) {
			w := other["waveform"]
			if w == nil || len(w.Component) != len(wave.Component) {
				t.Fatalf("waveform differs in leads")
			}
			for i, c := range wave.Component {
				d := w.Component[i]
				if c.Code.Coding[0].Code != d.Code.Coding[0].Code {
					t.Errorf("component %d: lead %s vs %s", i, c.Code.Text, d.Code.Text)
				}
				x, y := c.ValueSampledData, d.ValueSampledData
				if x.Factor != y.Factor || x.Period != y.Period || x.Data != y.Data || *x.Dimensions != *y.Dimensions {
					t.Errorf("lead %s: SampledData differs (factor %s/%s, period %s/%s, data equal %v)",
						c.Code.Text, x.Factor, y.Factor, x.Period, y.Period, x.Data == y.Data)
				}
			}
			for part, o := range ref {
				if !strings.HasPrefix(part, "analysis/") {
					continue
				}
				p := other[part]
				if p == nil {
					t.Errorf("%s: missing", part)
					continue
				}
				if v1, v2 := valueOf(o), valueOf(p); v1 != v2 {
					t.Errorf("%s: %s vs %s", part, v1, v2)
				}
			}
			// Device-reported measurements: every one present in both
			// files has the same value (the DICOM file has no P
			// duration).
			for part, o := range ref {
				if !strings.HasPrefix(part, "device/") {
					continue
				}
				if p := other[part]; p != nil && valueOf(o) != valueOf(p) {
					t.Errorf("%s: %s vs %s", part, valueOf(o), valueOf(p))
				}
			}
		})
	}
	for _, want := range []string{"analysis/HR", "analysis/PR", "analysis/QRS", "analysis/QT", "analysis/QTc/Bazett",
		"analysis/QTc/Fridericia", "analysis/QTc/Hodges", "analysis/QTc/Framingham", "analysis/PAxis", "analysis/QRSAxis",
		"analysis/TAxis", "device/PR", "device/QRS", "device/QT", "device/QTc/unknown", "device/QRSAxis", "device/TAxis"} {
		if ref[want] == nil {
			t.Errorf("no Observation %s", want)
		}
	}
}

func valueOf(o *r4.Observation) string {
	if o.ValueQuantity == nil {
		return "<none>"
	}
	m := ""
	if o.Method != nil {
		m = " " + o.Method.Text
	}
	return fmt.Sprintf("%s %s%s", o.ValueQuantity.Value, o.ValueQuantity.Code, m)
}

// TestGolden compares the Bundle of Example.scp with testdata (-update
// rewrites it). The PDF is replaced by its digest to keep the file
// reviewable.
func TestGolden(t *testing.T) {
	raw, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.scp"))
	if err != nil {
		t.Fatal(err)
	}
	res, _ := build(t, raw, "http://hub.example/blobs/ecg/"+strings.Repeat("0", 4))
	for _, e := range res.Bundle.Entry {
		if dr, ok := e.Resource.Resource.(*r4.DiagnosticReport); ok {
			for i := range dr.PresentedForm {
				if d := dr.PresentedForm[i].Data; d != "" {
					sum := sha256.Sum256([]byte(d))
					dr.PresentedForm[i].Data = ""
					dr.PresentedForm[i].Title += " (data elided in the golden file; sha256 of the base64: " + hex.EncodeToString(sum[:8]) + ")"
				}
			}
		}
	}
	got, err := json.MarshalIndent(res.Bundle, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "Example.scp.bundle.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Bundle differs from %s; run go test -update and review the diff", path)
	}
}
