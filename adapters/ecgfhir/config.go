package ecgfhir

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ID names this adapter in the host's registry (a dotted namespace, as
// Caddy module IDs are).
const ID = "adapters.ecg.fhir"

// Config is the plain data a Mapper is built from. The zero value is
// usable; Validate it once at start-up.
type Config struct {
	// PatientIDSystem is the identifier system of the patient ID the cart
	// recorded; "" means "urn:yigong:ecg:patient-id:<institution>". An ID
	// that is a well-formed GB 11643 resident ID (check digit right) gets
	// ResidentIDSystem instead, so the cart's patient meets the HIS's.
	PatientIDSystem string
	// NoResidentID turns off the recognition of resident IDs.
	NoResidentID bool
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.PatientIDSystem == "" {
		return nil
	}
	if strings.ContainsAny(c.PatientIDSystem, " \t\r\n") {
		return errors.New("ecgfhir: config: patient_id_system must not contain spaces")
	}
	u, err := url.Parse(c.PatientIDSystem)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("ecgfhir: config: patient_id_system %q is not an absolute URI", c.PatientIDSystem)
	}
	return nil
}

// patientSystem returns the identifier system of the cart's patient ID.
func (c Config) patientSystem(institution string) string {
	if c.PatientIDSystem != "" {
		return c.PatientIDSystem
	}
	return "urn:yigong:ecg:patient-id:" + url.PathEscape(institution)
}
