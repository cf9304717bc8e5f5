package dicom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	"yigong/server"
	dicomsvc "yigong/server/dicom"
	"yigong/server/servertest"
)

const testTimeout = 3 * time.Minute

// file is one corpus file: its instance (data set bytes as stored) and
// parsed attributes.
type file struct {
	path string
	inst dnet.Instance
	ds   *dicom.Dataset
}

// dcmtkUnreadable: no_meta.dcm starts with stray bytes dcmtk takes for a tag.
var dcmtkUnreadable = map[string]bool{"no_meta.dcm": true}

func loadCorpus(t *testing.T) []file {
	t.Helper()
	var out []file
	err := filepath.WalkDir(corpus.Path(t, "dicom"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".dcm") || dcmtkUnreadable[d.Name()] {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := part10.Read(bytes.NewReader(b), &part10.Options{PixelData: part10.SkipPixelData})
		if err != nil {
			t.Logf("corpus: %s unreadable (%v): skipped", d.Name(), err)
			return nil
		}
		in, err := dnet.ReadInstance(b)
		if err != nil {
			t.Logf("corpus: %s: %v: skipped", d.Name(), err)
			return nil
		}
		out = append(out, file{path: p, inst: in, ds: f.Dataset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// proposeFlag is the storescu option proposing exactly a syntax.
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

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("dicom address %q: %v", addr, err)
	}
	return h, p
}

// writeFile writes ds as a Part 10 file in explicit VR little endian.
func writeFile(t *testing.T, dir, name string, ds *dicom.Dataset) string {
	t.Helper()
	var buf bytes.Buffer
	if err := part10.Write(&buf, &part10.File{Dataset: ds, TransferSyntax: uid.ExplicitLE()}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// synth builds a small secondary capture instance.
func synth(t *testing.T, cs, name, pid, study, series, sop string) *dicom.Dataset {
	t.Helper()
	ds := dicom.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if cs != "" {
		must(ds.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, cs))
	}
	must(ds.SetStrings(dicom.TagSOPClassUID, dicom.UI, uid.SecondaryCaptureImageStorage))
	must(ds.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, sop))
	must(ds.SetStrings(dicom.TagStudyInstanceUID, dicom.UI, study))
	must(ds.SetStrings(dicom.TagSeriesInstanceUID, dicom.UI, series))
	must(ds.SetStrings(dicom.TagStudyDate, dicom.DA, "20240315"))
	must(ds.SetStrings(dicom.TagModality, dicom.CS, "OT"))
	must(ds.SetStrings(dicom.TagPatientName, dicom.PN, name))
	must(ds.SetStrings(dicom.TagPatientID, dicom.LO, pid))
	must(ds.SetStrings(dicom.TagAccessionNumber, dicom.SH, "ACC-"+pid))
	must(ds.SetStrings(dicom.TagInstanceNumber, dicom.IS, "1"))
	return ds
}

// findscu runs a C-FIND and returns the responses.
func findscu(t *testing.T, addr string, model string, keys ...string) []*dicom.Dataset {
	t.Helper()
	findscu := peer.Require(t, "findscu")
	h, p := hostPort(t, addr)
	dir := t.TempDir()
	args := []string{model, "-aec", "YIGONG", "-X", "-od", dir}
	for _, k := range keys {
		args = append(args, "-k", k)
	}
	run(t, findscu, append(args, h, p)...)
	names, _ := filepath.Glob(filepath.Join(dir, "rsp*.dcm"))
	var out []*dicom.Dataset
	for _, n := range names {
		b, _ := os.ReadFile(n)
		f, err := part10.Read(bytes.NewReader(b), nil)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, f.Dataset)
	}
	return out
}

func get(t *testing.T, url string, accept string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// startStorescp runs dcmtk's storescp (all syntaxes, bit-preserving) on a
// free port, writing to a temp dir; the test's own process is killed at
// cleanup by its handle.
func startStorescp(t *testing.T, aet string) (addr, dir string) {
	t.Helper()
	storescp := peer.Require(t, "storescp")
	dir = t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, storescp, "+xa", "-pm", "+B", "+uf", "-aet", aet, "-od", dir, strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cancel(); <-exited })
	addr = "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, dir
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("storescp did not start")
	return "", ""
}

func storedInstances(t *testing.T, dir string) map[string]dnet.Instance {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	out := map[string]dnet.Instance{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		in, err := dnet.ReadInstance(b)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out[in.SOPInstanceUID] = in
	}
	return out
}

// sameBytes compares data set bytes; an odd (deflated) data set may come
// back with the trailing NUL PS3.5 §A.5 asks for.
func sameBytes(a, b []byte) bool {
	if len(a)%2 == 1 && len(b) == len(a)+1 && b[len(a)] == 0 {
		b = b[:len(a)]
	}
	if len(b)%2 == 1 && len(a) == len(b)+1 && a[len(b)] == 0 {
		a = a[:len(b)]
	}
	return bytes.Equal(a, b)
}

// stored returns the data set bytes the hub holds for an instance: what
// its C-STORE delivered (dcmtk re-encodes files as it sends them, so this
// is what retrieval must return byte for byte).
func stored(t *testing.T, hub *servertest.Hub, sop string) []byte {
	t.Helper()
	ctx := context.Background()
	id := dicom.New()
	_ = id.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, sop)
	recs, err := hub.DICOM().Instances(ctx, "", "IMAGE", id)
	if err != nil || len(recs) != 1 {
		t.Fatalf("instance %s: %v (%d rows)", sop, err, len(recs))
	}
	f, err := hub.DICOM().OpenBlob(ctx, recs[0].BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return b[dnet.DataSetOffset(b):]
}

// TestDcmtk boots a hub and drives it with dcmtk: echoscu, storescu of the
// whole corpus (each file in its own syntax), findscu at every level
// including 王*, movescu to a storescp and getscu (byte-identical), then
// the FHIR ImagingStudy; then DICOMweb over the same data.
func TestDcmtk(t *testing.T) {
	storescu := peer.Require(t, "storescu")
	echoscu := peer.Require(t, "echoscu")
	dstAddr, dstDir := startStorescp(t, "STORESCP")
	dh, dp := hostPort(t, dstAddr)
	dport, _ := strconv.Atoi(dp)
	hub := servertest.Start(t, func(c *server.Config) {
		c.DICOM.AllowAny = true
		c.DICOM.AEs = []dicomsvc.AE{{Title: "STORESCP", Host: dh, Port: dport}}
		c.Security.CORS = []string{viewerOrigin}
	})
	addr := hub.DICOMAddr()
	h, p := hostPort(t, addr)
	run(t, echoscu, "-aec", "YIGONG", h, p)

	// storescu of every corpus file, each proposed in its own syntax.
	files := loadCorpus(t)
	byTS := map[string][]string{}
	for _, f := range files {
		flag, ok := proposeFlag[f.inst.TransferSyntax]
		if !ok {
			t.Errorf("%s: no storescu flag for %s", f.path, f.inst.TransferSyntax)
			continue
		}
		byTS[flag] = append(byTS[flag], f.path)
	}
	flags := make([]string, 0, len(byTS))
	for flag := range byTS {
		flags = append(flags, flag)
	}
	slices.Sort(flags)
	for _, flag := range flags {
		run(t, storescu, append([]string{"-R", flag, "-nh", "-aec", "YIGONG", h, p}, byTS[flag]...)...)
	}
	// The first file sent with a SOP Instance UID is the one stored (a
	// second is answered Success and not stored again).
	first := map[string]file{}
	for _, flag := range flags {
		for _, pth := range byTS[flag] {
			for _, f := range files {
				if f.path == pth {
					if _, ok := first[f.inst.SOPInstanceUID]; !ok {
						first[f.inst.SOPInstanceUID] = f
					}
				}
			}
		}
	}

	// A name in three groups and the GB18030 trap (璡 ends in 0x5C).
	dir := t.TempDir()
	run(t, storescu, "-aec", "YIGONG", h, p,
		writeFile(t, dir, "wang.dcm", synth(t, "ISO_IR 192", "Wang^XiaoDong=王^小东=", "WANG1", "2.25.100", "2.25.100.1", "2.25.100.1.1")),
		writeFile(t, dir, "zhang.dcm", synth(t, "GB18030", "张^璡", "GB1", "2.25.200", "2.25.200.1", "2.25.200.1.1")))

	studies := map[string]bool{}
	for _, f := range files {
		studies[f.ds.Text(dicom.TagStudyInstanceUID)] = true
	}
	t.Run("find", func(t *testing.T) {
		got := findscu(t, addr, "-S", "QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName")
		if len(got) != len(studies)+2 {
			t.Errorf("STUDY level: %d studies, want %d", len(got), len(studies)+2)
		}
		if got := findscu(t, addr, "-S", "QueryRetrieveLevel=IMAGE", "SOPInstanceUID"); len(got) != len(first)+2 {
			t.Errorf("IMAGE level: %d instances, want every distinct corpus instance (%d) and two more", len(got), len(first))
		}
		got = findscu(t, addr, "-S", "SpecificCharacterSet=ISO_IR 192", "QueryRetrieveLevel=STUDY", "PatientName=王*", "StudyInstanceUID")
		// The corpus has two more: chrX1 (王^小東, UTF-8) and chrX2 (GB18030).
		found := false
		for _, g := range got {
			pn, _ := g.PersonName(dicom.TagPatientName)
			if pn.Ideographic.Family != "王" || pn.Alphabetic.Given != "XiaoDong" {
				t.Errorf("王*: matched %+v", pn)
			}
			found = found || g.Text(dicom.TagStudyInstanceUID) == "2.25.100"
		}
		if !found || len(got) != 3 {
			t.Fatalf("王*: %d matches, want Wang^XiaoDong=王^小东= and the corpus' chrX1, chrX2", len(got))
		}
		if got := findscu(t, addr, "-S", "QueryRetrieveLevel=STUDY", "PatientName=wang^x*", "StudyInstanceUID"); len(got) != 3 {
			t.Errorf("wang^x* (case-insensitive alphabetic): %d matches", len(got))
		}
		if got := findscu(t, addr, "-P", "QueryRetrieveLevel=PATIENT", "PatientID=WANG1", "PatientName", "NumberOfPatientRelatedStudies"); len(got) != 1 || got[0].Text(0x00201200) != "1" {
			t.Errorf("PATIENT level: %d matches", len(got))
		}
		if got := findscu(t, addr, "-S", "QueryRetrieveLevel=STUDY", "StudyDate=20240301-20240331", "StudyInstanceUID"); len(got) != 2 {
			t.Errorf("date range: %d matches, want 2", len(got))
		}
		if got := findscu(t, addr, "-S", "QueryRetrieveLevel=SERIES", "StudyInstanceUID=2.25.100", "SeriesInstanceUID", "Modality=OT", "NumberOfSeriesRelatedInstances"); len(got) != 1 || got[0].Text(0x00201209) != "1" {
			t.Errorf("SERIES level: %d matches", len(got))
		}
		if got := findscu(t, addr, "-S", "QueryRetrieveLevel=IMAGE", "StudyInstanceUID=2.25.100\\2.25.200", "SeriesInstanceUID", "SOPInstanceUID"); len(got) != 2 {
			t.Errorf("IMAGE level by UID list: %d matches", len(got))
		}
		got = findscu(t, addr, "-S", "QueryRetrieveLevel=STUDY", "PatientID=GB1", "PatientName")
		if len(got) != 1 {
			t.Fatalf("GB18030 patient: %d", len(got))
		}
		if pn, _ := got[0].PersonName(dicom.TagPatientName); pn.Alphabetic.Family != "张" || pn.Alphabetic.Given != "璡" {
			t.Errorf("GB18030 name came back as %+v", pn)
		}
	})

	t.Run("move", func(t *testing.T) {
		movescu := peer.Require(t, "movescu")
		for s := range studies {
			run(t, movescu, "-S", "-aec", "YIGONG", "-aem", "STORESCP", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID="+s, h, p)
		}
		got := storedInstances(t, dstDir)
		for u, f := range first {
			g, ok := got[u]
			if !ok || g.TransferSyntax != f.inst.TransferSyntax || !sameBytes(stored(t, hub, u), g.Data) {
				t.Errorf("%s: not moved byte-identical (received %v)", filepath.Base(f.path), ok)
			}
		}
	})

	t.Run("get", func(t *testing.T) {
		getscu := peer.Require(t, "getscu")
		getFlag := map[string]string{uid.ExplicitVRLittleEndian: "+xe", uid.ExplicitVRBigEndian: "+xb",
			uid.DeflatedExplicitVRLittleEndian: "+xd", "1.2.840.10008.1.2.4.50": "+xy", "1.2.840.10008.1.2.4.51": "+xx",
			"1.2.840.10008.1.2.4.70": "+xs", "1.2.840.10008.1.2.4.80": "+xt", "1.2.840.10008.1.2.4.90": "+xv",
			"1.2.840.10008.1.2.4.91": "+xw", "1.2.840.10008.1.2.5": "+xr"}
		for u, f := range first {
			flag, ok := getFlag[f.inst.TransferSyntax]
			if !ok { // getscu cannot propose implicit VR LE for storage
				continue
			}
			dir := t.TempDir()
			run(t, getscu, "-S", flag, "+B", "-od", dir, "-aec", "YIGONG", "-k", "QueryRetrieveLevel=IMAGE",
				"-k", "StudyInstanceUID="+f.ds.Text(dicom.TagStudyInstanceUID), "-k", "SOPInstanceUID="+u, h, p)
			g, ok := storedInstances(t, dir)[u]
			if !ok || !sameBytes(stored(t, hub, u), g.Data) {
				t.Errorf("%s: not retrieved byte-identical by C-GET", filepath.Base(f.path))
			}
		}
	})

	t.Run("fhir", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := hub.DICOM().SyncNow(ctx); err != nil {
			t.Fatal(err)
		}
		code, _, body := get(t, hub.URL("/fhir/ImagingStudy?identifier=urn:dicom:uid|urn:oid:2.25.100"), "application/fhir+json")
		if code != http.StatusOK {
			t.Fatalf("search ImagingStudy: %d %s", code, body)
		}
		var b struct {
			Entry []struct {
				Resource struct {
					NumberOfSeries, NumberOfInstances int
					Subject                           struct{ Reference string }
					Series                            []struct{ Instance []struct{ UID string } }
				}
			}
		}
		if err := json.Unmarshal(body, &b); err != nil || len(b.Entry) != 1 {
			t.Fatalf("ImagingStudy search: %v %s", err, body)
		}
		is := b.Entry[0].Resource
		if is.NumberOfSeries != 1 || is.NumberOfInstances != 1 || len(is.Series) != 1 || !strings.HasPrefix(is.Subject.Reference, "Patient/") {
			t.Fatalf("ImagingStudy: %s", body)
		}
		code, _, body = get(t, hub.URL("/fhir/"+is.Subject.Reference), "application/fhir+json")
		if code != http.StatusOK || !strings.Contains(string(body), "小东") || !strings.Contains(string(body), "XiaoDong") || !strings.Contains(string(body), "WANG1") {
			t.Fatalf("Patient: %d %s", code, body)
		}
	})

	testDICOMweb(t, hub, first)
}
