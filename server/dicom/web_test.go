package dicom_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/peer"
	"yigong/dicom"
	"yigong/dicom/codec"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	"yigong/server/servertest"
)

type dicomJSON []map[string]struct {
	VR          string
	Value       []json.RawMessage
	BulkDataURI string
}

// viewerOrigin is the web viewer's origin that TestDcmtk's hub allows.
const viewerOrigin = "https://viewer.example.cn"

func qido(t *testing.T, hub *servertest.Hub, path string) dicomJSON {
	t.Helper()
	// As a viewer page on an allowlisted origin (security.cors) asks.
	req, _ := http.NewRequest(http.MethodGet, hub.URL("/dicomweb"+path), nil)
	req.Header.Set("Accept", "application/dicom+json")
	req.Header.Set("Origin", viewerOrigin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != viewerOrigin {
		t.Errorf("GET %s: Access-Control-Allow-Origin %q, want %q", path, got, viewerOrigin)
	}
	var out dicomJSON
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
	return out
}

func parts(t *testing.T, hd http.Header, body []byte) [][]byte {
	t.Helper()
	mt, params, err := mime.ParseMediaType(hd.Get("Content-Type"))
	if err != nil || mt != "multipart/related" {
		t.Fatalf("content type %q", hd.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out [][]byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, b)
	}
}

// testDICOMweb runs QIDO-RS, WADO-RS, STOW-RS and WADO-URI against the
// hub that TestDcmtk filled.
func testDICOMweb(t *testing.T, hub *servertest.Hub, first map[string]file) {
	var ct file
	for _, f := range first {
		if filepath.Base(f.path) == "CT_small.dcm" {
			ct = f
		}
	}
	study, series, sop := ct.ds.Text(dicom.TagStudyInstanceUID), ct.ds.Text(dicom.TagSeriesInstanceUID), ct.inst.SOPInstanceUID
	inst := "/studies/" + study + "/series/" + series + "/instances/" + sop

	t.Run("qido", func(t *testing.T) {
		got := qido(t, hub, "/studies?PatientID=WANG1")
		if len(got) != 1 || !strings.Contains(string(got[0]["00100010"].Value[0]), `"Ideographic":"王^小东"`) {
			t.Fatalf("by PatientID: %+v", got)
		}
		if got := qido(t, hub, "/studies?PatientName=%E7%8E%8B*"); len(got) != 3 {
			t.Errorf("PatientName=%%E7%%8E%%8B* (王*): %d studies, want 3", len(got))
		}
		if got := qido(t, hub, "/studies?PatientName=%E7%8E%8B*&limit=1&offset=1"); len(got) != 1 {
			t.Errorf("limit/offset: %d", len(got))
		}
		if got := qido(t, hub, "/studies/2.25.100/series"); len(got) != 1 || got[0]["00201209"].Value == nil {
			t.Errorf("series list: %+v", got)
		}
		if got := qido(t, hub, "/studies/2.25.100/series/2.25.100.1/instances"); len(got) != 1 {
			t.Errorf("instance list: %d", len(got))
		}
		if got := qido(t, hub, "/instances?SOPInstanceUID="+sop+"&includefield=all"); len(got) != 1 || got[0]["00280010"].Value == nil {
			t.Errorf("includefield=all: %+v", got)
		}
		// The GB18030 trap: 张^璡 (璡 = AD 5C) comes back whole, as UTF-8.
		got = qido(t, hub, "/studies?PatientID=GB1")
		if len(got) != 1 || !strings.Contains(string(got[0]["00100010"].Value[0]), `"Alphabetic":"张^璡"`) {
			t.Errorf("GB18030 name: %s", got[0]["00100010"].Value)
		}
	})

	t.Run("wado", func(t *testing.T) {
		code, hd, body := get(t, hub.URL("/dicomweb"+inst), `multipart/related; type="application/dicom"; transfer-syntax=*`)
		if code != http.StatusOK {
			t.Fatalf("WADO-RS instance: %d %s", code, body)
		}
		ps := parts(t, hd, body)
		if len(ps) != 1 || !bytes.Equal(ps[0][dnet.DataSetOffset(ps[0]):], stored(t, hub, sop)) {
			t.Fatalf("WADO-RS instance not byte-identical")
		}
		code, hd, body = get(t, hub.URL("/dicomweb/studies/"+study), `multipart/related; type="application/dicom"`)
		if code != http.StatusOK || len(parts(t, hd, body)) == 0 {
			t.Errorf("WADO-RS study: %d", code)
		}
		md := qido(t, hub, inst+"/metadata")
		uri := md[0]["7FE00010"].BulkDataURI
		if len(md) != 1 || uri == "" {
			t.Fatalf("metadata: %+v", md)
		}
		code, hd, body = get(t, uri, "multipart/related; type=\"application/octet-stream\"")
		if code != http.StatusOK || len(parts(t, hd, body)[0]) != 128*128*2 {
			t.Errorf("bulk data: %d", code)
		}
		code, hd, body = get(t, hub.URL("/dicomweb"+inst+"/frames/1"), "multipart/related; type=\"application/octet-stream\"")
		if code != http.StatusOK || len(parts(t, hd, body)[0]) != 128*128*2 {
			t.Errorf("frame 1: %d", code)
		}
		code, _, body = get(t, hub.URL("/dicomweb"+inst+"/rendered?window=40,400"), "image/png")
		if code != http.StatusOK {
			t.Fatalf("rendered: %d %s", code, body)
		}
		if img, err := png.Decode(bytes.NewReader(body)); err != nil || img.Bounds().Dx() != 128 {
			t.Errorf("rendered PNG: %v", err)
		}
		code, _, body = get(t, hub.URL("/dicomweb/wado?requestType=WADO&studyUID="+study+"&seriesUID="+series+"&objectUID="+sop+"&contentType=application/dicom"), "")
		if code != http.StatusOK || !bytes.Equal(body[dnet.DataSetOffset(body):], stored(t, hub, sop)) {
			t.Errorf("WADO-URI: %d", code)
		}
		// Transcoding to implicit VR little endian on request.
		code, hd, body = get(t, hub.URL("/dicomweb"+inst), `multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2`)
		if code != http.StatusOK {
			t.Fatalf("transcode: %d %s", code, body)
		}
		in, err := dnet.ReadInstance(parts(t, hd, body)[0])
		if err != nil || in.TransferSyntax != "1.2.840.10008.1.2" {
			t.Errorf("transcoded: %v %s", err, in.TransferSyntax)
		}
	})

	t.Run("transcode", func(t *testing.T) { testWADOTranscode(t, hub, first) })

	t.Run("stow", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "stow.dcm", synth(t, "ISO_IR 192", "Li^Si=李^四=", "STOW1", "2.25.300", "2.25.300.1", "2.25.300.1.1"))
		b, _ := os.ReadFile(p)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		pw, _ := mw.CreatePart(map[string][]string{"Content-Type": {"application/dicom"}})
		pw.Write(b)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, hub.URL("/dicomweb/studies"), &body)
		req.Header.Set("Content-Type", `multipart/related; type="application/dicom"; boundary=`+mw.Boundary())
		req.Header.Set("Accept", "application/dicom+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(rb), "00081199") {
			t.Fatalf("STOW-RS: %d %s", resp.StatusCode, rb)
		}
		if got := qido(t, hub, "/studies?PatientName=%E6%9D%8E*"); len(got) != 1 {
			t.Errorf("QIDO after STOW-RS: %d", len(got))
		}
	})
}

// testWADOTranscode: WADO-RS converts RLE- and JPEG-stored instances to
// explicit VR little endian on request (pixels as dcmdrle/dcmdjpeg decode
// them: RLE exactly, JPEG within two units), native ones to RLE (which
// dcmdrle decodes back to the stored pixels), decodes frames for an
// application/octet-stream Accept, and renders compressed data.
func testWADOTranscode(t *testing.T, hub *servertest.Hub, first map[string]file) {
	dcmdrle, dcmdjpeg := peer.Require(t, "dcmdrle"), peer.Require(t, "dcmdjpeg")
	path := func(f file) string {
		return "/dicomweb/studies/" + f.ds.Text(dicom.TagStudyInstanceUID) + "/series/" + f.ds.Text(dicom.TagSeriesInstanceUID) + "/instances/" + f.inst.SOPInstanceUID
	}
	// fetch asks for one instance in ts and returns its native frames.
	fetch := func(t *testing.T, f file, ts string) ([][]byte, codec.Image, []byte) {
		t.Helper()
		code, hd, body := get(t, hub.URL(path(f)), `multipart/related; type="application/dicom"; transfer-syntax=`+ts)
		if code != http.StatusOK {
			t.Fatalf("WADO-RS in %s: %d %s", ts, code, body)
		}
		p := parts(t, hd, body)[0]
		pf, err := part10.Read(bytes.NewReader(p), nil)
		if err != nil || pf.TransferSyntax.UID != ts {
			t.Fatalf("WADO-RS in %s: %v, got %s", ts, err, pf.TransferSyntax.UID)
		}
		fr, im, err := codec.Frames(pf.Dataset, ts)
		if err != nil {
			t.Fatal(err)
		}
		return fr, im, p
	}
	// reference decodes a file with dcmtk and returns its native frames.
	reference := func(t *testing.T, tool string, file []byte) [][]byte {
		t.Helper()
		dir := t.TempDir()
		in, out := filepath.Join(dir, "in.dcm"), filepath.Join(dir, "out.dcm")
		if err := os.WriteFile(in, file, 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(tool, in, out).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tool, err, b)
		}
		b, _ := os.ReadFile(out)
		pf, err := part10.Read(bytes.NewReader(b), nil)
		if err != nil {
			t.Fatal(err)
		}
		fr, _, err := codec.Frames(pf.Dataset, pf.TransferSyntax.UID)
		if err != nil {
			t.Fatal(err)
		}
		return fr
	}
	near := func(a, b []byte, tol int) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if d := int(a[i]) - int(b[i]); d > tol || d < -tol {
				return false
			}
		}
		return true
	}
	seen := 0
	for _, f := range first {
		var tool string
		tol := 0
		switch f.inst.TransferSyntax {
		case uid.RLELossless:
			tool = dcmdrle
		case uid.JPEGBaseline8Bit:
			tool, tol = dcmdjpeg, 2
		default:
			continue
		}
		seen++
		t.Run(filepath.Base(f.path), func(t *testing.T) {
			file, _ := os.ReadFile(f.path)
			want := reference(t, tool, file)
			got, _, _ := fetch(t, f, uid.ExplicitVRLittleEndian)
			if len(got) != len(want) {
				t.Fatalf("%d frames, want %d", len(got), len(want))
			}
			for i := range want {
				if !near(got[i], want[i], tol) {
					t.Errorf("frame %d differs from %s's decoding", i+1, filepath.Base(tool))
				}
			}
			code, hd, body := get(t, hub.URL(path(f)+"/frames/1"), `multipart/related; type="application/octet-stream"`)
			if code != http.StatusOK || !near(parts(t, hd, body)[0], want[0], tol) {
				t.Errorf("frame 1 as octet-stream: %d", code)
			}
			code, _, body = get(t, hub.URL(path(f)+"/rendered"), "image/png")
			if img, err := png.Decode(bytes.NewReader(body)); code != http.StatusOK || err != nil || img.Bounds().Dx() == 0 {
				t.Errorf("rendered: %d %v", code, err)
			}
		})
	}
	if seen < 2 {
		t.Errorf("only %d RLE/JPEG instances in the hub", seen)
	}
	for _, f := range first {
		if filepath.Base(f.path) != "CT_small.dcm" {
			continue
		}
		orig, _, _ := fetch(t, f, uid.ExplicitVRLittleEndian)
		_, _, rle := fetch(t, f, uid.RLELossless)
		if back := reference(t, dcmdrle, rle); !bytes.Equal(back[0], orig[0]) {
			t.Errorf("CT_small as RLE: dcmdrle decodes other pixels")
		}
		code, _, _ := get(t, hub.URL(path(f)), `multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.90`)
		if code != http.StatusNotAcceptable {
			t.Errorf("CT_small as JPEG 2000: %d, want 406", code)
		}
	}
}
