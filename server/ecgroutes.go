package server

import (
	"context"
	"path/filepath"

	"github.com/labstack/echo/v4"

	"yigong/server/blobs"
	ecgsvc "yigong/server/ecg"
)

// startECG builds the ECG intake on the FHIR API's transaction processor
// and the blob store, and starts its watched folder. It runs before the
// DICOM service opens the same blob store and before HTTP serves, so no
// blob write is in flight while either store clears its temporary files.
func (s *Server) startECG(ctx context.Context) error {
	dir := s.cfg.Blobs.Dir
	if dir == "" {
		dir = filepath.Join(s.cfg.DataDir, "blobs")
	}
	bs, err := blobs.Open(dir)
	if err != nil {
		return err
	}
	svc, err := ecgsvc.New(ecgsvc.Options{
		Config:      s.cfg.ECG,
		Institution: s.cfg.Institution,
		Processor:   s.api.Processor(),
		Blobs:       bs,
		BaseURL:     s.BaseURL,
		Log:         s.log.With("service", "ecg"),
	})
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.ecg = svc
	s.mu.Unlock()
	return nil
}

// stopECG stops the watched folder, before the store closes.
func (s *Server) stopECG(ctx context.Context) error {
	if svc := s.ECG(); svc != nil {
		return svc.Shutdown(ctx)
	}
	return nil
}

// ECG returns the ECG intake, or nil before Start. The DICOM C-STORE
// handler calls its IngestDICOM for ECG waveform SOP classes.
func (s *Server) ECG() *ecgsvc.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ecg
}

// registerECG adds POST /ingest/ecg and GET /ecg/originals/{sha256}.
func (s *Server) registerECG(e *echo.Echo) {
	if svc := s.ECG(); svc != nil {
		svc.Register(e)
	}
}
