package net_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"yigong/conformance/corpus"
	"yigong/dicom"
	"yigong/dicom/codec"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// TestGetscuTranscodes: getscu proposing only uncompressed explicit VR
// syntaxes (+xe) for instances stored compressed gets them converted to
// explicit VR little endian; the pixels are byte-identical to dcmtk's
// own decoding (dcmdrle) for RLE, and within two units of dcmdjpeg's for
// JPEG Baseline (IDCTs differ in rounding).
func TestGetscuTranscodes(t *testing.T) {
	t.Parallel()
	arch := loadArchive(t)
	host, port := startServer(t, retrieveServer(arch, nil))
	cases := []struct {
		file, decoder string
		tolerance     int
	}{
		{"MR_small_RLE.dcm", "dcmdrle", 0},
		{"SC_rgb_rle_2frame.dcm", "dcmdrle", 0},
		{"SC_rgb_jpeg_dcmtk.dcm", "dcmdjpeg", 2},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			src := corpus.Path(t, "dicom", c.file)
			var a *archived
			for i := range arch {
				if arch[i].path == src {
					a = &arch[i]
				}
			}
			if a == nil {
				t.Fatalf("%s is not in the archive", c.file)
			}
			ref := filepath.Join(t.TempDir(), "ref.dcm")
			run(t, c.decoder, src, ref)
			dir := t.TempDir()
			out := run(t, "getscu", "-v", "-S", "+xe", "+B", "-od", dir, "-aec", "YIGONG",
				"-k", "QueryRetrieveLevel=IMAGE",
				"-k", "StudyInstanceUID="+a.ds.Text(dicom.TagStudyInstanceUID),
				"-k", "SeriesInstanceUID="+a.ds.Text(dicom.TagSeriesInstanceUID),
				"-k", "SOPInstanceUID="+a.inst.SOPInstanceUID,
				host, strconv.Itoa(port))
			var got *part10.File
			for _, g := range storedFiles(t, dir) {
				if g.SOPInstanceUID != a.inst.SOPInstanceUID {
					continue
				}
				if g.TransferSyntax != uid.ExplicitVRLittleEndian {
					t.Fatalf("received in %s, want explicit VR little endian", uid.Name(g.TransferSyntax))
				}
				ds, err := part10.ReadDataset(bytes.NewReader(g.Data), uid.ExplicitLE(), nil)
				if err != nil {
					t.Fatal(err)
				}
				got = &part10.File{Dataset: ds, TransferSyntax: uid.ExplicitLE()}
			}
			if got == nil {
				t.Fatalf("nothing received:\n%s", out)
			}
			b, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			want, err := part10.Read(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatal(err)
			}
			gf, gim, err := codec.Frames(got.Dataset, got.TransferSyntax.UID)
			if err != nil {
				t.Fatal(err)
			}
			wf, wim, err := codec.Frames(want.Dataset, want.TransferSyntax.UID)
			if err != nil {
				t.Fatal(err)
			}
			if gim.Photometric != wim.Photometric || gim.Planar != wim.Planar || len(gf) != len(wf) {
				t.Fatalf("got %s planar %d × %d frames, dcmtk %s planar %d × %d", gim.Photometric, gim.Planar, len(gf), wim.Photometric, wim.Planar, len(wf))
			}
			for i := range wf {
				if c.tolerance == 0 {
					if !bytes.Equal(gf[i], wf[i]) {
						t.Fatalf("frame %d differs from %s's decoding", i+1, c.decoder)
					}
					continue
				}
				for k := range wf[i] {
					if d := int(gf[i][k]) - int(wf[i][k]); d > c.tolerance || d < -c.tolerance {
						t.Fatalf("frame %d byte %d: %d, %s says %d", i+1, k, gf[i][k], c.decoder, wf[i][k])
					}
				}
			}
		})
	}
}

// TestMovescuTranscodes: movescu moves an RLE-stored instance to a
// storescp that accepts only uncompressed syntaxes; it arrives in explicit
// VR little endian with the pixels dcmdrle decodes.
func TestMovescuTranscodes(t *testing.T) {
	t.Parallel()
	src := corpus.Path(t, "dicom", "MR_small_RLE.dcm")
	var a *archived
	for _, x := range loadArchive(t) {
		if x.path == src {
			a = &x
		}
	}
	if a == nil {
		t.Fatal("MR_small_RLE.dcm is not in the archive")
	}
	// Only the RLE instance: MR_small's other corpus files share its UID.
	scpAddr, dir := startStorescpWith(t, "+x=")
	host, port := startServer(t, retrieveServer([]archived{*a}, map[string]string{"STORESCP": scpAddr}))
	run(t, "movescu", "-S", "-aec", "YIGONG", "-aem", "STORESCP", "-k", "QueryRetrieveLevel=IMAGE",
		"-k", "StudyInstanceUID="+a.ds.Text(dicom.TagStudyInstanceUID),
		"-k", "SeriesInstanceUID="+a.ds.Text(dicom.TagSeriesInstanceUID),
		"-k", "SOPInstanceUID="+a.inst.SOPInstanceUID, host, strconv.Itoa(port))
	ref := filepath.Join(t.TempDir(), "ref.dcm")
	run(t, "dcmdrle", src, ref)
	b, _ := os.ReadFile(ref)
	want, err := part10.Read(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	wf, _, err := codec.Frames(want.Dataset, want.TransferSyntax.UID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range storedFiles(t, dir) {
		if g.SOPInstanceUID != a.inst.SOPInstanceUID {
			continue
		}
		if g.TransferSyntax == uid.RLELossless {
			t.Fatal("storescp received RLE it did not accept")
		}
		ts, _ := uid.LookupTransferSyntax(g.TransferSyntax)
		ds, err := part10.ReadDataset(bytes.NewReader(g.Data), ts, nil)
		if err != nil {
			t.Fatal(err)
		}
		gf, _, err := codec.Frames(ds, g.TransferSyntax)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(gf[0], wf[0]) {
			found = true
		}
	}
	if !found {
		t.Fatal("no instance with dcmdrle's pixels received")
	}
}
