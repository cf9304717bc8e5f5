package render

import (
	"bytes"
	"compress/zlib"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/quality"
	"yigong/ecg/scpecg"
)

var outDir = flag.String("render.out", "", "also write the corpus renderings to this directory (to look at them)")

var leads12 = []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}

// pulseRecord is 10 s of 12 leads at 500 Hz, flat except a 1 mV square
// pulse from 1.0 s to 1.4 s in every lead.
func pulseRecord() *ecg.Record {
	rec := &ecg.Record{SampleRate: 500, Start: time.Date(2024, 3, 7, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)),
		Patient: ecg.Patient{Name: "王小东", ID: "110101199003078515", Sex: ecg.SexMale, Age: ecg.Quantity{Value: 34, Unit: "a"}},
		Device:  ecg.Device{Manufacturer: "Acme", Model: "ECG-12", Serial: "A1"},
		Measurements: []ecg.Measurement{
			{Name: ecg.HeartRate, Value: 72, Unit: "/min"}, {Name: ecg.PRInterval, Value: 160, Unit: "ms"},
			{Name: ecg.QRSDuration, Value: 92, Unit: "ms"}, {Name: ecg.QTInterval, Value: 380, Unit: "ms"},
			{Name: ecg.QTc, Value: 416, Unit: "ms", Method: ecg.Bazett}, {Name: ecg.QRSAxis, Value: 45, Unit: "deg"},
		}}
	for _, n := range leads12 {
		s := make([]float64, 5000)
		for i := 500; i < 700; i++ {
			s[i] = 1000
		}
		rec.Leads = append(rec.Leads, ecg.Lead{Name: n, Samples: s})
	}
	return rec
}

func corpusRecord(tb testing.TB) *ecg.Record {
	tb.Helper()
	b, err := os.ReadFile(corpus.Path(tb, "ecg", "ecgtoolkit", "Example.scp"))
	if err != nil {
		tb.Fatal(err)
	}
	rec, err := scpecg.Decode(b)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

type svgDoc struct {
	Width  string `xml:"width,attr"`
	Groups []struct {
		ID    string `xml:"id,attr"`
		Lines []struct {
			Class string  `xml:"class,attr"`
			X1    float64 `xml:"x1,attr"`
			Y1    float64 `xml:"y1,attr"`
			X2    float64 `xml:"x2,attr"`
			Y2    float64 `xml:"y2,attr"`
		} `xml:"line"`
		Polylines []struct {
			Class  string `xml:"class,attr"`
			Lead   string `xml:"data-lead,attr"`
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
		Texts []struct {
			Class string `xml:"class,attr"`
			Text  string `xml:",chardata"`
		} `xml:"text"`
	} `xml:"g"`
}

func TestSVG(t *testing.T) {
	t.Parallel()
	tests := []struct {
		layout            Layout
		dpi               float64
		traces, rhythm    int
		perLeadSeconds    float64
		wantLeadsInTraces []string
	}{
		{Layout3x4, 96, 12, 1, 2.5, leads12},
		{Layout6x2, 300, 12, 1, 5, leads12},
		{Layout12x1, 150, 12, 0, 10, leads12},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v@%vdpi", tt.layout, tt.dpi), func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := SVG(&b, pulseRecord(), Options{Layout: tt.layout, DPI: tt.dpi}); err != nil {
				t.Fatal(err)
			}
			var doc svgDoc
			if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatalf("SVG does not parse: %v", err)
			}
			px := tt.dpi / 25.4
			var xs, ys, majorXs []float64
			var traces, rhythm int
			var leads, texts []string
			for _, g := range doc.Groups {
				for _, l := range g.Lines {
					if l.Class != "minor" && l.Class != "major" {
						continue
					}
					if l.X1 == l.X2 {
						xs = append(xs, l.X1)
						if l.Class == "major" {
							majorXs = append(majorXs, l.X1)
						}
					} else {
						ys = append(ys, l.Y1)
					}
				}
				for _, p := range g.Polylines {
					switch p.Class {
					case "trace":
						traces++
						leads = append(leads, p.Lead)
						n := len(strings.Fields(p.Points))
						// The last column ends at the record's last sample.
						if want := int(tt.perLeadSeconds*500) + 1; n != want && n != want-1 {
							t.Errorf("lead %s has %d points, want %d", p.Lead, n, want)
						}
					case "trace rhythm":
						rhythm++
						if p.Lead != "II" {
							t.Errorf("rhythm strip is lead %s", p.Lead)
						}
					}
				}
				for _, x := range g.Texts {
					texts = append(texts, x.Text)
				}
			}
			if traces != tt.traces || rhythm != tt.rhythm {
				t.Errorf("%d lead polylines and %d rhythm strips, want %d and %d", traces, rhythm, tt.traces, tt.rhythm)
			}
			slices.Sort(leads)
			want := slices.Clone(tt.wantLeadsInTraces)
			slices.Sort(want)
			if !slices.Equal(leads, want) {
				t.Errorf("leads %v, want %v", leads, want)
			}
			checkSpacing(t, "vertical lines", xs, px, 276)
			checkSpacing(t, "horizontal lines", ys, px, 161)
			checkSpacing(t, "major vertical lines", majorXs, 5*px, 56)
			all := strings.Join(texts, "\n")
			for _, s := range []string{"王小东", "110101199003078515", "QTc 416 ms (Bazett)", "25 mm/s", "10 mm/mV"} {
				if !strings.Contains(all, s) {
					t.Errorf("SVG text lacks %q", s)
				}
			}
		})
	}
}

// checkSpacing checks that v holds n values spaced by step (to the
// 0.001 of the SVG's number format).
func checkSpacing(t *testing.T, what string, v []float64, step float64, n int) {
	t.Helper()
	slices.Sort(v)
	if len(v) != n {
		t.Errorf("%s: %d, want %d", what, len(v), n)
	}
	for i := 1; i < len(v); i++ {
		if d := v[i] - v[0] - float64(i)*step; math.Abs(d) > 0.002 {
			t.Fatalf("%s: line %d at %v, want %v (step %v)", what, i, v[i], v[0]+float64(i)*step, step)
		}
	}
}

func TestSVGMask(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	h := Header{Name: "王小东", ID: "110101199003078515", Phone: "13812345678"}
	if err := SVG(&b, pulseRecord(), Options{Mask: true, Header: &h}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"王**", "110101********8515", "138****5678"} {
		if !strings.Contains(s, want) {
			t.Errorf("masked SVG lacks %q", want)
		}
	}
	for _, leak := range []string{"小东", "19900307", "12345678"} {
		if strings.Contains(s, leak) {
			t.Errorf("masked SVG leaks %q", leak)
		}
	}
}

func TestPNGPulse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		gain, speed, dpi float64
	}{
		{10, 25, 150},
		{20, 25, 100},
		{5, 50, 200},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%vmm/mV,%vmm/s,%vdpi", tt.gain, tt.speed, tt.dpi), func(t *testing.T) {
			t.Parallel()
			o := Options{Layout: Layout12x1, GainMMPerMV: tt.gain, SpeedMMPerS: tt.speed, DPI: tt.dpi}
			var b bytes.Buffer
			if err := PNG(&b, pulseRecord(), o); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&b)
			if err != nil {
				t.Fatal(err)
			}
			s := tt.dpi / 25.4
			if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != int(math.Round(297*s)) || h != int(math.Round(210*s)) {
				t.Fatalf("size %d×%d at %v dpi", w, h, tt.dpi)
			}
			p, err := layout(pulseRecord(), o)
			if err != nil {
				t.Fatal(err)
			}
			// Lead V1 (row 7 of 12, so that a 20 mm pulse stays on the grid).
			var lead trace
			for _, tr := range p.traces {
				if tr.lead == "V1" {
					lead = tr
					break
				}
			}
			base := lead.pts[0].y
			x0 := lead.pts[0].x
			// At 0.5 s the trace is on the baseline, at 1.2 s (inside the
			// pulse) gain mm above it.
			for _, c := range []struct {
				sec, wantY float64
			}{{0.5, base}, {1.2, base - tt.gain}, {1.7, base}} {
				x := int((x0 + c.sec*tt.speed) * s)
				y, ok := darkest(img, x, int((c.wantY-3)*s), int((c.wantY+3)*s))
				if !ok {
					t.Fatalf("no trace pixel in column %d (%.1f s)", x, c.sec)
				}
				if got := float64(y) / s; math.Abs(got-c.wantY) > 0.3 {
					t.Errorf("at %.1f s the trace is at y=%.2f mm, want %.2f mm (baseline %.2f, gain %v)", c.sec, got, c.wantY, base, tt.gain)
				}
				// Inside the pulse the baseline is clear.
				if c.wantY != base {
					if y, ok := darkest(img, x, int((base-1)*s), int((base+1)*s)); ok {
						t.Errorf("at %.1f s a trace pixel is on the baseline (y=%.2f mm)", c.sec, float64(y)/s)
					}
				}
			}
		})
	}
}

// darkest returns the row of the darkest pixel of column x between rows
// y0 and y1, if any is near black.
func darkest(img image.Image, x, y0, y1 int) (int, bool) {
	best, by := uint32(math.MaxUint32), 0
	for y := y0; y <= y1; y++ {
		r, g, b, _ := img.At(x, y).RGBA()
		if v := r + g + b; v < best {
			best, by = v, y
		}
	}
	return by, best < 3*0x8000
}

func TestPDF(t *testing.T) {
	t.Parallel()
	h := Header{Name: "王小东", NameLatin: "Wang Xiaodong", Sex: "M", Age: "34 y", ID: "110101199003078515", Phone: "13812345678", Time: "2024-03-07 09:30:00 +08:00", Device: "Acme ECG-12", Institution: "县医院"}
	var b bytes.Buffer
	if err := PDF(&b, pulseRecord(), Options{Header: &h, Mask: true}); err != nil {
		t.Fatal(err)
	}
	f := b.Bytes()
	if !bytes.HasPrefix(f, []byte("%PDF-1.4\n")) {
		t.Fatalf("starts %q", f[:10])
	}
	objs := checkXref(t, f)
	content := inflateContent(t, f, objs)
	for _, s := range []string{"(W*** ********   Sex M   Age 34 y) Tj", "(ID 110101********8515   Phone 138****5678) Tj",
		"(Time 2024-03-07 09:30:00 +08:00) Tj", "(Device Acme ECG-12) Tj", "QTc 416 ms \\(Bazett\\)", "(25 mm/s", "(Note: Chinese"} {
		if !bytes.Contains(content, []byte(s)) {
			t.Errorf("PDF content lacks %q", s)
		}
	}
	if bytes.Contains(content, []byte("Xiaodong")) {
		t.Error("PDF leaks the unmasked name")
	}
}

// checkXref parses the trailer and cross-reference table and checks that
// each entry points at "n 0 obj"; it returns the object offsets.
func checkXref(t *testing.T, f []byte) []int {
	t.Helper()
	tail := f[bytes.LastIndex(f, []byte("startxref")):]
	var xref int
	if _, err := fmt.Sscanf(string(tail), "startxref\n%d\n%%%%EOF", &xref); err != nil {
		t.Fatalf("startxref: %v", err)
	}
	if !bytes.HasPrefix(f[xref:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at xref", xref)
	}
	lines := strings.Split(string(f[xref:]), "\n")
	var first, count int
	if _, err := fmt.Sscanf(lines[1], "%d %d", &first, &count); err != nil || first != 0 {
		t.Fatalf("xref subsection %q", lines[1])
	}
	var offs []int
	for i := 0; i < count; i++ {
		e := lines[2+i] + "\n"
		if len(e) != 20 {
			t.Fatalf("xref entry %d is %d bytes, want 20", i, len(e))
		}
		if i == 0 {
			continue
		}
		off, err := strconv.Atoi(e[:10])
		if err != nil || e[17] != 'n' {
			t.Fatalf("xref entry %q", e)
		}
		if want := fmt.Sprintf("%d 0 obj", i); !bytes.HasPrefix(f[off:], []byte(want)) {
			t.Errorf("xref entry %d → offset %d holds %q", i, off, f[off:off+10])
		}
		offs = append(offs, off)
	}
	if !strings.Contains(lines[2+count+1], fmt.Sprintf("/Size %d", count)) {
		t.Errorf("trailer %q", lines[2+count+1])
	}
	return offs
}

// inflateContent returns the decompressed content stream (object 4).
func inflateContent(t *testing.T, f []byte, objs []int) []byte {
	t.Helper()
	o := f[objs[3]:]
	var n int
	i := bytes.Index(o, []byte("/Length "))
	if _, err := fmt.Sscanf(string(o[i:]), "/Length %d", &n); err != nil {
		t.Fatal(err)
	}
	j := bytes.Index(o, []byte("stream\n")) + len("stream\n")
	if !bytes.HasPrefix(o[j+n:], []byte("\nendstream")) {
		t.Fatalf("stream length %d does not reach endstream", n)
	}
	zr, err := zlib.NewReader(bytes.NewReader(o[j : j+n]))
	if err != nil {
		t.Fatal(err)
	}
	c, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCorpusRender(t *testing.T) {
	t.Parallel()
	rec := corpusRecord(t)
	rep := analysis.Measure(rec)
	findings := append(analysis.Critical(rec, rep), quality.Check(rec, rep)...)
	dir := t.TempDir()
	if *outDir != "" {
		dir = *outDir
	}
	for _, l := range []Layout{Layout3x4, Layout6x2, Layout12x1} {
		o := Options{Layout: l, Measurements: rep.Measurements, Findings: findings}
		var b bytes.Buffer
		if err := PNG(&b, rec, o); err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b.Bytes())); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "corpus-"+l.String()+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
