package muse

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"yigong/ecg"
)

// MaxSize caps a MUSE document: 64 MiB.
const MaxSize = 64 << 20

type document struct {
	XMLName xml.Name `xml:"RestingECG"`
	Patient struct {
		PatientID        string
		PatientLastName  string
		PatientFirstName string
		Gender           string
		PatientAge       string
		AgeUnits         string
		DateofBirth      string
		HeightCM         string
		WeightKG         string
	} `xml:"PatientDemographics"`
	Test struct {
		AcquisitionDate            string
		AcquisitionTime            string
		AcquisitionDevice          string
		AcquisitionSoftwareVersion string
		SiteName                   string
		LocationName               string
	} `xml:"TestDemographics"`
	Measurements struct {
		VentricularRate, AtrialRate, PRInterval, QRSDuration, QTInterval, QTCorrected string
		PAxis, RAxis, TAxis                                                           string
		POnset, POffset, QOnset, QOffset, TOffset                                     string
		ECGSampleBase, ECGSampleExponent                                              string
	} `xml:"RestingECGMeasurements"`
	Diagnosis         []diagnosis `xml:"Diagnosis"`
	OriginalDiagnosis []diagnosis `xml:"OriginalDiagnosis"`
	Waveforms         []waveform  `xml:"Waveform"`
}

type diagnosis struct {
	Statements []struct {
		Text []string `xml:"StmtText"`
	} `xml:"DiagnosisStatement"`
}

type waveform struct {
	WaveformType   string
	SampleBase     string
	SampleExponent string
	Leads          []struct {
		LeadID                   string
		LeadAmplitudeUnitsPerBit string
		LeadAmplitudeUnits       string
		LeadSampleSize           string
		WaveFormData             string
	} `xml:"LeadData"`
}

// Read reads a whole MUSE document from r (at most [MaxSize] bytes) and
// decodes it.
func Read(r io.Reader) (*ecg.Record, error) {
	b, err := ecg.ReadAll(r, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("muse: %w", err)
	}
	return Decode(b)
}

// Decode decodes a MUSE RestingECG document held in b.
func Decode(b []byte) (*ecg.Record, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("muse: %w: %d bytes", ecg.ErrTooLarge, len(b))
	}
	var doc document
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = ecg.XMLCharsetReader
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("muse: parse XML: %w", err)
	}
	rec := &ecg.Record{Format: ecg.FormatMUSEXML}
	demographics(&doc, rec)
	for _, w := range doc.Waveforms {
		var err error
		switch strings.ToLower(strings.TrimSpace(w.WaveformType)) {
		case "rhythm":
			if len(rec.Leads) > 0 {
				continue // the first rhythm waveform only
			}
			rec.SampleRate, rec.Leads, err = decodeWaveform(w)
		case "median":
			if len(rec.Median) > 0 {
				continue
			}
			rec.MedianSampleRate, rec.Median, err = decodeWaveform(w)
		}
		if err != nil {
			return nil, fmt.Errorf("muse: %s waveform: %w", w.WaveformType, err)
		}
	}
	if len(rec.Leads) == 0 {
		return nil, errors.New("muse: no rhythm waveform")
	}
	measurements(&doc, rec)
	for _, dg := range append(doc.Diagnosis, doc.OriginalDiagnosis...) {
		for _, s := range dg.Statements {
			var parts []string
			for _, t := range s.Text {
				if t = strings.TrimSpace(t); t != "" {
					parts = append(parts, t)
				}
			}
			if len(parts) > 0 {
				rec.Statements = append(rec.Statements, strings.Join(parts, " "))
			}
		}
	}
	return rec, nil
}

var cst = time.FixedZone("CST", 8*3600)

func demographics(doc *document, rec *ecg.Record) {
	p := doc.Patient
	rec.Patient = ecg.Patient{
		ID:         strings.TrimSpace(p.PatientID),
		FamilyName: strings.TrimSpace(p.PatientLastName),
		GivenName:  strings.TrimSpace(p.PatientFirstName),
	}
	switch strings.ToUpper(strings.TrimSpace(p.Gender)) {
	case "MALE", "M":
		rec.Patient.Sex = ecg.SexMale
	case "FEMALE", "F":
		rec.Patient.Sex = ecg.SexFemale
	}
	if v, ok := ecg.ParseNumber(p.PatientAge); ok && v > 0 {
		unit := map[string]string{"YEARS": "a", "MONTHS": "mo", "WEEKS": "wk", "DAYS": "d", "HOURS": "h"}[strings.ToUpper(strings.TrimSpace(p.AgeUnits))]
		if unit == "" {
			unit = "a"
		}
		rec.Patient.Age = ecg.Quantity{Value: v, Unit: unit}
	}
	rec.Patient.BirthDate, _ = parseDate(p.DateofBirth, "")
	rec.Patient.HeightCM, _ = ecg.ParseNumber(p.HeightCM)
	rec.Patient.WeightKG, _ = ecg.ParseNumber(p.WeightKG)
	t := doc.Test
	rec.Start, _ = parseDate(t.AcquisitionDate, t.AcquisitionTime)
	rec.Device = ecg.Device{Manufacturer: "GE Healthcare", Model: strings.TrimSpace(t.AcquisitionDevice), Software: strings.TrimSpace(t.AcquisitionSoftwareVersion)}
	rec.Device.Institution = strings.TrimSpace(t.SiteName)
	if rec.Device.Institution == "" {
		rec.Device.Institution = strings.TrimSpace(t.LocationName)
	}
}

// parseDate reads MM-DD-YYYY (or MM/DD/YYYY) and an optional HH:MM[:SS] in
// UTC+08:00.
func parseDate(d, t string) (time.Time, error) {
	d = strings.ReplaceAll(strings.TrimSpace(d), "/", "-")
	if d == "" {
		return time.Time{}, errors.New("no date")
	}
	t = strings.TrimSpace(t)
	switch strings.Count(t, ":") {
	case 0:
		t = "00:00:00"
	case 1:
		t += ":00"
	}
	return time.ParseInLocation("01-02-2006 15:04:05", d+" "+t, cst)
}

// rate is base × 10^exponent hertz.
func rate(base, exp string) (float64, error) {
	b, ok := ecg.ParseNumber(base)
	if !ok || b <= 0 {
		return 0, fmt.Errorf("sample base %q", base)
	}
	e := 0.0
	if strings.TrimSpace(exp) != "" {
		var ok bool
		if e, ok = ecg.ParseNumber(exp); !ok || e < -3 || e > 6 {
			return 0, fmt.Errorf("sample exponent %q", exp)
		}
	}
	fs := b * math.Pow(10, e)
	if fs > 1e6 {
		return 0, fmt.Errorf("sample rate %v Hz", fs)
	}
	return fs, nil
}

// unitsToMicrovolts is the factor from LeadAmplitudeUnits to µV.
var unitsToMicrovolts = map[string]float64{
	"VOLTS": 1e6, "MILLIVOLTS": 1e3, "MICROVOLTS": 1, "NANOVOLTS": 1e-3,
	"V": 1e6, "MV": 1e3, "UV": 1, "NV": 1e-3,
}

// maxSamples caps one lead: an hour at 1 kHz.
const maxSamples = 3600 * 1000

func decodeWaveform(w waveform) (float64, []ecg.Lead, error) {
	fs, err := rate(w.SampleBase, w.SampleExponent)
	if err != nil {
		return 0, nil, err
	}
	var leads []ecg.Lead
	for _, ld := range w.Leads {
		name := ecg.NormalizeLeadName(ld.LeadID)
		if size := strings.TrimSpace(ld.LeadSampleSize); size != "" && size != "2" {
			return 0, nil, fmt.Errorf("lead %s: sample size %s bytes: %w", name, size, errors.ErrUnsupported)
		}
		upb, ok := ecg.ParseNumber(ld.LeadAmplitudeUnitsPerBit)
		if !ok || upb <= 0 {
			return 0, nil, fmt.Errorf("lead %s: amplitude units per bit %q", name, ld.LeadAmplitudeUnitsPerBit)
		}
		unit := strings.ToUpper(strings.TrimSpace(ld.LeadAmplitudeUnits))
		f, ok := unitsToMicrovolts[unit]
		if !ok {
			return 0, nil, fmt.Errorf("lead %s: amplitude units %q", name, ld.LeadAmplitudeUnits)
		}
		raw, err := ecg.DecodeBase64([]byte(ld.WaveFormData), 2*maxSamples)
		if err != nil {
			return 0, nil, fmt.Errorf("lead %s: waveform data: %w", name, err)
		}
		if len(raw)%2 != 0 {
			return 0, nil, fmt.Errorf("lead %s: %d bytes of int16 data", name, len(raw))
		}
		s := make([]float64, len(raw)/2)
		scale := upb * f
		for i := range s {
			s[i] = float64(int16(binary.LittleEndian.Uint16(raw[2*i:]))) * scale
		}
		leads = append(leads, ecg.Lead{Name: name, Samples: s})
	}
	if len(leads) == 0 {
		return 0, nil, errors.New("no leads")
	}
	return fs, deriveLimbLeads(leads), nil
}

// deriveLimbLeads adds III, aVR, aVL and aVF from I and II where they are
// not stored (Einthoven: III = II − I; Goldberger: aVR = −(I+II)/2,
// aVL = I − II/2, aVF = II − I/2) and orders the leads.
func deriveLimbLeads(leads []ecg.Lead) []ecg.Lead {
	find := func(name string) []float64 {
		for _, l := range leads {
			if l.Name == name {
				return l.Samples
			}
		}
		return nil
	}
	i, ii := find("I"), find("II")
	if i != nil && ii != nil {
		n := min(len(i), len(ii))
		derive := map[string]func(a, b float64) float64{
			"III": func(a, b float64) float64 { return b - a },
			"aVR": func(a, b float64) float64 { return -(a + b) / 2 },
			"aVL": func(a, b float64) float64 { return a - b/2 },
			"aVF": func(a, b float64) float64 { return b - a/2 },
		}
		for _, name := range []string{"III", "aVR", "aVL", "aVF"} {
			if find(name) != nil {
				continue
			}
			s := make([]float64, n)
			for k := range s {
				s[k] = derive[name](i[k], ii[k])
			}
			leads = append(leads, ecg.Lead{Name: name, Samples: s})
		}
	}
	out := make([]ecg.Lead, 0, len(leads))
	used := make([]bool, len(leads))
	for _, name := range ecg.StandardLeads() {
		for k, l := range leads {
			if !used[k] && l.Name == name {
				out, used[k] = append(out, l), true
				break
			}
		}
	}
	for k, l := range leads {
		if !used[k] {
			out = append(out, l)
		}
	}
	return out
}

func measurements(doc *document, rec *ecg.Record) {
	m := doc.Measurements
	add := func(name ecg.MeasurementName, s, unit, method, elem string) {
		if v, ok := ecg.ParseNumber(s); ok {
			rec.Measurements = append(rec.Measurements, ecg.Measurement{Name: name, Value: v, Unit: unit, Method: method, Code: elem, Source: "device"})
		}
	}
	add(ecg.HeartRate, m.VentricularRate, "/min", "", "VentricularRate")
	add(ecg.VentricularRate, m.VentricularRate, "/min", "", "VentricularRate")
	add(ecg.AtrialRate, m.AtrialRate, "/min", "", "AtrialRate")
	add(ecg.PRInterval, m.PRInterval, "ms", "", "PRInterval")
	add(ecg.QRSDuration, m.QRSDuration, "ms", "", "QRSDuration")
	add(ecg.QTInterval, m.QTInterval, "ms", "", "QTInterval")
	add(ecg.QTc, m.QTCorrected, "ms", ecg.UnknownQTcF, "QTCorrected")
	add(ecg.PAxis, m.PAxis, "deg", "", "PAxis")
	add(ecg.QRSAxis, m.RAxis, "deg", "", "RAxis")
	add(ecg.TAxis, m.TAxis, "deg", "", "TAxis")
	fs, err := rate(m.ECGSampleBase, m.ECGSampleExponent)
	if err != nil {
		fs = rec.MedianSampleRate
	}
	if fs <= 0 {
		return
	}
	for _, on := range []struct {
		name    ecg.MeasurementName
		v, elem string
	}{{ecg.POnset, m.POnset, "POnset"}, {ecg.POffset, m.POffset, "POffset"}, {ecg.QRSOnset, m.QOnset, "QOnset"}, {ecg.QRSOffset, m.QOffset, "QOffset"}, {ecg.TOffset, m.TOffset, "TOffset"}} {
		if v, ok := ecg.ParseNumber(on.v); ok {
			rec.Measurements = append(rec.Measurements, ecg.Measurement{Name: on.name, Value: math.Round(v / fs * 1000), Unit: "ms", Method: "median beat", Code: on.elem, Source: "device"})
		}
	}
}
