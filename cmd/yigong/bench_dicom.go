package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// cmdBench runs a benchmark suite: `yigong bench dicom`.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "dicom" {
		return fmt.Errorf("%w: yigong bench dicom [flags]", errUsage)
	}
	fs := flag.NewFlagSet("bench dicom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ct := fs.String("ct", "../shared/corpus/dicom/CT_small.dcm", "the CT `file` repeated with new SOP Instance UIDs")
	n := fs.Int("n", 12000, "CT instances stored on one association (then RSS is read)")
	slices := fs.Int("slices", 400, "0.5 MB slices stored over four associations")
	stow := fs.Int("stow", 1000, "instances sent by STOW-RS (requests of 50)")
	orthanc := fs.Bool("orthanc", true, "run the same workload against Orthanc (Debian orthanc, orthanc-dicomweb)")
	keep := fs.Bool("keep", false, "keep the data folders")
	serverProfile := fs.String("server-cpuprofile", "", "write a CPU profile of the yigong server's whole run to `file`")
	memDetail := fs.Bool("memdetail", false, "print each server's largest resident mappings (from /proc/PID/smaps) when RSS is read")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	raw, err := os.ReadFile(*ct)
	if err != nil {
		return err
	}
	w := newWorkload(raw, *n, *slices, *stow)
	sliceKiB := 0
	if len(w.slices) > 0 {
		sliceKiB = len(w.slices[0].Data) >> 10
	}
	fmt.Fprintf(stderr, "bench: %d CT instances (%d KiB), %d slices (%d KiB), %d STOW-RS instances\n",
		*n, len(w.ct[0].Data)>>10, len(w.slices), sliceKiB, *stow)
	targets := []func(ctx context.Context, dir string) (*target, error){func(ctx context.Context, dir string) (*target, error) {
		return startYigong(ctx, dir, *serverProfile)
	}}
	if *orthanc {
		targets = append(targets, startOrthancBench)
	}
	var results []*result
	// The data folders are removed only after the last server ran: on
	// this box's ext4 (no journal) creating a file right after many were
	// deleted costs more CPU (the inode allocator skips recently deleted
	// inodes), and the second server would pay for the first's cleanup.
	var dirs []string
	if !*keep {
		defer func() {
			for _, d := range dirs {
				os.RemoveAll(d)
			}
		}()
	}
	for _, start := range targets {
		dir, err := os.MkdirTemp("", "yigong-bench-")
		if err != nil {
			return err
		}
		dirs = append(dirs, dir)
		t, err := start(ctx, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: %s started (pid %d)\n", t.name, t.cmd.Process.Pid)
		t.memDetail = *memDetail
		r, err := w.run(ctx, t, stderr)
		t.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		results = append(results, r)
	}
	printResults(stdout, results)
	return nil
}

// target is a server under test, run as its own process.
type target struct {
	name     string
	cmd      *exec.Cmd
	dimse    string // host:port
	aet      string
	web      string // DICOMweb base URL
	done     chan struct{}
	stopOnce sync.Once
	// memDetail prints the largest resident mappings when RSS is read.
	memDetail bool
}

func (t *target) stop() {
	t.stopOnce.Do(func() {
		t.cmd.Process.Signal(os.Interrupt)
		select {
		case <-t.done:
		case <-time.After(30 * time.Second):
			t.cmd.Process.Kill()
			<-t.done
		}
	})
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func launch(ctx context.Context, t *target, dir string, env []string, name string, args ...string) error {
	t.cmd = exec.Command(name, args...)
	t.cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	t.cmd.Stdout, t.cmd.Stderr = logf, logf
	if err := t.cmd.Start(); err != nil {
		return err
	}
	t.done = make(chan struct{})
	go func() { t.cmd.Wait(); logf.Close(); close(t.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", t.dimse); err == nil {
			c.Close()
			if resp, err := http.Get(t.web + "/studies?limit=1"); err == nil {
				resp.Body.Close()
				return nil
			}
		}
		select {
		case <-t.done:
			return fmt.Errorf("%s exited; see %s", t.name, filepath.Join(dir, "server.log"))
		case <-ctx.Done():
			t.stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.stop()
	return fmt.Errorf("%s did not start", t.name)
}

func startYigong(ctx context.Context, dir, cpuProfile string) (*target, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dimse, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("data: %s\nhttp:\n  addr: %s\nsecurity:\n  mode: dev\nlog:\n  level: warn\ndicom:\n  addr: %s\n  ae_title: YIGONG\n  allow_any: true\n", dir, httpAddr, dimse)
	cfgPath := filepath.Join(dir, "yigong.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	t := &target{name: "yigong", dimse: dimse, aet: "YIGONG", web: "http://" + httpAddr + "/dicomweb"}
	args := []string{"serve", "-config", cfgPath}
	if cpuProfile != "" {
		args = append(args, "-cpuprofile", cpuProfile)
	}
	return t, launch(ctx, t, dir, []string{"YIGONG_MLLP_ADDR=off"}, exe, args...)
}

func startOrthancBench(ctx context.Context, dir string) (*target, error) {
	bin, err := exec.LookPath("Orthanc")
	if err != nil {
		return nil, fmt.Errorf("bench: Orthanc is not installed (apt-get install orthanc orthanc-dicomweb): %w", err)
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dimse, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, hp, _ := net.SplitHostPort(httpAddr)
	_, dp, _ := net.SplitHostPort(dimse)
	hpn, _ := strconv.Atoi(hp)
	dpn, _ := strconv.Atoi(dp)
	cfg := map[string]any{
		"Name": "bench", "StorageDirectory": filepath.Join(dir, "storage"), "IndexDirectory": filepath.Join(dir, "index"),
		"HttpPort": hpn, "DicomPort": dpn, "DicomAet": "ORTHANC", "RemoteAccessAllowed": false,
		"AuthenticationEnabled": false, "DicomCheckCalledAet": false, "DicomAlwaysAllowStore": true,
		"StorageCompression": false, "SaveJobs": false, "LimitFindResults": 0,
		"Plugins":  []string{"/usr/share/orthanc/plugins/libOrthancDicomWeb.so"},
		"DicomWeb": map[string]any{"Enable": true, "Root": "/dicom-web/"},
	}
	b, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "orthanc.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		return nil, err
	}
	t := &target{name: "Orthanc 1.10.1", dimse: dimse, aet: "ORTHANC", web: "http://" + httpAddr + "/dicom-web"}
	return t, launch(ctx, t, dir, []string{"TCP_NODELAY=1"}, bin, cfgPath)
}

// workload is the data both servers get, generated before timing.
type workload struct {
	ct     []dnet.Instance // 100 per series and study
	slices []dnet.Instance
	stow   [][]byte // Part 10 files
}

const perSeries = 100

func newWorkload(raw []byte, n, nSlices, nStow int) *workload {
	// Each kind starts from its own copy of the CT: mk changes the data
	// set it is given, and the slices' 0.5 MB pixels must not reach the
	// STOW-RS instances (they did until issue 6's third round, so STOW-RS
	// figures before it are of 0.5 MB instances).
	fresh := func() *dicom.Dataset {
		f, err := part10.Read(bytes.NewReader(raw), nil)
		if err != nil {
			panic(err)
		}
		return f.Dataset
	}
	w := &workload{}
	root := fmt.Sprintf("2.25.%d", time.Now().UnixNano())
	mk := func(ds *dicom.Dataset, i int, kind string) *dicom.Dataset {
		s := i / perSeries
		ds.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, fmt.Sprintf("%s.%s.%d", root, kind, i))
		ds.SetStrings(dicom.TagStudyInstanceUID, dicom.UI, fmt.Sprintf("%s.%s.%d", root, kind+"st", s))
		ds.SetStrings(dicom.TagSeriesInstanceUID, dicom.UI, fmt.Sprintf("%s.%s.%d", root, kind+"se", s))
		ds.SetStrings(dicom.TagPatientID, dicom.LO, fmt.Sprintf("%s%04d", strings.ToUpper(kind), s))
		ds.SetStrings(dicom.TagInstanceNumber, dicom.IS, strconv.Itoa(i%perSeries+1))
		return ds
	}
	enc := func(ds *dicom.Dataset) []byte {
		var buf bytes.Buffer
		if err := part10.WriteDataset(&buf, ds, uid.ExplicitLE()); err != nil {
			panic(err)
		}
		return buf.Bytes()
	}
	ct := fresh()
	class := ct.Text(dicom.TagSOPClassUID)
	for i := range n {
		ds := mk(ct, i, "ct")
		w.ct = append(w.ct, dnet.Instance{SOPClassUID: class, SOPInstanceUID: ds.Text(dicom.TagSOPInstanceUID),
			TransferSyntax: uid.ExplicitVRLittleEndian, Data: enc(ds)})
	}
	// 0.5 MB slices: the CT header with 512x512 16-bit pixels.
	big := make([]byte, 512*512*2)
	for i := range big {
		big[i] = byte(i * 7)
	}
	sl := fresh()
	for i := range nSlices {
		ds := mk(sl, i, "sl")
		ds.SetInts(0x00280010, dicom.US, 512)
		ds.SetInts(0x00280011, dicom.US, 512)
		ds.SetBytes(dicom.TagPixelData, dicom.OW, big)
		w.slices = append(w.slices, dnet.Instance{SOPClassUID: class, SOPInstanceUID: ds.Text(dicom.TagSOPInstanceUID),
			TransferSyntax: uid.ExplicitVRLittleEndian, Data: enc(ds)})
	}
	st := fresh()
	for i := range nStow {
		ds := mk(st, i, "stow")
		var buf bytes.Buffer
		if err := part10.Write(&buf, &part10.File{Dataset: ds, TransferSyntax: uid.ExplicitLE()}); err != nil {
			panic(err)
		}
		w.stow = append(w.stow, buf.Bytes())
	}
	return w
}

type result struct {
	name                       string
	storeRate, sliceMiBs       float64
	qidoPatient, qidoInstances time.Duration
	wadoMiBs, stowRate         float64
	rssMiB                     float64
	stored                     int
	// cpuStore and cpuStow are the server's CPU time per instance in the
	// one-association C-STORE and the STOW-RS phases (its background
	// work included).
	cpuStore, cpuStow time.Duration
}

func store(ctx context.Context, t *target, ins []dnet.Instance) error {
	c, err := dnet.Dial(ctx, t.dimse, dnet.ClientConfig{CalledAE: t.aet, Contexts: []dnet.Proposal{
		{AbstractSyntax: ins[0].SOPClassUID, TransferSyntaxes: []string{uid.ExplicitVRLittleEndian}}}})
	if err != nil {
		return err
	}
	for _, in := range ins {
		if _, err := c.Store(ctx, in); err != nil {
			c.Abort()
			return err
		}
	}
	return c.Release(ctx)
}

func (w *workload) run(ctx context.Context, t *target, log io.Writer) (*result, error) {
	r := &result{name: t.name}
	proc := t.cmd.Process.Pid
	cpu := cpuTime(proc)
	phase := func(name string) time.Duration { // the server's CPU time in the phase just ended
		now := cpuTime(proc)
		d := now - cpu
		fmt.Fprintf(log, "bench: %s server CPU in %s: %v\n", t.name, name, d.Round(10*time.Millisecond))
		cpu = now
		return d
	}
	// C-STORE, one association.
	start := time.Now()
	if err := store(ctx, t, w.ct); err != nil {
		return nil, fmt.Errorf("c-store: %w", err)
	}
	r.storeRate = float64(len(w.ct)) / time.Since(start).Seconds()
	r.stored = len(w.ct)
	fmt.Fprintf(log, "bench: %s C-STORE %.0f instances/s\n", t.name, r.storeRate)
	r.cpuStore = phase("c-store") / time.Duration(len(w.ct))
	time.Sleep(2 * time.Second) // let background work (ImagingStudy, Orthanc jobs) settle
	phase("the 2 s pause")
	r.rssMiB = rss(t.cmd.Process.Pid)
	if t.memDetail {
		printMappings(log, t.name, t.cmd.Process.Pid)
	}
	// 0.5 MB slices, four associations.
	start = time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	var total int64
	for a := range 4 {
		var part []dnet.Instance
		for i := a; i < len(w.slices); i += 4 {
			part = append(part, w.slices[i])
			total += int64(len(w.slices[i].Data))
		}
		if len(part) == 0 {
			continue // fewer than four slices (or none): fewer associations
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs[a] = store(ctx, t, part) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("c-store slices: %w", err)
	}
	r.sliceMiBs = float64(total) / (1 << 20) / time.Since(start).Seconds()
	fmt.Fprintf(log, "bench: %s C-STORE %.1f MiB/s\n", t.name, r.sliceMiBs)
	phase("slices")
	// QIDO-RS latencies (median).
	study0 := dicomUID(w.ct[0], dicom.TagStudyInstanceUID)
	series0 := dicomUID(w.ct[0], dicom.TagSeriesInstanceUID)
	var err error
	pid := fmt.Sprintf("CT%04d", len(w.ct)/perSeries/2)
	if r.qidoPatient, err = median(20, func() error { return httpGet(t.web+"/studies?PatientID="+pid, "application/dicom+json", 1) }); err != nil {
		return nil, fmt.Errorf("qido by PatientID: %w", err)
	}
	if r.qidoInstances, err = median(20, func() error {
		return httpGet(t.web+"/studies/"+study0+"/series/"+series0+"/instances", "application/dicom+json", perSeries)
	}); err != nil {
		return nil, fmt.Errorf("qido instances: %w", err)
	}
	fmt.Fprintf(log, "bench: %s QIDO %v / %v\n", t.name, r.qidoPatient, r.qidoInstances)
	phase("qido")
	// WADO-RS study.
	start = time.Now()
	var bytesRead int64
	for i := range 5 {
		st := dicomUID(w.ct[i*perSeries%len(w.ct)], dicom.TagStudyInstanceUID)
		n, err := httpRead(t.web+"/studies/"+st, `multipart/related; type="application/dicom"; transfer-syntax=*`)
		if err != nil {
			return nil, fmt.Errorf("wado-rs: %w", err)
		}
		bytesRead += n
	}
	r.wadoMiBs = float64(bytesRead) / (1 << 20) / time.Since(start).Seconds()
	phase("wado")
	// STOW-RS, requests of 50 instances.
	start = time.Now()
	var lat []time.Duration
	for i := 0; i < len(w.stow); i += 50 {
		t0 := time.Now()
		if err := stowPost(t.web+"/studies", w.stow[i:min(i+50, len(w.stow))]); err != nil {
			return nil, fmt.Errorf("stow-rs: %w", err)
		}
		lat = append(lat, time.Since(t0))
	}
	r.stowRate = float64(len(w.stow)) / time.Since(start).Seconds()
	if d := phase("stow"); len(w.stow) > 0 {
		r.cpuStow = d / time.Duration(len(w.stow))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		fmt.Fprintf(log, "bench: %s STOW request latency min %v median %v max %v\n", t.name,
			lat[0].Round(time.Millisecond), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
	fmt.Fprintf(log, "bench: %s WADO %.1f MiB/s STOW %.0f/s RSS %.0f MiB\n", t.name, r.wadoMiBs, r.stowRate, r.rssMiB)
	return r, nil
}

func dicomUID(in dnet.Instance, t dicom.Tag) string {
	ds, err := part10.ReadDataset(bytes.NewReader(in.Data), uid.ExplicitLE(), &part10.Options{StopAt: 0x00280000})
	if err != nil {
		return ""
	}
	return ds.Text(t)
}

func median(n int, f func() error) (time.Duration, error) {
	if err := f(); err != nil { // warm-up
		return 0, err
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[n/2], nil
}

func httpGet(url, accept string, want int) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var v []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return fmt.Errorf("GET %s: %d: %w", url, resp.StatusCode, err)
	}
	if len(v) != want {
		return fmt.Errorf("GET %s: %d results, want %d", url, len(v), want)
	}
	return nil
}

func httpRead(url, accept string) (int64, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return n, err
}

func stowPost(url string, files [][]byte) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		pw, _ := mw.CreatePart(map[string][]string{"Content-Type": {"application/dicom"}})
		pw.Write(f)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url, &body)
	req.Header.Set("Content-Type", `multipart/related; type="application/dicom"; boundary=`+mw.Boundary())
	req.Header.Set("Accept", "application/dicom+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %.200s", url, resp.StatusCode, b)
	}
	return nil
}

// cpuTime reads the user+system CPU time pid has used (from
// /proc/PID/stat, in clock ticks of 10 ms), to report a server's CPU per
// phase; 0 when unreadable.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// rss reads VmRSS of pid in MiB.
func rss(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			kb, _ := strconv.ParseFloat(f[0], 64)
			return kb / 1024
		}
	}
	return 0
}

func printResults(w io.Writer, rs []*result) {
	fmt.Fprintf(w, "| measure |")
	for _, r := range rs {
		fmt.Fprintf(w, " %s |", r.name)
	}
	fmt.Fprintf(w, "\n|---|")
	for range rs {
		fmt.Fprintf(w, "---|")
	}
	fmt.Fprintln(w)
	row := func(name string, f func(*result) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, r := range rs {
			fmt.Fprintf(w, " %s |", f(r))
		}
		fmt.Fprintln(w)
	}
	row("C-STORE, 38 KiB CT, 1 association (instances/s)", func(r *result) string { return fmt.Sprintf("%.0f", r.storeRate) })
	row("C-STORE, 0.5 MB slices, 4 associations (MiB/s)", func(r *result) string { return fmt.Sprintf("%.1f", r.sliceMiBs) })
	row("QIDO-RS studies by PatientID (median)", func(r *result) string { return r.qidoPatient.Round(10 * time.Microsecond).String() })
	row("QIDO-RS instance list of a 100-instance series (median)", func(r *result) string { return r.qidoInstances.Round(10 * time.Microsecond).String() })
	row("WADO-RS study, 100 instances (MiB/s)", func(r *result) string { return fmt.Sprintf("%.1f", r.wadoMiBs) })
	row("STOW-RS, 50 per request (instances/s)", func(r *result) string { return fmt.Sprintf("%.0f", r.stowRate) })
	row("server CPU per instance, C-STORE / STOW-RS (ms)", func(r *result) string {
		return fmt.Sprintf("%.2f / %.2f", r.cpuStore.Seconds()*1000, r.cpuStow.Seconds()*1000)
	})
	row("RSS after the CT instances (MiB)", func(r *result) string { return fmt.Sprintf("%.0f (%d instances)", r.rssMiB, r.stored) })
}

// printMappings writes the resident size of pid's largest mappings (from
// /proc/PID/smaps; anonymous ones grouped), to tell a server's heap from
// its mapped files and the page caches of an embedded database.
func printMappings(w io.Writer, name string, pid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		fmt.Fprintf(w, "bench: %s smaps: %v\n", name, err)
		return
	}
	type mapping struct {
		name string
		kb   int64
	}
	var ms []mapping
	var anon, file int64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			n := "[anon] " + f[0]
			if len(f) >= 6 {
				n = f[5] + " " + f[1]
			}
			ms = append(ms, mapping{name: n})
		case len(f) >= 2 && f[0] == "Rss:" && len(ms) > 0:
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			ms[len(ms)-1].kb = kb
		case len(f) >= 2 && f[0] == "Anonymous:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			anon += kb
		}
	}
	for _, m := range ms {
		file += m.kb
	}
	file -= anon
	slices.SortFunc(ms, func(a, b mapping) int { return int(b.kb - a.kb) })
	fmt.Fprintf(w, "bench: %s resident: anonymous %d KiB, file-backed %d KiB, %d mappings; largest:\n", name, anon, file, len(ms))
	for _, m := range ms[:min(8, len(ms))] {
		fmt.Fprintf(w, "bench:   %8d KiB %s\n", m.kb, m.name)
	}
}
