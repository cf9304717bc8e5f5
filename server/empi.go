package server

import (
	"context"
	"fmt"

	"yigong/fhir/store"
	empisvc "yigong/server/empi"
)

// EMPI configures the master patient index (server/empi).
type EMPI struct {
	// Enabled runs the EMPI: every Patient change is matched as it arrives
	// (masters, review Tasks), and Patient/$match, $merge and $unmerge are
	// served. On by default.
	Enabled bool `yaml:"enabled"`
}

// newEMPI builds the EMPI service (nil when disabled); runEMPI starts its
// consumer once the API exists.
func (s *Server) newEMPI(st store.Store) (*empisvc.Service, error) {
	if !s.cfg.EMPI.Enabled {
		return nil, nil
	}
	opts := empisvc.Options{Institution: s.cfg.Institution, Log: s.log.With("component", "empi")}
	if s.sec != nil && s.sec.recorder != nil {
		opts.Audit = s.sec.recorder // merges and unmerges are AuditEvents too
	}
	svc, err := empisvc.New(st, opts)
	if err != nil {
		return nil, fmt.Errorf("server: empi: %w", err)
	}
	return svc, nil
}

// runEMPI runs the EMPI's change consumer in a goroutine the server owns;
// stopEMPI cancels it and waits.
func (s *Server) runEMPI(ctx context.Context, svc *empisvc.Service) {
	if svc == nil {
		return
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx)) // Start's ctx only bounds start-up
	done := make(chan error, 1)
	s.mu.Lock()
	s.empiStop, s.empiDone = stop, done
	s.mu.Unlock()
	go func() { done <- svc.Run(runCtx) }()
}

func (s *Server) stopEMPI() error {
	s.mu.Lock()
	stop, done := s.empiStop, s.empiDone
	s.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	if err := <-done; err != nil && err != context.Canceled {
		return fmt.Errorf("server: empi: %w", err)
	}
	return nil
}
