package dicom

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"yigong/adapters/dicomfhir"
	dnet "yigong/dicom/net"
	"yigong/fhir/store"
	"yigong/fhir/transaction"
	"yigong/server/blobs"
)

// maxPDULength is the largest P-DATA-TF we accept (and tell requestors):
// 1 MiB, so that a 0.5 MB CT or MR slice arrives in one PDU rather than
// the 128 KiB pieces of dicom/net's default, with fewer reads and wakeups
// on both sides. Each association's reader keeps a buffer of the largest
// PDU it received.
const maxPDULength = 1 << 20

// Options build a Service.
type Options struct {
	Settings
	// Addr is the DIMSE listen address; "" runs no listener (DICOMweb
	// only).
	Addr string
	// TLS, when set, wraps the listener (DICOM TLS, PS3.15 Annex B).
	TLS *tls.Config
	// Institution owns instances from AEs without one of their own.
	Institution string
	Store       store.Store // must implement store.DICOMIndex
	Blobs       *blobs.Store
	// Processor executes the FHIR Bundles of the mapping; nil keeps no
	// ImagingStudy.
	Processor *transaction.Processor
	Mapping   dicomfhir.Config
	Log       *slog.Logger
	// SyncDelay is how long the ImagingStudy worker waits after a
	// study's last instance for more of it (default 1 s).
	SyncDelay time.Duration
	// RetryBase is the first routing retry delay, doubled per attempt
	// (default 10 s, capped at 1 h).
	RetryBase time.Duration
	// OnStored, when set, is called after each newly stored instance is
	// durable (C-STORE and STOW-RS), before the sender is answered: the
	// hub hands ECG waveforms to the ECG pipeline through it. It must not
	// fail the store; it logs its own errors.
	OnStored func(ctx context.Context, in *Ingested)
}

// Service is the running DICOM service.
type Service struct {
	opts  Options
	log   *slog.Logger
	index store.DICOMIndex
	srv   *dnet.Server

	mu sync.Mutex
	ln net.Listener

	syncKick  chan struct{}
	routeKick chan struct{}
	// The group committer of index rows (groupcommit.go).
	commits       chan *commitReq
	committing    atomic.Bool
	committerGone chan struct{}
	// The mover of pending blobs (mover.go).
	moves     chan moveItem
	moving    atomic.Bool
	moverGone chan struct{}
	sweepKick chan struct{}
	// holdMoves, when set (by tests), holds each batch of the mover until
	// it is closed.
	holdMoves chan struct{}
	// lastIngest is when instances last arrived (unix ns): the
	// ImagingStudy worker yields to ingest (fhirsync.go).
	lastIngest atomic.Int64
	stop       context.CancelFunc
	wg         sync.WaitGroup
	serveErr   chan error
}

// New checks the options and builds a service; Start runs it.
func New(opts Options) (*Service, error) {
	if opts.Log == nil {
		return nil, errors.New("dicom: a logger is required")
	}
	if opts.Blobs == nil {
		return nil, errors.New("dicom: a blob store is required")
	}
	ix, ok := opts.Store.(store.DICOMIndex)
	if !ok {
		return nil, errors.New("dicom: the store keeps no DICOM index")
	}
	if err := opts.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("dicom: %w", err)
	}
	if opts.AETitle == "" {
		opts.AETitle = "YIGONG"
	}
	if opts.SyncDelay <= 0 {
		opts.SyncDelay = time.Second
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 10 * time.Second
	}
	s := &Service{opts: opts, log: opts.Log, index: ix,
		syncKick: make(chan struct{}, 1), routeKick: make(chan struct{}, 1), serveErr: make(chan error, 1),
		commits: make(chan *commitReq), committerGone: make(chan struct{}),
		moves: make(chan moveItem, moveQueue), moverGone: make(chan struct{}), sweepKick: make(chan struct{}, 1)}
	opts.Blobs.SetPending(ix.DICOMPendingBlob)
	s.srv = &dnet.Server{
		AETitle:      opts.AETitle,
		Store:        dnet.StoreHandlerFunc(s.handleStore),
		Find:         dnet.FindHandlerFunc(s.handleFind),
		Move:         dnet.MoveHandlerFunc(s.handleMove),
		Get:          dnet.GetHandlerFunc(s.handleGet),
		Commit:       dnet.CommitHandlerFunc(s.handleCommit),
		Destinations: dnet.AEResolverFunc(s.resolveAE),
		Filter:       filter{s},
		Logger:       opts.Log,
		// handleStore keeps nothing of a C-STORE's data set once it has
		// answered: the blob is written and the index rows hold copies.
		ReuseStoreData: true,
		MaxPDULength:   maxPDULength,
	}
	if opts.Processor != nil && opts.Processor.Matcher != nil {
		s.srv.Worklist = dnet.FindHandlerFunc(s.handleWorklist)
	}
	return s, nil
}

// Start binds the listener (when Addr is set) and starts the index group
// committer, the mover of pending blobs (which first writes those a crash
// left) and the ImagingStudy and routing workers.
func (s *Service) Start(ctx context.Context) error {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.committing.Store(true)
	s.wg.Add(2)
	go s.committer(wctx)
	s.moving.Store(true)
	go s.mover(wctx)
	if s.opts.Addr != "" {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
		if err != nil {
			cancel()
			return fmt.Errorf("dicom: listen: %w", err)
		}
		if s.opts.TLS != nil {
			ln = tls.NewListener(ln, s.opts.TLS)
		}
		s.mu.Lock()
		s.ln = ln
		s.mu.Unlock()
		go func() {
			err := s.srv.Serve(ln)
			if errors.Is(err, dnet.ErrServerClosed) {
				err = nil
			}
			s.serveErr <- err
		}()
		s.log.Info("dicom listening", "addr", ln.Addr().String(), "aet", s.opts.AETitle, "tls", s.opts.TLS != nil)
	}
	s.wg.Add(2)
	go s.syncLoop(wctx)
	go s.routeLoop(wctx)
	s.kick(s.syncKick) // studies left behind by a previous run
	s.kick(s.routeKick)
	return nil
}

// Addr returns the bound DIMSE address, or nil.
func (s *Service) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// AETitle returns the service's AE title.
func (s *Service) AETitle() string { return s.opts.AETitle }

// Shutdown stops the listener (letting running operations finish until ctx
// ends) and the workers.
func (s *Service) Shutdown(ctx context.Context) error {
	var errs []error
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln != nil {
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("dicom: shutdown: %w", err))
		}
		if err := <-s.serveErr; err != nil {
			errs = append(errs, fmt.Errorf("dicom: serve: %w", err))
		}
	}
	if s.stop != nil {
		s.stop()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("dicom: workers: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

func (s *Service) kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// institutionOf returns the institution of a calling AE.
func (s *Service) institutionOf(aet string) string {
	if ae := s.opts.ae(aet); ae != nil && ae.Institution != "" {
		return ae.Institution
	}
	return s.opts.Institution
}
