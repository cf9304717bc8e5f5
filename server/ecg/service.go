package ecg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"yigong/adapters/ecgfhir"
	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/formats"
	"yigong/ecg/quality"
	"yigong/ecg/render"
	"yigong/fhir"
	"yigong/fhir/r4"
	"yigong/fhir/transaction"
	"yigong/server/blobs"
)

// Config is the plain data of the ECG intake, filled from the hub's
// configuration file (section "ecg").
type Config struct {
	// MaxSize caps an uploaded or dropped file in bytes; 0 means
	// DefaultMaxSize.
	MaxSize int64 `yaml:"max_size"`
	// PatientIDSystem is the identifier system of the patient IDs carts
	// record; "" means urn:yigong:ecg:patient-id:<institution>.
	PatientIDSystem string `yaml:"patient_id_system"`
	// Watch is the watched folder for carts that can only export files.
	Watch Watch `yaml:"watch"`
	// Font is a TrueType font file with Chinese glyphs for the PDF
	// reports; "" looks at render.FontPaths (the Debian package
	// fonts-wqy-microhei). Without one, Chinese text in the PDF becomes
	// "?" and a warning is logged at start. A configured file that is
	// missing stops the start; the font is read at the first report (a
	// file that is no usable font is then logged, and Chinese text drawn
	// as "?").
	Font string `yaml:"font"`
}

// Watch configures the watched folder.
type Watch struct {
	// Dir is the folder polled for new files; "" watches nothing. Files
	// go to Dir/done or Dir/failed (with a .error.txt beside) once
	// handled.
	Dir string `yaml:"dir"`
	// Interval is the time between polls; 0 means DefaultInterval. A file
	// is taken once its size and modification time are unchanged over one
	// interval.
	Interval time.Duration `yaml:"interval"`
}

// Defaults.
const (
	DefaultMaxSize  = 64 << 20
	DefaultInterval = 2 * time.Second
)

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.MaxSize < 0 {
		errs = append(errs, fmt.Errorf("ecg.max_size %d: must not be negative", c.MaxSize))
	}
	if c.Watch.Interval < 0 {
		errs = append(errs, fmt.Errorf("ecg.watch.interval %v: must not be negative", c.Watch.Interval))
	}
	if err := (ecgfhir.Config{PatientIDSystem: c.PatientIDSystem}).Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Options build a Service.
type Options struct {
	Config
	// Institution owns what the intake writes.
	Institution string
	// Processor executes the Bundles (the hub's, which runs them in the
	// store with its search engine).
	Processor *transaction.Processor
	// Blobs keeps the originals; nil keeps them inline in the
	// DocumentReference instead.
	Blobs *blobs.Store
	// BaseURL returns the public base of the FHIR API
	// ("http://host/fhir"); Location headers and the originals' URLs
	// (<base without /fhir>/ecg/originals/<sha256>) derive from it.
	BaseURL func() string
	Log     *slog.Logger
}

// Service is the ECG intake: HTTP upload, the watched folder and the DICOM
// hook share its pipeline. It is safe for concurrent use.
type Service struct {
	opts   Options
	log    *slog.Logger
	mapper *ecgfhir.Mapper
	// fontPath is the CJK font's file ("": none, Chinese text is drawn
	// as "?"); the font (megabytes) is read when the first report is
	// rendered, not at start, so that a hub that never renders one does
	// not keep it resident.
	fontPath string
	fontOnce sync.Once
	font     *render.Font // set by fontOnce; nil when it could not be loaded

	mu   sync.Mutex // guards stop
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New checks the options and builds a service; Start runs the watched
// folder.
func New(opts Options) (*Service, error) {
	if opts.Log == nil || opts.Processor == nil || opts.BaseURL == nil || opts.Institution == "" {
		return nil, errors.New("ecg: Log, Processor, BaseURL and Institution are required")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("ecg: %w", err)
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Watch.Interval == 0 {
		opts.Watch.Interval = DefaultInterval
	}
	m, err := ecgfhir.New(ecgfhir.Config{PatientIDSystem: opts.PatientIDSystem})
	if err != nil {
		return nil, fmt.Errorf("ecg: %w", err)
	}
	// The font's file is checked now (a configured one that is missing
	// stops the start; none found is warned about), its content read at
	// the first report.
	fontPath := opts.Font
	if fontPath != "" {
		if st, err := os.Stat(fontPath); err != nil {
			return nil, fmt.Errorf("ecg: font: %w", err)
		} else if st.IsDir() {
			return nil, fmt.Errorf("ecg: font: %s is a folder", fontPath)
		}
	} else if fontPath, err = render.FindFontPath(); err != nil {
		opts.Log.Warn("ECG reports will show Chinese text as ?", "err", err)
	}
	return &Service{opts: opts, log: opts.Log, mapper: m, fontPath: fontPath}, nil
}

// reportFont returns the CJK font, reading it on first use; nil when there
// is none or it cannot be read (then Chinese text is drawn as "?", and the
// reason is logged once).
func (s *Service) reportFont(ctx context.Context) *render.Font {
	s.fontOnce.Do(func() {
		if s.fontPath == "" {
			return
		}
		f, err := render.LoadFont(s.fontPath)
		if err != nil {
			s.log.WarnContext(ctx, "ECG reports will show Chinese text as ?", "err", err)
			return
		}
		s.font = f
	})
	return s.font
}

// Start starts the watched folder (when configured). The watcher runs
// until Shutdown; ctx only bounds starting.
func (s *Service) Start(ctx context.Context) error {
	if s.opts.Watch.Dir == "" {
		return nil
	}
	w, err := newWatcher(s, s.opts.Watch)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.stop = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		w.run(wctx)
	}()
	s.log.Info("ecg folder watched", "dir", s.opts.Watch.Dir, "interval", s.opts.Watch.Interval)
	return nil
}

// Shutdown stops the watcher and waits for the file in hand to finish,
// until ctx expires.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ecg: shutdown: %w", ctx.Err())
	}
}

// Errors callers branch on. A file that cannot be read is an *Error
// wrapping one of them.
var (
	// ErrUnsupported: the bytes are no ECG format with a reader here
	// (HTTP 415).
	ErrUnsupported = errors.New("ecg: unsupported format")
	// ErrUnreadable: the format is known but the file is corrupt or
	// truncated (HTTP 422).
	ErrUnreadable = errors.New("ecg: unreadable file")
	// ErrNotECG: a DICOM SOP class that is not an ECG waveform.
	ErrNotECG = errors.New("ecg: not an ECG waveform SOP class")
)

// Error is a file the pipeline could not read.
type Error struct {
	Format ecg.Format
	Err    error // ErrUnsupported or ErrUnreadable
	Cause  error
}

func (e *Error) Error() string {
	if e.Cause == nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (%s): %v", e.Err, e.Format, e.Cause)
}

func (e *Error) Unwrap() []error { return []error{e.Err, e.Cause} }

// Result is one ingested tracing.
type Result struct {
	// Key is the hex SHA-256 of the original.
	Key    string
	Format ecg.Format
	// Created is false when the same file had been ingested before (the
	// resources are then those of the first time).
	Created bool
	// Report is the stored DiagnosticReport (FHIR JSON); Location its
	// Type/id/_history/version.
	Report   []byte
	Location string
	// Responses are the transaction's, one per Bundle entry.
	Responses []transaction.Response
	Warnings  []string
}

// Ingest runs one file through the pipeline: sniff and decode, measure,
// check quality and critical findings, render the PDF, keep the original
// in the blob store, map to FHIR and execute the Bundle as one
// transaction. It returns once the transaction is committed.
func (s *Service) Ingest(ctx context.Context, raw []byte) (*Result, error) {
	if int64(len(raw)) > s.opts.MaxSize {
		return nil, &Error{Err: ErrUnreadable, Cause: fmt.Errorf("%w: %d bytes, the cap is %d", ecg.ErrTooLarge, len(raw), s.opts.MaxSize)}
	}
	rec, err := decode(raw)
	if err != nil {
		return nil, err
	}
	rep := analysis.Measure(rec)
	findings := append(analysis.Critical(rec, rep), quality.Check(rec, rep)...)
	var pdf bytes.Buffer
	if err := render.PDF(&pdf, rec, render.Options{Measurements: rep.Measurements, Findings: findings, Font: s.reportFont(ctx)}); err != nil {
		return nil, fmt.Errorf("ecg: render: %w", err)
	}
	in := ecgfhir.Input{Record: rec, Original: raw, Measurements: rep.Measurements, Findings: findings,
		PDF: pdf.Bytes(), Institution: s.opts.Institution}
	if s.opts.Blobs != nil {
		key, _, err := s.opts.Blobs.PutBytes(ctx, raw)
		if err != nil {
			return nil, fmt.Errorf("ecg: keep original: %w", err)
		}
		in.OriginalURL = s.OriginalURL(key)
	}
	res, err := s.mapper.Build(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("ecg: map: %w", err)
	}
	node, err := r4.ToNode(res.Bundle)
	if err != nil {
		return nil, fmt.Errorf("ecg: map: %w", err)
	}
	resps, err := s.opts.Processor.Execute(ctx, node)
	if err != nil {
		return nil, fmt.Errorf("ecg: store: %w", err)
	}
	dr := resps[res.ReportIndex]
	out := &Result{Key: res.Key, Format: rec.Format, Created: dr.Status == transaction.StatusCreated,
		Report: dr.Resource, Location: dr.Location, Responses: resps, Warnings: res.Warnings}
	s.log.Info("ecg ingested", "format", rec.Format.String(), "sha256", res.Key, "location", dr.Location,
		"created", out.Created, "findings", len(findings))
	for _, w := range res.Warnings {
		s.log.Debug("ecg mapping warning", "sha256", res.Key, "warning", w)
	}
	return out, nil
}

// decode sniffs and decodes raw with the built-in readers, classifying
// failures; a reader that panics on hostile bytes counts as unreadable.
func decode(raw []byte) (rec *ecg.Record, err error) {
	f := ecg.Sniff(raw)
	readers := formats.Readers()
	read, ok := readers[f]
	if f == ecg.FormatUnknown || !ok {
		if f == ecg.FormatUnknown {
			return nil, &Error{Format: f, Err: ErrUnsupported, Cause: ecg.ErrUnknownFormat}
		}
		return nil, &Error{Format: f, Err: ErrUnsupported, Cause: fmt.Errorf("no reader for %s as a single file", f)}
	}
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, &Error{Format: f, Err: ErrUnreadable, Cause: fmt.Errorf("reader panicked: %v", p)}
		}
	}()
	rec, err = read(raw)
	if err != nil {
		return nil, &Error{Format: f, Err: ErrUnreadable, Cause: err}
	}
	rec.Format = f
	if len(rec.Leads) == 0 || rec.SampleRate <= 0 {
		return nil, &Error{Format: f, Err: ErrUnreadable, Cause: errors.New("no leads or no sample rate")}
	}
	return rec, nil
}

// ECG waveform storage SOP classes (DICOM PS3.4 Annex B.5), the ones
// IngestDICOM takes.
const (
	SOP12LeadECG     = "1.2.840.10008.5.1.4.1.1.9.1.1"
	SOPGeneralECG    = "1.2.840.10008.5.1.4.1.1.9.1.2"
	SOPAmbulatoryECG = "1.2.840.10008.5.1.4.1.1.9.1.3"
)

// IsECGSOPClass reports whether a SOP class UID is an ECG waveform storage
// class.
func IsECGSOPClass(uid string) bool {
	switch strings.TrimRight(uid, "\x00 ") {
	case SOP12LeadECG, SOPGeneralECG, SOPAmbulatoryECG:
		return true
	}
	return false
}

// IngestDICOM is the hook of the DICOM C-STORE (and STOW-RS) path: for an
// instance of an ECG waveform SOP class, part10 is the Part 10 file as
// the DICOM service keeps it (preamble, "DICM", meta group, data set); it
// runs the same pipeline as an upload. Other SOP classes return ErrNotECG
// and do nothing.
func (s *Service) IngestDICOM(ctx context.Context, sopClassUID string, part10 []byte) (*Result, error) {
	if !IsECGSOPClass(sopClassUID) {
		return nil, fmt.Errorf("%w: %s", ErrNotECG, sopClassUID)
	}
	return s.Ingest(ctx, part10)
}

// OriginalURL is where an original is served: <base without
// /fhir>/ecg/originals/<key>.
func (s *Service) OriginalURL(key string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s.opts.BaseURL(), "/"), "/fhir") + OriginalsPath + key
}

// OriginalsPath prefixes the URL of originals (see Register).
const OriginalsPath = "/ecg/originals/"

// retryable reports whether an ingest error is worth another try later
// (the store was busy or the hub is stopping) rather than a bad file.
func retryable(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || fhir.KindOf(err) == fhir.KindBusy
}

// Interface guards.
var _ error = (*Error)(nil)
