package render

import (
	"bytes"
	"errors"
	"image"
	"os"
	"os/exec"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/ecg"
	"yigong/ecg/aecg"
)

// cjkFont loads the font at FontPaths. CI installs fonts-wqy-microhei
// (.ci/run), so there a missing font fails the test; elsewhere it skips.
func cjkFont(t *testing.T) *Font {
	t.Helper()
	f, err := FindFont()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; .ci/run installs fonts-wqy-microhei", err)
		}
		t.Skip(err)
	}
	return f
}

// chineseRecord is the corpus ECG for patient 王小东 with a finding in
// Chinese.
func chineseRecord(t *testing.T) (*ecg.Record, []ecg.Finding) {
	t.Helper()
	raw, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.xml"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := aecg.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	rec.Patient.Name, rec.Patient.FamilyName, rec.Patient.GivenName = "", "王", "小东"
	return rec, []ecg.Finding{{Code: ecg.FindingWCT, Lead: "V1", Text: "宽QRS心动过速 室性心动过速"}}
}

// TestPDFChinese extracts the text of the PDF with poppler's pdftotext:
// the name and the finding must come back as Chinese characters, which
// needs the embedded glyphs and their ToUnicode map.
func TestPDFChinese(t *testing.T) {
	t.Parallel()
	font := cjkFont(t)
	pdftotext := peer.Require(t, "pdftotext") // .ci/run installs poppler-utils
	rec, findings := chineseRecord(t)
	for _, withFont := range []bool{true, false} {
		o := Options{Findings: findings}
		if withFont {
			o.Font = font
		}
		var pdf bytes.Buffer
		if err := PDF(&pdf, rec, o); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(pdftotext, "-q", "-", "-")
		cmd.Stdin = &pdf
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		text := string(out)
		has := strings.Contains(text, "王小东") && strings.Contains(text, "宽QRS心动过速 室性心动过速")
		if has != withFont {
			t.Errorf("font %v: Chinese text extracted = %v:\n%s", withFont, has, text)
		}
		if note := strings.Contains(text, "Chinese text is shown as ?"); note == withFont {
			t.Errorf("font %v: note on the page = %v", withFont, note)
		}
	}
}

// TestPNGChinese looks at the pixels of the first character of the name,
// 王: three horizontal strokes (rows mostly inked) joined by one vertical
// stroke. The "?" the bitmap font draws without the font has no such rows.
func TestPNGChinese(t *testing.T) {
	t.Parallel()
	font := cjkFont(t)
	rec, findings := chineseRecord(t)
	for _, withFont := range []bool{true, false} {
		o := Options{Findings: findings, DPI: 300}
		if withFont {
			o.Font = font
		}
		img, err := Image(rec, o)
		if err != nil {
			t.Fatal(err)
		}
		p, err := layout(rec, o)
		if err != nil {
			t.Fatal(err)
		}
		var name *label
		for i := range p.labels {
			if strings.HasPrefix(p.labels[i].s, "王小东") {
				name = &p.labels[i]
			}
		}
		if name == nil {
			t.Fatal("no name label")
		}
		s := 300 / 25.4
		em := name.size * s
		cell := image.Rect(int(name.x*s), int(name.y*s-0.9*em), int(name.x*s+0.95*em), int(name.y*s+0.1*em))
		if got := strokes(img, cell); (got == 3) != withFont {
			t.Errorf("font %v: %d horizontal strokes in the first character's cell %v", withFont, got, cell)
		}
	}
}

// strokes counts the bands of consecutive rows in which more than half
// the pixels of r are dark.
func strokes(img *image.RGBA, r image.Rectangle) int {
	bands, in := 0, false
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dark := 0
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if int(c.R)+int(c.G)+int(c.B) < 3*128 {
				dark++
			}
		}
		wide := dark*2 > r.Dx()
		if wide && !in {
			bands++
		}
		in = wide
	}
	return bands
}

// TestFontErrors: fonts that cannot be used are refused with a reason.
func TestFontErrors(t *testing.T) {
	t.Parallel()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not a TTF": []byte("this is not a font at all, just text"),
		"CFF":       append([]byte("OTTO"), make([]byte, 20)...),
		"no tables": {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		if _, err := ParseFont(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := LoadFont("/nonexistent/font.ttf"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseFont checks that no font file makes the reader or the glyph
// code panic.
func FuzzParseFont(f *testing.F) {
	if font, err := FindFont(); err == nil {
		used := map[uint16]bool{font.GlyphIndex('王'): true, font.GlyphIndex('A'): true}
		f.Add(font.subset(used))
	}
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		font, err := ParseFont(b)
		if err != nil {
			return
		}
		for _, r := range "王A?" {
			g := font.GlyphIndex(r)
			font.outline(g, 0)
			font.advance(g)
		}
		font.subset(map[uint16]bool{1: true, 2: true})
	})
}
