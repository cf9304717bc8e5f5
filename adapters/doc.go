// Package adapters is the only place where protocol data (HL7 v2, DICOM, ECG
// files, ASTM, legacy rows) is translated into FHIR R4 resources.
//
// Each adapter is its own package below this one, shaped like a Caddy
// module: it says who it is (a dotted ID such as "adapters.hl7v2.fhir"), is
// built from a plain Config that is validated at start-up (a bad mapping
// stops boot, not the first message at night), and implements a small
// interface that the host (cmd/yigong, server/) declares where it consumes
// it. Adapters are pure translations: they neither store nor send; the
// caller executes what they produce (for v2fhir, a FHIR transaction Bundle)
// and acknowledges the sender only after the data is committed.
//
// Packages:
//
//   - [yigong/adapters/v2fhir]: HL7 v2 messages to FHIR transaction Bundles.
package adapters
