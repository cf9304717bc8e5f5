package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir/search"
	"yigong/fhir/store"
	dicomsvc "yigong/server/dicom"
	ecgsvc "yigong/server/ecg"
	empisvc "yigong/server/empi"
	"yigong/server/fhirapi"
	"yigong/server/hl7"
	"yigong/server/jobs"
)

// Server is a running hub: its listeners and what they serve.
type Server struct {
	cfg  Config
	log  *slog.Logger
	echo *echo.Echo
	api  *fhirapi.API
	hl7  *hl7.Service // nil without MLLP listeners
	info BuildInfo
	// started is when New ran, the date of the CapabilityStatement.
	started time.Time

	mu       sync.Mutex // guards store, httpLn and httpSrv
	store    store.Store
	httpLn   net.Listener
	httpSrv  *http.Server
	serveErr chan error
	dicom    *dicomsvc.Service  // guarded by mu; nil without a DICOM index
	ecg      *ecgsvc.Service    // guarded by mu; the ECG intake, set by startECG
	empiStop context.CancelFunc // guarded by mu; stops the EMPI consumer (empi.go)
	empiDone chan error         // guarded by mu; the EMPI consumer's result
	sec      *security          // guarded by mu; access control and audit (security.go)
	jobs     *jobs.Registry     // long-running jobs (reindex, EMPI relink), set before routes
	empi     *empisvc.Service   // the EMPI service, nil when empi.enabled is off
	// console receives the first-start message with the generated
	// credentials (stderr unless SetConsole): never the structured log.
	console io.Writer
}

// BuildInfo identifies the running binary in /metadata and logs.
type BuildInfo struct {
	Version   string
	Commit    string
	BuildDate string
}

// New builds a server from a validated configuration. It opens nothing yet.
func New(cfg Config, log *slog.Logger, info BuildInfo) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		return nil, errors.New("server: a logger is required")
	}
	s := &Server{cfg: cfg, log: log, info: info, serveErr: make(chan error, 1), started: time.Now(), console: os.Stderr}
	return s, nil
}

// SetConsole sets where the first start prints the generated administrator
// passwords and how to get a token (default os.Stderr). Call before Start.
func (s *Server) SetConsole(w io.Writer) { s.console = w }

// Start creates the data folder and binds every listener. It returns once the
// listeners accept connections; serving continues in the background until
// Shutdown.
func (s *Server) Start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("server: data folder: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("server: http listen: %w", err)
	}
	s.mu.Lock()
	s.httpLn = ln
	s.mu.Unlock()
	indexer, err := search.NewIndexer(search.Options{BaseURL: s.BaseURL()})
	if err != nil {
		ln.Close()
		return err
	}
	st, err := OpenStore(ctx, s.cfg.Store.DSN, indexer)
	if err != nil {
		ln.Close()
		return err
	}
	s.mu.Lock()
	s.store = st
	s.mu.Unlock()
	if err := s.startSecurity(ctx, st, indexer); err != nil {
		ln.Close()
		st.Close()
		return err
	}
	empiSvc, err := s.newEMPI(st)
	if err != nil {
		ln.Close()
		s.closeSecurity(ctx, s.sec)
		st.Close()
		return err
	}
	apiOpts := fhirapi.Options{BaseURL: s.BaseURL, Institution: s.cfg.Institution, Log: s.log, Access: s.sec.checker}
	if al, ok := st.(store.AuditLog); ok {
		apiOpts.AuditLog = al
	}
	if empiSvc != nil {
		apiOpts.Matcher, apiOpts.Merger = empiSvc, empiSvc
	}
	api, err := fhirapi.New(st, apiOpts)
	if err != nil {
		ln.Close()
		s.closeSecurity(ctx, s.sec)
		st.Close()
		return err
	}
	s.api = api
	s.empi = empiSvc
	s.runEMPI(ctx, empiSvc)
	if err := s.startHL7(ctx); err != nil {
		ln.Close()
		s.closeSecurity(ctx, s.sec)
		st.Close()
		return err
	}
	if err := s.startECG(ctx); err != nil { // before routes (it registers) and before the DICOM blob store opens
		ln.Close()
		s.closeSecurity(ctx, s.sec)
		st.Close()
		return err
	}
	s.jobs = s.newJobs()
	s.echo = s.routes()
	if err := s.startDICOM(ctx, st); err != nil {
		ln.Close()
		s.closeSecurity(ctx, s.sec)
		st.Close()
		return err
	}
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.mu.Lock()
	s.httpSrv = srv
	s.mu.Unlock()
	go func() {
		var err error
		if s.cfg.HTTP.TLSCert != "" {
			err = srv.ServeTLS(ln, s.cfg.HTTP.TLSCert, s.cfg.HTTP.TLSKey)
		} else {
			err = srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
	s.log.Info("http listening", "addr", ln.Addr().String(), "fhir_base", s.BaseURL())
	return nil
}

// HTTPAddr is the bound HTTP address (useful when configured with port 0).
func (s *Server) HTTPAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpLn == nil {
		return nil
	}
	return s.httpLn.Addr()
}

// BaseURL is the public base URL of the FHIR API.
func (s *Server) BaseURL() string {
	addr := s.cfg.HTTP.Addr
	if a := s.HTTPAddr(); a != nil {
		addr = a.String()
	}
	return s.cfg.HTTP.FHIRBase(addr)
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx expires.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, st, sec := s.httpSrv, s.store, s.sec
	s.mu.Unlock()
	var errs []error
	if s.hl7 != nil { // MLLP first: its listeners close, in-flight messages are committed and ACKed
		if err := s.hl7.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if srv != nil {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: http shutdown: %w", err))
		}
		if err := <-s.serveErr; err != nil {
			errs = append(errs, fmt.Errorf("server: http serve: %w", err))
		}
	}
	if s.jobs != nil { // running jobs are cancelled before the store closes
		if err := s.jobs.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.stopECG(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.stopDICOM(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.stopEMPI(); err != nil {
		errs = append(errs, err)
	}
	if err := s.closeSecurity(ctx, sec); err != nil { // after HTTP: the last requests' events are queued
		errs = append(errs, err)
	}
	if st != nil { // after HTTP has drained: no request is using it any more
		if err := st.Close(); err != nil {
			errs = append(errs, fmt.Errorf("server: close store: %w", err))
		}
	}
	s.log.Info("stopped")
	return errors.Join(errs...)
}

// Run starts the server, blocks until ctx is cancelled or a listener fails,
// then shuts down with a grace period.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-s.serveErr:
		s.serveErr <- err // a listener failed: Shutdown reports it
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return s.Shutdown(shutdownCtx)
}
