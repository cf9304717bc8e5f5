package server

import (
	"errors"
	"fmt"
	"net"

	dicomsvc "yigong/server/dicom"
)

// DICOM configures the DICOM node: the DIMSE listener, the application
// entities that may call it, routing and the FHIR mapping of studies.
// DICOMweb is served on the HTTP listener under /dicomweb.
type DICOM struct {
	// Addr is the DIMSE listen address; "" disables the listener.
	Addr string `yaml:"addr"`
	// AETitle is this node's AE title.
	AETitle string `yaml:"ae_title"`
	// AllowAny accepts calling AE titles not listed in AEs (any title is
	// accepted while AEs is empty).
	AllowAny bool `yaml:"allow_any"`
	// AEs are the known peers: who may call, their institution and
	// charset, their address (C-MOVE destinations, routing targets) and
	// where they may move to.
	AEs []dicomsvc.AE `yaml:"aes"`
	// Routes forward instances by calling AE, modality or institution.
	Routes []dicomsvc.Route `yaml:"routes"`
	// SeeAllInstitutions lists the institutions whose DICOMweb callers
	// see every institution's studies (the hub's own always does); the
	// others see only their own. DIMSE callers are scoped per AE
	// (aes[].institution, aes[].see_all).
	SeeAllInstitutions []string `yaml:"see_all_institutions"`
	// TLS enables DICOM TLS on the listener when CertFile is set.
	TLS DICOMTLS `yaml:"tls"`
	// PatientIDSystem is the identifier system of PatientID without an
	// issuer; IssuerSystems maps IssuerOfPatientID values to systems;
	// AccessionSystem is that of Accession Numbers. Empty: derived from
	// the institution.
	PatientIDSystem string            `yaml:"patient_id_system"`
	IssuerSystems   map[string]string `yaml:"issuer_systems"`
	AccessionSystem string            `yaml:"accession_system"`
}

// DICOMTLS configures DICOM TLS.
type DICOMTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, when set, requires client certificates signed by it.
	ClientCAFile string `yaml:"client_ca_file"`
}

// Blobs configures the blob store for binary content.
type Blobs struct {
	// Dir is the filesystem folder of the blob store; "" means
	// <data>/blobs.
	Dir string `yaml:"dir"`
}

// validate checks the DICOM section.
func (d *DICOM) validate() error {
	var errs []error
	if d.Addr != "" {
		if _, _, err := net.SplitHostPort(d.Addr); err != nil {
			errs = append(errs, fmt.Errorf("dicom.addr %q: %w", d.Addr, err))
		}
	}
	if len(d.AETitle) > 16 {
		errs = append(errs, fmt.Errorf("dicom.ae_title %q: at most 16 characters", d.AETitle))
	}
	if (d.TLS.CertFile == "") != (d.TLS.KeyFile == "") {
		errs = append(errs, errors.New("dicom.tls: cert_file and key_file go together"))
	}
	st := dicomsvc.Settings{AETitle: d.AETitle, AllowAny: d.AllowAny, AEs: d.AEs, Routes: d.Routes, SeeAll: d.SeeAllInstitutions}
	if err := st.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("dicom: %w", err))
	}
	return errors.Join(errs...)
}
