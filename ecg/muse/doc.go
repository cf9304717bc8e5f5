// Package muse reads GE MUSE resting ECG XML (the RestingECG document that
// GE MUSE and MAC carts export, DTD restecg.dtd) into the ecg model.
//
// [Decode] takes the whole document; [Read] reads it from an io.Reader,
// capped at [MaxSize]. Corrupt input gives an error ("muse: ..."), never a
// panic.
//
// # Coverage
//
// GE does not publish a specification of this XML; what is read follows
// the element names of the DTD and GE's MUSE XML export descriptions:
//
//   - PatientDemographics: PatientID, PatientLastName, PatientFirstName,
//     Gender (MALE, FEMALE), PatientAge with AgeUnits (YEARS, MONTHS,
//     WEEKS, DAYS, HOURS), DateofBirth (MM-DD-YYYY), HeightCM, WeightKG.
//   - TestDemographics: AcquisitionDate (MM-DD-YYYY) and AcquisitionTime
//     (HH:MM:SS), read in UTC+08:00 since the file has no zone;
//     AcquisitionDevice, AcquisitionSoftwareVersion, SiteName or
//     LocationName.
//   - RestingECGMeasurements: VentricularRate (also the heart rate),
//     AtrialRate, PRInterval, QRSDuration, QTInterval, QTCorrected, PAxis,
//     RAxis (the QRS axis), TAxis; POnset, POffset, QOnset, QOffset and
//     TOffset, given in samples of the median beat at ECGSampleBase ×
//     10^ECGSampleExponent Hz, become ms. The file does not name the QTc
//     formula, so QTc carries Method "unknown" (the cart's default is set
//     per site).
//   - Diagnosis and OriginalDiagnosis: the StmtText of each
//     DiagnosisStatement, joined per statement.
//   - Waveform: WaveformType Rhythm (the rhythm leads) and Median (the
//     median beat); SampleBase × 10^SampleExponent Hz; per LeadData the
//     LeadID, LeadAmplitudeUnitsPerBit and LeadAmplitudeUnits (VOLTS,
//     MILLIVOLTS, MICROVOLTS, NANOVOLTS), LeadSampleSize 2 and WaveFormData:
//     base64 (RFC 4648 §4, line breaks allowed) of little-endian int16.
//     LeadDataCRC32 is not checked.
//   - Derived leads: MUSE stores 8 leads (I, II, V1–V6); the others are
//     derived by Einthoven's and Goldberger's equations, III = II − I,
//     aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2, unless stored.
//     Leads come out in the standard order I, II, III, aVR, aVL, aVF,
//     V1–V6, then any others as found.
//   - Character sets: UTF-8, and ISO-8859-1 or windows-1252 (MUSE's usual
//     declaration; windows-1252 is read as ISO-8859-1, which differs only
//     in 0x80–0x9F). Other declared encodings are refused.
//
// No real MUSE file was available: the tests use documents built from
// the element names above.
package muse
