package net_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"yigong/conformance/peer"
	"yigong/dicom"
	"yigong/dicom/codec"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// startStorescp runs dcmtk's storescp (accept all syntaxes, promiscuous,
// bit-preserving, unique file names) on a free port, writing to a temp dir.
func startStorescp(t *testing.T) (addr, dir string) {
	t.Helper()
	return startStorescpWith(t, "+xa")
}

// startStorescpWith runs storescp with a transfer syntax option ("+xa" all,
// "+x=" uncompressed only, its default).
func startStorescpWith(t *testing.T, syntaxes string) (addr, dir string) {
	t.Helper()
	storescp := peer.Require(t, "storescp")
	dir = t.TempDir()
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, storescp, syntaxes, "-pm", "+B", "+uf", "-aet", "STORESCP", "-od", dir, strconv.Itoa(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel() // kills the storescp this test started, by its own handle
		<-exited
		if t.Failed() {
			t.Logf("storescp output:\n%s", out.String())
		}
	})
	addr = "127.0.0.1:" + strconv.Itoa(port)
	waitListening(t, addr, exited)
	return addr, dir
}

// storedFiles reads the files a storescp wrote: transfer syntax and data
// set bytes as received.
func storedFiles(t *testing.T, dir string) []dnet.Instance {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	var out []dnet.Instance
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		in, err := dnet.ReadInstance(b)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, in)
	}
	return out
}

// checkIdentical checks that every archived instance was received with
// its transfer syntax and exactly its data set bytes.
func checkIdentical(t *testing.T, want []archived, got []dnet.Instance) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("received %d instances, want %d", len(got), len(want))
	}
	for _, a := range want {
		found := false
		for _, g := range got {
			if g.SOPInstanceUID == a.inst.SOPInstanceUID && g.TransferSyntax == a.inst.TransferSyntax && sameBytes(a.inst.Data, g.Data) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s (%s): not received byte-identical", filepath.Base(a.path), uid.Name(a.inst.TransferSyntax))
		}
	}
}

// sameBytes compares data set bytes; an odd (deflated) data set is sent
// with the trailing NUL PS3.5 §A.5 asks for.
func sameBytes(file, got []byte) bool {
	if len(file)%2 == 1 && len(got) == len(file)+1 && got[len(file)] == 0 {
		got = got[:len(file)]
	}
	return bytes.Equal(file, got)
}

func retrieveServer(arch []archived, dest map[string]string) *dnet.Server {
	h := func(ctx context.Context, req *dnet.QueryRequest) ([]dnet.Instance, dimse.Status) {
		return archiveRetrieve(arch, req.Identifier), dimse.Success
	}
	return &dnet.Server{
		AETitle: "YIGONG",
		Move: dnet.MoveHandlerFunc(func(ctx context.Context, req *dnet.MoveRequest) ([]dnet.Instance, dimse.Status) {
			return h(ctx, &req.QueryRequest)
		}),
		Get: dnet.GetHandlerFunc(h),
		Destinations: dnet.AEResolverFunc(func(ctx context.Context, aet string) (string, error) {
			return dest[aet], nil
		}),
	}
}

// TestMovescuToStorescp: movescu asks our SCP to move each study to
// dcmtk's storescp; storescp (+B, bit-preserving) must hold every corpus
// instance byte-identical, whatever its transfer syntax.
func TestMovescuToStorescp(t *testing.T) {
	t.Parallel()
	movescu := peer.Require(t, "movescu")
	arch := loadArchive(t)
	scpAddr, dir := startStorescp(t)
	host, port := startServer(t, retrieveServer(arch, map[string]string{"STORESCP": scpAddr}))
	studies := map[string]bool{}
	for _, a := range arch {
		studies[a.ds.Text(dicom.TagStudyInstanceUID)] = true
	}
	for s := range studies {
		run(t, movescu, "-S", "-aec", "YIGONG", "-aem", "STORESCP", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID="+s, host, strconv.Itoa(port))
	}
	checkIdentical(t, arch, storedFiles(t, dir))

	// An unknown destination is refused with A801.
	out, err := execOut(movescu, "-v", "-S", "-aec", "YIGONG", "-aem", "NOWHERE", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3", host, strconv.Itoa(port))
	if err == nil || !bytes.Contains([]byte(out), []byte("MoveDestinationUnknown")) {
		t.Errorf("move to unknown AE: %v\n%s", err, out)
	}
}

// getscuFlag is the getscu option that proposes a file's syntax for the
// storage sub-operations (getscu proposes one preferred syntax plus the
// uncompressed ones).
var getscuFlag = map[string]string{
	uid.ImplicitVRLittleEndian:         "+xi",
	uid.ExplicitVRLittleEndian:         "+xe",
	uid.ExplicitVRBigEndian:            "+xb",
	uid.DeflatedExplicitVRLittleEndian: "+xd",
	"1.2.840.10008.1.2.4.50":           "+xy",
	"1.2.840.10008.1.2.4.51":           "+xx",
	"1.2.840.10008.1.2.4.70":           "+xs",
	"1.2.840.10008.1.2.4.80":           "+xt",
	"1.2.840.10008.1.2.4.90":           "+xv",
	"1.2.840.10008.1.2.4.91":           "+xw",
	"1.2.840.10008.1.2.5":              "+xr",
}

// TestGetscu: getscu retrieves each corpus instance with C-GET; the
// C-STORE sub-operations come back on the same association, and the files
// getscu writes (+B) hold the data sets byte-identical. getscu proposes
// one context per storage class, [preferred, explicit LE, explicit BE];
// the preferred syntax comes from the flag matching each file's syntax.
// getscu 3.6.7 has no way to propose implicit VR little endian for
// storage (+xi proposes explicit LE only), so implicit instances come
// back converted to explicit VR little endian: the data set the codec
// writes, with the same pixel data.
func TestGetscu(t *testing.T) {
	t.Parallel()
	getscu := peer.Require(t, "getscu")
	arch := loadArchive(t)
	host, port := startServer(t, retrieveServer(arch, nil))
	for _, a := range arch {
		flag, ok := getscuFlag[a.inst.TransferSyntax]
		if !ok {
			t.Errorf("no getscu flag for %s", a.inst.TransferSyntax)
			continue
		}
		t.Run(filepath.Base(a.path), func(t *testing.T) {
			dir := t.TempDir()
			out := run(t, getscu, "-v", "-S", flag, "+B", "-od", dir, "-aec", "YIGONG",
				"-k", "QueryRetrieveLevel=IMAGE",
				"-k", "StudyInstanceUID="+a.ds.Text(dicom.TagStudyInstanceUID),
				"-k", "SeriesInstanceUID="+a.ds.Text(dicom.TagSeriesInstanceUID),
				"-k", "SOPInstanceUID="+a.inst.SOPInstanceUID,
				host, strconv.Itoa(port))
			got := storedFiles(t, dir)
			if a.inst.TransferSyntax == uid.ImplicitVRLittleEndian {
				want, err := codec.TranscodeDataSet(a.inst.Data, uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian)
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range got {
					if g.TransferSyntax == uid.ExplicitVRLittleEndian && g.SOPInstanceUID == a.inst.SOPInstanceUID && bytes.Equal(g.Data, want) {
						return
					}
				}
				t.Fatalf("implicit VR instance not received converted to explicit VR little endian:\n%s", out)
			}
			for _, g := range got {
				if g.TransferSyntax != a.inst.TransferSyntax {
					continue
				}
				// getscu names files by SOP instance UID: another corpus
				// file with this UID (no_meta.dcm is CT_small's data set,
				// MR_small_implicit is MR_small), sent as stored or
				// converted, may have overwritten this one.
				for _, b := range arch {
					if b.inst.SOPInstanceUID != a.inst.SOPInstanceUID {
						continue
					}
					if b.inst.TransferSyntax == g.TransferSyntax && sameBytes(b.inst.Data, g.Data) {
						return
					}
					if conv, err := codec.TranscodeDataSet(b.inst.Data, b.inst.TransferSyntax, g.TransferSyntax); err == nil && bytes.Equal(conv, g.Data) {
						return
					}
				}
			}
			t.Fatalf("not received byte-identical in %s:\n%s", uid.Name(a.inst.TransferSyntax), out)
		})
	}
}

func dedupe(in []dnet.Instance) []dnet.Instance {
	var out []dnet.Instance
	for _, x := range in {
		dup := false
		for _, y := range out {
			if x.SOPInstanceUID == y.SOPInstanceUID && x.TransferSyntax == y.TransferSyntax && bytes.Equal(x.Data, y.Data) {
				dup = true
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

// TestClientStoreToStorescp: our SCU sends every readable corpus file
// (no_meta.dcm included) to storescp as stored; storescp (+B) holds them
// byte-identical.
func TestClientStoreToStorescp(t *testing.T) {
	t.Parallel()
	arch := loadArchive(t)
	addr, dir := startStorescp(t)
	var props []dnet.Proposal
	seen := map[[2]string]bool{}
	for _, a := range arch {
		k := [2]string{a.inst.SOPClassUID, a.inst.TransferSyntax}
		if !seen[k] {
			seen[k] = true
			props = append(props, dnet.Proposal{AbstractSyntax: k[0], TransferSyntaxes: []string{k[1]}})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := dnet.Dial(ctx, addr, dnet.ClientConfig{CalledAE: "STORESCP", Contexts: props})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Echo(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range arch {
		st, err := c.Store(ctx, a.inst)
		if err != nil || !st.IsSuccess() {
			t.Errorf("%s: %v %v", filepath.Base(a.path), st, err)
		}
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	checkIdentical(t, arch, storedFiles(t, dir))
}

// TestClientStoreNoContext: an instance whose syntax was not accepted, and
// that the codec cannot convert (JPEG 2000), fails clearly.
func TestClientStoreNoContext(t *testing.T) {
	t.Parallel()
	rec := &recorder{dir: t.TempDir()}
	srv := &dnet.Server{Store: rec, PreferTransferSyntaxes: nil}
	c := pipeClient(t, srv, []dnet.Proposal{{AbstractSyntax: uid.CTImageStorage}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := c.Store(ctx, dnet.Instance{SOPClassUID: uid.CTImageStorage, SOPInstanceUID: "1.2.3", TransferSyntax: "1.2.840.10008.1.2.4.90", Data: []byte{}})
	if !errors.Is(err, dnet.ErrNoContext) {
		t.Fatalf("Store in an unaccepted syntax: %v", err)
	}
	// The association is still usable.
	ds := dicom.New()
	_ = ds.SetStrings(dicom.TagSOPClassUID, dicom.UI, uid.CTImageStorage)
	_ = ds.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, "1.2.3")
	var buf bytes.Buffer
	_ = part10.WriteDataset(&buf, ds, uid.ExplicitLE())
	if st, err := c.Store(ctx, dnet.Instance{SOPClassUID: uid.CTImageStorage, SOPInstanceUID: "1.2.3", TransferSyntax: uid.ExplicitVRLittleEndian, Data: buf.Bytes()}); err != nil || !st.IsSuccess() {
		t.Fatalf("Store: %v %v", st, err)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.list()); n != 1 {
		t.Fatalf("stored %d", n)
	}
}
