package net_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"yigong/conformance/peer"
	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

var lookupTS = uid.LookupTransferSyntax

func TestEchoSCU(t *testing.T) {
	t.Parallel()
	echoscu := peer.Require(t, "echoscu")
	host, port := startServer(t, &dnet.Server{AETitle: "YIGONG"})
	out := run(t, echoscu, "-v", "-aec", "YIGONG", host, strconv.Itoa(port))
	t.Log(out)
}

func TestEchoRejectsWrongCalledAE(t *testing.T) {
	t.Parallel()
	echoscu := peer.Require(t, "echoscu")
	host, port := startServer(t, &dnet.Server{AETitle: "YIGONG"})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_ = ctx
	out, err := execOut(echoscu, "-aec", "OTHER", host, strconv.Itoa(port))
	if err == nil {
		t.Fatalf("echoscu to the wrong AE title succeeded:\n%s", out)
	}
}

// dcmtkUnreadable are corpus files part10 reads but dcmtk does not: no_meta.dcm
// starts with stray bytes before its first element, which part10 skips
// and dcmtk takes for a tag. Our own SCU sends them (TestClientStoreToStorescp).
var dcmtkUnreadable = map[string]bool{"no_meta.dcm": true}

// TestStoreCorpusDcmsend sends every readable corpus file with dcmsend,
// which proposes each file's own transfer syntax (-dn: never decompress),
// and checks the received data sets against the files.
func TestStoreCorpusDcmsend(t *testing.T) {
	t.Parallel()
	dcmsend := peer.Require(t, "dcmsend")
	arch := loadArchive(t)
	rec := &recorder{dir: t.TempDir()}
	host, port := startServer(t, &dnet.Server{AETitle: "YIGONG", Store: rec})
	args := []string{"-v", "+f", "-dn", "-nh", "-nuc", "-aec", "YIGONG", host, strconv.Itoa(port)}
	var sent []archived
	for _, a := range arch {
		if dcmtkUnreadable[filepath.Base(a.path)] {
			continue
		}
		sent = append(sent, a)
		args = append(args, a.path)
	}
	arch = sent
	out := run(t, dcmsend, args...)
	got := rec.list()
	if len(got) != len(arch) {
		t.Fatalf("received %d instances, sent %d:\n%s", len(got), len(arch), out)
	}
	checkReceived(t, arch, got, false)
}

// proposeFlag is the storescu option proposing exactly a file's transfer
// syntax first, so that it arrives as stored.
var proposeFlag = map[string]string{
	uid.ImplicitVRLittleEndian:         "-xi",
	uid.ExplicitVRLittleEndian:         "-xe",
	uid.ExplicitVRBigEndian:            "-xb",
	uid.DeflatedExplicitVRLittleEndian: "-xd",
	"1.2.840.10008.1.2.4.50":           "-xy",
	"1.2.840.10008.1.2.4.51":           "-xx",
	"1.2.840.10008.1.2.4.70":           "-xs",
	"1.2.840.10008.1.2.4.80":           "-xt",
	"1.2.840.10008.1.2.4.90":           "-xv",
	"1.2.840.10008.1.2.4.91":           "-xw",
	"1.2.840.10008.1.2.5":              "-xr",
}

// TestStoreCorpusStorescu sends the corpus with storescu, one run per
// transfer syntax proposing exactly that syntax (-R -x?), so every file
// arrives in its own syntax, uncompressed ones included.
func TestStoreCorpusStorescu(t *testing.T) {
	t.Parallel()
	storescu := peer.Require(t, "storescu")
	arch := loadArchive(t)
	rec := &recorder{dir: t.TempDir()}
	host, port := startServer(t, &dnet.Server{AETitle: "YIGONG", Store: rec})
	byTS := map[string][]string{}
	var sent []archived
	for _, a := range arch {
		if dcmtkUnreadable[filepath.Base(a.path)] {
			continue
		}
		if _, ok := proposeFlag[a.inst.TransferSyntax]; !ok {
			t.Errorf("%s: no storescu flag for %s", a.path, a.inst.TransferSyntax)
			continue
		}
		byTS[a.inst.TransferSyntax] = append(byTS[a.inst.TransferSyntax], a.path)
		sent = append(sent, a)
	}
	for ts, files := range byTS {
		args := append([]string{"-R", proposeFlag[ts], "-nh", "-aec", "YIGONG", host, strconv.Itoa(port)}, files...)
		run(t, storescu, args...)
	}
	got := rec.list()
	if len(got) != len(sent) {
		t.Fatalf("received %d instances, sent %d", len(got), len(sent))
	}
	checkReceived(t, sent, got, true)
}

// checkReceived finds, for each archived instance, a received one with the
// same SOP instance UID and a data set equal to the file's when parsed
// (group lengths and length encodings aside: dcmtk re-encodes what it
// sends). With sameSyntax, the transfer syntax must be the file's; else
// only compressed files must keep theirs. The stored file must be the
// received bytes verbatim.
func checkReceived(t *testing.T, arch []archived, got []received, sameSyntax bool) {
	t.Helper()
	for _, a := range arch {
		name := filepath.Base(a.path)
		t.Run(name, func(t *testing.T) {
			want := parse(t, a.inst.Data, a.inst.TransferSyntax)
			wantTS, _ := uid.LookupTransferSyntax(a.inst.TransferSyntax)
			var diffs []string
			for _, r := range got {
				if r.req.SOPInstanceUID != a.inst.SOPInstanceUID {
					continue
				}
				ts := r.req.TransferSyntax
				if ts.UID != a.inst.TransferSyntax && (sameSyntax || wantTS.Encapsulated || ts.Encapsulated) {
					continue
				}
				have := parse(t, r.req.Data, ts.UID)
				if d := diffDatasets(want, have, ""); d != "" {
					diffs = append(diffs, ts.UID+": "+d)
					continue
				}
				if r.req.SOPClassUID != a.inst.SOPClassUID {
					t.Errorf("SOP class %s, want %s", r.req.SOPClassUID, a.inst.SOPClassUID)
				}
				stored, err := os.ReadFile(r.file)
				if err != nil {
					t.Fatal(err)
				}
				if off := dnet.DataSetOffset(stored); off < 0 || !bytes.Equal(stored[off:], r.req.Data) {
					t.Errorf("stored file %s is not the received data set verbatim", r.file)
				}
				f, err := part10.Read(bytes.NewReader(stored), nil)
				if err != nil || f.TransferSyntax.UID != ts.UID {
					t.Errorf("stored file: %v, transfer syntax %s, want %s", err, f.TransferSyntax.UID, ts.UID)
				}
				if bytes.Equal(r.req.Data, a.inst.Data) {
					t.Logf("received in %s, byte-identical", uid.Name(ts.UID))
				} else {
					t.Logf("received in %s, equal when parsed (%d bytes, file %d: dcmtk re-encoded)", uid.Name(ts.UID), len(r.req.Data), len(a.inst.Data))
				}
				return
			}
			t.Fatalf("no received instance matches the file (syntax %s): %v", a.inst.TransferSyntax, diffs)
		})
	}
}

// tagTrailingPadding is Data Set Trailing Padding, which dcmtk drops when
// sending (PS3.5 §7.1.4 lets it go).
var tagTrailingPadding = dicom.NewTag(0xFFFC, 0xFFFC)

// diffDatasets compares two data sets element by element: tags, VRs (when
// both are explicit), values, items and fragments; group lengths and trailing
// padding are ignored. It returns the first difference, or "".
func diffDatasets(a, b *dicom.Dataset, path string) string {
	strip := func(ds *dicom.Dataset) []*dicom.Element {
		var out []*dicom.Element
		for _, e := range ds.Elements() {
			if !e.Tag.IsGroupLength() && e.Tag != tagTrailingPadding {
				out = append(out, e)
			}
		}
		return out
	}
	ea, eb := strip(a), strip(b)
	for i := 0; i < len(ea) || i < len(eb); i++ {
		if i >= len(ea) || i >= len(eb) || ea[i].Tag != eb[i].Tag {
			var ta, tb []string
			for _, e := range ea[i:] {
				ta = append(ta, e.Tag.String())
			}
			for _, e := range eb[i:] {
				tb = append(tb, e.Tag.String())
			}
			return fmt.Sprintf("%s: %d elements vs %d; from #%d: %v vs %v", path, len(ea), len(eb), i, head2(ta), head2(tb))
		}
		x, y := ea[i], eb[i]
		p := path + x.Tag.String()
		if x.Tag != y.Tag {
			return fmt.Sprintf("%s: tag %s vs %s", path, x.Tag, y.Tag)
		}
		if len(x.Items) != len(y.Items) {
			return fmt.Sprintf("%s: %d items vs %d", p, len(x.Items), len(y.Items))
		}
		for j := range x.Items {
			if d := diffDatasets(x.Items[j], y.Items[j], fmt.Sprintf("%s[%d]", p, j)); d != "" {
				return d
			}
		}
		if (x.Fragments == nil) != (y.Fragments == nil) {
			return p + ": fragments vs none"
		}
		if x.Fragments != nil {
			if !bytes.Equal(x.Fragments.OffsetTable, y.Fragments.OffsetTable) || len(x.Fragments.Items) != len(y.Fragments.Items) {
				return p + ": fragments differ"
			}
			for j := range x.Fragments.Items {
				if !bytes.Equal(x.Fragments.Items[j], y.Fragments.Items[j]) {
					return fmt.Sprintf("%s: fragment %d differs", p, j)
				}
			}
		}
		xr, yr := x.Raw, y.Raw
		if x.BigEndian != y.BigEndian {
			yr = dicom.SwapBytes(y.ValueVR(), append([]byte(nil), yr...))
		}
		if !bytes.Equal(xr, yr) {
			return fmt.Sprintf("%s: value % x vs % x", p, head(xr), head(yr))
		}
	}
	return ""
}

func head2(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func head(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// TestStoreGB18030 sends a GB18030 data set (PatientName 张^璡, whose 璡 ends
// in byte 0x5C) with storescu; the name arrives intact.
func TestStoreGB18030(t *testing.T) {
	t.Parallel()
	storescu := peer.Require(t, "storescu")
	ds := dicom.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ds.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, "GB18030"))
	must(ds.SetStrings(dicom.TagSOPClassUID, dicom.UI, uid.SecondaryCaptureImageStorage))
	must(ds.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, "2.25.1234567890123456789"))
	must(ds.SetStrings(dicom.TagStudyInstanceUID, dicom.UI, "2.25.1234567890123456790"))
	must(ds.SetStrings(dicom.TagSeriesInstanceUID, dicom.UI, "2.25.1234567890123456791"))
	must(ds.SetStrings(dicom.TagModality, dicom.CS, "OT"))
	must(ds.SetStrings(dicom.TagPatientName, dicom.PN, "张^璡"))
	must(ds.SetStrings(dicom.TagPatientID, dicom.LO, "GB1"))
	e, _ := ds.Get(dicom.TagPatientName)
	if !bytes.Contains(e.Raw, []byte{0xAD, 0x5C}) {
		t.Fatalf("璡 is not AD 5C in GB18030: % x", e.Raw)
	}
	p := filepath.Join(t.TempDir(), "gb18030.dcm")
	var buf bytes.Buffer
	must(part10.Write(&buf, &part10.File{Dataset: ds, TransferSyntax: uid.ExplicitLE()}))
	must(os.WriteFile(p, buf.Bytes(), 0o644))

	rec := &recorder{dir: t.TempDir()}
	host, port := startServer(t, &dnet.Server{Store: rec})
	run(t, storescu, "-aec", "YIGONG", host, strconv.Itoa(port), p)
	got := rec.list()
	if len(got) != 1 {
		t.Fatalf("received %d instances", len(got))
	}
	rds, err := got[0].req.Dataset(nil)
	if err != nil {
		t.Fatal(err)
	}
	pn, err := rds.PersonName(dicom.TagPatientName)
	if err != nil {
		t.Fatal(err)
	}
	if pn.Alphabetic.Family != "张" || pn.Alphabetic.Given != "璡" {
		t.Errorf("PatientName = %q, want 张^璡", pn.String())
	}
}
