package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/labstack/echo/v4"

	"yigong/adapters/dicomfhir"
	"yigong/fhir/store"
	"yigong/server/blobs"
	dicomsvc "yigong/server/dicom"
	"yigong/server/dicomweb"
	ecgsvc "yigong/server/ecg"
)

// startDICOM opens the blob store and starts the DICOM service (DIMSE
// listener and workers) on the opened store. A store without a DICOM index
// runs no DICOM service.
func (s *Server) startDICOM(ctx context.Context, st store.Store) error {
	if _, ok := st.(store.DICOMIndex); !ok {
		s.log.Warn("dicom disabled: the store keeps no DICOM index")
		return nil
	}
	dir := s.cfg.Blobs.Dir
	if dir == "" {
		dir = filepath.Join(s.cfg.DataDir, "blobs")
	}
	bs, err := blobs.Open(dir)
	if err != nil {
		return err
	}
	d := s.cfg.DICOM
	var tlsCfg *tls.Config
	if d.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(d.TLS.CertFile, d.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("server: dicom tls: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if d.TLS.ClientCAFile != "" {
			pem, err := os.ReadFile(d.TLS.ClientCAFile)
			if err != nil {
				return fmt.Errorf("server: dicom tls: %w", err)
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			tlsCfg.ClientCAs, tlsCfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
	}
	svc, err := dicomsvc.New(dicomsvc.Options{
		Settings:    dicomsvc.Settings{AETitle: d.AETitle, AllowAny: d.AllowAny, AEs: d.AEs, Routes: d.Routes, SeeAll: d.SeeAllInstitutions},
		Addr:        d.Addr,
		TLS:         tlsCfg,
		Institution: s.cfg.Institution,
		Store:       st,
		Blobs:       bs,
		Processor:   s.api.Processor(),
		Mapping:     dicomfhir.Config{PatientIDSystem: d.PatientIDSystem, IssuerSystems: d.IssuerSystems, AccessionSystem: d.AccessionSystem},
		Log:         s.log.With("service", "dicom"),
		OnStored:    s.dicomToECG(bs),
	})
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.dicom = svc
	s.mu.Unlock()
	return nil
}

// stopDICOM stops the DICOM service, before the store closes.
func (s *Server) stopDICOM(ctx context.Context) error {
	s.mu.Lock()
	svc := s.dicom
	s.mu.Unlock()
	if svc == nil {
		return nil
	}
	return svc.Shutdown(ctx)
}

// DICOM returns the running DICOM service, or nil.
func (s *Server) DICOM() *dicomsvc.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dicom
}

// registerDICOMweb adds the DICOMweb routes under /dicomweb.
func (s *Server) registerDICOMweb(e *echo.Echo) {
	dicomweb.Register(e.Group("/dicomweb"), dicomweb.Options{
		Service:        s.DICOM,
		Log:            s.log.With("service", "dicomweb"),
		AllowedOrigins: s.cfg.Security.CORS,
	})
}

// dicomToECG hands ECG waveform instances (12-lead, general, ambulatory)
// received by C-STORE or STOW-RS to the ECG pipeline, which analyses them
// and writes the DiagnosticReport; the instance itself is already stored.
func (s *Server) dicomToECG(bs *blobs.Store) func(context.Context, *dicomsvc.Ingested) {
	return func(ctx context.Context, in *dicomsvc.Ingested) {
		if s.ECG() == nil || !ecgsvc.IsECGSOPClass(in.SOPClassUID) {
			return
		}
		part10, err := bs.ReadAll(ctx, in.BlobKey)
		if err == nil {
			_, err = s.ECG().IngestDICOM(ctx, in.SOPClassUID, part10)
		}
		if err != nil {
			s.log.Warn("ecg from dicom failed", "sop_instance_uid", in.SOPInstanceUID, "err", err)
		}
	}
}
