package part10_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/dicom"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// brokenFiles are corpus files that are damaged on purpose, with the error
// reading them must give.
var brokenFiles = map[string]error{
	"MR_truncated.dcm": part10.ErrTooLong, // pixel data length runs past the end of the file
}

func corpusFiles(t *testing.T) []string {
	t.Helper()
	dir := corpus.Path(t, "dicom")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".dcm") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .dcm files under %s", dir)
	}
	return files
}

func readFile(t testing.TB, p string, opts *part10.Options) (*part10.File, error) {
	t.Helper()
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	return part10.Read(fh, opts)
}

// TestCorpus reads every corpus file: broken ones must fail with their
// expected error, the others must parse and survive a write/read round
// trip in their own and in the native transfer syntaxes.
func TestCorpus(t *testing.T) {
	t.Parallel()
	files := corpusFiles(t)
	t.Logf("%d corpus files", len(files))
	for _, p := range files {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := readFile(t, p, nil)
			if want, broken := brokenFiles[name]; broken {
				if !errors.Is(err, want) {
					t.Fatalf("read: got error %v, want %v", err, want)
				}
				if !strings.HasPrefix(err.Error(), "dicom: read tag (") {
					t.Errorf("error %q does not say which tag failed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if f.Dataset.Len() == 0 {
				t.Fatal("empty dataset")
			}
			targets := []uid.TransferSyntax{f.TransferSyntax}
			if !f.TransferSyntax.Encapsulated && !hasFragments(f.Dataset) {
				for _, u := range []string{uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian, uid.DeflatedExplicitVRLittleEndian} {
					ts, _ := uid.LookupTransferSyntax(u)
					targets = append(targets, ts)
				}
			}
			for _, ts := range targets {
				var buf bytes.Buffer
				out := *f
				out.TransferSyntax = ts
				if err := part10.Write(&buf, &out); err != nil {
					t.Fatalf("write %s: %v", uid.Name(ts.UID), err)
				}
				g, err := part10.Read(bytes.NewReader(buf.Bytes()), nil)
				if err != nil {
					t.Fatalf("re-read %s: %v", uid.Name(ts.UID), err)
				}
				if g.TransferSyntax.UID != ts.UID {
					t.Errorf("re-read transfer syntax %s, want %s", g.TransferSyntax.UID, ts.UID)
				}
				if diff := diffDatasets(f.Dataset, g.Dataset, "", !ts.ExplicitVR); diff != "" {
					t.Errorf("round trip through %s differs: %s", uid.Name(ts.UID), diff)
				}
				if g.Meta.Text(dicom.TagMediaStorageSOPInstanceUID) == "" {
					t.Errorf("written meta lacks MediaStorageSOPInstanceUID")
				}
			}
		})
	}
}

func hasFragments(ds *dicom.Dataset) bool {
	found := false
	_ = ds.Walk(func(_ int, e *dicom.Element) error {
		if e.Fragments != nil {
			found = true
		}
		return nil
	})
	return found
}

// diffDatasets compares values, not encodings: text after decoding,
// binary values in little-endian order; group lengths are ignored.
// With implicit, the VR may change as implicit VR allows: to the
// dictionary's (OW for pixel data) or UN for private tags.
func diffDatasets(a, b *dicom.Dataset, path string, implicit bool) string {
	var ae, be []*dicom.Element
	for _, e := range a.Elements() {
		if !e.Tag.IsGroupLength() {
			ae = append(ae, e)
		}
	}
	for _, e := range b.Elements() {
		if !e.Tag.IsGroupLength() {
			be = append(be, e)
		}
	}
	if len(ae) != len(be) {
		return fmt.Sprintf("%s: %d elements, then %d", path, len(ae), len(be))
	}
	for i := range ae {
		x, y := ae[i], be[i]
		where := path + x.Tag.String()
		vrOK := x.VR == y.VR || implicit && (y.VR == dicom.UN || x.VR == dicom.OB && y.VR == dicom.OW)
		if x.Tag != y.Tag || !vrOK {
			return fmt.Sprintf("%s: %s %s became %s %s", where, x.Tag, x.VR, y.Tag, y.VR)
		}
		if len(x.Items) != len(y.Items) {
			return fmt.Sprintf("%s: %d items, then %d", where, len(x.Items), len(y.Items))
		}
		for j := range x.Items {
			if d := diffDatasets(x.Items[j], y.Items[j], fmt.Sprintf("%s[%d]", where, j), implicit); d != "" {
				return d
			}
		}
		if (x.Fragments == nil) != (y.Fragments == nil) {
			return where + ": fragments appeared or vanished"
		}
		if x.Fragments != nil {
			if !bytes.Equal(x.Fragments.OffsetTable, y.Fragments.OffsetTable) || len(x.Fragments.Items) != len(y.Fragments.Items) {
				return where + ": fragments differ"
			}
			for j := range x.Fragments.Items {
				if !bytes.Equal(x.Fragments.Items[j], y.Fragments.Items[j]) {
					return fmt.Sprintf("%s: fragment %d differs", where, j)
				}
			}
			continue
		}
		if x.VR.IsText() && y.VR.IsText() {
			xs, _ := x.Strings()
			ys, _ := y.Strings()
			if strings.Join(xs, `\`) != strings.Join(ys, `\`) {
				return fmt.Sprintf("%s: %q became %q", where, xs, ys)
			}
			continue
		}
		xb, _ := x.Bytes()
		yb, _ := y.Bytes()
		if len(xb)%2 == 1 {
			xb = append(xb, x.VR.PadByte())
		}
		if !bytes.Equal(xb, yb) {
			return fmt.Sprintf("%s: %d value bytes differ (%d then %d)", where, len(xb), len(xb), len(yb))
		}
	}
	return ""
}

// TestNoMetaMatchesCT checks the sniffing path: no_meta.dcm is CT_small.dcm
// without preamble and meta group (and one stray leading byte).
func TestNoMetaMatchesCT(t *testing.T) {
	t.Parallel()
	a, err := readFile(t, corpus.Path(t, "dicom", "CT_small.dcm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readFile(t, corpus.Path(t, "dicom", "no_meta.dcm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Preamble != nil || b.Meta.Len() != 0 {
		t.Errorf("no_meta.dcm: got a preamble or meta group")
	}
	if d := diffDatasets(a.Dataset, b.Dataset, "", false); d != "" {
		t.Error(d)
	}
}

var dumpLine = regexp.MustCompile(`(?s)^(\s*)\(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w) (.*?)\s*#\s*(\d+|u/l),\s*(\d+) `)

type dumped struct {
	depth int
	tag   dicom.Tag
	vr    string
	value string // text values between [ ], or integers; "" when not compared
}

func parseDcmdump(out []byte) []dumped {
	var list []dumped
	// Text values may span lines: a record starts with an indented "(".
	var records []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(strings.TrimLeft(l, " "), "(") || len(records) == 0 {
			records = append(records, l)
		} else {
			records[len(records)-1] += "\n" + l
		}
	}
	for _, rec := range records {
		m := dumpLine.FindStringSubmatch(rec)
		if m == nil || m[2] == "fffe" {
			continue
		}
		var g, e uint16
		fmt.Sscanf(m[2]+" "+m[3], "%x %x", &g, &e)
		d := dumped{depth: len(m[1]) / 4, tag: dicom.NewTag(g, e), vr: m[4]}
		v := m[5]
		switch {
		case strings.HasPrefix(v, "["):
			d.value = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
		case d.vr == "US" || d.vr == "UL" || d.vr == "SS" || d.vr == "SL":
			d.value = v
		}
		list = append(list, d)
	}
	return list
}

// TestDcmdump compares tags, VRs and values with dcmtk's dcmdump.
func TestDcmdump(t *testing.T) {
	t.Parallel()
	dcmdump := peer.Require(t, "dcmdump")
	for _, p := range corpusFiles(t) {
		name := filepath.Base(p)
		if _, broken := brokenFiles[name]; broken || name == "no_meta.dcm" {
			continue // dcmdump cannot read these either
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := []string{"+L", "-Un", "+U8", p}
			if name == "chrH31.dcm" {
				args = []string{"+L", "-Un", p} // glibc iconv lacks ISO 2022 IR 87
			}
			out, err := exec.Command(dcmdump, args...).Output()
			if err != nil {
				t.Fatalf("dcmdump: %v", err)
			}
			want := parseDcmdump(out)
			f, err := readFile(t, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []dumped
			walk := func(depth int, e *dicom.Element) error {
				d := dumped{depth: depth, tag: e.Tag, vr: e.VR.String()}
				if e.VR.IsText() && e.Raw != nil || e.VR == dicom.US || e.VR == dicom.UL || e.VR == dicom.SS || e.VR == dicom.SL {
					s, err := e.Strings()
					if err != nil {
						return err
					}
					d.value = strings.Join(s, `\`)
				}
				got = append(got, d)
				return nil
			}
			if err := f.Meta.Walk(walk); err != nil {
				t.Fatal(err)
			}
			if err := f.Dataset.Walk(walk); err != nil {
				t.Fatal(err)
			}
			if !utf8Args(args) {
				got = dropTag(got, dicom.TagSpecificCharacterSet)
				want = dropTag(want, dicom.TagSpecificCharacterSet)
			}
			for i := 0; i < len(got) && i < len(want); i++ {
				if got[i].tag != want[i].tag || got[i].depth != want[i].depth {
					t.Fatalf("element %d: got %s depth %d, dcmdump %s depth %d", i, got[i].tag, got[i].depth, want[i].tag, want[i].depth)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d elements, dcmdump has %d", len(got), len(want))
			}
			checkText := name != "chrH31.dcm"
			for i := range want {
				g, w := got[i], want[i]
				if g.tag != w.tag || g.depth != w.depth || g.vr != w.vr {
					t.Fatalf("element %d: got %s %s depth %d, dcmdump %s %s depth %d", i, g.tag, g.vr, g.depth, w.tag, w.vr, w.depth)
				}
				if w.value != "" && (checkText || !dicom.VR(uint16(w.vr[0])<<8|uint16(w.vr[1])).UsesCharset()) && normalise(g.value) != normalise(w.value) {
					t.Errorf("%s %s: got %q, dcmdump %q", g.tag, g.vr, g.value, w.value)
				}
			}
		})
	}
}

func utf8Args(args []string) bool {
	for _, a := range args {
		if a == "+U8" {
			return false
		}
	}
	return true
}

// dropTag removes t: dcmdump +U8 rewrites or adds (0008,0005) as ISO_IR 192.
func dropTag(list []dumped, t dicom.Tag) []dumped {
	out := list[:0:0]
	for _, d := range list {
		if d.tag != t {
			out = append(out, d)
		}
	}
	return out
}

// normalise removes what dcmdump keeps and we trim: padding spaces around
// each value.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	parts := strings.Split(s, `\`)
	for i := range parts {
		parts[i] = strings.Trim(parts[i], " \x00")
	}
	return strings.Join(parts, `\`)
}

func readFileBytes(p string) ([]byte, error) { return os.ReadFile(p) }
