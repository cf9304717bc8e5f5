package dicom_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	"yigong/server"
	"yigong/server/servertest"
)

// stowBody builds a STOW-RS multipart/related body of files.
func stowBody(t *testing.T, files [][]byte) (body []byte, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range files {
		pw, err := mw.CreatePart(map[string][]string{"Content-Type": {"application/dicom"}})
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(f)
	}
	mw.Close()
	return b.Bytes(), `multipart/related; type="application/dicom"; boundary=` + mw.Boundary()
}

func stowPost(t *testing.T, hub *servertest.Hub, body []byte, contentType string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, hub.URL("/dicomweb/studies"), bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/dicom+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, rb
}

// TestSTOWStream: a STOW-RS request's parts are prepared while the body is
// still read, and their buffers reused; every stored instance must come
// back from WADO-RS byte for byte (parts of growing and shrinking sizes,
// so that a later part lands in an earlier part's larger buffer), a part
// that is no DICOM file fails alone, and a body cut short is refused
// while the complete parts before the cut are kept, so its resend stores
// each instance once.
func TestSTOWStream(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t, func(c *server.Config) { c.Security.CORS = []string{viewerOrigin} })
	const n = 24
	var files [][]byte
	var sops []string
	for i := range n {
		sop := fmt.Sprintf("2.25.8100.1.%d", i)
		ds := synth(t, "", "Stow^Stream", "STOWS", "2.25.8100", "2.25.8100.1", sop)
		size := []int{1000, 200_000, 40_000, 90_000, 3}[i%5] + i
		pix := make([]byte, size+size%2)
		for k := range pix {
			pix[k] = byte(k*31 + i)
		}
		if err := ds.SetBytes(dicom.TagPixelData, dicom.OB, pix); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := part10.Write(&buf, &part10.File{Dataset: ds, TransferSyntax: uid.ExplicitLE()}); err != nil {
			t.Fatal(err)
		}
		files = append(files, buf.Bytes())
		sops = append(sops, sop)
	}
	// A part that is no DICOM file, in the middle.
	withJunk := append(append(append([][]byte{}, files[:10]...), []byte("not a DICOM file")), files[10:]...)

	// Cut short inside the 6th part: refused; parts 1-5 stored.
	body, ct := stowBody(t, withJunk)
	cut := bytes.Index(body, files[5]) + len(files[5])/2
	if code, rb := stowPost(t, hub, body[:cut], ct); code != http.StatusBadRequest {
		t.Fatalf("cut body: %d %s, want 400", code, rb)
	}
	if got := qido(t, hub, "/studies/2.25.8100/series/2.25.8100.1/instances"); len(got) != 5 {
		t.Fatalf("after the cut body: %d instances, want the 5 complete parts", len(got))
	}

	code, rb := stowPost(t, hub, body, ct)
	if code != http.StatusAccepted {
		t.Fatalf("STOW-RS: %d %s, want 202 (one failed part)", code, rb)
	}
	var resp map[string]struct{ Value []map[string]json.RawMessage }
	if err := json.Unmarshal(rb, &resp); err != nil {
		t.Fatalf("STOW-RS answer: %v\n%s", err, rb)
	}
	if ok, failed := len(resp["00081199"].Value), len(resp["00081198"].Value); ok != n || failed != 1 {
		t.Fatalf("STOW-RS answer: %d stored, %d failed; want %d and 1\n%s", ok, failed, n, rb)
	}
	if got := qido(t, hub, "/studies/2.25.8100/series/2.25.8100.1/instances"); len(got) != n {
		t.Fatalf("after the resend: %d instances, want %d", len(got), n)
	}
	for i, sop := range sops {
		code, hd, body := get(t, hub.URL("/dicomweb/studies/2.25.8100/series/2.25.8100.1/instances/"+sop),
			`multipart/related; type="application/dicom"; transfer-syntax=*`)
		if code != http.StatusOK {
			t.Fatalf("WADO-RS %s: %d", sop, code)
		}
		ps := parts(t, hd, body)
		if len(ps) != 1 {
			t.Fatalf("WADO-RS %s: %d parts", sop, len(ps))
		}
		got, err := dnet.ReadInstance(ps[0])
		if err != nil {
			t.Fatal(err)
		}
		want, _ := dnet.ReadInstance(files[i])
		if !bytes.Equal(got.Data, want.Data) {
			t.Errorf("instance %d (%s): stored data set differs from the sent one (%d bytes, sent %d)", i, sop, len(got.Data), len(want.Data))
		}
	}
}
