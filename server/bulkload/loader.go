package bulkload

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

// Defaults of a Loader.
const (
	DefaultBatchSize = 100
	// MaxBundleBytes caps a Bundle or single-resource file read whole.
	MaxBundleBytes = 512 << 20
	// MaxProblemsPerFile bounds the problems a Report keeps for one file;
	// further ones are only counted.
	MaxProblemsPerFile = 100
)

// Loader loads files through a Sink with parallel workers.
type Loader struct {
	Sink Sink
	// Workers is the number of Bundles in flight; 0 means 4.
	Workers int
	// BatchSize is the number of NDJSON resources per transaction; 0 means
	// DefaultBatchSize.
	BatchSize int
	// Progress, if set, is updated as the load goes.
	Progress *Progress
	// OnResult, if set, is called (from worker goroutines, concurrently)
	// with the results of every executed Bundle.
	OnResult func(file string, results []EntryResult)
}

// Report is the outcome of a load.
type Report struct {
	Files    []FileReport // in input order
	Loaded   int64
	Failed   int64
	ByType   map[string]int64 // resources written, by type
	Elapsed  time.Duration
	Problems int64
}

// OK reports whether everything was loaded.
func (r *Report) OK() bool { return r.Failed == 0 && r.Problems == 0 }

// FileReport is what happened to one file.
type FileReport struct {
	Path     string
	Format   string // "transaction", "batch", "collection", "searchset", "resource", "ndjson"
	Loaded   int64
	Failed   int64
	Problems []Problem // at most MaxProblemsPerFile
	Dropped  int64     // problems beyond MaxProblemsPerFile
}

// Problem is one thing that did not load.
type Problem struct {
	File   string
	Where  string // "Bundle.entry[3]", "line 57", or "" for the whole file
	Issues []fhir.Issue
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Where != "" {
		b.WriteString(": ")
		b.WriteString(p.Where)
	}
	for _, is := range p.Issues {
		b.WriteString(": ")
		b.WriteString(issueText(is))
	}
	return b.String()
}

// unit is one Bundle to execute.
type unit struct {
	file  *fileState
	json  []byte
	types []string // per entry, when known
	where []string // per entry, when not Bundle.entry[i]
	// fallback: on transaction failure, re-send as a batch.
	fallback bool
}

type fileState struct {
	rep     FileReport
	mu      sync.Mutex // guards rep and byType
	byType  map[string]int64
	pending int64 // units not answered + 1 while reading; guarded by mu
}

// Files expands paths (files and folders, walked recursively) into the
// files a load reads: *.json, *.ndjson, *.jsonl, each optionally .gz,
// sorted per folder. A named file is taken whatever its extension.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("bulkload: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && format(path) != "" {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("bulkload: walk %s: %w", p, err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// format returns "json" or "ndjson" from a file name ("" if neither).
func format(path string) string {
	name := strings.TrimSuffix(strings.ToLower(path), ".gz")
	switch filepath.Ext(name) {
	case ".json":
		return "json"
	case ".ndjson", ".jsonl":
		return "ndjson"
	}
	return ""
}

// Run loads the files of paths (see Files) and returns the report. The
// error is non-nil only when the load could not run (a path that does not
// exist, ctx cancelled, a sink that cannot be reached); what did not load
// is in the Report (see Report.OK).
func (l *Loader) Run(ctx context.Context, paths []string) (*Report, error) {
	files, err := Files(paths)
	if err != nil {
		return nil, err
	}
	prog := l.Progress
	if prog == nil {
		prog = &Progress{}
	}
	workers := l.Workers
	if workers <= 0 {
		workers = 4
	}
	start := time.Now()
	prog.started.Store(start.UnixNano())
	prog.filesTotal.Store(int64(len(files)))
	defer func() { prog.finishedNow.Store(time.Now().UnixNano()) }()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	states := make([]*fileState, len(files))
	for i, f := range files {
		states[i] = &fileState{rep: FileReport{Path: f}, byType: map[string]int64{}, pending: 1}
	}
	units := make(chan *unit, workers)
	next := make(chan *fileState)
	var readers, senders sync.WaitGroup
	// Readers: up to two files are decoded at a time, so that a large
	// NDJSON file and Bundles interleave; the channel bounds memory.
	for range min(2, len(files)) {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for fst := range next {
				l.read(ctx, fst, units, prog)
				l.finishUnit(fst, prog) // the reader's own hold
			}
		}()
	}
	for range workers {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for u := range units {
				if err := l.send(ctx, u, prog); err != nil {
					cancel(err)
				}
				l.finishUnit(u.file, prog)
			}
		}()
	}
feed:
	for _, fst := range states {
		select {
		case next <- fst:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	readers.Wait()
	close(units)
	senders.Wait()

	rep := &Report{ByType: map[string]int64{}, Elapsed: time.Since(start)}
	for _, fst := range states {
		fst.mu.Lock()
		rep.Files = append(rep.Files, fst.rep)
		rep.Loaded += fst.rep.Loaded
		rep.Failed += fst.rep.Failed
		rep.Problems += int64(len(fst.rep.Problems)) + fst.rep.Dropped
		for t, n := range fst.byType {
			rep.ByType[t] += n
		}
		fst.mu.Unlock()
	}
	if err := context.Cause(ctx); err != nil {
		return rep, fmt.Errorf("bulkload: %w", err)
	}
	return rep, nil
}

func (l *Loader) finishUnit(fst *fileState, prog *Progress) {
	fst.mu.Lock()
	fst.pending--
	done := fst.pending == 0
	fst.mu.Unlock()
	if done {
		prog.filesDone.Add(1)
	}
}

// problem records a problem of fst; failed is the number of resources it
// cost.
func (fst *fileState) problem(prog *Progress, where string, failed int64, issues []fhir.Issue) {
	fst.mu.Lock()
	if len(fst.rep.Problems) < MaxProblemsPerFile {
		fst.rep.Problems = append(fst.rep.Problems, Problem{File: fst.rep.Path, Where: where, Issues: issues})
	} else {
		fst.rep.Dropped++
	}
	fst.rep.Failed += failed
	fst.mu.Unlock()
	prog.problems.Add(1)
	prog.failed.Add(failed)
}

func (fst *fileState) setFormat(f string) {
	fst.mu.Lock()
	fst.rep.Format = f
	fst.mu.Unlock()
}

// read decodes one file into units.
func (l *Loader) read(ctx context.Context, fst *fileState, units chan<- *unit, prog *Progress) {
	path := fst.rep.Path
	emit := func(u *unit) bool {
		u.file = fst
		fst.mu.Lock()
		fst.pending++
		fst.mu.Unlock()
		select {
		case units <- u:
			return true
		case <-ctx.Done():
			l.finishUnit(fst, prog)
			return false
		}
	}
	f, err := os.Open(path)
	if err != nil {
		fst.problem(prog, "", 0, errIssues(err))
		return
	}
	defer f.Close()
	var r io.Reader = &countingReader{r: f, n: &prog.bytesRead}
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			fst.problem(prog, "", 0, errIssues(fmt.Errorf("gzip: %w", err)))
			return
		}
		defer zr.Close()
		r = zr
	}
	if format(path) == "ndjson" {
		fst.setFormat("ndjson")
		l.readNDJSON(ctx, fst, r, emit, prog)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		fst.problem(prog, "", 0, errIssues(err))
		return
	}
	if len(data) > MaxBundleBytes {
		fst.problem(prog, "", 0, errIssues(fmt.Errorf("larger than %d bytes; split it or use NDJSON", MaxBundleBytes)))
		return
	}
	rt, bt, err := peekTop(data)
	if err != nil {
		fst.problem(prog, "", 0, errIssues(err))
		return
	}
	switch {
	case rt == "Bundle" && (bt == "transaction" || bt == "batch"):
		fst.setFormat(bt)
		emit(&unit{json: data})
	case rt == "Bundle" && (bt == "collection" || bt == "searchset"):
		fst.setFormat(bt)
		l.readCollection(fst, data, emit, prog)
	case rt == "Bundle":
		fst.setFormat(bt)
		fst.problem(prog, "Bundle.type", 0, errIssues(fmt.Errorf("Bundle.type %q cannot be imported (want transaction, batch, collection or searchset)", bt)))
	case rt == "":
		fst.problem(prog, "", 0, errIssues(errors.New("not a FHIR resource (no resourceType)")))
	default:
		fst.setFormat("resource")
		n, err := fhirjson.Unmarshal(data)
		if err != nil {
			fst.problem(prog, rt, 1, fhir.IssuesOf(err))
			return
		}
		var b txBuilder
		if err := b.add(n, "", rt); err != nil {
			fst.problem(prog, rt, 1, errIssues(err))
			return
		}
		emit(&unit{json: b.bytes(), types: b.types, where: b.where})
	}
}

// readCollection turns a collection or searchset Bundle into one
// transaction (references between its entries need one).
func (l *Loader) readCollection(fst *fileState, data []byte, emit func(*unit) bool, prog *Progress) {
	n, err := fhirjson.Unmarshal(data)
	if err != nil {
		fst.problem(prog, "Bundle", int64(countEntries(data)), fhir.IssuesOf(err))
		return
	}
	var b txBuilder
	for i, en := range n.ChildrenNamed("entry") {
		where := "Bundle.entry[" + strconv.Itoa(i) + "]"
		if s := en.Child("search"); s != nil && s.ChildValue("mode") == "outcome" {
			continue
		}
		res := en.Child("resource")
		if res == nil {
			continue
		}
		if err := b.add(res, en.ChildValue("fullUrl"), where); err != nil {
			fst.problem(prog, where, 1, errIssues(err))
		}
	}
	if b.entries > 0 {
		emit(&unit{json: b.bytes(), types: b.types, where: b.where})
	}
}

// countEntries estimates a Bundle's entries for a failure count.
func countEntries(data []byte) int {
	return strings.Count(string(data), `"request"`) + strings.Count(string(data), `"search"`)
}

// readNDJSON streams an NDJSON file into transactions of BatchSize.
func (l *Loader) readNDJSON(ctx context.Context, fst *fileState, r io.Reader, emit func(*unit) bool, prog *Progress) {
	size := l.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	dec := fhirjson.NewDecoder(r)
	var b txBuilder
	flush := func() bool {
		if b.entries == 0 {
			return true
		}
		u := &unit{json: b.bytes(), types: b.types, where: b.where, fallback: true}
		b.reset()
		return emit(u)
	}
	for ctx.Err() == nil {
		n, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		where := "line " + strconv.Itoa(dec.Line())
		if err != nil {
			var fe *fhir.Error
			if !errors.As(err, &fe) { // a read error: the rest of the file is lost
				fst.problem(prog, where, 0, errIssues(err))
				break
			}
			issues := fe.Issues
			if len(issues) == 0 {
				issues = errIssues(fe)
			}
			fst.problem(prog, where, 1, issues)
			continue
		}
		if err := b.add(n, "", where); err != nil {
			fst.problem(prog, where, 1, errIssues(err))
			continue
		}
		if b.entries >= size && !flush() {
			return
		}
	}
	flush()
}

func errIssues(err error) []fhir.Issue {
	return []fhir.Issue{{Severity: fhir.SeverityError, Code: "exception", Diagnostic: err.Error()}}
}

var entryIndex = regexp.MustCompile(`Bundle\.entry\[(\d+)\]`)

// send executes u and records its results. The error is non-nil only when
// the sink cannot be used at all (the load then stops).
func (l *Loader) send(ctx context.Context, u *unit, prog *Progress) error {
	if ctx.Err() != nil {
		return nil
	}
	res, err := l.Sink.Execute(ctx, u.json)
	var oe *OutcomeError
	if errors.As(err, &oe) && u.fallback && len(u.types) > 1 {
		// One bad resource must not cost its neighbours: re-send as a batch.
		res, err = l.Sink.Execute(ctx, asBatch(u.json))
	}
	if err != nil {
		if !errors.As(err, &oe) {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		n := int64(len(u.types))
		if n == 0 {
			n = int64(countEntries(u.json))
		}
		where := ""
		if len(oe.Issues) > 0 {
			where = l.locate(u, oe.Issues[0].Expression+" "+oe.Issues[0].Diagnostic)
		}
		u.file.problem(prog, where, n, oe.Issues)
		prog.unitsDone.Add(1)
		return nil
	}
	var ok int64
	byType := map[string]int64{}
	for i, r := range res {
		if r.Status/100 == 2 {
			ok++
			byType[entryType(u, i, r.Location)]++
			continue
		}
		where := "Bundle.entry[" + strconv.Itoa(i) + "]"
		if i < len(u.where) {
			where = u.where[i]
		}
		issues := r.Issues
		if len(issues) == 0 {
			issues = []fhir.Issue{{Severity: fhir.SeverityError, Code: "exception", Diagnostic: "status " + strconv.Itoa(r.Status)}}
		}
		u.file.problem(prog, where, 1, issues)
	}
	u.file.mu.Lock()
	u.file.rep.Loaded += ok
	for t, n := range byType {
		u.file.byType[t] += n
	}
	u.file.mu.Unlock()
	prog.loaded.Add(ok)
	prog.unitsDone.Add(1)
	if l.OnResult != nil {
		l.OnResult(u.file.rep.Path, res)
	}
	return nil
}

// locate turns the Bundle.entry[i] an issue names into the unit's own
// label for that entry (an NDJSON line).
func (l *Loader) locate(u *unit, text string) string {
	m := entryIndex.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	i, _ := strconv.Atoi(m[1])
	if i < len(u.where) {
		return u.where[i]
	}
	return m[0]
}

func entryType(u *unit, i int, location string) string {
	if i < len(u.types) {
		return u.types[i]
	}
	t, _, _ := strings.Cut(location, "/")
	return t
}

// countingReader counts the bytes read from r into n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
